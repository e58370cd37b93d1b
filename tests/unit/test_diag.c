/* Diagnostics: duplicate keys, template placeholders, value redaction,
 * model values (issue 16). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "export_int.h"
#include "jsonutil.h"
#include "log.h"
#include "modelcheck.h"
#include "xalloc.h"

static int
parse_dup(cJSON **j, const char *text, enum json_dup dup)
{
	return json_parse_dup(j, "mem.json", text, strlen(text), dup);
}

static void
test_dup_error(void **state)
{
	cJSON *j = NULL;

	(void)state;
	assert_int_equal(parse_dup(&j, "{\"a\":1,\"b\":{\"c\":true,\"c\":false}}",
	    JSON_DUP_ERROR), -1);
	assert_null(j);
	/* json_parse() refuses them too. */
	assert_int_equal(json_parse(&j, "m", "{\"a\":1,\"a\":1}", 13), -1);
	/* Same key in two objects, or in an array of objects: fine. */
	assert_int_equal(parse_dup(&j, "[{\"a\":1},{\"a\":2}]", JSON_DUP_ERROR),
	    0);
	cJSON_Delete(j);
	assert_int_equal(parse_dup(&j, "{\"a\":{\"a\":1}}", JSON_DUP_ERROR), 0);
	cJSON_Delete(j);
}

static void
test_dup_last(void **state)
{
	cJSON *j = NULL, *c;
	char *s;

	(void)state;
	assert_int_equal(parse_dup(&j, "{\"x\":[{\"e\":true,\"n\":1,\"e\":false,"
	    "\"e\":\"third\"}]}", JSON_DUP_LAST), 0);
	s = cJSON_PrintUnformatted(j);
	/* Only the last value is left: never both keys in a request. */
	assert_string_equal(s, "{\"x\":[{\"n\":1,\"e\":\"third\"}]}");
	cJSON_free(s);
	c = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "x"), 0);
	assert_int_equal(cJSON_GetArraySize(c), 2);
	cJSON_Delete(j);
	/* KEEP leaves cJSON's own behaviour. */
	assert_int_equal(parse_dup(&j, "{\"a\":1,\"a\":2}", JSON_DUP_KEEP), 0);
	assert_int_equal(cJSON_GetArraySize(j), 2);
	cJSON_Delete(j);
}

static void
test_dup_bounded(void **state)
{
	/* 2000 keys, each twice: counted, a bounded number reported. */
	size_t n = 2000, i, len = 0;
	char *buf = xmalloc(n * 2 * 16 + 8);
	cJSON *j;

	(void)state;
	buf[len++] = '{';
	for (i = 0; i < n * 2; i++)
		len += (size_t)sprintf(buf + len, "%s\"k%zu\":%zu", i ? "," : "",
		    i % n, i);
	buf[len++] = '}';
	buf[len] = '\0';
	j = json_parse_quiet(buf, len);
	assert_non_null(j);
	assert_int_equal(json_dedup(j, "mem.json", JSON_DUP_LAST), n);
	assert_int_equal(cJSON_GetArraySize(j), (int)n);
	assert_int_equal(cJSON_GetObjectItem(j, "k0")->valueint, (int)n);
	assert_int_equal(json_dedup(j, "mem.json", JSON_DUP_ERROR), 0);
	cJSON_Delete(j);
	free(buf);
}

static void
test_placeholder(void **state)
{
	static const char *const yes[] = { "<TASK_NAME>", "{{ must_env `X` }}",
	    "${FAMILY}", "%(name)s", "nginx:{{ env `TAG` `latest` }}",
	    "arn:aws:iam::<ACCOUNT_ID>:role/x", "<your-account id>",
	    "{{.Env.IMAGE}}", NULL };
	static const char *const no[] = { "web", "arn:aws:iam::1:role/x",
	    "nginx:1.25", "a<b", "x > y", "<>", "$HOME", "{}", "100%", "< 3 >",
	    "{{}}", "${}", NULL };
	const char *const *p;

	(void)state;
	for (p = yes; *p != NULL; p++)
		assert_true(export_placeholder(*p));
	for (p = no; *p != NULL; p++)
		assert_false(export_placeholder(*p));
	assert_false(export_placeholder(NULL));
}

static void
test_placeholder_export(void **state)
{
	struct export *ex = export_new();
	static const char td[] = "{\"family\":\"<TASK_NAME>\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"x:1\","
	    "\"environment\":[{\"name\":\"P\",\"value\":\"${Partition}\"}],"
	    "\"logConfiguration\":{\"logDriver\":\"awsfirelens\",\"options\":"
	    "{\"arn\":\"arn:${Partition}:x\"}}}]}";
	static const char ok[] = "{\"family\":\"web\",\"containerDefinitions\":"
	    "[{\"name\":\"a\",\"image\":\"x:1\",\"environment\":[{\"name\":\"P\","
	    "\"value\":\"${Partition}\"}],\"logConfiguration\":{\"logDriver\":"
	    "\"awsfirelens\",\"options\":{\"arn\":\"arn:${Partition}:x\"}}}]}";
	static const char badname[] = "{\"family\":\"web.v2\","
	    "\"containerDefinitions\":[]}";
	static const char svc[] = "{\"services\":[{\"serviceName\":\"s\","
	    "\"loadBalancers\":[{\"targetGroupArn\":\"arn:aws:elasticloadbalancing"
	    ":us-east-1:${AWS_ACCOUNT_ID}:targetgroup/a/1\"}]}]}";

	(void)state;
	assert_int_equal(export_parse(ex, "t.json", td, strlen(td)), -1);
	/* Run-time strings outside identity fields stay legitimate. */
	assert_int_equal(export_parse(ex, "ok.json", ok, strlen(ok)), 0);
	assert_int_equal(export_parse(ex, "n.json", badname, strlen(badname)),
	    -1);
	assert_int_equal(export_parse(ex, "s.json", svc, strlen(svc)), -1);
	assert_int_equal(ex->ntds, 1);
	assert_int_equal(ex->nsvcs, 0);
	export_free(ex);
}

static void
test_value_redacted(void **state)
{
	char out[LOG_MAX_VALUE + 1], longv[200];

	(void)state;
	log_value(out, sizeof(out), "$.containerDefinitions[0].environment[1]"
	    ".value", "hunter2");
	assert_string_equal(out, "(redacted)");
	log_value(out, sizeof(out), "$.containerDefinitions[0].secrets[0]"
	    ".valueFrom", "arn:aws:ssm:x");
	assert_string_equal(out, "(redacted)");
	log_value(out, sizeof(out), "$.family", "we\nb");
	assert_string_equal(out, "we?b");
	memset(longv, 'a', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	log_value(out, sizeof(out), "$.family", longv);
	assert_int_equal(strlen(out), LOG_MAX_VALUE);
	assert_string_equal(out + LOG_MAX_VALUE - 3, "...");
}

static void
test_model_unknown(void **state)
{
	cJSON *req = cJSON_Parse("{\"family\":\"f\",\"networkMode\":\"awsvpcx\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"portMappings\":"
	    "[{\"containerPort\":80}]}]}");
	cJSON *ok = cJSON_Parse("{\"family\":\"f\",\"networkMode\":\"awsvpc\","
	    "\"containerDefinitions\":[{\"name\":\"a\",\"portMappings\":"
	    "[{\"containerPort\":8080}]}]}");

	(void)state;
	assert_int_equal(modelcheck_ecs("RegisterTaskDefinition", ok, "m", "$"),
	    0);
	assert_int_equal(modelcheck_ecs("RegisterTaskDefinition", req, "m",
	    "$"), -1);
	modelcheck_allow_unknown(1);
	assert_int_equal(modelcheck_ecs("RegisterTaskDefinition", req, "m",
	    "$"), 0);
	modelcheck_allow_unknown(0);
	cJSON_Delete(req);
	cJSON_Delete(ok);
	/* A number outside the model's range (weight: 0 to 1000). */
	req = cJSON_Parse("{\"serviceName\":\"s\",\"capacityProviderStrategy\":"
	    "[{\"capacityProvider\":\"FARGATE\",\"weight\":2000}]}");
	ok = cJSON_Parse("{\"serviceName\":\"s\",\"capacityProviderStrategy\":"
	    "[{\"capacityProvider\":\"FARGATE\",\"weight\":1000}]}");
	assert_int_equal(modelcheck_ecs("CreateService", ok, "m", "$"), 0);
	assert_int_equal(modelcheck_ecs("CreateService", req, "m", "$"), -1);
	modelcheck_allow_unknown(1);
	assert_int_equal(modelcheck_ecs("CreateService", req, "m", "$"), 0);
	modelcheck_allow_unknown(0);
	cJSON_Delete(req);
	cJSON_Delete(ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dup_error),
		cmocka_unit_test(test_dup_last),
		cmocka_unit_test(test_dup_bounded),
		cmocka_unit_test(test_placeholder),
		cmocka_unit_test(test_placeholder_export),
		cmocka_unit_test(test_value_redacted),
		cmocka_unit_test(test_model_unknown),
	};

	log_set_quiet(2);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
