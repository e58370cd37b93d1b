/*
 * The read-only preflight: regions, account (STS), clusters, services,
 * security groups and scaling against the bundle's fingerprints, Spot.
 * See preflight.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aas.h"
#include "call.h"
#include "drift.h"
#include "endpoint.h"
#include "fsio.h"
#include "journal.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "preflight.h"
#include "xalloc.h"

#define ADVICE	"re-export the account (aws ecs describe-services, " \
	"describe-task-definition, ec2 describe-security-groups, " \
	"application-autoscaling describe-scalable-targets, " \
	"describe-scaling-policies, describe-scheduled-actions, cloudwatch " \
	"describe-alarms) and " \
	"translate again, then review the new plan; or revert the live " \
	"change and run again"

struct pf {
	struct run_ctx	*ctx;
	struct drift	 d;
	const cJSON	*fps;		/* fingerprints.services, or NULL */
	const cJSON	*fpg;		/* fingerprints.securityGroups */
	const cJSON	*fpt;		/* fingerprints.scalableTargets */
	cJSON		*bad_clusters;	/* name -> true: not ACTIVE */
	const cJSON	*fp;		/* fingerprints */
	size_t		 nservices, ngroups, ntargets, nscaling;
	char		*account;	/* STS Account */
};

/* Set when a call failed in a way a rerun may fix (transport, 5xx). */
static _Thread_local bool pf_retryable;

static void
err_log(const char *what, const struct http_apierr *err)
{
	if (err->retryable)
		pf_retryable = true;
	log_errx("preflight: %s: %s%s%s", what, err->code != NULL ? err->code :
	    "failed", err->message != NULL ? ": " : "", err->message != NULL ?
	    err->message : "");
}

/* The region a host name of an AWS endpoint names, or NULL (loopback). */
static char *
url_region(const char *url)
{
	const char *h, *e, *p, *q;
	char *host, *lab, *found = NULL;

	h = strstr(url, "://");
	h = h != NULL ? h + 3 : url;
	e = h + strcspn(h, "/:?#");
	if (*h == '[')
		return NULL;	/* an IPv6 literal: no region */
	host = xstrndup(h, (size_t)(e - h));
	for (p = host; *p != '\0' && found == NULL; p = *q != '\0' ? q + 1 : q) {
		q = p + strcspn(p, ".");
		lab = xstrndup(p, (size_t)(q - p));
		/* "us-east-1": letters, dashes, a final number */
		if (strchr(lab, '-') != NULL && isdigit((unsigned char)
		    lab[strlen(lab) - 1]) && isalpha((unsigned char)lab[0]) &&
		    strchr(lab, '_') == NULL && endpoint_region_valid(lab) &&
		    endpoint_partition(lab) != NULL)
			found = lab;
		else
			free(lab);
	}
	free(host);
	return found;
}

static void
check_regions(struct pf *pf, const char *breg)
{
	struct run_ctx *ctx = pf->ctx;
	const struct api_desc *d;
	char *r, *why;
	int i;

	if (breg == NULL) {
		drift_refuse(&pf->d, "region", "region", NULL, ctx->region,
		    "the bundle names no region ($.parameters.region)");
		return;
	}
	if (strcmp(ctx->region, breg) != 0) {
		why = xasprintf("the region is %s (AWS_REGION or the profile) "
		    "but the bundle was made for %s", ctx->region, breg);
		drift_refuse(&pf->d, "region", "region", breg, ctx->region,
		    why);
		free(why);
	}
	for (i = 0; i < RUN_API__MAX; i++) {
		d = api_get((enum run_api)i);
		if (d->service == NULL || ctx->url[i] == NULL)
			continue;
		r = url_region(ctx->url[i]);
		if (r != NULL && strcmp(r, breg) != 0) {
			why = xasprintf("the %s %s is in region %s, the bundle "
			    "in %s", d->what, ctx->url[i], r, breg);
			drift_refuse(&pf->d, "region", d->what, breg, r, why);
			free(why);
		}
		free(r);
	}
}

static int
check_account(struct pf *pf, const char *want)
{
	struct http_apierr err;
	cJSON *res = NULL;
	const char *have;
	char *why;
	int rc = -1;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	if (run_call(pf->ctx, RUN_API_STS, "GetCallerIdentity", NULL, NULL,
	    NULL, true, &res, &err, NULL) == -1) {
		err_log("STS GetCallerIdentity", &err);
		goto out;
	}
	have = json_str(res, "Account");
	if (have == NULL) {
		log_errx("preflight: STS GetCallerIdentity: no Account in the "
		    "reply");
		goto out;
	}
	free(pf->account);
	pf->account = xstrdup(have);
	if (want == NULL)
		log_warnx("preflight: the bundle records no account (made by "
		    "an older f2o-translate): not compared with %s", have);
	else if (strcmp(want, have) != 0) {
		why = xasprintf("the credentials are of account %s, the bundle "
		    "was made for account %s", have, want);
		drift_refuse(&pf->d, "account", "account", want, have, why);
		free(why);
	}
	rc = 0;
out:
	cJSON_Delete(res);
	http_apierr_cleanup(&err);
	return rc;
}

static int
check_clusters(struct pf *pf, const cJSON *names)
{
	struct http_apierr err;
	cJSON *req, *res = NULL;
	const cJSON *c, *f;
	const char *st, *n;
	char *why;
	int rc = -1;

	if (cJSON_GetArraySize(names) == 0)
		return 0;
	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	req = cJSON_CreateObject();
	cJSON_AddItemToObject(req, "clusters", cJSON_Duplicate(names, 1));
	if (run_call(pf->ctx, RUN_API_ECS, "DescribeClusters", NULL, NULL, req,
	    true, &res, &err, NULL) == -1) {
		err_log("ECS DescribeClusters", &err);
		goto out;
	}
	cJSON_ArrayForEach(c, names) {
		st = NULL;
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(res,
		    "clusters")) {
			n = json_str(f, "clusterName");
			if (n != NULL && strcmp(n, c->valuestring) == 0)
				st = json_str(f, "status");
		}
		if (st != NULL && strcmp(st, "ACTIVE") == 0)
			continue;
		why = xasprintf("the ECS cluster is %s; it must be ACTIVE",
		    st != NULL ? st : "missing");
		drift_refuse(&pf->d, "cluster", c->valuestring, "ACTIVE",
		    st != NULL ? st : "MISSING", why);
		free(why);
		json_add_bool(pf->bad_clusters, c->valuestring, true);
	}
	rc = 0;
out:
	cJSON_Delete(req);
	cJSON_Delete(res);
	http_apierr_cleanup(&err);
	return rc;
}

/* DescribeServices of names (<= 10) in cluster into live (key -> svc). */
static int
describe_batch(struct pf *pf, const char *cluster, cJSON *names, cJSON *live)
{
	struct http_apierr err;
	cJSON *req, *res = NULL, *inc;
	const cJSON *s;
	const char *n;
	char *key;
	int rc = -1;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	req = cJSON_CreateObject();
	json_add_str(req, "cluster", cluster);
	cJSON_AddItemToObject(req, "services", cJSON_Duplicate(names, 1));
	inc = cJSON_AddArrayToObject(req, "include");
	cJSON_AddItemToArray(inc, cJSON_CreateString("TAGS"));
	if (run_call(pf->ctx, RUN_API_ECS, "DescribeServices", NULL, NULL, req,
	    true, &res, &err, NULL) == -1) {
		err_log("ECS DescribeServices", &err);
		goto out;
	}
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(res,
	    "services")) {
		n = json_str(s, "serviceName");
		if (n == NULL)
			continue;
		key = xasprintf("%s/%s", cluster, n);
		/* An ACTIVE one wins over older INACTIVE ones of the name. */
		if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(live, key)) ||
		    !cJSON_HasObjectItem(live, key) || (json_str(s, "status") !=
		    NULL && strcmp(json_str(s, "status"), "ACTIVE") == 0)) {
			cJSON_DeleteItemFromObjectCaseSensitive(live, key);
			cJSON_AddItemToObject(live, key, cJSON_Duplicate(s, 1));
		}
		free(key);
	}
	rc = 0;
out:
	cJSON_Delete(req);
	cJSON_Delete(res);
	http_apierr_cleanup(&err);
	return rc;
}

static int
check_services(struct pf *pf, const struct journal *j)
{
	cJSON *live, *names;
	const cJSON *fp, *other;
	const char *key, *slash, *okey, *os;
	char *cluster;
	bool dup;
	int rc = -1;

	live = cJSON_CreateObject();
	/* Batches of up to 10 names of one cluster, in manifest order. */
	cJSON_ArrayForEach(fp, pf->fps) {
		key = fp->string;
		slash = strchr(key, '/');
		if (slash == NULL) {
			log_errx("manifest.json: $.fingerprints.services: key "
			    "\"%s\" is not CLUSTER/NAME", key);
			goto out;
		}
		cluster = xstrndup(key, (size_t)(slash - key));
		dup = cJSON_HasObjectItem(live, key) ||
		    cJSON_HasObjectItem(pf->bad_clusters, cluster);
		if (dup) {
			free(cluster);
			continue;
		}
		names = cJSON_CreateArray();
		cJSON_ArrayForEach(other, pf->fps) {
			okey = other->string;
			os = strchr(okey, '/');
			if (os == NULL || (size_t)(os - okey) != strlen(cluster) ||
			    strncmp(okey, cluster, strlen(cluster)) != 0 ||
			    cJSON_HasObjectItem(live, okey))
				continue;
			cJSON_AddItemToArray(names, cJSON_CreateString(os + 1));
			/* a placeholder: asked for, maybe missing */
			cJSON_AddItemToObject(live, okey, cJSON_CreateNull());
			if (cJSON_GetArraySize(names) == PREFLIGHT_BATCH)
				break;
		}
		rc = describe_batch(pf, cluster, names, live);
		cJSON_Delete(names);
		free(cluster);
		if (rc == -1)
			goto out;
		rc = -1;
	}
	cJSON_ArrayForEach(fp, pf->fps) {
		slash = strchr(fp->string, '/');
		cluster = xstrndup(fp->string, (size_t)(slash - fp->string));
		dup = cJSON_HasObjectItem(pf->bad_clusters, cluster);
		free(cluster);
		if (dup)
			continue;
		other = cJSON_GetObjectItemCaseSensitive(live, fp->string);
		pf->nservices++;
		if (drift_service(&pf->d, j, fp->string, fp,
		    cJSON_IsNull(other) ? NULL : other) == -1)
			goto out;
	}
	rc = 0;
out:
	cJSON_Delete(live);
	return rc;
}

/* EC2 XML names (groupId, ipPermissions, groups) -> boto3 (GroupId...). */
static cJSON *
sg_boto(const cJSON *x, const char *name)
{
	const cJSON *c;
	cJSON *o;
	char *k;

	if (cJSON_IsArray(x)) {
		o = cJSON_CreateArray();
		cJSON_ArrayForEach(c, x)
			cJSON_AddItemToArray(o, sg_boto(c, NULL));
		return o;
	}
	if (!cJSON_IsObject(x)) {
		if (name != NULL && cJSON_IsString(x) &&
		    (strcmp(name, "FromPort") == 0 || strcmp(name, "ToPort") ==
		    0))
			return cJSON_CreateNumber(strtod(x->valuestring, NULL));
		return cJSON_Duplicate(x, 1);
	}
	o = cJSON_CreateObject();
	cJSON_ArrayForEach(c, x) {
		if (strcmp(c->string, "groups") == 0)
			k = xstrdup("UserIdGroupPairs");
		else if (strcmp(c->string, "tagSet") == 0)
			k = xstrdup("Tags");
		else {
			k = xstrdup(c->string);
			k[0] = (char)toupper((unsigned char)k[0]);
		}
		cJSON_AddItemToObject(o, k, sg_boto(c, k));
		free(k);
	}
	return o;
}

static int
check_groups(struct pf *pf)
{
	struct http_apierr err;
	cJSON *req, *ids, *res = NULL, *g;
	const cJSON *fp, *s, *found;
	int rc = -1;

	if (cJSON_GetArraySize(pf->fpg) == 0)
		return 0;
	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	req = cJSON_CreateObject();
	ids = cJSON_AddArrayToObject(req, "GroupIds");
	cJSON_ArrayForEach(fp, pf->fpg)
		cJSON_AddItemToArray(ids, cJSON_CreateString(fp->string));
	if (run_call(pf->ctx, RUN_API_EC2, "DescribeSecurityGroups", NULL,
	    NULL, req, true, &res, &err, NULL) == -1) {
		if (err.code != NULL && strcmp(err.code,
		    "InvalidGroup.NotFound") == 0) {
			/* Which one: the message names it; refuse the lot. */
			drift_refuse(&pf->d, "security-group", "security "
			    "groups", NULL, "MISSING", err.message != NULL ?
			    err.message : "a security group of the bundle is "
			    "missing");
			rc = 0;
		} else
			err_log("EC2 DescribeSecurityGroups", &err);
		goto out;
	}
	cJSON_ArrayForEach(fp, pf->fpg) {
		found = NULL;
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(res,
		    "securityGroupInfo"))
			if (json_str(s, "groupId") != NULL &&
			    strcmp(json_str(s, "groupId"), fp->string) == 0)
				found = s;
		g = found != NULL ? sg_boto(found, NULL) : NULL;
		pf->ngroups++;
		(void)drift_sg(&pf->d, fp->string, fp, g);
		cJSON_Delete(g);
	}
	rc = 0;
out:
	cJSON_Delete(req);
	cJSON_Delete(res);
	http_apierr_cleanup(&err);
	return rc;
}

/*
 * The scalable targets of the export, read before the bundle writes any
 * (Application Auto Scaling DescribeScalableTargets, ResourceIds in
 * batches, every page): a min/max or suspended state someone changed
 * after the export is drift, so no restore reverts it.
 */
static int
check_targets(struct pf *pf, const struct journal *j)
{
	cJSON *live, *req, *ids;
	const cJSON *fp, *start;
	int n, rc = -1;

	if (cJSON_GetArraySize(pf->fpt) == 0)
		return 0;
	live = cJSON_CreateObject();
	for (start = pf->fpt->child; start != NULL; start = fp) {
		req = cJSON_CreateObject();
		json_add_str(req, "ServiceNamespace", AAS_NAMESPACE);
		json_add_str(req, "ScalableDimension", AAS_DIMENSION);
		ids = cJSON_AddArrayToObject(req, "ResourceIds");
		for (fp = start, n = 0; fp != NULL && n < PREFLIGHT_TARGET_BATCH;
		    fp = fp->next, n++)
			cJSON_AddItemToArray(ids,
			    cJSON_CreateString(fp->string));
		n = preflight_read_pages(pf->ctx, &pf_retryable, RUN_API_AAS,
		    "DescribeScalableTargets", req, "ScalableTargets",
		    "ResourceId", live);
		cJSON_Delete(req);
		if (n == -1)
			goto out;
	}
	cJSON_ArrayForEach(fp, pf->fpt) {
		pf->ntargets++;
		if (drift_scalable_target(&pf->d, j, fp->string, fp,
		    cJSON_GetObjectItemCaseSensitive(live, fp->string)) == -1)
			goto out;
	}
	rc = 0;
out:
	cJSON_Delete(live);
	return rc;
}

/* A refused token is an error (exit 1), like refused AWS credentials. */
static int
check_spot(struct pf *pf)
{
	struct http_apierr err;
	cJSON *res = NULL;
	int rc = 0;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	if (run_call(pf->ctx, RUN_API_SPOT, "ListOceanClusters", "GET",
	    "/ocean/aws/ecs/cluster", NULL, true, &res, &err, NULL) == -1) {
		err_log("Spot ListOceanClusters (may the token act on the "
		    "Spot account?)", &err);
		rc = -1;
	}
	cJSON_Delete(res);
	http_apierr_cleanup(&err);
	return rc;
}

/* Add the len bytes at name to the array names unless there. */
static void
cluster_add(cJSON *names, const char *name, size_t len)
{
	const cJSON *x;
	char *s;

	cJSON_ArrayForEach(x, names)
		if (strlen(x->valuestring) == len &&
		    strncmp(x->valuestring, name, len) == 0)
			return;
	if (cJSON_GetArraySize(names) >= PREFLIGHT_MAX_CLUSTERS)
		return;
	s = xstrndup(name, len);
	cJSON_AddItemToArray(names, cJSON_CreateString(s));
	free(s);
}

int
preflight_run(struct run_ctx *ctx, const struct journal *j,
    struct preflight_sum *sum)
{
	struct pf pf;
	const cJSON *m = ctx->bundle->meta, *params, *fp, *c;
	cJSON *clusters;
	const char *breg = NULL, *cl;
	int rc = RUN_EXIT_FAIL;

	memset(&pf, 0, sizeof(pf));
	pf.ctx = ctx;
	pf.d.ctx = ctx;
	pf.bad_clusters = cJSON_CreateObject();
	clusters = cJSON_CreateArray();
	params = cJSON_GetObjectItemCaseSensitive(m, "parameters");
	breg = json_str(params, "region");
	fp = cJSON_GetObjectItemCaseSensitive(m, "fingerprints");
	pf.fp = fp;
	pf.fps = cJSON_GetObjectItemCaseSensitive(fp, "services");
	pf.fpg = cJSON_GetObjectItemCaseSensitive(fp, "securityGroups");
	pf.fpt = cJSON_GetObjectItemCaseSensitive(fp, "scalableTargets");
	if (fp == NULL)
		log_warnx("preflight: the bundle records no fingerprints (made "
		    "by an older f2o-translate): drift is not checked");
	ctx_set_preflight(true);
	pf_retryable = false;
	/* Regions first: nothing is sent to an endpoint of another one. */
	check_regions(&pf, breg);
	if (pf.d.nrefused > 0)
		goto verdict;
	if (check_account(&pf, json_str(m, "account")) == -1)
		goto out;
	if (pf.d.nrefused > 0)
		goto verdict;	/* another account: do not look further */
	cl = json_str(params, "ecs-cluster");
	if (cl != NULL)
		cluster_add(clusters, cl, strlen(cl));
	cJSON_ArrayForEach(c, pf.fps)
		if (strchr(c->string, '/') != NULL)
			cluster_add(clusters, c->string,
			    (size_t)(strchr(c->string, '/') - c->string));
	if (check_clusters(&pf, clusters) == -1 ||
	    check_services(&pf, j) == -1 || check_groups(&pf) == -1 ||
	    check_targets(&pf, j) == -1 || preflight_aas(ctx, &pf.d, j, pf.fp,
	    &pf.nscaling, &pf_retryable) == -1 || check_spot(&pf) == -1)
		goto out;
verdict:
	if (pf.d.nrefused > 0 || pf.d.ndiff > 0) {
		log_warnx("preflight: refused: %zu difference(s), %zu failed "
		    "precondition(s); nothing was sent. To go on: %s", pf.d.ndiff,
		    pf.d.nrefused, ADVICE);
		rc = RUN_EXIT_DRIFT;
	} else
		rc = RUN_EXIT_OK;
	if (sum != NULL) {
		sum->account = xstrdup(pf.account != NULL ? pf.account : "?");
		sum->services = pf.nservices;
		sum->groups = pf.ngroups;
		sum->targets = pf.ntargets;
		sum->scaling = pf.nscaling;
		sum->diffs = pf.d.ndiff;
		sum->refused = pf.d.nrefused;
	}
out:
	if (rc == RUN_EXIT_FAIL && pf_retryable)
		rc = RUN_EXIT_STOPPED;	/* nothing sent; a rerun may pass */
	ctx_set_preflight(false);
	cJSON_Delete(clusters);
	cJSON_Delete(pf.bad_clusters);
	free(pf.account);
	return rc;
}
