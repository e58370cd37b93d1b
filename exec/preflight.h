#ifndef F2O_PREFLIGHT_H
#define F2O_PREFLIGHT_H
/*
 * The read-only preflight of f2o-exec, before the first write of every
 * run and rollback, and alone as `f2o-exec check`: the region of every
 * endpoint is the bundle's, STS GetCallerIdentity names the bundle's
 * account, the ECS clusters are ACTIVE, every fingerprinted service
 * (DescribeServices, batches of 10) and security group
 * (DescribeSecurityGroups) and scalable target (Application Auto Scaling
 * DescribeScalableTargets) with its scaling policies, scheduled actions
 * (DescribeScalingPolicies / DescribeScheduledActions per ResourceId) and
 * step scaling alarms (CloudWatch DescribeAlarms) is as the bundle
 * recorded it (drift.h: the
 * drift and resume rules), and a Spot read call proves the token may act
 * on the Spot account. It sends no write.
 */
#include "ctx.h"

struct drift;
struct journal;

#define PREFLIGHT_BATCH		10	/* services per DescribeServices */
#define PREFLIGHT_MAX_CLUSTERS	100	/* per DescribeClusters */
#define PREFLIGHT_TARGET_BATCH	50	/* ResourceIds per request */
#define PREFLIGHT_MAX_PAGES	100	/* NextToken pages per batch */
#define PREFLIGHT_ALARM_BATCH	100	/* AlarmNames per DescribeAlarms */

/* What the preflight saw (for check's verdict). */
struct preflight_sum {
	char		*account;	/* STS Account, or "?"; free() */
	size_t		 services;	/* compared */
	size_t		 groups;
	size_t		 targets;	/* scalable targets compared */
	size_t		 scaling;	/* policies, actions, alarms compared */
	size_t		 diffs;		/* fields that differ */
	size_t		 refused;	/* failed preconditions */
};

/*
 * The preflight against the journal j (NULL: nothing done yet; the
 * outputs of its done steps must be in ctx->outputs). Returns 0 when
 * the account matches the bundle, RUN_EXIT_DRIFT when it drifted or a
 * precondition failed (each reported on stderr and under --json as
 * events), RUN_EXIT_STOPPED when a read failed in a way a rerun may
 * fix (transport, throttling, 5xx), RUN_EXIT_FAIL on another error. sum (may be NULL) is
 * filled when the preflight ran to a verdict.
 */
int	preflight_run(struct run_ctx *, const struct journal *j,
	    struct preflight_sum *sum);
/*
 * preflight_aas.c: read the scaling policies and scheduled actions of
 * every resource id of fingerprints.scalingPolicies / scheduledActions
 * (every page) and the alarms of fingerprints.alarms, and compare them
 * (drift_aas), and report a step scaling alarm a live step policy lists
 * that fingerprints.alarms lacks (added live; with --drop-step-scaling only
 * for policies a fingerprinted alarm acts on). *nitems counts the
 * fingerprinted items; *retryable is set
 * when a read failed in a way a rerun may fix. Returns 0 or -1 (logged).
 */
int	preflight_aas(struct run_ctx *, struct drift *d,
	    const struct journal *j, const cJSON *fingerprints,
	    size_t *nitems, bool *retryable);
/*
 * preflight_aas.c: every page of the read op (req gets each NextToken)
 * into live, the items of list by their member name, the first of a name
 * kept. *retryable is set when the call failed in a way a rerun may fix.
 * Returns 0 or -1 (logged).
 */
int	preflight_read_pages(struct run_ctx *, bool *retryable,
	    enum run_api api, const char *op, cJSON *req, const char *list,
	    const char *name, cJSON *live);
#endif
