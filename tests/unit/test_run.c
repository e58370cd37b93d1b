/*
 * The pure parts of f2o-exec's run loop: when a service counts as stable
 * (or drained, or inactive), references, output paths, the action table
 * and the look-up keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "outputs.h"
#include "plan.h"
#include "reconcile.h"
#include "run.h"
#include "wait.h"

#define TD1 "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
#define TD0 "arn:aws:ecs:us-east-1:123456789012:task-definition/web:6"

/* A DescribeServices reply with one service. */
static cJSON *
reply1(const char *status, int desired, int running, int ndeps,
    const char *rollout, const char *primary_td)
{
	cJSON *r, *svcs, *s, *deps, *d;
	int i;

	r = cJSON_CreateObject();
	svcs = cJSON_AddArrayToObject(r, "services");
	cJSON_AddArrayToObject(r, "failures");
	s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "serviceName", "sfm-web");
	cJSON_AddStringToObject(s, "status", status);
	cJSON_AddNumberToObject(s, "desiredCount", desired);
	cJSON_AddNumberToObject(s, "runningCount", running);
	cJSON_AddStringToObject(s, "taskDefinition", primary_td);
	deps = cJSON_AddArrayToObject(s, "deployments");
	for (i = 0; i < ndeps; i++) {
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "status", i == 0 ? "PRIMARY" :
		    "ACTIVE");
		cJSON_AddStringToObject(d, "taskDefinition", i == 0 ?
		    primary_td : TD0);
		if (rollout != NULL)
			cJSON_AddStringToObject(d, "rolloutState", i == 0 ?
			    rollout : "COMPLETED");
		cJSON_AddItemToArray(deps, d);
	}
	cJSON_AddItemToArray(svcs, s);
	return r;
}

static int
check(cJSON *reply, bool inactive, const char *expect_td, bool drain,
    char *buf, size_t sz)
{
	cJSON *exp = NULL, *dr = NULL;
	int r;

	if (expect_td != NULL) {
		exp = cJSON_CreateObject();
		cJSON_AddStringToObject(exp, "sfm-web", expect_td);
	}
	if (drain) {
		dr = cJSON_CreateObject();
		cJSON_AddTrueToObject(dr, "sfm-web");
	}
	r = run_services_check(reply, inactive, exp, dr, buf, sz);
	cJSON_Delete(exp);
	cJSON_Delete(dr);
	cJSON_Delete(reply);
	return r;
}

static void
test_run_stable(void **state)
{
	char buf[512];

	(void)state;
	assert_int_equal(check(reply1("ACTIVE", 3, 3, 1, "COMPLETED", TD1),
	    false, TD1, false, buf, sizeof(buf)), 1);
	/* Without rolloutState (older deployments): counts decide. */
	assert_int_equal(check(reply1("ACTIVE", 3, 3, 1, NULL, TD1), false,
	    NULL, false, buf, sizeof(buf)), 1);
	/* Not yet: in progress, two deployments, too few tasks. */
	assert_int_equal(check(reply1("ACTIVE", 3, 3, 1, "IN_PROGRESS", TD1),
	    false, TD1, false, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "rolloutState IN_PROGRESS"));
	assert_int_equal(check(reply1("ACTIVE", 3, 3, 2, "COMPLETED", TD1),
	    false, TD1, false, buf, sizeof(buf)), 0);
	assert_int_equal(check(reply1("ACTIVE", 3, 1, 1, "COMPLETED", TD1),
	    false, TD1, false, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "runningCount 1 of 3"));
	/* The expected revision given as family:revision. */
	assert_int_equal(check(reply1("ACTIVE", 2, 2, 1, "COMPLETED", TD1),
	    false, "web:7", false, buf, sizeof(buf)), 1);
}

static void
test_run_rolled_back(void **state)
{
	char buf[512];

	(void)state;
	/* The circuit breaker stopped a new service's deployment. */
	assert_int_equal(check(reply1("ACTIVE", 3, 0, 1, "FAILED", TD1), false,
	    TD1, false, buf, sizeof(buf)), -1);
	assert_non_null(strstr(buf, "rolloutState FAILED"));
	/* It rolled back to the previous revision: stable, but wrong. */
	assert_int_equal(check(reply1("ACTIVE", 3, 3, 1, "COMPLETED", TD0),
	    false, TD1, false, buf, sizeof(buf)), -1);
	assert_non_null(strstr(buf, "rolled back"));
	assert_non_null(strstr(buf, TD0));
	/* Gone while waiting for stable. */
	assert_int_equal(check(reply1("DRAINING", 3, 3, 1, "COMPLETED", TD1),
	    false, TD1, false, buf, sizeof(buf)), -1);
}

static void
test_run_scale_to_zero(void **state)
{
	char buf[512];
	cJSON *r;

	(void)state;
	assert_int_equal(check(reply1("ACTIVE", 0, 0, 1, "COMPLETED", TD1),
	    false, NULL, false, buf, sizeof(buf)), 1);
	/* desiredCount 0 does not need rolloutState COMPLETED. */
	assert_int_equal(check(reply1("ACTIVE", 0, 0, 1, "IN_PROGRESS", TD1),
	    false, NULL, false, buf, sizeof(buf)), 1);
	assert_int_equal(check(reply1("ACTIVE", 0, 2, 1, "COMPLETED", TD1),
	    false, NULL, false, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "scaling to 0"));
	/* Drained and then removed: still drained when it was scaled to 0. */
	assert_int_equal(check(reply1("INACTIVE", 0, 0, 1, "COMPLETED", TD1),
	    false, NULL, true, buf, sizeof(buf)), 1);
	assert_int_equal(check(reply1("INACTIVE", 0, 0, 1, "COMPLETED", TD1),
	    false, NULL, false, buf, sizeof(buf)), -1);
	r = cJSON_Parse("{\"services\":[],\"failures\":[{\"arn\":"
	    "\"arn:aws:ecs:us-east-1:1:service/shop/sfm-web\",\"reason\":"
	    "\"MISSING\"}]}");
	assert_int_equal(check(r, false, NULL, true, buf, sizeof(buf)), 1);
	r = cJSON_Parse("{\"services\":[],\"failures\":[{\"arn\":"
	    "\"arn:aws:ecs:us-east-1:1:service/shop/sfm-web\",\"reason\":"
	    "\"MISSING\"}]}");
	assert_int_equal(check(r, false, NULL, false, buf, sizeof(buf)), -1);
	assert_non_null(strstr(buf, "MISSING"));
}

static void
test_run_inactive(void **state)
{
	char buf[512];
	cJSON *r;

	(void)state;
	assert_int_equal(check(reply1("DRAINING", 0, 0, 1, NULL, TD1), true,
	    NULL, false, buf, sizeof(buf)), 0);
	assert_int_equal(check(reply1("INACTIVE", 0, 0, 1, NULL, TD1), true,
	    NULL, false, buf, sizeof(buf)), 1);
	r = cJSON_Parse("{\"services\":[],\"failures\":[{\"arn\":\"x\","
	    "\"reason\":\"MISSING\"}]}");
	assert_int_equal(check(r, true, NULL, false, buf, sizeof(buf)), 1);
}

static void
test_run_resolve_and_paths(void **state)
{
	cJSON *outs, *req, *res;
	const cJSON *v;

	(void)state;
	outs = cJSON_Parse("{\"td/web\":{\"taskDefinitionArn\":\"" TD1 "\"},"
	    "\"sg/x\":{\"GroupId\":\"sg-1\"}}");
	req = cJSON_Parse("{\"taskDefinition\":\"${td/web.taskDefinitionArn}\","
	    "\"n\":{\"l\":[\"${sg/x.GroupId}\",\"${Partition}\"]}}");
	assert_int_equal(run_resolve(req, outs, "t"), 0);
	assert_string_equal(cJSON_GetObjectItem(req, "taskDefinition")->
	    valuestring, TD1);
	v = run_path_get(req, "n.l.0");
	assert_non_null(v);
	assert_string_equal(v->valuestring, "sg-1");
	v = run_path_get(req, "n.l.1");
	assert_string_equal(v->valuestring, "${Partition}");
	assert_null(run_path_get(req, "n.l.2"));
	assert_null(run_path_get(req, "n.x"));
	cJSON_Delete(req);
	req = cJSON_Parse("{\"a\":\"${td/none.taskDefinitionArn}\"}");
	assert_int_equal(run_resolve(req, outs, "t"), -1);
	cJSON_Delete(req);
	res = cJSON_Parse("{\"items\":[{\"id\":\"o-1\"}]}");
	assert_string_equal(run_path_get(res, "items.0.id")->valuestring,
	    "o-1");
	cJSON_Delete(res);
	cJSON_Delete(outs);
}

static void
test_run_actions(void **state)
{
	const struct run_action *a;

	(void)state;
	a = run_action_find("ecs:CreateService");
	assert_non_null(a);
	assert_true(a->create);
	assert_false(a->idempotent);
	a = run_action_find("spot:DeleteOceanCluster");
	assert_non_null(a);
	assert_string_equal(a->method, "DELETE");
	assert_string_equal(a->id_member, "oceanId");
	assert_true(a->idempotent);
	a = run_action_find("spot:DeleteOceanLaunchSpec");
	assert_string_equal(a->id_member, "launchSpecId");
	a = run_action_find("ec2:DeleteSecurityGroup");
	assert_string_equal(a->gone[0], "InvalidGroup.NotFound");
	a = run_action_find("ec2:AuthorizeSecurityGroupEgress");
	assert_string_equal(a->gone[0], "InvalidPermission.Duplicate");
	a = run_action_find("ecs:DeleteService");
	assert_string_equal(a->gone[0], "ServiceNotFoundException");
	assert_string_equal(a->gone[1], "ServiceNotActiveException");
	assert_non_null(run_action_find("ecs:UpdateService"));
	assert_non_null(run_action_find("ecs:DeregisterTaskDefinition"));
	assert_null(run_action_find("ecs:DeleteCluster"));
	/* Application Auto Scaling, CloudWatch: upserts, deletes. */
	a = run_action_find("application-autoscaling:RegisterScalableTarget");
	assert_non_null(a);
	assert_int_equal(a->api, RUN_API_AAS);
	assert_true(a->idempotent);
	assert_false(a->create);
	assert_null(a->gone[0]);
	a = run_action_find("application-autoscaling:PutScalingPolicy");
	assert_true(a != NULL && a->idempotent && !a->create);
	a = run_action_find("application-autoscaling:PutScheduledAction");
	assert_true(a != NULL && a->idempotent && !a->create);
	a = run_action_find("application-autoscaling:DeregisterScalableTarget");
	assert_true(action_gone(a, "ObjectNotFoundException"));
	a = run_action_find("application-autoscaling:DeleteScalingPolicy");
	assert_true(action_gone(a, "ObjectNotFoundException"));
	a = run_action_find("application-autoscaling:DeleteScheduledAction");
	assert_true(action_gone(a, "ObjectNotFoundException"));
	assert_false(action_gone(a, "ValidationException"));
	a = run_action_find("cloudwatch:PutMetricAlarm");
	assert_int_equal(a->api, RUN_API_CW);
	assert_true(a->idempotent && !a->create);
	a = run_action_find("cloudwatch:DeleteAlarms");
	assert_true(action_gone(a, "ResourceNotFound"));
	assert_string_equal(api_get(RUN_API_AAS)->service,
	    "application-autoscaling");
	assert_string_equal(api_get(RUN_API_CW)->service, "monitoring");
	assert_int_equal(api_find("cloudwatch", 10), RUN_API_CW);
}

/* ${STEP.OUTPUT} as a whole string inside arrays (AlarmActions). */
static void
test_run_resolve_arrays(void **state)
{
	cJSON *outs, *req;
	const cJSON *v;
	char *s;

	(void)state;
	outs = cJSON_Parse("{\"as/sfm-web:policy-1\":{\"PolicyARN\":"
	    "\"arn:p1\"},\"as/sfm-web:policy-2\":{\"PolicyARN\":"
	    "\"arn:p2\"}}");
	req = cJSON_Parse("{\"AlarmName\":\"f2o-sfm-web-hi\","
	    "\"AlarmActions\":[\"${as/sfm-web:policy-1.PolicyARN}\","
	    "\"arn:aws:sns:us-east-1:123456789012:ops\","
	    "\"${as/sfm-web:policy-2.PolicyARN}\"],"
	    "\"OKActions\":[],\"Deep\":[[{\"x\":"
	    "[\"${as/sfm-web:policy-2.PolicyARN}\"]}]],"
	    "\"Threshold\":70.5}");
	assert_non_null(req);
	assert_int_equal(run_resolve(req, outs, "t"), 0);
	s = cJSON_PrintUnformatted(req);
	assert_string_equal(s, "{\"AlarmName\":\"f2o-sfm-web-hi\","
	    "\"AlarmActions\":[\"arn:p1\","
	    "\"arn:aws:sns:us-east-1:123456789012:ops\",\"arn:p2\"],"
	    "\"OKActions\":[],\"Deep\":[[{\"x\":[\"arn:p2\"]}]],"
	    "\"Threshold\":70.5}");
	cJSON_free(s);
	v = run_path_get(req, "AlarmActions.0");
	assert_string_equal(v->valuestring, "arn:p1");
	cJSON_Delete(req);
	/* a top-level array, and a reference that has no output yet */
	req = cJSON_Parse("[\"${as/sfm-web:policy-1.PolicyARN}\",\"x\"]");
	assert_int_equal(run_resolve(req, outs, "t"), 0);
	assert_string_equal(cJSON_GetArrayItem(req, 0)->valuestring,
	    "arn:p1");
	cJSON_Delete(req);
	req = cJSON_Parse("{\"AlarmActions\":[\"arn:x\","
	    "\"${as/sfm-web:policy-9.PolicyARN}\"]}");
	assert_int_equal(run_resolve(req, outs, "t"), -1);
	cJSON_Delete(req);
	cJSON_Delete(outs);
}

static void
test_run_lookup_keys(void **state)
{
	struct plan *p;
	struct plan_step *st;
	cJSON *req;

	(void)state;
	p = plan_new();
	st = plan_add(p, "svc/sfm-web", "import", "ecs:CreateService", "t",
	    NULL, NULL);
	req = cJSON_Parse("{\"serviceName\":\"sfm-web\",\"clientToken\":"
	    "\"abc\"}");
	assert_string_equal(reconcile_key(st, req), "abc");
	cJSON_Delete(req);
	st = plan_add(p, "td/web", "import", "ecs:RegisterTaskDefinition", "t",
	    NULL, NULL);
	req = cJSON_Parse("{\"family\":\"web\",\"tags\":[{\"key\":\"a\","
	    "\"value\":\"b\"},{\"key\":\"f2o:content\",\"value\":\"c0\"}]}");
	assert_string_equal(reconcile_key(st, req), "c0");
	cJSON_Delete(req);
	st = plan_add(p, "vng/a", "import", "spot:CreateOceanLaunchSpec", "t",
	    NULL, NULL);
	req = cJSON_Parse("{\"launchSpec\":{\"name\":\"a\",\"oceanId\":"
	    "\"o-1\"}}");
	assert_string_equal(reconcile_key(st, req), "a");
	cJSON_Delete(req);
	plan_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_stable),
		cmocka_unit_test(test_run_rolled_back),
		cmocka_unit_test(test_run_scale_to_zero),
		cmocka_unit_test(test_run_inactive),
		cmocka_unit_test(test_run_resolve_and_paths),
		cmocka_unit_test(test_run_actions),
		cmocka_unit_test(test_run_resolve_arrays),
		cmocka_unit_test(test_run_lookup_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
