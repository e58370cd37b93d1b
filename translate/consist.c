/*
 * Export consistency: one ECS cluster, and every ARN's region and account
 * checked against --region and the cluster's account.
 */
/*
 * A mismatch is an error for what a service cannot use from another
 * region or account (target groups, Cloud Map registries, the service and
 * cluster themselves), a warning for what it can (ECR images, secrets,
 * roles, log groups, the task definition that is registered anew).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consist.h"
#include "ctx.h"
#include "export.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "xalloc.h"

#define CONSIST_FIELD	64

struct cc {
	struct xlate	*x;
	const char	*region;
	const char	*account;
	int		 bad;
};

/* Region and account of an ARN into r and a; -1 when not an ARN. */
static int
arn_where(const char *arn, char *r, char *a)
{
	const char *p[5];
	size_t i, n;

	if (arn == NULL || strncmp(arn, "arn:", 4) != 0)
		return -1;
	p[0] = arn;
	for (i = 1; i < 5; i++) {
		p[i] = strchr(p[i - 1], ':');
		if (p[i] == NULL)
			return -1;
		p[i]++;
	}
	n = (size_t)(p[4] - p[3] - 1);
	if (n >= CONSIST_FIELD)
		return -1;
	memcpy(r, p[3], n);
	r[n] = '\0';
	p[0] = strchr(p[4], ':');
	n = p[0] != NULL ? (size_t)(p[0] - p[4]) : 0;
	if (n >= CONSIST_FIELD)
		return -1;
	memcpy(a, p[4], n);
	a[n] = '\0';
	return 0;
}

/*
 * Check one ARN. fatal: a mismatch is an error (else a warning); what
 * names the resource for the message.
 */
static void
check_arn(struct cc *c, const char *subject, const char *file,
    const char *jp, const char *key, const char *arn, bool fatal,
    const char *what)
{
	char r[CONSIST_FIELD], a[CONSIST_FIELD], path[JPATH_MAX + 64];
	bool rbad, abad;

	if (arn_where(arn, r, a) == -1)
		return;
	rbad = r[0] != '\0' && strcmp(r, c->region) != 0;
	abad = a[0] != '\0' && c->account != NULL &&
	    strcmp(a, c->account) != 0;
	if (!rbad && !abad)
		return;
	(void)snprintf(path, sizeof(path), "%s.%s", jp, key);
	if (fatal) {
		log_diag(1, file, path, arn, rbad ? "export the services of "
		    "one region and give that --region" : "export the "
		    "services of one account", "%s in %s %s, not the %s %s "
		    "of the migration: a service cannot use it from there",
		    what, rbad ? "region" : "account", rbad ? r : a,
		    rbad ? "region" : "cluster's account",
		    rbad ? c->region : c->account);
		c->bad = 1;
		return;
	}
	ctx_diag_warn(c->x, subject, file, path, arn, "check that the new "
	    "tasks may use it (permissions, replication)", "%s in %s %s, not "
	    "the %s %s of the migration", what, rbad ? "region" : "account",
	    rbad ? r : a, rbad ? "region" : "cluster's account",
	    rbad ? c->region : c->account);
}

/* Each object of array member arr: check_arn on its member key. */
static void
check_list(struct cc *c, const char *subject, const char *file,
    const char *jp, const cJSON *obj, const char *arr, const char *key,
    bool fatal, const char *what)
{
	const cJSON *e;
	char sub[JPATH_MAX + 64];
	size_t i = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(obj, arr)) {
		(void)snprintf(sub, sizeof(sub), "%s.%s[%zu]", jp, arr, i++);
		check_arn(c, subject, file, sub, key, json_str(e, key), fatal,
		    what);
	}
}

/* "ACCOUNT.dkr.ecr.REGION.amazonaws.com/..." images. */
static void
check_image(struct cc *c, const char *subject, const char *file,
    const char *jp, const char *image)
{
	const char *d = image != NULL ? strstr(image, ".dkr.ecr.") : NULL;
	const char *slash = image != NULL ? strchr(image, '/') : NULL;
	char arn[256];
	size_t na, nr;
	const char *re, *dot;

	if (d == NULL || slash == NULL || d > slash)
		return;
	re = d + strlen(".dkr.ecr.");
	dot = strchr(re, '.');
	if (dot == NULL || dot > slash)
		return;
	na = (size_t)(d - image);
	nr = (size_t)(dot - re);
	if (na >= CONSIST_FIELD || nr >= CONSIST_FIELD)
		return;
	/* As an ARN, so that one comparison serves. */
	(void)snprintf(arn, sizeof(arn), "arn:aws:ecr:%.*s:%.*s:image",
	    (int)nr, re, (int)na, image);
	{
		char r[CONSIST_FIELD], a[CONSIST_FIELD], path[JPATH_MAX + 128];
		bool rbad, abad;

		if (arn_where(arn, r, a) == -1)
			return;
		rbad = strcmp(r, c->region) != 0;
		abad = c->account != NULL && strcmp(a, c->account) != 0;
		if (!rbad && !abad)
			return;
		(void)snprintf(path, sizeof(path), "%s.image", jp);
		ctx_diag_warn(c->x, subject, file, path, image, "check that "
		    "the instances may pull it (repository policy, "
		    "replication)", "ECR image in %s %s, not the %s %s of the "
		    "migration", rbad ? "region" : "account", rbad ? r : a,
		    rbad ? "region" : "cluster's account",
		    rbad ? c->region : c->account);
	}
}

static void
check_taskdef(struct cc *c, const struct xtd *t)
{
	const cJSON *ctr, *lo;
	char jp[JPATH_MAX + 64];
	size_t i = 0;

	check_arn(c, t->key, t->src, t->jpath, "taskDefinitionArn",
	    json_str(t->td, "taskDefinitionArn"), false, "task definition");
	check_arn(c, t->key, t->src, t->jpath, "taskRoleArn",
	    json_str(t->td, "taskRoleArn"), false, "task role");
	check_arn(c, t->key, t->src, t->jpath, "executionRoleArn",
	    json_str(t->td, "executionRoleArn"), false, "execution role");
	cJSON_ArrayForEach(ctr, cJSON_GetObjectItemCaseSensitive(t->td,
	    "containerDefinitions")) {
		const char *lr;

		(void)snprintf(jp, sizeof(jp), "%s.containerDefinitions[%zu]",
		    t->jpath, i++);
		check_image(c, t->key, t->src, jp, json_str(ctr, "image"));
		check_list(c, t->key, t->src, jp, ctr, "secrets", "valueFrom",
		    false, "secret");
		check_arn(c, t->key, t->src, jp,
		    "repositoryCredentials.credentialsParameter", json_str(
		    cJSON_GetObjectItemCaseSensitive(ctr,
		    "repositoryCredentials"), "credentialsParameter"), false,
		    "repository credentials");
		lo = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(ctr, "logConfiguration"),
		    "options");
		lr = json_str(lo, "awslogs-region");
		if (lr != NULL && strcmp(lr, c->region) != 0 &&
		    strchr(lr, '$') == NULL) {
			char path[JPATH_MAX + 128];

			(void)snprintf(path, sizeof(path), "%s.logConfiguration"
			    ".options.awslogs-region", jp);
			ctx_diag_warn(c->x, t->key, t->src, path, lr, "check "
			    "that the log group exists there", "log group in "
			    "region %s, not the region %s of the migration",
			    lr, c->region);
		}
	}
}

int
consist_taskdef_ref(struct xlate *x, struct xsvc *s)
{
	const char *ref = json_str(s->svc, "taskDefinition"), *name;
	char path[JPATH_MAX + 32], *full;

	if (ref == NULL || s->td == NULL)
		return 0;
	name = strstr(ref, ":task-definition/");
	name = name != NULL ? name + strlen(":task-definition/") : ref;
	(void)snprintf(path, sizeof(path), "%s.taskDefinition", s->jpath);
	if (strchr(name, ':') != NULL) {
		if (s->td->revision <= 0)
			ctx_diag_warn(x, s->name, s->src, path, ref, "export "
			    "it with `aws ecs describe-task-definition` to be "
			    "sure", "names a revision that the export has only "
			    "as a task definition without one (%s, a "
			    "register-task-definition input?): its content is "
			    "taken for that revision; the rollback names the "
			    "revision", s->td->srcname);
		return 0;		/* family:revision */
	}
	if (s->td->revision <= 0) {
		log_diag(1, s->src, path, ref, "export the service with "
		    "`aws ecs describe-services` and its task definition with "
		    "`aws ecs describe-task-definition` (both name the "
		    "revision)", "names a task definition family without a "
		    "revision, and the task definition in %s gives none "
		    "either: the rollback must re-create the Fargate service "
		    "with the exact exported revision, not whatever the family "
		    "resolves to then (f2o's own EC2 revision)", s->td->src);
		return -1;
	}
	if (export_td_hold(x->ex, s->td) == -1)
		return -1;
	full = json_str(s->td->td, "taskDefinitionArn") != NULL ?
	    xstrdup(json_str(s->td->td, "taskDefinitionArn")) :
	    xstrdup(s->td->key);
	ctx_diag_warn(x, s->name, s->src, path, ref, "give family:revision "
	    "in the input to choose another", "names a task definition "
	    "family without a revision (a create-service input?): resolved "
	    "to %s, the latest revision in %s, which the rollback re-creates "
	    "the Fargate service with", full, s->td->srcname);
	cJSON_ReplaceItemInObjectCaseSensitive(s->svc, "taskDefinition",
	    cJSON_CreateString(full));
	/* Also when the tree is read again (export_svc_hold). */
	free(s->td_ref);
	s->td_ref = full;
	return 0;
}

int
consist_clusters(const struct xlate *x)
{
	const struct export *ex = x->ex;
	const struct xsvc *first = NULL;
	size_t i;

	for (i = 0; i < ex->nsvcs; i++) {
		const struct xsvc *s = &ex->svcs[i];

		if (s->cluster == NULL)
			continue;
		if (first == NULL) {
			first = s;
			continue;
		}
		if (strcmp(first->cluster, s->cluster) != 0) {
			log_diag(1, s->src, s->jpath, NULL, "export one "
			    "cluster at a time (a directory per cluster), or "
			    "drop the other cluster's services", "service "
			    "\"%s\" is in cluster \"%s\", but service \"%s\" "
			    "(%s: %s) is in cluster \"%s\": an export holds "
			    "one cluster", s->name, s->cluster, first->name,
			    first->src, first->jpath, first->cluster);
			return -1;
		}
	}
	return 0;
}

int
consist_check(struct xlate *x)
{
	struct cc c;
	char r[CONSIST_FIELD], a[CONSIST_FIELD], *owned = NULL;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.x = x;
	c.region = opt_str(x->opt, "region");
	c.account = x->ex->account;
	for (i = 0; i < x->nmig; i++)
		if (export_svc_hold(x->ex, x->mig[i]) == 0 &&
		    arn_where(json_str(x->mig[i]->svc, "clusterArn"), r, a) ==
		    0 && a[0] != '\0') {
			owned = xstrdup(a);
			c.account = owned;
			break;
		}
	if (c.region == NULL)
		goto out;
	for (i = 0; i < x->nmig; i++) {
		const struct xsvc *s = x->mig[i];

		if (export_svc_hold(x->ex, s) == -1) {
			c.bad = 1;
			break;
		}
		check_arn(&c, s->name, s->src, s->jpath, "serviceArn",
		    s->arn, true, "service");
		check_arn(&c, s->name, s->src, s->jpath, "clusterArn",
		    json_str(s->svc, "clusterArn"), true, "cluster");
		check_list(&c, s->name, s->src, s->jpath, s->svc,
		    "loadBalancers", "targetGroupArn", true, "target group");
		check_list(&c, s->name, s->src, s->jpath, s->svc,
		    "serviceRegistries", "registryArn", true,
		    "Cloud Map registry");
		check_arn(&c, s->name, s->src, s->jpath, "roleArn",
		    json_str(s->svc, "roleArn"), false, "service role");
		check_arn(&c, s->name, s->src, s->jpath, "taskDefinition",
		    json_str(s->svc, "taskDefinition"), false,
		    "task definition");
	}
	for (i = 0; i < x->ex->ntds; i++) {
		if (!x->ex->tds[i].used)
			continue;
		if (export_td_hold(x->ex, &x->ex->tds[i]) == -1) {
			c.bad = 1;
			break;
		}
		check_taskdef(&c, &x->ex->tds[i]);
	}
out:
	free(owned);
	return c.bad ? -1 : 0;
}
