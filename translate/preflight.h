#ifndef F2O_PREFLIGHT_H
#define F2O_PREFLIGHT_H
/*
 * What the executor's preflight checks against the live account: the
 * export's account id and the fingerprints of the services and security
 * groups the bundle depends on (manifest "account" and "fingerprints").
 */
#include <cjson/cJSON.h>

#include "model.h"

/*
 * The export's account id from the ARNs of services, clusters and task
 * definitions, else --account; NULL (logged) when the ARNs name two
 * accounts, when --account disagrees with them, or when neither says.
 * Free with free().
 */
char	*preflight_account(const struct xlate *);
/* {"services": {"CLUSTER/NAME": fp}, "securityGroups": {"sg-": fp}}. */
cJSON	*preflight_fingerprints(const struct xlate *);

#endif
