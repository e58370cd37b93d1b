/* Fingerprints: members, normalisation (order, defaults), diff. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "jsonutil.h"

static cJSON *
parse(const char *s)
{
	cJSON *j = json_parse_quiet(s, strlen(s));

	assert_non_null(j);
	return j;
}

static char *
fp_text(const char *svc)
{
	cJSON *j = parse(svc), *fp = fingerprint_service(j);
	char *c;

	assert_non_null(fp);
	c = json_canonical(fp);
	cJSON_Delete(fp);
	cJSON_Delete(j);
	return c;
}

static void
test_service_members(void **state)
{
	static const char *const want[] = { "capacityProviderStrategy",
	    "deploymentConfiguration", "deploymentController", "launchType",
	    "loadBalancers", "networkConfiguration", "platformVersion",
	    "serviceConnectConfiguration", "serviceRegistries", "status",
	    "tags", "taskDefinition" };
	cJSON *j = parse("{\"serviceName\":\"web\",\"desiredCount\":3,"
	    "\"taskDefinition\":\"arn:aws:ecs:us-east-1:1:task-definition/w:1\""
	    ",\"launchType\":\"FARGATE\",\"runningCount\":2}");
	cJSON *fp = fingerprint_service(j), *m;
	size_t i = 0;

	(void)state;
	assert_non_null(fp);
	cJSON_ArrayForEach(m, fp) {
		assert_true(i < sizeof(want) / sizeof(want[0]));
		assert_string_equal(m->string, want[i]);
		i++;
	}
	assert_int_equal(i, sizeof(want) / sizeof(want[0]));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(fp, "loadBalancers")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(fp, "status")));
	assert_string_equal(json_str(fp, "platformVersion"), "LATEST");
	assert_null(fingerprint_service(NULL));
	cJSON_Delete(fp);
	cJSON_Delete(j);
}

static void
test_service_normalised(void **state)
{
	char *a = fp_text("{\"taskDefinition\":\"t:1\",\"launchType\":"
	    "\"FARGATE\",\"platformVersion\":\"LATEST\",\"networkConfiguration"
	    "\":{\"awsvpcConfiguration\":{\"subnets\":[\"s-2\",\"s-1\"],"
	    "\"securityGroups\":[\"sg-b\",\"sg-a\"]}},\"tags\":[{\"key\":\"b\","
	    "\"value\":\"2\"},{\"key\":\"a\",\"value\":\"1\"}],\"loadBalancers"
	    "\":[{\"targetGroupArn\":\"tg2\",\"containerName\":\"w\","
	    "\"containerPort\":80},{\"targetGroupArn\":\"tg1\",\"containerName"
	    "\":\"w\",\"containerPort\":80}],\"desiredCount\":3,"
	    "\"runningCount\":3}");
	char *b = fp_text("{\"runningCount\":1,\"desiredCount\":7,"
	    "\"deploymentConfiguration\":{\"maximumPercent\":200,"
	    "\"minimumHealthyPercent\":100,\"deploymentCircuitBreaker\":{"
	    "\"enable\":false,\"rollback\":false}},\"deploymentController\":{"
	    "\"type\":\"ECS\"},\"loadBalancers\":[{\"containerName\":\"w\","
	    "\"containerPort\":80,\"targetGroupArn\":\"tg1\"},{\"containerName"
	    "\":\"w\",\"containerPort\":80,\"targetGroupArn\":\"tg2\"}],"
	    "\"tags\":[{\"key\":\"a\",\"value\":\"1\"},{\"key\":\"b\","
	    "\"value\":\"2\"}],\"taskDefinition\":\"t:1\",\"launchType\":"
	    "\"FARGATE\",\"networkConfiguration\":{\"awsvpcConfiguration\":{"
	    "\"assignPublicIp\":\"DISABLED\",\"subnets\":[\"s-1\",\"s-2\"],"
	    "\"securityGroups\":[\"sg-a\",\"sg-b\"]}},\"deployments\":[{"
	    "\"status\":\"PRIMARY\",\"platformVersion\":\"1.4.0\"}]}");
	char *c = fp_text("{\"taskDefinition\":\"t:2\",\"launchType\":"
	    "\"FARGATE\"}");

	(void)state;
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	free(a);
	free(b);
	free(c);
}

static void
test_service_connect_primary(void **state)
{
	cJSON *j = parse("{\"serviceConnectConfiguration\":{\"enabled\":false}"
	    ",\"deployments\":[{\"status\":\"ACTIVE\",\"serviceConnect"
	    "Configuration\":{\"enabled\":false}},{\"status\":\"PRIMARY\","
	    "\"serviceConnectConfiguration\":{\"enabled\":true,\"namespace\":"
	    "\"ns\"}}]}");
	cJSON *fp = fingerprint_service(j), *sc;

	(void)state;
	sc = cJSON_GetObjectItem(fp, "serviceConnectConfiguration");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(sc, "enabled")));
	assert_string_equal(json_str(sc, "namespace"), "ns");
	cJSON_Delete(fp);
	cJSON_Delete(j);
}

static void
test_sg_normalised(void **state)
{
	cJSON *a = parse("{\"GroupId\":\"sg-1\",\"GroupName\":\"x\",\"VpcId\":"
	    "\"vpc-1\",\"IpPermissions\":[{\"IpProtocol\":\"tcp\",\"FromPort\":"
	    "443,\"ToPort\":443,\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\"},{"
	    "\"CidrIp\":\"1.0.0.0/8\"}]},{\"IpProtocol\":\"tcp\",\"FromPort\":"
	    "80,\"ToPort\":80,\"UserIdGroupPairs\":[{\"GroupId\":\"sg-2\","
	    "\"UserId\":\"1\",\"GroupName\":\"other\",\"PeeringStatus\":"
	    "\"active\"}]}],\"IpPermissionsEgress\":[]}");
	cJSON *b = parse("{\"VpcId\":\"vpc-1\",\"IpPermissions\":[{\"FromPort"
	    "\":80,\"IpProtocol\":\"tcp\",\"ToPort\":80,\"IpRanges\":[],"
	    "\"Ipv6Ranges\":[],\"PrefixListIds\":[],\"UserIdGroupPairs\":[{"
	    "\"UserId\":\"1\",\"GroupId\":\"sg-2\"}]},{\"IpProtocol\":\"tcp\","
	    "\"FromPort\":443,\"ToPort\":443,\"IpRanges\":[{\"CidrIp\":"
	    "\"1.0.0.0/8\"},{\"CidrIp\":\"10.0.0.0/8\"}]}]}");
	cJSON *fa = fingerprint_sg(a), *fb = fingerprint_sg(b), *m;
	char *ca = json_canonical(fa), *cb = json_canonical(fb);
	int n = 0;

	(void)state;
	assert_string_equal(ca, cb);
	cJSON_ArrayForEach(m, fa)
		n++;
	assert_int_equal(n, 3);
	assert_string_equal(json_str(fa, "VpcId"), "vpc-1");
	assert_null(strstr(ca, "PeeringStatus"));
	assert_null(strstr(ca, "GroupName"));
	free(ca);
	free(cb);
	cJSON_Delete(fa);
	cJSON_Delete(fb);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

struct seen {
	int	 n;
	char	 fields[4][64];
};

static void
on_diff(const char *field, const cJSON *want, const cJSON *have, void *arg)
{
	struct seen *s = arg;

	(void)want;
	(void)have;
	if (s->n < 4) {
		strncpy(s->fields[s->n], field, sizeof(s->fields[0]) - 1);
		s->fields[s->n][sizeof(s->fields[0]) - 1] = '\0';
	}
	s->n++;
}

static void
test_diff(void **state)
{
	cJSON *w = parse("{\"a\":1,\"b\":[1,2],\"c\":{\"x\":1,\"y\":2},"
	    "\"d\":null}");
	cJSON *h = parse("{\"a\":1,\"b\":[2,1],\"c\":{\"y\":2,\"x\":1},"
	    "\"e\":true}");
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(fingerprint_diff(w, h, on_diff, &s), 3);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.fields[0], "b");
	assert_string_equal(s.fields[1], "d");
	assert_string_equal(s.fields[2], "e");
	assert_int_equal(fingerprint_diff(w, w, NULL, NULL), 0);
	assert_int_equal(fingerprint_diff(w, NULL, NULL, NULL), -1);
	cJSON_Delete(w);
	cJSON_Delete(h);
}

static void
test_scalable_target(void **state)
{
	cJSON *t, *fp, *t2, *fp2;
	char *c;

	(void)state;
	assert_null(fingerprint_scalable_target(NULL));
	t = parse("{\"ServiceNamespace\":\"ecs\",\"ResourceId\":"
	    "\"service/shop/web\",\"ScalableDimension\":"
	    "\"ecs:service:DesiredCount\",\"MinCapacity\":2,"
	    "\"MaxCapacity\":10,\"RoleARN\":\"arn:r\",\"CreationTime\":"
	    "1.5e9,\"SuspendedState\":{\"ScheduledScalingSuspended\":true}}");
	fp = fingerprint_scalable_target(t);
	c = json_canonical(fp);
	assert_string_equal(c, "{\"MaxCapacity\":10,\"MinCapacity\":2,"
	    "\"ResourceId\":\"service/shop/web\",\"SuspendedState\":{"
	    "\"DynamicScalingInSuspended\":false,"
	    "\"DynamicScalingOutSuspended\":false,"
	    "\"ScheduledScalingSuspended\":true}}");
	free(c);
	/* no SuspendedState = all false; a moved max is one difference */
	t2 = parse("{\"ResourceId\":\"service/shop/web\",\"MinCapacity\":2,"
	    "\"MaxCapacity\":12}");
	fp2 = fingerprint_scalable_target(t2);
	assert_int_equal(fingerprint_diff(fp, fp2, NULL, NULL), 2);
	cJSON_Delete(fp);
	cJSON_Delete(fp2);
	cJSON_Delete(t);
	cJSON_Delete(t2);
}

/* Canonical fingerprint text of a JSON text made by fn. */
static char *
fp_of(cJSON *(*fn)(const cJSON *), const char *text)
{
	cJSON *j = parse(text), *fp = fn(j);
	char *c;

	assert_non_null(fp);
	c = json_canonical(fp);
	cJSON_Delete(fp);
	cJSON_Delete(j);
	return c;
}

static void
test_scaling_policy(void **state)
{
	char *a, *b;

	(void)state;
	assert_null(fingerprint_scaling_policy(NULL));
	/* describe output: no ARN, alarms, creation time; defaults */
	a = fp_of(fingerprint_scaling_policy, "{\"PolicyARN\":\"arn:aws:"
	    "autoscaling:us-east-1:1:scalingPolicy:u1:resource/ecs/service/"
	    "s/web:policyName/cpu\",\"PolicyName\":\"cpu\",\"ServiceNamespace\":"
	    "\"ecs\",\"ResourceId\":\"service/s/web\",\"PolicyType\":"
	    "\"TargetTrackingScaling\",\"TargetTrackingScalingPolicyConfiguration"
	    "\":{\"TargetValue\":60.0,\"ScaleInCooldown\":300},\"Alarms\":[{"
	    "\"AlarmName\":\"TargetTracking-x\"}],\"CreationTime\":1.7e9}");
	assert_string_equal(a, "{\"PolicyName\":\"cpu\",\"PolicyType\":"
	    "\"TargetTrackingScaling\",\"TargetTrackingScalingPolicyConfiguration"
	    "\":{\"DisableScaleIn\":false,\"ScaleInCooldown\":300,\"TargetValue\":"
	    "60}}");
	/* the PutScalingPolicy request f2o sends gives the same */
	b = fp_of(fingerprint_scaling_policy, "{\"PolicyName\":\"cpu\","
	    "\"ServiceNamespace\":\"ecs\",\"ResourceId\":\"service/s/web\","
	    "\"ScalableDimension\":\"ecs:service:DesiredCount\",\"PolicyType\":"
	    "\"TargetTrackingScaling\",\"TargetTrackingScalingPolicyConfiguration"
	    "\":{\"ScaleInCooldown\":300,\"TargetValue\":60,\"DisableScaleIn\":"
	    "false}}");
	assert_string_equal(a, b);
	free(b);
	/* another target value differs */
	b = fp_of(fingerprint_scaling_policy, "{\"PolicyName\":\"cpu\","
	    "\"PolicyType\":\"TargetTrackingScaling\","
	    "\"TargetTrackingScalingPolicyConfiguration\":{\"TargetValue\":75,"
	    "\"ScaleInCooldown\":300}}");
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	/* an empty configuration of the other type is not a member */
	a = fp_of(fingerprint_scaling_policy, "{\"PolicyName\":\"q\","
	    "\"PolicyType\":\"StepScaling\",\"StepScalingPolicyConfiguration\":"
	    "{\"Cooldown\":60},\"TargetTrackingScalingPolicyConfiguration\":{}}");
	assert_string_equal(a, "{\"PolicyName\":\"q\",\"PolicyType\":"
	    "\"StepScaling\",\"StepScalingPolicyConfiguration\":{\"Cooldown\":"
	    "60}}");
	free(a);
}

static void
test_scheduled_action(void **state)
{
	char *a, *b;

	(void)state;
	assert_null(fingerprint_scheduled_action(NULL));
	/* ISO times (with an offset) = seconds; no Timezone = UTC */
	a = fp_of(fingerprint_scheduled_action, "{\"ScheduledActionName\":"
	    "\"night\",\"ScheduledActionARN\":\"arn:x\",\"Schedule\":"
	    "\"cron(0 22 * * ? *)\",\"StartTime\":\"2026-11-02T01:00:00+01:00\","
	    "\"ScalableTargetAction\":{\"MinCapacity\":4},\"CreationTime\":"
	    "\"2026-10-02T10:00:00Z\"}");
	assert_string_equal(a, "{\"EndTime\":null,\"ScalableTargetAction\":{"
	    "\"MinCapacity\":4},\"Schedule\":\"cron(0 22 * * ? *)\","
	    "\"ScheduledActionName\":\"night\",\"StartTime\":1793577600,"
	    "\"Timezone\":\"UTC\"}");
	/* what DescribeScheduledActions returns (epoch) and f2o sends */
	b = fp_of(fingerprint_scheduled_action, "{\"ScheduledActionName\":"
	    "\"night\",\"Schedule\":\"cron(0 22 * * ? *)\",\"Timezone\":\"UTC\","
	    "\"StartTime\":1793577600,\"ScalableTargetAction\":{\"MinCapacity\":"
	    "4}}");
	assert_string_equal(a, b);
	free(b);
	/* another schedule, end time or capacity differs */
	b = fp_of(fingerprint_scheduled_action, "{\"ScheduledActionName\":"
	    "\"night\",\"Schedule\":\"cron(0 23 * * ? *)\",\"StartTime\":"
	    "1793577600,\"ScalableTargetAction\":{\"MinCapacity\":4}}");
	assert_string_not_equal(a, b);
	free(b);
	b = fp_of(fingerprint_scheduled_action, "{\"ScheduledActionName\":"
	    "\"night\",\"Schedule\":\"cron(0 22 * * ? *)\",\"StartTime\":"
	    "1793577600,\"ScalableTargetAction\":{\"MinCapacity\":5}}");
	assert_string_not_equal(a, b);
	free(b);
	free(a);
}

static void
test_alarm(void **state)
{
	char *a, *b;

	(void)state;
	assert_null(fingerprint_alarm(NULL));
	/* describe-alarms: state, ARN, timestamps left out; the policy ARN
	 * without its UUID; SNS actions kept and sorted */
	a = fp_of(fingerprint_alarm, "{\"AlarmName\":\"q-high\",\"AlarmArn\":"
	    "\"arn:aws:cloudwatch:us-east-1:1:alarm:q-high\",\"StateValue\":"
	    "\"OK\",\"StateUpdatedTimestamp\":\"2026-10-01T09:16:00Z\","
	    "\"AlarmConfigurationUpdatedTimestamp\":1.7e9,\"ActionsEnabled\":"
	    "true,\"OKActions\":[],\"InsufficientDataActions\":[],"
	    "\"AlarmActions\":[\"arn:aws:sns:us-east-1:1:oncall\",\"arn:aws:"
	    "autoscaling:us-east-1:1:scalingPolicy:6d89-u1:resource/ecs/service/"
	    "s/worker:policyName/out\"],\"MetricName\":\"Backlog\",\"Namespace\":"
	    "\"Shop\",\"Statistic\":\"Average\",\"Dimensions\":[{\"Name\":"
	    "\"ServiceName\",\"Value\":\"worker\"},{\"Name\":\"ClusterName\","
	    "\"Value\":\"s\"}],\"Period\":60,\"EvaluationPeriods\":2,"
	    "\"Threshold\":100.0,\"ComparisonOperator\":\"GreaterThanThreshold\","
	    "\"TreatMissingData\":\"missing\"}");
	assert_string_equal(a, "{\"ActionsEnabled\":true,\"AlarmActions\":["
	    "\"arn:aws:sns:us-east-1:1:oncall\",\"scalingPolicy:ecs/service/s/"
	    "worker:policyName/out\"],\"AlarmName\":\"q-high\","
	    "\"ComparisonOperator\":\"GreaterThanThreshold\",\"DatapointsToAlarm"
	    "\":2,\"Dimensions\":[{\"Name\":\"ClusterName\",\"Value\":\"s\"},{"
	    "\"Name\":\"ServiceName\",\"Value\":\"worker\"}],\"EvaluationPeriods"
	    "\":2,\"InsufficientDataActions\":[],\"MetricName\":\"Backlog\","
	    "\"Namespace\":\"Shop\",\"OKActions\":[],\"Period\":60,\"Statistic\":"
	    "\"Average\",\"Threshold\":100,\"TreatMissingData\":\"missing\"}");
	/* f2o's PutMetricAlarm (policy re-created: another UUID; defaults
	 * left out; an empty Metrics as moto answers) gives the same */
	b = fp_of(fingerprint_alarm, "{\"AlarmName\":\"q-high\",\"Metrics\":[],"
	    "\"AlarmActions\":[\"arn:aws:autoscaling:us-east-1:1:scalingPolicy:"
	    "ffff-u2:resource/ecs/service/s/worker:policyName/out\",\"arn:aws:"
	    "sns:us-east-1:1:oncall\"],\"MetricName\":\"Backlog\",\"Namespace\":"
	    "\"Shop\",\"Statistic\":\"Average\",\"Dimensions\":[{\"Name\":"
	    "\"ClusterName\",\"Value\":\"s\"},{\"Name\":\"ServiceName\",\"Value\":"
	    "\"worker\"}],\"Period\":60,\"EvaluationPeriods\":2,\"Threshold\":100,"
	    "\"ComparisonOperator\":\"GreaterThanThreshold\"}");
	assert_string_equal(a, b);
	free(b);
	/* another threshold, or pointing at another policy, differs */
	b = fp_of(fingerprint_alarm, "{\"AlarmName\":\"q-high\","
	    "\"AlarmActions\":[\"arn:aws:autoscaling:us-east-1:1:scalingPolicy:"
	    "u3:resource/ecs/service/s/worker:policyName/in\",\"arn:aws:sns:us-"
	    "east-1:1:oncall\"],\"MetricName\":\"Backlog\",\"Namespace\":"
	    "\"Shop\",\"Statistic\":\"Average\",\"Dimensions\":[{\"Name\":"
	    "\"ClusterName\",\"Value\":\"s\"},{\"Name\":\"ServiceName\",\"Value\":"
	    "\"worker\"}],\"Period\":60,\"EvaluationPeriods\":2,\"Threshold\":100,"
	    "\"ComparisonOperator\":\"GreaterThanThreshold\"}");
	assert_string_not_equal(a, b);
	free(b);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_members),
		cmocka_unit_test(test_service_normalised),
		cmocka_unit_test(test_service_connect_primary),
		cmocka_unit_test(test_sg_normalised),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_scalable_target),
		cmocka_unit_test(test_scaling_policy),
		cmocka_unit_test(test_scheduled_action),
		cmocka_unit_test(test_alarm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
