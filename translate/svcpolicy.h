#ifndef F2O_SVCPOLICY_H
#define F2O_SVCPOLICY_H
/*
 * What a service's deployment set-up allows: deployment controllers
 * (CODE_DEPLOY, EXTERNAL refused), ECS-native strategies (BLUE_GREEN,
 * LINEAR, CANARY: the twins deploy ROLLING) and Service Connect servers
 * (refused unless --accept-discovery-gap; the gap is estimated).
 */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "model.h"

/*
 * A Fargate service whose deployments ECS does not run (deploymentController
 * CODE_DEPLOY or EXTERNAL) is refused: 0 fine, -1 (logged).
 */
int	svcpol_controller(const struct xsvc *s);
/*
 * A service chosen for migration (s->td and s->newname set): a Service
 * Connect server is refused unless --accept-discovery-gap (-1, logged);
 * warnings for what the copy and the re-created service deploy with.
 * Returns 0 or -1.
 */
int	svcpol_check(struct xlate *, struct xsvc *s);
/*
 * A CreateService input made from s for a twin that runs beside the
 * service holding the original's names (the side-by-side copy, the
 * rollback's temporary Fargate service): Service Connect as a client
 * only (no services[]), strategy ROLLING without bake time, lifecycle
 * hooks, linear/canary configuration or load balancers'
 * advancedConfiguration. NULL-safe.
 */
void	svcpol_twin(cJSON *req);
/*
 * The EC2 service re-created with the original name at cutover: keeps the
 * original's strategy only when every resource it needs is in the export,
 * else deploys ROLLING (warned at svcpol_check). NULL-safe.
 */
void	svcpol_recreate(const struct xsvc *s, cJSON *req);
/* True when s is a Service Connect server (enabled, services[] given). */
bool	svcpol_sc_server(const struct xsvc *s);
/* The PLAN.md section (x->md_services) on gaps and strategies. */
void	svcpol_md(struct xlate *);
/* report.json: add "discoveryGap" to the service's object o. */
void	svcpol_report(const struct xsvc *s, cJSON *o);

#endif
