#ifndef F2O_CONSIST_H
#define F2O_CONSIST_H
/*
 * Consistency across the export, after the services are selected and
 * the region resolved: one cluster; ARNs' regions and accounts.
 */
#include "model.h"

/*
 * All services of the export in one ECS cluster; else an error naming
 * both clusters, a service of each and where it is. Returns 0 or -1.
 */
int	consist_clusters(const struct xlate *);
/*
 * Every migrated service's and used task definition's ARNs against
 * --region and the cluster's account: errors (logged, all of them) for
 * target groups, registries, services and clusters elsewhere; warnings
 * (ctx_diag_warn) for roles, secrets, images, log groups, task
 * definitions. Services of two clusters are an error. Returns 0 or -1.
 */
int	consist_check(struct xlate *);

/*
 * A service whose taskDefinition names a bare family (create-service
 * input): rewritten to the exact revision found in the export (warned),
 * so that every rollback request names it; -1 (logged) when the task
 * definition has no revision either.
 */
int	consist_taskdef_ref(struct xlate *, struct xsvc *);

#endif
