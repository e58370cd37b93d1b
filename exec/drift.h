#ifndef F2O_DRIFT_H
#define F2O_DRIFT_H
/*
 * The drift rule of the preflight: what a service, security group or
 * scalable target must look like live (the export's fingerprint, or,
 * where the journal shows f2o itself changed it, what f2o made), the
 * comparison, and
 * the report: one diff line per difference on stderr and, under --json,
 * one JSON event per difference on stdout.
 *
 * Resume rule, per fingerprinted service CLUSTER/NAME: the last step of
 * the plan (in plan order, any phase) that the journal records as done
 * and that creates (ecs:CreateService serviceName) or deletes
 * (ecs:DeleteService service) that name in that cluster decides:
 *   - none: the service is the export's: ACTIVE, every fingerprinted
 *     field as in the export;
 *   - a delete: f2o took the service down; it is not looked at;
 *   - a create: the service is f2o's: ACTIVE, taskDefinition,
 *     loadBalancers and serviceRegistries as f2o's request (its task
 *     definition ARN resolved from the journal); the other fields are
 *     f2o's to set. desiredCount is never drift.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "ctx.h"

struct journal;

#define DRIFT_MAX_VALUE		200	/* characters of a value shown */

struct drift {
	struct run_ctx	*ctx;
	size_t		 ndiff;		/* fields that differ */
	size_t		 nrefused;	/* failed preconditions */
};

/* What the journal says f2o did last to a service name. */
enum drift_owner {
	DRIFT_EXPORT = 0,	/* nothing: the export's service */
	DRIFT_DELETED,		/* f2o deleted it */
	DRIFT_CREATED		/* f2o (re-)created it */
};

/*
 * A failed precondition: stderr "preflight: WHAT: REASON" and, under
 * --json, {"event":"preflight-refused","precondition":KIND,"resource":
 * WHAT,"bundle":WANT,"live":HAVE,"reason":REASON}. want/have may be NULL.
 */
void	drift_refuse(struct drift *, const char *kind, const char *what,
	    const char *want, const char *have, const char *reason);
/*
 * Which of the three the journal j (NULL: nothing done) says for service
 * name in cluster; with DRIFT_CREATED, *req (may be NULL) is f2o's
 * resolved CreateService request (free with cJSON_Delete).
 */
enum drift_owner drift_owner(struct run_ctx *, const struct journal *j,
	    const char *cluster, const char *name, cJSON **req);
/*
 * Compare the live service (NULL: missing) with fingerprint fp of
 * service key "CLUSTER/NAME" under the resume rule. Differences and
 * preconditions are reported and counted in d. Returns 0, or -1 on an
 * error (logged).
 */
int	drift_service(struct drift *, const struct journal *j,
	    const char *key, const cJSON *fp, const cJSON *live);
/* Compare a live security group (boto3 shape; NULL: missing) with fp. */
int	drift_sg(struct drift *, const char *id, const cJSON *fp,
	    const cJSON *live);
/*
 * Compare a live scalable target (DescribeScalableTargets shape; NULL:
 * missing) with fingerprint fp of resource id key ("service/C/N"). Resume
 * rule: the RegisterScalableTarget steps the journal j records as done
 * for key (plan order) change what is expected (their MinCapacity,
 * MaxCapacity, SuspendedState members); after a done
 * DeregisterScalableTarget of key the target is not looked at.
 */
int	drift_scalable_target(struct drift *, const struct journal *j,
	    const char *key, const cJSON *fp, const cJSON *live);
/* The scaling items drift_aas() compares. */
enum drift_aas {
	DRIFT_AAS_POLICY = 0,	/* scaling policies of a ResourceId */
	DRIFT_AAS_ACTION,	/* scheduled actions of a ResourceId */
	DRIFT_AAS_ALARM,	/* step scaling alarms (by name) */
	DRIFT_AAS__MAX
};
/*
 * Compare the live items (name -> describe object; for alarms only the
 * names of fp that exist) with fp (name -> fingerprint; the manifest's
 * scalingPolicies[rid], scheduledActions[rid], or alarms with rid NULL).
 * Resume rule: the steps the journal j records as done, in plan order,
 * change what is expected: a Put* of a name (of rid; for alarms a
 * fingerprinted name) expects the fingerprint of f2o's resolved request,
 * a Delete* expects it gone, a DeregisterScalableTarget of rid expects
 * none of rid's policies and actions. A name expected and missing live,
 * or live and not expected, is a difference too. Returns 0, or -1 on an
 * error (logged).
 */
int	drift_aas(struct drift *, const struct journal *j,
	    enum drift_aas kind, const char *rid, const cJSON *fp,
	    const cJSON *live);
/*
 * Report the differences of fingerprint have (live) from want (expected;
 * mine: as f2o's journal made it) under kind ("scaling policy") and
 * name; want NULL: the item exists live only ("(added live)"), have
 * NULL: it is gone live ("(deleted live)").
 */
void	drift_compare(struct drift *, const char *kind, const char *name,
	    bool mine, const cJSON *want, const cJSON *have);
/* A value for a diff line: strings bare, else compact JSON; shortened. */
char	*drift_value_text(const cJSON *v);

#endif
