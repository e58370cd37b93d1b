/* Application Auto Scaling inputs (export_aas.c) and the autoscale stage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "autoscale.h"
#include "bundle.h"
#include "ctx.h"
#include "export.h"
#include "export_int.h"
#include "fingerprint.h"
#include "jsonutil.h"
#include "modelcheck.h"
#include "options.h"
#include "plan.h"
#include "xalloc.h"

static int
parse(struct export *ex, const char *text)
{
	return export_parse(ex, "mem.json", text, strlen(text));
}

#define TARGET(name, min, max) "{\"ServiceNamespace\":\"ecs\"," \
	"\"ResourceId\":\"service/shop/" name "\",\"ScalableDimension\":" \
	"\"ecs:service:DesiredCount\",\"MinCapacity\":" #min ","	\
	"\"MaxCapacity\":" #max ",\"CreationTime\":1759310000.5}"
#define WEB_OUT "arn:aws:autoscaling:us-east-1:1:scalingPolicy:u1:" \
	"resource/ecs/service/shop/web:policyName/web-out"
#define POLICIES "{\"ScalingPolicies\":[{\"PolicyName\":\"web-cpu\"," \
	"\"PolicyARN\":\"arn:tt\",\"ServiceNamespace\":\"ecs\",\"ResourceId\":" \
	"\"service/shop/web\",\"ScalableDimension\":\"ecs:service:"	\
	"DesiredCount\",\"PolicyType\":\"TargetTrackingScaling\","	\
	"\"TargetTrackingScalingPolicyConfiguration\":{\"TargetValue\":60,"  \
	"\"PredefinedMetricSpecification\":{\"PredefinedMetricType\":"	\
	"\"ECSServiceAverageCPUUtilization\"}},\"Alarms\":[{\"AlarmName\":" \
	"\"TargetTracking-service/shop/web-AlarmHigh-x\"}]},"		\
	"{\"PolicyName\":\"web-out\",\"PolicyARN\":\"" WEB_OUT "\","	\
	"\"ServiceNamespace\":\"ecs\",\"ResourceId\":\"service/shop/web\"," \
	"\"ScalableDimension\":\"ecs:service:DesiredCount\",\"PolicyType\":" \
	"\"StepScaling\",\"StepScalingPolicyConfiguration\":{"		\
	"\"AdjustmentType\":\"ChangeInCapacity\",\"StepAdjustments\":[{"	\
	"\"MetricIntervalLowerBound\":0,\"ScalingAdjustment\":2}]},"	\
	"\"Alarms\":[{\"AlarmName\":\"web-high\"}]}]}"
#define ALARMS "{\"MetricAlarms\":[{\"AlarmName\":\"other\"},"		\
	"{\"AlarmName\":\"web-high\",\"AlarmActions\":[\"" WEB_OUT "\","	\
	"\"arn:aws:sns:us-east-1:1:t\"],\"MetricName\":\"CPUUtilization\","  \
	"\"Namespace\":\"AWS/ECS\",\"Statistic\":\"Average\",\"Dimensions\":" \
	"[{\"Name\":\"ClusterName\",\"Value\":\"shop\"},{\"Name\":"	\
	"\"ServiceName\",\"Value\":\"web\"}],\"Period\":60,"		\
	"\"EvaluationPeriods\":2,\"Threshold\":80,\"ComparisonOperator\":"  \
	"\"GreaterThanThreshold\",\"StateValue\":\"OK\"}],"		\
	"\"CompositeAlarms\":[]}"

static void
test_aas_pages(void **state)
{
	struct export *ex = export_new();

	(void)state;
	/* Two pages of one kind; the same item twice is one item. */
	assert_int_equal(parse(ex, "{\"ScalableTargets\":[" TARGET("web", 1, 4)
	    "],\"NextToken\":\"t1\"}"), 0);
	assert_int_equal(parse(ex, "{\"ScalableTargets\":[" TARGET("api", 2, 6)
	    "," TARGET("web", 1, 4) "]}"), 0);
	assert_int_equal(ex->aas[XAAS_TARGET].n, 2);
	assert_int_equal(ex->aas[XAAS_TARGET].pages, 2);
	assert_int_equal(ex->aas[XAAS_TARGET].pages_token, 1);
	assert_int_equal(export_aas_finish(ex), 0);
	/* The same target with other content is refused. */
	assert_int_equal(parse(ex, "{\"ScalableTargets\":[" TARGET("web", 1, 5)
	    "]}"), -1);
	assert_int_equal(parse(ex, POLICIES), 0);
	assert_int_equal(parse(ex, ALARMS), 0);
	assert_int_equal(ex->aas[XAAS_POLICY].n, 2);
	assert_int_equal(ex->aas[XAAS_ALARM].n, 2);
	assert_string_equal(ex->aas[XAAS_ALARM].items[1].key, "web-high");
	export_free(ex);
}

static void
test_aas_bad_input(void **state)
{
	struct export *ex = export_new();

	(void)state;
	/* Wrong types, missing members, not an array, a bad NextToken. */
	assert_int_equal(parse(ex, "{\"ScalableTargets\":[{\"ServiceNamespace\":"
	    "\"ecs\",\"ResourceId\":\"service/shop/web\",\"ScalableDimension\":"
	    "\"ecs:service:DesiredCount\",\"MinCapacity\":\"1\","
	    "\"MaxCapacity\":4}]}"), -1);
	assert_int_equal(parse(ex, "{\"ScalingPolicies\":[{\"PolicyName\":"
	    "\"p\"}]}"), -1);
	assert_int_equal(parse(ex, "{\"ScheduledActions\":{}}"), -1);
	assert_int_equal(parse(ex, "{\"ScheduledActions\":[{"
	    "\"ScheduledActionName\":\"a\",\"ServiceNamespace\":\"ecs\","
	    "\"ResourceId\":\"service/shop/web\",\"Schedule\":\"rate(1 day)\","
	    "\"StartTime\":\"yesterday\"}]}"), -1);
	assert_int_equal(parse(ex, "{\"MetricAlarms\":[],\"NextToken\":5}"),
	    -1);
	assert_int_equal(parse(ex, "{\"MetricAlarms\":[7]}"), -1);
	assert_int_equal(ex->aas[XAAS_TARGET].n, 0);
	export_free(ex);
	/* Only pages with a NextToken: the last page is missing. */
	ex = export_new();
	assert_int_equal(parse(ex, "{\"ScalingPolicies\":[],\"NextToken\":"
	    "\"t\"}"), 0);
	assert_int_equal(export_aas_finish(ex), -1);
	export_free(ex);
}

static void
test_aas_time(void **state)
{
	cJSON *v;
	double t;

	(void)state;
	v = cJSON_CreateString("2026-11-02T00:00:00+01:00");
	assert_int_equal(export_time(v, &t), 0);
	assert_true(t == 1793574000.0);
	cJSON_Delete(v);
	v = cJSON_CreateString("2027-06-30T23:59:59Z");
	assert_int_equal(export_time(v, &t), 0);
	assert_true(t == 1814399999.0);
	cJSON_Delete(v);
	v = cJSON_CreateString("2026-10-01T09:12:44.5+00:00");
	assert_int_equal(export_time(v, &t), 0);
	assert_true(t > 1790845964.4 && t < 1790845964.6);
	cJSON_Delete(v);
	v = cJSON_CreateNumber(1764547200);
	assert_int_equal(export_time(v, &t), 0);
	assert_true(t == 1764547200.0);
	cJSON_Delete(v);
	v = cJSON_CreateString("2026-13-01T00:00:00Z");
	assert_int_equal(export_time(v, &t), -1);
	cJSON_Delete(v);
	v = cJSON_CreateString("2026-01-01T00:00:00+1");
	assert_int_equal(export_time(v, &t), -1);
	cJSON_Delete(v);
}

static cJSON *
pj(const char *text)
{
	return json_parse_quiet(text, strlen(text));
}

static void
test_aas_modelcheck(void **state)
{
	cJSON *r;

	(void)state;
	r = pj("{\"PolicyName\":\"p\",\"ServiceNamespace\":"
	    "\"ecs\",\"ResourceId\":\"service/shop/web\","
	    "\"ScalableDimension\":\"ecs:service:DesiredCount\","
	    "\"PolicyType\":\"StepScaling\"}");
	assert_non_null(r);
	assert_int_equal(modelcheck_aas("PutScalingPolicy", r, "t", "$"), 0);
	cJSON_ReplaceItemInObject(r, "PolicyType", cJSON_CreateString(
	    "Sideways"));
	assert_int_equal(modelcheck_aas("PutScalingPolicy", r, "t", "$"), -1);
	cJSON_Delete(r);
	r = pj("{\"AlarmName\":\"a\",\"Period\":0}");
	assert_non_null(r);
	/* Period below the model's minimum of 1. */
	assert_int_equal(modelcheck_cw("PutMetricAlarm", r, "t", "$"), -1);
	cJSON_Delete(r);
	r = pj("{\"AlarmNames\":[\"a\"],\"x\":1}");
	assert_non_null(r);
	assert_int_equal(modelcheck_cw("DeleteAlarms", r, "t", "$"), -1);
	assert_int_equal(modelcheck_cw("PutScalingPolicy", r, "t", "$"), -1);
	cJSON_Delete(r);
}

static void
test_aas_fingerprint(void **state)
{
	cJSON *t = pj(TARGET("web", 2, 8)), *live, *f, *g;
	const cJSON *ss;

	(void)state;
	f = fingerprint_scalable_target(t);
	assert_non_null(f);
	assert_int_equal(cJSON_GetArraySize(f), 4);
	assert_null(cJSON_GetObjectItem(f, "CreationTime"));
	ss = cJSON_GetObjectItem(f, "SuspendedState");
	assert_int_equal(cJSON_GetArraySize(ss), 3);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(ss,
	    "DynamicScalingInSuspended")));
	/* Live: the same with an explicit SuspendedState all false. */
	live = pj("{\"ResourceId\":\"service/shop/web\",\"MinCapacity\":2,"
	    "\"MaxCapacity\":8,\"SuspendedState\":{"
	    "\"DynamicScalingInSuspended\":false,\"DynamicScalingOutSuspended\":"
	    "false,\"ScheduledScalingSuspended\":false},\"RoleARN\":\"r\"}");
	g = fingerprint_scalable_target(live);
	assert_int_equal(fingerprint_diff(f, g, NULL, NULL), 0);
	cJSON_Delete(g);
	cJSON_ReplaceItemInObject(live, "MaxCapacity", cJSON_CreateNumber(9));
	g = fingerprint_scalable_target(live);
	assert_int_equal(fingerprint_diff(f, g, NULL, NULL), 1);
	cJSON_Delete(g);
	assert_null(fingerprint_scalable_target(NULL));
	cJSON_Delete(f);
	cJSON_Delete(live);
	cJSON_Delete(t);
}

/* ---------------------------------------------------------------- */
/* The stage on a parsed export with one migrated service "web". */

struct tctx {
	struct xlate x;
	struct options *opt;
	struct xsvc *mig[1];
};

static struct tctx *
tctx_new(bool drop, const char *const *inputs)
{
	struct tctx *t = xcalloc(1, sizeof(*t));
	char *argv[8];
	int argc = 0;
	struct xsvc *s;
	size_t i;

	argv[argc++] = (char *)(uintptr_t)"f2o-translate";
	if (drop)
		argv[argc++] = (char *)(uintptr_t)"--drop-step-scaling";
	argv[argc++] = (char *)(uintptr_t)"-o";
	argv[argc++] = (char *)(uintptr_t)"/nonexistent/out";
	argv[argc++] = (char *)(uintptr_t)"input.json";
	argv[argc] = NULL;
	assert_int_equal(options_parse(&t->opt, argc, argv), OPTIONS_OK);
	opt_set_str(t->opt, "ecs-cluster", "shop");
	t->x.opt = t->opt;
	t->x.plan = plan_new();
	t->x.bundle = bundle_new();
	strbuf_init(&t->x.md_services, MODEL_MD_MAX);
	t->x.ex = export_new();
	assert_int_equal(parse(t->x.ex, "{\"services\":[{\"serviceName\":"
	    "\"web\",\"launchType\":\"FARGATE\",\"clusterArn\":"
	    "\"arn:aws:ecs:us-east-1:1:cluster/shop\"}]}"), 0);
	for (i = 0; inputs[i] != NULL; i++)
		assert_int_equal(parse(t->x.ex, inputs[i]), 0);
	export_sort(t->x.ex);
	s = &t->x.ex->svcs[0];
	s->newname = xstrdup("sfm-web");
	s->svc_step = xstrdup("svc/sfm-web");
	assert_non_null(plan_add(t->x.plan, "svc/sfm-web", "import",
	    "ecs:CreateService", "copy", NULL, NULL));
	t->mig[0] = s;
	t->x.mig = t->mig;
	t->x.nmig = 1;
	return t;
}

static void
tctx_free(struct tctx *t)
{
	size_t i;

	for (i = 0; i < t->x.nwarns; i++) {
		free(t->x.warns[i].subject);
		free(t->x.warns[i].message);
	}
	free(t->x.warns);
	ctx_cleanup(&t->x);	/* the index warnings made of the export */
	autoscale_free(t->x.ex->svcs[0].scaling);
	export_free(t->x.ex);
	plan_free(t->x.plan);
	bundle_free(t->x.bundle);
	strbuf_cleanup(&t->x.md_services);
	options_free(t->opt);
	free(t);
}

static cJSON *
request(struct tctx *t, const char *step)
{
	char *name = xasprintf("requests/%s.json", step);
	cJSON *j = bundle_json(t->x.bundle, name);

	free(name);
	assert_non_null(j);
	return j;
}

static bool
after(const struct plan_step *st, const char *id)
{
	size_t i;

	for (i = 0; st != NULL && i < st->nafter; i++)
		if (strcmp(st->after[i], id) == 0)
			return true;
	return false;
}

static void
test_autoscale_import(void **state)
{
	static const char *const in[] = { "{\"ScalableTargets\":["
	    TARGET("web", 2, 8) "," TARGET("ghost", 1, 2) ",{"
	    "\"ServiceNamespace\":\"dynamodb\",\"ResourceId\":\"table/t\","
	    "\"ScalableDimension\":\"dynamodb:table:ReadCapacityUnits\","
	    "\"MinCapacity\":1,\"MaxCapacity\":5}]}", POLICIES, ALARMS, NULL };
	struct tctx *t = tctx_new(false, in);
	const struct plan_step *st;
	cJSON *r, *a;

	(void)state;
	assert_int_equal(autoscale_plan(&t->x), 0);
	assert_true(autoscale_any(&t->x));
	/* ghost: not in the export; table/t: another namespace. */
	assert_int_equal(t->x.nwarns, 2);
	assert_string_equal(t->x.warns[1].subject, "table/t");
	st = plan_find(t->x.plan, "as/sfm-web:target");
	assert_true(after(st, "svc/sfm-web"));
	assert_true(after(plan_find(t->x.plan, "as/sfm-web:policy-1"),
	    "as/sfm-web:target"));
	st = plan_find(t->x.plan, "cw/sfm-web:alarm-1");
	assert_true(after(st, "as/sfm-web:policy-2"));
	assert_null(plan_find(t->x.plan, "cw/sfm-web:alarm-2"));
	r = request(t, "as/sfm-web:target");
	assert_string_equal(json_str(r, "ResourceId"), "service/shop/sfm-web");
	assert_int_equal(cJSON_GetObjectItem(r, "MaxCapacity")->valueint, 8);
	cJSON_Delete(r);
	r = request(t, "cw/sfm-web:alarm-1");
	assert_string_equal(json_str(r, "AlarmName"), "f2o-sfm-web-web-high");
	a = cJSON_GetObjectItem(r, "AlarmActions");
	assert_string_equal(cJSON_GetArrayItem(a, 0)->valuestring,
	    "${as/sfm-web:policy-2.PolicyARN}");
	assert_string_equal(cJSON_GetArrayItem(a, 1)->valuestring,
	    "arn:aws:sns:us-east-1:1:t");
	a = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "Dimensions"), 1);
	assert_string_equal(json_str(a, "Value"), "sfm-web");
	assert_null(cJSON_GetObjectItem(r, "StateValue"));
	cJSON_Delete(r);
	tctx_free(t);
}

static void
test_autoscale_cutover_rollback(void **state)
{
	static const char *const in[] = { "{\"ScalableTargets\":["
	    TARGET("web", 2, 8) "]}", POLICIES, ALARMS, NULL };
	struct tctx *t = tctx_new(false, in);
	const struct plan_step *st;
	char *prev = xstrdup("cut/web:copy-stable");
	cJSON *r, *ss;

	(void)state;
	assert_int_equal(autoscale_plan(&t->x), 0);
	assert_int_equal(autoscale_cut_suspend(&t->x, t->mig[0], &prev), 0);
	assert_string_equal(prev, "cut/web:suspend");
	r = request(t, "cut/web:suspend");
	ss = cJSON_GetObjectItem(r, "SuspendedState");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(ss,
	    "DynamicScalingInSuspended")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(ss,
	    "ScheduledScalingSuspended")));
	assert_null(cJSON_GetObjectItem(r, "MinCapacity"));
	cJSON_Delete(r);
	assert_int_equal(autoscale_cut_carry(&t->x, t->mig[0], &prev), 0);
	assert_int_equal(autoscale_cut_copy_off(&t->x, t->mig[0], &prev), 0);
	assert_string_equal(prev, "cut/web:copy-alarms-delete");
	r = request(t, "cut/web:alarm-1");
	assert_string_equal(json_str(r, "AlarmName"), "web-high");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(r,
	    "AlarmActions"), 0)->valuestring, "${cut/web:policy-2.PolicyARN}");
	cJSON_Delete(r);
	r = request(t, "cut/web:copy-alarms-delete");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(r,
	    "AlarmNames"), 0)->valuestring, "f2o-sfm-web-web-high");
	cJSON_Delete(r);
	free(prev);
	prev = NULL;
	assert_int_equal(autoscale_rb_ec2_off(&t->x, t->mig[0], &prev), 0);
	st = plan_find(t->x.plan, "rb/web:ec2-deregister");
	assert_string_equal(st->undoes, "cut/web:target");
	assert_int_equal(autoscale_rb_restore(&t->x, t->mig[0], &prev), 0);
	st = plan_find(t->x.plan, "rb/web:target");
	assert_string_equal(st->undoes, "cut/web:suspend");
	assert_true(after(st, "rb/web:ec2-deregister"));
	r = request(t, "rb/web:alarm-1");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(r,
	    "AlarmActions"), 0)->valuestring, "${rb/web:policy-2.PolicyARN}");
	cJSON_Delete(r);
	assert_int_equal(autoscale_rb_copy_off(&t->x, t->mig[0], &prev), 0);
	st = plan_find(t->x.plan, "rb/web:copy-deregister");
	assert_string_equal(st->undoes, "as/sfm-web:target");
	free(prev);
	tctx_free(t);
}

static void
test_autoscale_step_without_alarms(void **state)
{
	static const char *const in[] = { "{\"ScalableTargets\":["
	    TARGET("web", 2, 8) "]}", POLICIES, NULL };
	static const char *const lacking[] = { "{\"ScalableTargets\":["
	    TARGET("web", 2, 8) "]}", POLICIES, "{\"MetricAlarms\":[{"
	    "\"AlarmName\":\"other\"}]}", NULL };
	struct tctx *t = tctx_new(false, in);

	(void)state;
	/* Refused: the step policy's alarms are not in the export. */
	assert_int_equal(autoscale_plan(&t->x), -1);
	tctx_free(t);
	/* Dropped with a warning: target tracking still carried. */
	t = tctx_new(true, in);
	assert_int_equal(autoscale_plan(&t->x), 0);
	assert_int_equal(t->x.nwarns, 1);
	assert_string_equal(t->x.warns[0].subject, "web");
	assert_non_null(plan_find(t->x.plan, "as/sfm-web:policy-1"));
	assert_null(plan_find(t->x.plan, "as/sfm-web:policy-2"));
	assert_null(plan_find(t->x.plan, "cw/sfm-web:alarm-1"));
	tctx_free(t);
	/* An alarms export that lacks the policy's alarm: the same. */
	t = tctx_new(false, lacking);
	assert_int_equal(autoscale_plan(&t->x), -1);
	tctx_free(t);
	t = tctx_new(true, lacking);
	assert_int_equal(autoscale_plan(&t->x), 0);
	assert_int_equal(t->x.nwarns, 1);
	assert_non_null(strstr(t->x.warns[0].message, "alarm web-high"));
	assert_null(plan_find(t->x.plan, "as/sfm-web:policy-2"));
	tctx_free(t);
}

static void
test_autoscale_policy_without_target(void **state)
{
	static const char *const in[] = { "{\"ScalableTargets\":[]}", POLICIES,
	    ALARMS, NULL };
	static const char *const bad_id[] = { "{\"ScalableTargets\":["
	    "{\"ServiceNamespace\":\"ecs\",\"ResourceId\":\"service/shop\","
	    "\"ScalableDimension\":\"ecs:service:DesiredCount\","
	    "\"MinCapacity\":1,\"MaxCapacity\":2}]}", NULL };
	struct tctx *t = tctx_new(false, in);

	(void)state;
	assert_int_equal(autoscale_plan(&t->x), -1);
	tctx_free(t);
	/* An ECS ResourceId that is not service/CLUSTER/NAME. */
	t = tctx_new(false, bad_id);
	assert_int_equal(autoscale_plan(&t->x), -1);
	tctx_free(t);
}

static void
test_autoscale_custom_role(void **state)
{
	static const char *const in[] = { "{\"ScalableTargets\":[{"
	    "\"ServiceNamespace\":\"ecs\",\"ResourceId\":\"service/shop/web\","
	    "\"ScalableDimension\":\"ecs:service:DesiredCount\","
	    "\"MinCapacity\":0,\"MaxCapacity\":3,\"RoleARN\":"
	    "\"arn:aws:iam::1:role/custom-scaling\"}]}", NULL };
	struct tctx *t = tctx_new(false, in);
	cJSON *r;

	(void)state;
	assert_int_equal(autoscale_plan(&t->x), 0);
	assert_int_equal(t->x.nwarns, 1);
	assert_non_null(strstr(t->x.warns[0].message, "custom-scaling"));
	r = request(t, "as/sfm-web:target");
	assert_null(cJSON_GetObjectItem(r, "RoleARN"));
	assert_int_equal(cJSON_GetObjectItem(r, "MinCapacity")->valueint, 0);
	cJSON_Delete(r);
	/* No policy, action or alarm: the target alone. */
	assert_null(plan_find(t->x.plan, "as/sfm-web:policy-1"));
	tctx_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aas_pages),
		cmocka_unit_test(test_aas_bad_input),
		cmocka_unit_test(test_aas_time),
		cmocka_unit_test(test_aas_modelcheck),
		cmocka_unit_test(test_aas_fingerprint),
		cmocka_unit_test(test_autoscale_import),
		cmocka_unit_test(test_autoscale_cutover_rollback),
		cmocka_unit_test(test_autoscale_step_without_alarms),
		cmocka_unit_test(test_autoscale_policy_without_target),
		cmocka_unit_test(test_autoscale_custom_role),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
