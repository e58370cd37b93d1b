/*
 * The manifest's "account" (from the export's ARNs or --account) and
 * "fingerprints" of the migrated services and their merged groups.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "fingerprint.h"
#include "hashmap.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "preflight.h"
#include "taskdef.h"
#include "xalloc.h"

struct acct {
	char	*id;			/* first account seen */
	char	*where;			/* "file: $.path" of it */
	int	 conflict;
};

/* Account field (5th) of arn, or NULL when not an ARN or empty. */
static char *
arn_account(const char *arn)
{
	const char *p = arn, *e;
	int i;

	if (arn == NULL || strncmp(arn, "arn:", 4) != 0)
		return NULL;
	for (i = 0; i < 4; i++) {
		p = strchr(p, ':');
		if (p == NULL)
			return NULL;
		p++;
	}
	e = strchr(p, ':');
	if (e == NULL || e == p)
		return NULL;
	return xstrndup(p, (size_t)(e - p));
}

static void
acct_note(struct acct *a, const char *arn, const char *src, const char *jp,
    const char *member)
{
	char *id = arn_account(arn);

	if (id == NULL || a->conflict)
		goto out;
	if (a->id == NULL) {
		a->id = id;
		a->where = xasprintf("%s: %s.%s", src, jp, member);
		return;
	}
	if (strcmp(a->id, id) != 0) {
		log_errx("the export names two AWS accounts: %s (%s) and %s "
		    "(%s: %s.%s): translate the export of one account",
		    a->id, a->where, id, src, jp, member);
		a->conflict = 1;
	}
out:
	free(id);
}

static int
account_valid(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (id[i] < '0' || id[i] > '9')
			return 0;
	return i == 12;
}

char *
preflight_account(const struct xlate *x)
{
	static const char *const svc_arns[] = { "serviceArn", "clusterArn",
	    "taskDefinition" };
	const struct export *ex = x->ex;
	const char *given = opt_str(x->opt, "account");
	struct acct a = { NULL, NULL, 0 };
	size_t i, k;

	for (i = 0; i < ex->nsvcs; i++) {
		if (export_svc_hold(x->ex, &ex->svcs[i]) == -1)
			goto fail;
		for (k = 0; k < sizeof(svc_arns) / sizeof(svc_arns[0]); k++)
			acct_note(&a, json_str(ex->svcs[i].svc, svc_arns[k]),
			    ex->svcs[i].src, ex->svcs[i].jpath, svc_arns[k]);
	}
	for (i = 0; i < ex->ntds; i++)
		acct_note(&a, taskdef_arn(&ex->tds[i]),
		    ex->tds[i].src, ex->tds[i].jpath, "taskDefinitionArn");
	if (a.conflict)
		goto fail;
	if (given != NULL && !account_valid(given)) {
		log_errx("--account \"%s\" is not a 12-digit AWS account id",
		    given);
		goto fail;
	}
	if (given != NULL && a.id != NULL && strcmp(given, a.id) != 0) {
		log_errx("--account %s differs from the account %s the export "
		    "names (%s)", given, a.id, a.where);
		goto fail;
	}
	if (a.id == NULL && given == NULL) {
		log_errx("the export names no AWS account (no serviceArn, "
		    "clusterArn or taskDefinitionArn carries one): give "
		    "--account with the 12-digit id of the account the export "
		    "was taken from");
		goto fail;
	}
	free(a.where);
	if (a.id != NULL)
		return a.id;
	return xstrdup(given);
fail:
	free(a.id);
	free(a.where);
	return NULL;
}

/* fp.KEY, created on first use. */
static cJSON *
fp_member(cJSON *fp, const char *key)
{
	cJSON *m = cJSON_GetObjectItemCaseSensitive(fp, key);

	return m != NULL ? m : cJSON_AddObjectToObject(fp, key);
}

/*
 * The policies and scheduled actions of s's target, each kind when the
 * export has its file (an empty object: none), and the step scaling
 * alarms the bundle re-creates, when the export has an alarms file.
 */
/*
 * Whether key is new to the object a member index stands for (then noted):
 * one look-up, not a scan of every member. fold: compare as
 * cJSON_HasObjectItem does, ignoring case.
 */
static bool
fp_new_key(struct hashmap *seen, const char *key, bool fold)
{
	char *k = NULL, *p;
	size_t unused;
	bool fresh;

	if (fold) {
		k = xstrdup(key);
		for (p = k; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		key = k;
	}
	fresh = !hashmap_get(seen, key, &unused);
	if (fresh)
		hashmap_put(seen, key, 0);
	free(k);
	return fresh;
}

static void
scaling_fingerprints(const struct xlate *x, const struct xsvc *s, cJSON *fp,
    struct hashmap *alarms)
{
	const struct xscaling *sc = s->scaling;
	const char *rid = json_str(sc->target->obj, "ResourceId");
	cJSON *m, *f;
	size_t i;

	if (x->ex->aas[XAAS_POLICY].pages > 0) {
		m = cJSON_AddObjectToObject(fp_member(fp, "scalingPolicies"),
		    rid);
		for (i = 0; i < sc->npolicies; i++) {
			f = fingerprint_scaling_policy(sc->policies[i]->obj);
			if (f != NULL)
				cJSON_AddItemToObject(m, json_str(
				    sc->policies[i]->obj, "PolicyName"), f);
		}
	}
	if (x->ex->aas[XAAS_ACTION].pages > 0) {
		m = cJSON_AddObjectToObject(fp_member(fp, "scheduledActions"),
		    rid);
		for (i = 0; i < sc->nactions; i++) {
			f = fingerprint_scheduled_action(sc->actions[i]->obj);
			if (f != NULL)
				cJSON_AddItemToObject(m, json_str(
				    sc->actions[i]->obj, "ScheduledActionName"),
				    f);
		}
	}
	if (x->ex->aas[XAAS_ALARM].pages == 0)
		return;
	m = fp_member(fp, "alarms");
	for (i = 0; i < sc->nalarms; i++) {
		f = fingerprint_alarm(sc->alarms[i]->obj);
		if (f != NULL && fp_new_key(alarms, sc->alarms[i]->key, true))
			cJSON_AddItemToObject(m, sc->alarms[i]->key, f);
		else
			cJSON_Delete(f);
	}
}

/*
 * A service's or group's fingerprint as the text it has in the manifest
 * (at $.fingerprints.<kind>.<key>, keys sorted): a raw item, a fifth of
 * the tree's memory for a large bundle; NULL stays NULL.
 */
static cJSON *
fp_text(cJSON *f)
{
	cJSON *raw;
	char *t;

	if (f == NULL)
		return NULL;
	json_sort_keys(f);
	t = json_print_nested(f, 3);
	cJSON_Delete(f);
	raw = cJSON_CreateRaw(t);
	free(t);
	return raw;
}

cJSON *
preflight_fingerprints(const struct xlate *x)
{
	cJSON *fp = cJSON_CreateObject(), *svcs, *sgs, *f, *st;
	struct hashmap svc_seen, sg_seen, alarm_seen;
	size_t i, k, idx;

	hashmap_init(&svc_seen);
	hashmap_init(&sg_seen);
	hashmap_init(&alarm_seen);
	svcs = cJSON_AddObjectToObject(fp, "services");
	sgs = cJSON_AddObjectToObject(fp, "securityGroups");
	for (i = 0; i < x->nmig; i++) {
		const struct xsvc *s = x->mig[i];
		char *key = xasprintf("%s/%s", s->cluster != NULL ?
		    s->cluster : opt_str(x->opt, "ecs-cluster"), s->name);

		f = export_svc_hold(x->ex, s) == -1 ? NULL :
		    fp_text(fingerprint_service(s->svc));
		if (f != NULL && fp_new_key(&svc_seen, key, false))
			cJSON_AddItemToObject(svcs, key, f);
		else
			cJSON_Delete(f);
		free(key);
		for (k = 0; k < s->nsgs; k++) {
			if (hashmap_get(&sg_seen, s->sgs[k], &idx) ||
			    !hashmap_get(&x->ex->sg_idx, s->sgs[k], &idx))
				continue;
			f = export_sg_hold(x->ex, &x->ex->sgs[idx]) == -1 ?
			    NULL : fp_text(fingerprint_sg(x->ex->sgs[idx].sg));
			if (f != NULL) {
				cJSON_AddItemToObject(sgs, s->sgs[k], f);
				hashmap_put(&sg_seen, s->sgs[k], 0);
			}
		}
	}
	/* Only a bundle with scaling steps has the key (BUNDLE.md). */
	for (i = 0, st = NULL; i < x->nmig; i++) {
		const struct xsvc *s = x->mig[i];

		if (s->scaling == NULL || s->scaling->target == NULL)
			continue;
		if (st == NULL)
			st = cJSON_AddObjectToObject(fp, "scalableTargets");
		f = fingerprint_scalable_target(s->scaling->target->obj);
		if (f != NULL)
			cJSON_AddItemToObject(st, json_str(
			    s->scaling->target->obj, "ResourceId"), f);
		scaling_fingerprints(x, s, fp, &alarm_seen);
	}
	hashmap_cleanup(&svc_seen);
	hashmap_cleanup(&sg_seen);
	hashmap_cleanup(&alarm_seen);
	json_sort_keys(fp);
	return fp;
}
