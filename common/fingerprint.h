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
 * Compare two fingerprints member by member (canonical JSON); call cb for
 * every top-level member that differs (a member absent on one side is
 * passed as NULL). Returns the number of differences, -1 on bad input.
 */
int	fingerprint_diff(const cJSON *want, const cJSON *have,
	    void (*cb)(const char *field, const cJSON *want,
	    const cJSON *have, void *arg), void *arg);

#endif
