#ifndef F2O_OCEAN_SHARE_H
#define F2O_OCEAN_SHARE_H
/*
 * The on-demand share a service keeps on Ocean (BUNDLE.md "On-demand
 * share"). A capacity provider strategy naming both FARGATE and
 * FARGATE_SPOT states one: the percent of the tasks on FARGATE at the
 * exported desiredCount (base tasks first, in the strategy's order, then
 * the rest split by weight), rounded up to a whole percent. Such services
 * are placed on node groups whose strategy.spotPercentage is 100 minus
 * that percent ("x86_64-od50"). The FARGATE launch type, FARGATE alone
 * and FARGATE_SPOT alone state no requirement: the cluster's strategy
 * (100% spot, fallback to on-demand). --spot-percentage N gives every
 * service 100 - N percent on-demand through the cluster's strategy.
 */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "model.h"

#define OCEAN_SHARE_MAX_BASE	100000	/* ECS capacity provider base */
#define OCEAN_SHARE_MAX_WEIGHT	1000	/* ECS capacity provider weight */
#define OCEAN_SHARE_MAX_TASKS	1000000	/* desiredCount the export allows */

enum ocean_share_src {
	OCEAN_SHARE_NONE = 0,	/* no requirement: the cluster's strategy */
	OCEAN_SHARE_STRATEGY,	/* stated by the capacity provider strategy */
	OCEAN_SHARE_OVERRIDE,	/* --spot-percentage */
};

struct ocean_share {
	enum ocean_share_src src;
	int	 ondemand;		/* percent of tasks on on-demand, 0..100 */
};

/*
 * The split of desired tasks over FARGATE (on-demand) and FARGATE_SPOT
 * that the strategy cps gives; other providers are ignored. Sets *mixed
 * (both named), *ondemand (percent on FARGATE, rounded up; with
 * desiredCount 0 the weights alone) and returns the exact FARGATE_SPOT
 * fraction of the tasks (0 without a strategy). Pure; any argument but
 * cps may be NULL.
 */
double	 ocean_share_split(const cJSON *cps, long long desired, bool *mixed,
	    int *ondemand);
/*
 * The split of s (its tree and desired count) kept in s when the export
 * is read: spot_share, share_mixed, share_od, names_spot.
 */
void	 ocean_share_note(struct xsvc *s);
/* What the bundle keeps for s under x's options (--spot-percentage). */
void	 ocean_share_of(const struct xlate *x, const struct xsvc *s,
	    struct ocean_share *out);
/*
 * Whether PLAN.md and the cost report show the on-demand share: when
 * --spot-percentage is given or a migrated service's strategy names
 * FARGATE_SPOT (bundles without either keep their earlier form).
 */
bool	 ocean_share_shown(const struct xlate *x);
/* One line of why, for PLAN.md: "stated by ...", "--spot-percentage". */
const char *ocean_share_why(const struct ocean_share *);

#endif
