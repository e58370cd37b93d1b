#ifndef F2O_FINGERPRINT_H
#define F2O_FINGERPRINT_H
/*
 * Fingerprints: the fields of a service or security group a bundle's plan
 * depends on, normalised so that an export and a live description compare
 * equal when nothing that matters changed. Written by f2o-translate into
 * manifest.json ($.fingerprints), compared live by f2o-exec's preflight.
 *
 * Service members (absent = null): taskDefinition, launchType,
 * capacityProviderStrategy (sorted by provider), platformVersion,
 * networkConfiguration (subnets, security groups sorted; assignPublicIp
 * DISABLED when absent), loadBalancers, serviceRegistries (sorted),
 * deploymentController, deploymentConfiguration,
 * serviceConnectConfiguration (top level, else the PRIMARY deployment's),
 * tags (sorted by key; "aws:" and "f2o:" keys left out), status. Never
 * desiredCount. Security group: {VpcId, IpPermissions,
 * IpPermissionsEgress}, each permission list flattened to one rule per
 * source ({IpProtocol, FromPort, ToPort, and one of CidrIp, CidrIpv6,
 * PrefixListId, GroupId}), sorted and without duplicates. Pure.
 */
#include <cjson/cJSON.h>

/* A new fingerprint of a service (ECS Service shape); never NULL. */
cJSON	*fingerprint_service(const cJSON *svc);
/* A new fingerprint of a security group (EC2 boto3 shape). */
cJSON	*fingerprint_sg(const cJSON *group);

typedef void (*fingerprint_diff_fn)(const char *field, const cJSON *want,
    const cJSON *have, void *arg);
/*
 * Call cb for every member of want or have whose values differ (a
 * missing member is null), want's order first. Returns the count.
 */
int	fingerprint_diff(const cJSON *want, const cJSON *have,
	    fingerprint_diff_fn cb, void *arg);

#endif
