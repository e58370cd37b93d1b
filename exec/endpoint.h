#ifndef F2O_ENDPOINT_H
#define F2O_ENDPOINT_H
/*
 * AWS endpoint resolution, as the AWS CLI v2 / botocore 1.43.67 do it
 * (endpoint-rule-set-1.json of each service and partitions.json):
 *
 *   1. AWS_ENDPOINT_URL_<SERVICE> (ECS, EC2, STS,
 *      APPLICATION_AUTO_SCALING, CLOUDWATCH), then AWS_ENDPOINT_URL:
 *      used verbatim; FIPS and dual-stack settings do not apply to it
 *      (botocore passes neither to the rules when an endpoint is given).
 *   2. Otherwise the partition default for the region:
 *        aws        (us|eu|ap|sa|ca|me|af|il|mx)-*-N  amazonaws.com, api.aws
 *        aws-cn     cn-*-N        amazonaws.com.cn, api.amazonwebservices.com.cn
 *        aws-us-gov us-gov-*-N    amazonaws.com, api.aws
 *        aws-iso    us-iso-*-N    c2s.ic.gov, api.aws.ic.gov
 *        aws-iso-b  us-isob-*-N   sc2s.sgov.gov, api.aws.scloud
 *        aws-iso-e  eu-isoe-*-N   cloud.adc-e.uk, api.cloud-aws.adc-e.uk
 *        aws-iso-f  us-isof-*-N   csp.hci.ic.gov, api.aws.hci.ic.gov
 *        aws-eusc   eusc-de-*-N   amazonaws.eu, api.amazonwebservices.eu
 *      https://SVC.REGION.DNS; FIPS: SVC-fips.REGION.DNS; dual-stack:
 *      SVC.REGION.DUALDNS; both: SVC-fips.REGION.DUALDNS. In aws-us-gov
 *      the regular EC2, STS and Application Auto Scaling endpoints are
 *      the FIPS ones (FIPS alone keeps SVC.REGION.amazonaws.com), and
 *      CloudWatch never uses a -fips name there.
 *
 * AWS_USE_FIPS_ENDPOINT / AWS_USE_DUALSTACK_ENDPOINT (else
 * use_fips_endpoint / use_dualstack_endpoint of the active profile in
 * the config file) take "true" or "false" (any case); another value is
 * refused rather than read as false. FIPS is refused where the service
 * has no FIPS endpoint (botocore endpoints.json lists them: US and, for
 * EC2, Canada regions, and GovCloud), instead of sending to a host name
 * that does not exist. The signing region is always the region.
 */
#include <stdbool.h>

#define ENDPOINT_MAX_REGION	32

/* Whether r looks like a region: [a-z0-9-]{1,32}. */
bool	endpoint_region_valid(const char *r);
/* The partition id of region ("aws", "aws-cn", ...), or NULL. Pure. */
const char *endpoint_partition(const char *region);
/*
 * The default endpoint URL of service (endpoint prefix: "ecs", "ec2",
 * "sts", "application-autoscaling", "monitoring") in region. Pure. A
 * new string, or NULL (logged) for an unknown service, a region in no
 * partition or FIPS where the service has none.
 */
char	*endpoint_default(const char *service, const char *region, bool fips,
	    bool dualstack);
/*
 * Read the FIPS and dual-stack settings (environment, else profile).
 * Returns 0, or -1 (logged) for a value that is not true/false or an
 * unreadable config file.
 */
int	endpoint_settings(bool *fips, bool *dualstack);
/*
 * The endpoint URL for service in region: the overrides, else the
 * default with the FIPS / dual-stack settings. New string or NULL
 * (logged).
 */
char	*endpoint_resolve(const char *service, const char *region);
/* An endpoint: https (or loopback http), no query. 0 or -1 (logged). */
int	endpoint_check(const char *what, const char *url);

#endif
