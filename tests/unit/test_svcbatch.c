/*
 * Batching DescribeServices (exec/svcbatch.c): which requests may share a
 * call, the merged names (at most 10), and each request's part of a reply.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcbatch.h"

static char *
key_of(const char *text)
{
	cJSON *req = cJSON_Parse(text);
	char *key;

	assert_non_null(req);
	key = svcbatch_key(req);
	cJSON_Delete(req);
	return key;
}

static void
test_svcbatch_key(void **state)
{
	char *a, *b, *c;

	(void)state;
	a = key_of("{\"cluster\":\"big\",\"services\":[\"web\"]}");
	b = key_of("{\"cluster\":\"big\",\"services\":[\"api\",\"db\"]}");
	c = key_of("{\"cluster\":\"other\",\"services\":[\"web\"]}");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_string_equal(a, b);		/* same cluster: may share */
	assert_string_not_equal(a, c);		/* another cluster: not */
	free(a);
	free(b);
	free(c);
	a = key_of("{\"cluster\":\"big\",\"include\":[\"TAGS\"],"
	    "\"services\":[\"web\"]}");
	b = key_of("{\"cluster\":\"big\",\"services\":[\"web\"]}");
	assert_string_not_equal(a, b);		/* other options: not */
	free(a);
	free(b);
	/* Cannot share: unknown member, no names, too many, not strings. */
	assert_null(key_of("{\"cluster\":\"big\",\"x\":1,\"services\":"
	    "[\"web\"]}"));
	assert_null(key_of("{\"cluster\":\"big\",\"services\":[]}"));
	assert_null(key_of("{\"cluster\":\"big\",\"services\":[\"a\",\"b\","
	    "\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\"]}"));
	assert_null(key_of("{\"cluster\":\"big\",\"services\":[1]}"));
	assert_null(key_of("{\"cluster\":\"big\"}"));
}

static void
test_svcbatch_merge(void **state)
{
	cJSON *all = cJSON_CreateArray(), *n;
	char name[16];	/* "s" and any int: gcc -O1 checks the bound */
	int i;

	(void)state;
	n = cJSON_Parse("[\"web\",\"api\"]");
	assert_int_equal(svcbatch_merge(all, n, SVCBATCH_MAX), 2);
	/* The same names again: nothing added. */
	assert_int_equal(svcbatch_merge(all, n, SVCBATCH_MAX), 2);
	cJSON_Delete(n);
	for (i = 0; i < 8; i++) {
		(void)snprintf(name, sizeof(name), "s%d", i);
		n = cJSON_CreateArray();
		cJSON_AddItemToArray(n, cJSON_CreateString(name));
		assert_int_equal(svcbatch_merge(all, n, SVCBATCH_MAX), 3 + i);
		cJSON_Delete(n);
	}
	/* An 11th name does not fit: refused, nothing added. */
	n = cJSON_Parse("[\"web\",\"one-more\"]");
	assert_int_equal(svcbatch_merge(all, n, SVCBATCH_MAX), 11);
	assert_int_equal(cJSON_GetArraySize(all), 10);
	cJSON_Delete(n);
	cJSON_Delete(all);
}

static void
test_svcbatch_split(void **state)
{
	cJSON *reply, *names, *part;
	const cJSON *s;

	(void)state;
	reply = cJSON_Parse("{\"services\":["
	    "{\"serviceName\":\"web\",\"serviceArn\":\"arn:aws:ecs:us-east-1:"
	    "1:service/big/web\",\"status\":\"ACTIVE\"},"
	    "{\"serviceName\":\"api\",\"serviceArn\":\"arn:aws:ecs:us-east-1:"
	    "1:service/big/api\",\"status\":\"DRAINING\"}],"
	    "\"failures\":[{\"arn\":\"arn:aws:ecs:us-east-1:1:service/big/gone"
	    "\",\"reason\":\"MISSING\"}]}");
	assert_non_null(reply);
	/* By name: only its service, no other's failure. */
	names = cJSON_Parse("[\"api\"]");
	part = svcbatch_split(reply, names);
	assert_non_null(part);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(part,
	    "services")), 1);
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(part, "services"), 0);
	assert_string_equal(cJSON_GetObjectItem(s, "serviceName")->valuestring,
	    "api");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(part,
	    "failures")), 0);
	cJSON_Delete(part);
	cJSON_Delete(names);
	/* A MISSING one: its failure, matched by the ARN's last part. */
	names = cJSON_Parse("[\"gone\"]");
	part = svcbatch_split(reply, names);
	assert_non_null(part);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(part,
	    "services")), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(part,
	    "failures")), 1);
	cJSON_Delete(part);
	cJSON_Delete(names);
	/* By ARN, in the order asked. */
	names = cJSON_Parse("[\"arn:aws:ecs:us-east-1:1:service/big/web\","
	    "\"api\"]");
	part = svcbatch_split(reply, names);
	assert_non_null(part);
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(part, "services"), 0);
	assert_string_equal(cJSON_GetObjectItem(s, "serviceName")->valuestring,
	    "web");
	cJSON_Delete(part);
	cJSON_Delete(names);
	/* Not answered at all: NULL (asked again alone). */
	names = cJSON_Parse("[\"web\",\"elsewhere\"]");
	assert_null(svcbatch_split(reply, names));
	cJSON_Delete(names);
	cJSON_Delete(reply);
	/* Two services of one name (an INACTIVE one, an ACTIVE one): an
	 * ARN gets its own, the bare name is asked alone. */
	reply = cJSON_Parse("{\"services\":["
	    "{\"serviceName\":\"web\",\"serviceArn\":\"arn:aws:ecs:us-east-1:"
	    "1:service/shop/web\",\"status\":\"INACTIVE\",\"v\":1},"
	    "{\"serviceName\":\"web\",\"serviceArn\":\"arn:aws:ecs:us-east-1:"
	    "1:service/shop/web\",\"status\":\"ACTIVE\",\"v\":2},"
	    "{\"serviceName\":\"api\",\"serviceArn\":\"arn:aws:ecs:us-east-1:"
	    "1:service/other/api\",\"status\":\"ACTIVE\"}],\"failures\":[]}");
	names = cJSON_Parse("[\"web\"]");
	assert_null(svcbatch_split(reply, names));
	cJSON_Delete(names);
	names = cJSON_Parse("[\"arn:aws:ecs:us-east-1:1:service/shop/api\"]");
	assert_null(svcbatch_split(reply, names));	/* another ARN */
	cJSON_Delete(names);
	cJSON_Delete(reply);
	/* A failure without an arn goes to every part. */
	reply = cJSON_Parse("{\"services\":[{\"serviceName\":\"web\"}],"
	    "\"failures\":[{\"reason\":\"ACCESS\"}]}");
	names = cJSON_Parse("[\"web\"]");
	part = svcbatch_split(reply, names);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(part,
	    "failures")), 1);
	cJSON_Delete(part);
	cJSON_Delete(names);
	cJSON_Delete(reply);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svcbatch_key),
		cmocka_unit_test(test_svcbatch_merge),
		cmocka_unit_test(test_svcbatch_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
