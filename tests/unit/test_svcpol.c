/*
 * Service policies (translate/svcpolicy.c, translate/iac.c): which tags
 * name an IaC owner and which do not, what a twin and the re-created
 * service keep of Service Connect and the deployment strategy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "iac.h"
#include "jsonutil.h"
#include "svcpolicy.h"

static cJSON *
parse(const char *s)
{
	cJSON *j = NULL;

	assert_int_equal(json_parse(&j, "test", s, strlen(s)), 0);
	return j;
}

/* The owner iac_owner names for tags (JSON text), or NULL. */
static char *
owner_of(const char *tags, int *idx)
{
	cJSON *t = parse(tags);
	char *o = iac_owner(t, idx);

	cJSON_Delete(t);
	return o;
}

static void
expect_owner(const char *tags, const char *want, int want_idx)
{
	int idx = -1;
	char *o = owner_of(tags, &idx);

	if (want == NULL) {
		if (o != NULL)
			fail_msg("%s: owner \"%s\", none expected", tags, o);
		return;
	}
	if (o == NULL)
		fail_msg("%s: no owner, expected \"%s\"", tags, want);
	assert_string_equal(o, want);
	assert_int_equal(idx, want_idx);
	free(o);
}

static void
test_owner_markers(void **state)
{
	(void)state;
	/* The stack name wins over the stack id and the logical id. */
	expect_owner("[{\"key\":\"team\",\"value\":\"a\"},"
	    "{\"key\":\"aws:cloudformation:logical-id\",\"value\":\"Web\"},"
	    "{\"key\":\"aws:cloudformation:stack-id\",\"value\":"
	    "\"arn:aws:cloudformation:us-east-1:1:stack/shop/uuid\"},"
	    "{\"key\":\"aws:cloudformation:stack-name\",\"value\":\"shop\"}]",
	    "CloudFormation stack shop", 3);
	expect_owner("[{\"Key\":\"aws:cloudformation:stack-id\",\"Value\":"
	    "\"arn:aws:cloudformation:us-east-1:1:stack/vpc-01/3c1e\"}]",
	    "CloudFormation stack vpc-01", 0);
	expect_owner("[{\"key\":\"aws:cloudformation:logical-id\","
	    "\"value\":\"Web\"}]",
	    "a CloudFormation stack (aws:cloudformation:logical-id Web)", 0);
	expect_owner("[{\"key\":\"aws:cdk:path\",\"value\":\"Shop/Web/Res\"}]",
	    "CDK stack Shop (aws:cdk:path Shop/Web/Res)", 0);
	expect_owner("[{\"key\":\"copilot-service\",\"value\":\"api\"}]",
	    "Copilot (copilot-service api)", 0);
	expect_owner("[{\"Key\":\"ManagedBy\",\"Value\":\"Terraform\"}]",
	    "Terraform (tag ManagedBy=Terraform)", 0);
	expect_owner("[{\"key\":\"managed_by\",\"value\":\"opentofu\"}]",
	    "Terraform (tag managed_by=opentofu)", 0);
	expect_owner("[{\"key\":\"Terraform\",\"value\":\"true\"}]",
	    "Terraform (tag Terraform=true)", 0);
	expect_owner("[{\"key\":\"terraform-managed\",\"value\":\"yes\"}]",
	    "Terraform (tag terraform-managed=yes)", 0);
	/* CloudFormation outranks a Terraform convention on the same tags. */
	expect_owner("[{\"key\":\"terraform\",\"value\":\"true\"},"
	    "{\"key\":\"aws:cloudformation:stack-name\",\"value\":\"s\"}]",
	    "CloudFormation stack s", 1);
}

static void
test_owner_not_markers(void **state)
{
	(void)state;
	/* Look-alikes of the .NET fragment and other real exports. */
	expect_owner("[{\"key\":\"repository\",\"value\":\"terraform\"}]",
	    NULL, 0);
	expect_owner("[{\"key\":\"terraform\",\"value\":\"false\"}]", NULL, 0);
	expect_owner("[{\"key\":\"ManagedBy\",\"value\":\"platform-team\"}]",
	    NULL, 0);
	expect_owner("[{\"key\":\"copilot\",\"value\":\"x\"},"
	    "{\"key\":\"copilot-app\",\"value\":\"x\"}]", NULL, 0);
	expect_owner("[{\"key\":\"aws:cloudformation\",\"value\":\"x\"}]",
	    NULL, 0);
	expect_owner("[]", NULL, 0);
	assert_null(iac_owner(NULL, NULL));
}

#define SC_SERVER "{\"serviceName\":\"web\",\"deployments\":[" \
	"{\"status\":\"ACTIVE\"},{\"status\":\"PRIMARY\"," \
	"\"serviceConnectConfiguration\":{\"enabled\":true,\"namespace\":" \
	"\"shop\",\"services\":[{\"portName\":\"http\",\"discoveryName\":" \
	"\"web\"}]}}]}"

static void
test_sc_server(void **state)
{
	struct xsvc s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.jpath = (char *)(uintptr_t)"$.services[0]";
	s.svc = parse(SC_SERVER);
	assert_true(svcpol_sc_server(&s));
	cJSON_Delete(s.svc);
	/* A client only, a disabled server, Cloud Map: none is a server. */
	s.svc = parse("{\"serviceConnectConfiguration\":{\"enabled\":true,"
	    "\"namespace\":\"shop\"}}");
	assert_false(svcpol_sc_server(&s));
	cJSON_Delete(s.svc);
	s.svc = parse("{\"serviceConnectConfiguration\":{\"enabled\":false,"
	    "\"services\":[{\"portName\":\"http\"}]}}");
	assert_false(svcpol_sc_server(&s));
	cJSON_Delete(s.svc);
	s.svc = parse("{\"serviceRegistries\":[{\"registryArn\":\"x\"}]}");
	assert_false(svcpol_sc_server(&s));
	cJSON_Delete(s.svc);
}

#define BLUE_GREEN_REQ "{\"serviceConnectConfiguration\":{\"enabled\":true," \
	"\"namespace\":\"shop\",\"services\":[{\"portName\":\"http\"}]}," \
	"\"deploymentConfiguration\":{\"maximumPercent\":200,\"strategy\":" \
	"\"BLUE_GREEN\",\"bakeTimeInMinutes\":5,\"lifecycleHooks\":[{" \
	"\"hookTargetArn\":\"l\",\"roleArn\":\"r\"}]},\"loadBalancers\":[{" \
	"\"targetGroupArn\":\"tg\",\"advancedConfiguration\":{" \
	"\"alternateTargetGroupArn\":\"tg2\",\"productionListenerRule\":" \
	"\"pl\",\"roleArn\":\"r\"}}]}"

static void
test_twin(void **state)
{
	cJSON *r = parse(BLUE_GREEN_REQ), *want;

	(void)state;
	svcpol_twin(r);
	want = parse("{\"serviceConnectConfiguration\":{\"enabled\":true,"
	    "\"namespace\":\"shop\"},\"deploymentConfiguration\":{"
	    "\"maximumPercent\":200,\"strategy\":\"ROLLING\"},"
	    "\"loadBalancers\":[{\"targetGroupArn\":\"tg\"}]}");
	assert_true(cJSON_Compare(r, want, 1));
	cJSON_Delete(want);
	cJSON_Delete(r);
	svcpol_twin(NULL);
}

static void
test_recreate(void **state)
{
	struct xsvc s;
	cJSON *r, *orig;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.jpath = (char *)(uintptr_t)"$.services[0]";
	/* Every resource carried: the request keeps the strategy. */
	s.svc = parse(BLUE_GREEN_REQ);
	r = parse(BLUE_GREEN_REQ);
	orig = cJSON_Duplicate(r, 1);
	svcpol_recreate(&s, r);
	assert_true(cJSON_Compare(r, orig, 1));
	cJSON_Delete(orig);
	cJSON_Delete(r);
	/* A hook without its role: ROLLING, Service Connect kept whole. */
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    s.svc, "deploymentConfiguration"), "lifecycleHooks"), 0),
	    "roleArn");
	r = parse(BLUE_GREEN_REQ);
	svcpol_recreate(&s, r);
	assert_string_equal(json_str(cJSON_GetObjectItemCaseSensitive(r,
	    "deploymentConfiguration"), "strategy"), "ROLLING");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(r,
	    "serviceConnectConfiguration"), "services")), 1);
	cJSON_Delete(r);
	cJSON_Delete(s.svc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_markers),
		cmocka_unit_test(test_owner_not_markers),
		cmocka_unit_test(test_sc_server),
		cmocka_unit_test(test_twin),
		cmocka_unit_test(test_recreate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
