/*
 * Spot envelope parsing, errors, 429 and URLs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "jsonutil.h"
#include "spot.h"

static char *
load(const char *path, size_t *len)
{
	char *buf = NULL;

	assert_int_equal(fsio_read_bounded(&buf, len, path, 1 << 20), 0);
	return buf;
}

static void
test_spot_success(void **state)
{
	struct http_apierr e;
	size_t len;
	char *buf = load("fixtures/responses/spot-create-cluster.json", &len);
	cJSON *j;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(spot_response_parse(&j, &e, 200, -1, buf, len), 0);
	assert_string_equal(json_str(j, "id"), "o-1234abcd");
	cJSON_Delete(j);
	/* A 200 that is not an envelope is an error. */
	assert_int_equal(spot_response_parse(&j, &e, 200, -1, "[]", 2), -1);
	assert_null(j);
	assert_string_equal(e.code, "BadReply");
	http_apierr_cleanup(&e);
	assert_int_equal(spot_response_parse(&j, &e, 200, -1,
	    "{\"response\":{\"items\":[1]}}",
	    strlen("{\"response\":{\"items\":[1]}}")), -1);
	http_apierr_cleanup(&e);
	/* No items (delete): an empty result. */
	assert_int_equal(spot_response_parse(&j, &e, 200, -1,
	    "{\"response\":{\"status\":{\"code\":200}}}",
	    strlen("{\"response\":{\"status\":{\"code\":200}}}")), 0);
	assert_int_equal(cJSON_GetArraySize(j), 0);
	cJSON_Delete(j);
	free(buf);
}

static void
test_spot_errors(void **state)
{
	struct http_apierr e;
	size_t len;
	char *buf = load("fixtures/responses/spot-error-400.json", &len);
	cJSON *j;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(spot_response_parse(&j, &e, 400, -1, buf, len), -1);
	assert_string_equal(e.code, "InvalidParameterValue");
	assert_string_equal(e.field, "launchSpec.iamInstanceProfile");
	assert_non_null(strstr(e.message, "Instance Profile"));
	assert_string_equal(e.request_id,
	    "9a1c4f5e-0000-4000-8000-000000000002");
	assert_false(e.retryable);
	http_apierr_cleanup(&e);
	free(buf);
	buf = load("fixtures/responses/spot-error-429.json", &len);
	assert_int_equal(spot_response_parse(&j, &e, 429, 17, buf, len), -1);
	assert_string_equal(e.code, "429");
	assert_true(e.retryable);
	assert_int_equal(e.wait_seconds, 17);
	http_apierr_cleanup(&e);
	assert_int_equal(spot_response_parse(&j, &e, 429, -1, buf, len), -1);
	assert_int_equal(e.wait_seconds, 60);
	http_apierr_cleanup(&e);
	free(buf);
	assert_int_equal(spot_response_parse(&j, &e, 502, -1, "<html>", 6),
	    -1);
	assert_string_equal(e.code, "502");
	assert_true(e.retryable);
	http_apierr_cleanup(&e);
}

static void
test_spot_url(void **state)
{
	char *u;

	(void)state;
	u = spot_url("https://api.spotinst.io/", "/ocean/aws/ecs/cluster",
	    "act-12345678");
	assert_string_equal(u,
	    "https://api.spotinst.io/ocean/aws/ecs/cluster?accountId="
	    "act-12345678");
	free(u);
	u = spot_url("http://127.0.0.1:9", "/x", NULL);
	assert_string_equal(u, "http://127.0.0.1:9/x");
	free(u);
}

static void
test_spot_http_refused(void **state)
{
	struct spot_creds c = { "tok", "act-1", NULL };
	struct spot_api api = { "http://example.com", &c };
	struct http_apierr e;
	cJSON *j;

	(void)state;
	memset(&e, 0, sizeof(e));
	/* Plain http to a non-loopback host never leaves the process. */
	assert_int_equal(spot_call(&j, &e, &api, "POST", "/x", "{}", 2), -1);
	assert_string_equal(e.code, "Transport");
	http_apierr_cleanup(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spot_success),
		cmocka_unit_test(test_spot_errors),
		cmocka_unit_test(test_spot_url),
		cmocka_unit_test(test_spot_http_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
