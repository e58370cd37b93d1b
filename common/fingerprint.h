#ifndef F2O_FINGERPRINT_H
#define F2O_FINGERPRINT_H
/*
 * Fingerprints of the live state a bundle depends on: the members of an
 * ECS service and the rules of an EC2 security group, normalised so that
 * what describe-services / describe-security-groups print for an
 * unchanged resource always gives the same fingerprint. Both programs use
 * these: f2o-translate records them in the manifest, f2o-exec compares
 * them with the live account. See BUNDLE.md "Fingerprints".
 */
#include <cjson/cJSON.h>

/*
 * From a describe-services Service object: an object with exactly the
 * members taskDefinition, launchType, capacityProviderStrategy,
 * platformVersion, networkConfiguration, loadBalancers, serviceRegistries,
 * deploymentController, deploymentConfiguration,
 * serviceConnectConfiguration, tags, status (JSON null when absent).
 * NULL only when svc is not an object. Free with cJSON_Delete().
 */
cJSON	*fingerprint_service(const cJSON *svc);
/*
 * From a describe-security-groups SecurityGroup object: {"VpcId",
 * "IpPermissions", "IpPermissionsEgress"} with rules normalised.
 */
cJSON	*fingerprint_sg(const cJSON *group);
/*
 * From a describe-scalable-targets ScalableTarget object: {"ResourceId",
 * "MinCapacity", "MaxCapacity", "SuspendedState"}, SuspendedState with
 * its three booleans (DynamicScalingInSuspended,
 * DynamicScalingOutSuspended, ScheduledScalingSuspended), false when
 * absent. NULL only when target is not an object.
 */
cJSON	*fingerprint_scalable_target(const cJSON *target);
/*
 * From a describe-scaling-policies ScalingPolicy (or a PutScalingPolicy
 * request): {"PolicyName", "PolicyType"} and whichever of
 * StepScalingPolicyConfiguration, TargetTrackingScalingPolicyConfiguration
 * (DisableScaleIn default false), PredictiveScalingPolicyConfiguration it
 * has; no ARN, alarms or creation time.
 */
cJSON	*fingerprint_scaling_policy(const cJSON *policy);
/*
 * From a describe-scheduled-actions ScheduledAction (or a
 * PutScheduledAction request): {"ScheduledActionName", "Schedule",
 * "Timezone" (default "UTC"), "StartTime", "EndTime" (seconds since 1970
 * from an ISO string or a number; null when absent),
 * "ScalableTargetAction" (null when absent)}.
 */
cJSON	*fingerprint_scheduled_action(const cJSON *action);
/*
 * From a describe-alarms MetricAlarm (or a PutMetricAlarm request):
 * AlarmName and the members of fingerprint_alarm_members it has (an
 * empty list or object counts as absent); the
 * three action lists always (sorted, an Application Auto Scaling policy
 * ARN as "scalingPolicy:" + its resource part, without the UUID that
 * changes when the policy is re-created), ActionsEnabled default true,
 * TreatMissingData default "missing", DatapointsToAlarm default
 * EvaluationPeriods, Dimensions sorted by Name (default []). No state,
 * ARN or timestamps.
 */
cJSON	*fingerprint_alarm(const cJSON *alarm);
/* PutMetricAlarm members a describe-alarms MetricAlarm carries (NULL-ended). */
extern const char *const fingerprint_alarm_members[];
/*
 * Compare two fingerprints member by member (canonical JSON); call cb for
 * every top-level member that differs (a member absent on one side is
 * passed as NULL). Returns the number of differences, -1 on bad input.
 */
int	fingerprint_diff(const cJSON *want, const cJSON *have,
	    void (*cb)(const char *field, const cJSON *want,
	    const cJSON *have, void *arg), void *arg);

#endif
