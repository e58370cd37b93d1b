/*
 * f2o-exec: one step (requests, retries, waits, look-ups when in doubt).
 * The scheduler and the journal handling are in sched.c. See run.h.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "digest.h"
#include "ec2.h"
#include "ecs.h"
#include "jsonutil.h"
#include "log.h"
#include "progress.h"
#include "reconcile.h"
#include "run.h"
#include "spot.h"
#include "xalloc.h"

#define RUN_MAX_PATH_DEPTH	32

static const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Public endpoint for service in region. */
static char *
endpoint_default(const char *service, const char *region)
{
	const char *suffix = strncmp(region, "cn-", 3) == 0 ?
	    "amazonaws.com.cn" : "amazonaws.com";

	return xasprintf("https://%s.%s.%s", service, region, suffix);
}

static bool
region_valid(const char *r)
{
	size_t i;

	if (r == NULL || r[0] == '\0' || strlen(r) > 32)
		return false;
	for (i = 0; r[i] != '\0'; i++)
		if (!islower((unsigned char)r[i]) &&
		    !isdigit((unsigned char)r[i]) && r[i] != '-')
			return false;
	return true;
}

/* An endpoint: https (or loopback http), no query. */
static int
endpoint_check(const char *what, const char *url)
{
	struct http_url u;
	int rc = 0;

	if (http_url_parse(&u, what, url) == -1)
		return -1;
	if (u.query != NULL) {
		log_errx("%s: \"%s\": a query is not allowed", what, url);
		rc = -1;
	}
	http_url_cleanup(&u);
	return rc;
}

int
run_init(struct run_ctx *ctx, const struct run_opts *opts,
    const struct bundle *b, const struct plan *p)
{
	const cJSON *params;
	const char *breg = NULL, *u;

	static const double rates[RUN_API__MAX] = { RATELIMIT_ECS_RATE,
	    RATELIMIT_EC2_RATE, RATELIMIT_SPOT_RATE, RUN_ECS_READ_RATE };
	static const unsigned bursts[RUN_API__MAX] = { RATELIMIT_ECS_BURST,
	    RATELIMIT_EC2_BURST, RATELIMIT_SPOT_BURST, RUN_ECS_READ_BURST };
	struct timespec ts;
	const char *pa;
	char *end;
	int i;

	memset(ctx, 0, sizeof(*ctx));
	if (pthread_mutex_init(&ctx->mu, NULL) != 0) {
		log_errx("cannot create a mutex");
		return -1;
	}
	ctx->mu_ok = true;
	for (i = 0; i < RUN_API__MAX; i++)
		if (ratelimit_init(&ctx->buckets[i], opts->rate[i] > 0 ?
		    opts->rate[i] : rates[i], opts->burst[i] > 0 ?
		    opts->burst[i] : bursts[i], NULL, NULL) == -1)
			goto fail;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	backoff_init(&ctx->backoff, opts->max_attempts,
	    (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
	    (uint64_t)getpid());
	pa = getenv("F2O_EXEC_PAUSE_AT");
	if (pa != NULL && *pa != '\0') {
		ctx->pause_at = strtol(pa, &end, 10);
		if (*end != '\0' || ctx->pause_at < 0)
			ctx->pause_at = 0;
	}
	pa = getenv("F2O_EXEC_PAUSE_ON");
	if (pa != NULL && *pa != '\0')
		ctx->pause_on = xstrdup(pa);
	pa = getenv("F2O_EXEC_PAUSE_FILE");
	if (pa != NULL && *pa != '\0')
		ctx->pause_file = xstrdup(pa);
	pa = getenv("F2O_EXEC_EVENT_LOG");
	if (pa != NULL && *pa != '\0')
		ctx->event_log = xstrdup(pa);
	ctx->opts = opts;
	ctx->bundle = b;
	ctx->plan = p;
	ctx->outputs = cJSON_CreateObject();
	params = cJSON_GetObjectItemCaseSensitive(b->meta, "parameters");
	if (cJSON_IsObject(params))
		breg = json_str(params, "region");
	ctx->region = creds_region(breg);
	if (!region_valid(ctx->region)) {
		log_errx("%s: $.parameters.region: no valid region (set "
		    "AWS_REGION)", BUNDLE_MANIFEST);
		goto fail;
	}
	u = env_get("AWS_ENDPOINT_URL_ECS");
	if (u == NULL)
		u = env_get("AWS_ENDPOINT_URL");
	ctx->ecs_url = u != NULL ? xstrdup(u) : endpoint_default("ecs",
	    ctx->region);
	u = env_get("AWS_ENDPOINT_URL_EC2");
	if (u == NULL)
		u = env_get("AWS_ENDPOINT_URL");
	ctx->ec2_url = u != NULL ? xstrdup(u) : endpoint_default("ec2",
	    ctx->region);
	u = env_get("SPOTINST_BASE_URL");
	ctx->spot_url = xstrdup(u != NULL ? u : SPOT_DEFAULT_URL);
	/* Refuse a bad endpoint before anything is sent. */
	if (endpoint_check("ECS endpoint", ctx->ecs_url) == -1 ||
	    endpoint_check("EC2 endpoint", ctx->ec2_url) == -1 ||
	    endpoint_check("SPOTINST_BASE_URL", ctx->spot_url) == -1)
		goto fail;
	return 0;
fail:
	run_cleanup(ctx);
	return -1;
}

void
run_cleanup(struct run_ctx *ctx)
{
	if (ctx == NULL)
		return;
	cJSON_Delete(ctx->outputs);
	free(ctx->ecs_url);
	free(ctx->ec2_url);
	free(ctx->spot_url);
	creds_free(ctx->creds);
	creds_spot_free(ctx->spot);
	ctx->outputs = NULL;
	ctx->ecs_url = ctx->ec2_url = ctx->spot_url = NULL;
	ctx->creds = NULL;
	ctx->spot = NULL;
	free(ctx->pause_file);
	free(ctx->pause_on);
	free(ctx->event_log);
	ctx->pause_file = ctx->pause_on = ctx->event_log = NULL;
	if (ctx->mu_ok)
		(void)pthread_mutex_destroy(&ctx->mu);
	ctx->mu_ok = false;
}

const cJSON *
run_path_get(const cJSON *result, const char *path)
{
	const cJSON *cur = result;
	const char *p = path, *dot;
	char *part, *end;
	unsigned long idx;
	int depth = 0;

	while (cur != NULL && *p != '\0') {
		if (++depth > RUN_MAX_PATH_DEPTH)
			return NULL;
		dot = strchr(p, '.');
		part = dot != NULL ? xstrndup(p, (size_t)(dot - p)) :
		    xstrdup(p);
		if (cJSON_IsArray(cur) && isdigit((unsigned char)part[0])) {
			errno = 0;
			idx = strtoul(part, &end, 10);
			cur = (*end == '\0' && errno == 0 && idx < 100000) ?
			    cJSON_GetArrayItem(cur, (int)idx) : NULL;
		} else if (cJSON_IsObject(cur))
			cur = cJSON_GetObjectItemCaseSensitive(cur, part);
		else
			cur = NULL;
		free(part);
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	return cur;
}

int
run_resolve(cJSON *item, const cJSON *outputs, const char *what)
{
	cJSON *c, *repl;
	const cJSON *stepout, *val;
	char *id = NULL, *out = NULL;
	int rc = -1;

	cJSON_ArrayForEach(c, item) {
		if (cJSON_IsString(c) && c->valuestring != NULL &&
		    plan_ref_parse(c->valuestring, &id, &out)) {
			stepout = cJSON_GetObjectItemCaseSensitive(outputs, id);
			val = stepout != NULL ?
			    cJSON_GetObjectItemCaseSensitive(stepout, out) :
			    NULL;
			if (val == NULL) {
				log_errx("%s: %s: step %s has not produced "
				    "output %s", what, c->valuestring, id, out);
				goto out;
			}
			repl = cJSON_Duplicate(val, 1);
			/* ReplaceItemViaPointer keeps no key: name it. */
			if (repl == NULL || !(cJSON_IsObject(item) ?
			    cJSON_ReplaceItemInObjectCaseSensitive(item,
			    c->string, repl) :
			    cJSON_ReplaceItemViaPointer(item, c, repl))) {
				cJSON_Delete(repl);
				log_errx("%s: cannot replace %s", what, id);
				goto out;
			}
			c = repl;
			free(id);
			free(out);
			id = out = NULL;
		} else if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    run_resolve(c, outputs, what) == -1)
			goto out;
	}
	rc = 0;
out:
	free(id);
	free(out);
	return rc;
}

bool
run_stopping(const struct run_ctx *ctx)
{
	return ctx->stop != NULL && *ctx->stop;
}

static int
need_aws(struct run_ctx *ctx, struct http_apierr *err)
{
	int rc = 0;

	(void)pthread_mutex_lock(&ctx->mu);
	if (ctx->creds == NULL && creds_load(&ctx->creds) == -1) {
		http_apierr_set(err, 0, "NoCredentials", NULL, false);
		rc = -1;
	}
	(void)pthread_mutex_unlock(&ctx->mu);
	return rc;
}

static int
need_spot(struct run_ctx *ctx, struct http_apierr *err)
{
	int rc = 0;

	(void)pthread_mutex_lock(&ctx->mu);
	if (ctx->spot == NULL && creds_spot_load(&ctx->spot) == -1) {
		http_apierr_set(err, 0, "NoCredentials", NULL, false);
		rc = -1;
	}
	(void)pthread_mutex_unlock(&ctx->mu);
	return rc;
}

/* Split "svc:Op" into a new svc string and a borrowed op. */
static int
action_split(const char *action, char **svc, const char **op)
{
	const char *colon = strchr(action, ':');

	*svc = NULL;
	*op = NULL;
	if (colon == NULL || colon == action || colon[1] == '\0') {
		log_errx("plan.json: action \"%s\" is not SERVICE:OPERATION",
		    action);
		return -1;
	}
	*svc = xstrndup(action, (size_t)(colon - action));
	*op = colon + 1;
	return 0;
}

/* Sleep ms milliseconds in slices; false when a stop was requested. */
static bool
sleep_ms(struct run_ctx *ctx, uint64_t ms)
{
	struct timespec ts;
	uint64_t slice;

	while (ms > 0) {
		if (run_stopping(ctx))
			return false;
		slice = ms > 100 ? 100 : ms;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(slice * 1000000);
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
		ms -= slice;
	}
	return !run_stopping(ctx);
}

static double
now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The step this thread works on, and whether it is looking one up. */
static _Thread_local const char *cur_step;
static _Thread_local bool cur_lookup;

void
run_set_step(const char *id, bool lookup)
{
	cur_step = id;
	cur_lookup = lookup;
}

static void
append_line(const char *path, const char *kind, const char *id)
{
	FILE *f;

	f = fopen(path, "a");
	if (f == NULL)
		return;
	fprintf(f, "%s %s\n", kind, id != NULL ? id : "-");
	(void)fclose(f);
}

void
run_event(struct run_ctx *ctx, const char *kind, const char *id)
{
	char line[PLAN_ID_MAX + 32];
	bool hit;

	if (ctx->pause_at <= 0 && ctx->pause_on == NULL &&
	    ctx->event_log == NULL)
		return;
	(void)snprintf(line, sizeof(line), "%s %s", kind, id != NULL ? id :
	    "-");
	(void)pthread_mutex_lock(&ctx->mu);
	ctx->events++;
	if (ctx->event_log != NULL)
		append_line(ctx->event_log, kind, id);
	hit = !ctx->paused && ((ctx->pause_at > 0 &&
	    ctx->events == ctx->pause_at) || (ctx->pause_on != NULL &&
	    strcmp(ctx->pause_on, line) == 0));
	if (hit) {
		ctx->paused = true;
		if (ctx->pause_file != NULL)
			append_line(ctx->pause_file, kind, id);
	}
	(void)pthread_mutex_unlock(&ctx->mu);
	if (hit)
		(void)raise(SIGSTOP);
}

/* Take a token from the API's bucket, waiting; false when stopping. */
static bool
bucket_take(struct run_ctx *ctx, enum run_api api)
{
	uint64_t w;

	for (;;) {
		(void)pthread_mutex_lock(&ctx->mu);
		w = ratelimit_wait_ms(&ctx->buckets[api]);
		if (w == 0)
			(void)ratelimit_take(&ctx->buckets[api]);
		(void)pthread_mutex_unlock(&ctx->mu);
		if (w == 0)
			return true;
		if (!sleep_ms(ctx, w > 200 ? 200 : w))
			return false;
	}
}

/* One Spot request; *out is the envelope's "response" object. */
static int
spot_send(struct run_ctx *ctx, cJSON **out, struct http_apierr *err,
    const char *method, const char *path, const cJSON *body)
{
	struct http_request req;
	struct http_response resp;
	struct http_header h[3];
	cJSON *j = NULL, *items = NULL;
	char *url = NULL, *auth = NULL, *text = NULL, *q, *p;
	const char *qs;
	size_t nh = 0;
	int rc = -1;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	/* A query in path goes after accountId. */
	q = xstrdup(path);
	qs = strchr(path, '?');
	if (qs != NULL)
		q[qs - path] = '\0';
	url = spot_url(ctx->spot_url, q, ctx->spot->account);
	if (url != NULL && qs != NULL) {
		text = xasprintf("%s%c%s", url, ctx->spot->account != NULL ?
		    '&' : '?', qs + 1);
		free(url);
		url = text;
		text = NULL;
	}
	free(q);
	if (url == NULL) {
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		return -1;
	}
	if (body != NULL) {
		p = cJSON_PrintUnformatted(body);
		if (p == NULL) {
			http_apierr_set(err, 0, "InvalidRequest", NULL, false);
			goto out;
		}
		text = xstrdup(p);
		cJSON_free(p);
	}
	auth = xasprintf("Bearer %s", ctx->spot->token);
	h[nh++] = (struct http_header){ "Authorization", auth };
	h[nh++] = (struct http_header){ "Accept", "application/json" };
	if (text != NULL)
		h[nh++] = (struct http_header){ "Content-Type",
		    "application/json" };
	req.method = method;
	req.url = url;
	req.headers = h;
	req.nheaders = nh;
	req.body = text;
	req.bodylen = text != NULL ? strlen(text) : 0;
	if (http_send(&resp, &req) == -1) {
		http_apierr_set(err, 0, "Transport", "no reply", true);
		goto out;
	}
	if (resp.status != 200) {
		(void)spot_response_parse(&items, err, resp.status,
		    resp.ratelimit_reset, resp.body, resp.len);
		cJSON_Delete(items);
		log_errx("spot %s %s: HTTP %ld %s%s%s", method, path,
		    resp.status, err->code, err->message != NULL ? ": " : "",
		    err->message != NULL ? err->message : "");
		goto out;
	}
	j = json_parse_quiet(resp.body, resp.len);
	if (!cJSON_IsObject(j) || !cJSON_IsObject(
	    cJSON_GetObjectItemCaseSensitive(j, "response"))) {
		log_errx("spot %s %s: reply is not a {request, response} "
		    "envelope", method, path);
		http_apierr_set(err, resp.status, "BadReply", NULL, false);
		goto out;
	}
	*out = cJSON_DetachItemFromObjectCaseSensitive(j, "response");
	rc = 0;
out:
	cJSON_Delete(j);
	if (auth != NULL) {
		OPENSSL_cleanse(auth, strlen(auth));
		free(auth);
	}
	free(text);
	free(url);
	http_response_cleanup(&resp);
	return rc;
}

static int
send_once(struct run_ctx *ctx, enum run_api api, const char *op,
    const char *method, const char *path, const cJSON *req, cJSON **result,
    struct http_apierr *err)
{
	struct ecs_aws aws;
	char *body;
	int rc;

	if (api == RUN_API_SPOT)
		return spot_send(ctx, result, err, method, path, req);
	aws.region = ctx->region;
	aws.creds = ctx->creds;
	if (api == RUN_API_EC2) {
		aws.url = ctx->ec2_url;
		aws.service = "ec2";
		return ec2_call(result, err, &aws, op, req);
	}
	aws.url = ctx->ecs_url;
	aws.service = "ecs";
	body = cJSON_PrintUnformatted(req);
	if (body == NULL) {
		log_errx("ecs %s: cannot print the request", op);
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		return -1;
	}
	rc = ecs_call(result, err, &aws, op, body, strlen(body));
	cJSON_free(body);
	return rc;
}

int
run_call(struct run_ctx *ctx, enum run_api api, const char *op,
    const char *method, const char *path, const cJSON *req, bool idempotent,
    cJSON **result, struct http_apierr *err, bool *indoubt)
{
	static const enum backoff_api bapi[RUN_API__MAX] = {
		BACKOFF_API_ECS, BACKOFF_API_EC2, BACKOFF_API_SPOT,
		BACKOFF_API_ECS };
	enum run_api bucket = api;
	struct backoff_outcome o;
	enum backoff_class cls;
	unsigned attempt, delay;
	const char *what = api == RUN_API_SPOT ? path : op;
	bool again;

	*result = NULL;
	if (indoubt != NULL)
		*indoubt = false;
	if (api == RUN_API_ECS && (strncmp(op, "Describe", 8) == 0 ||
	    strncmp(op, "List", 4) == 0))
		bucket = RUN_API_ECS_READ;
	if ((api == RUN_API_SPOT ? need_spot(ctx, err) : need_aws(ctx, err)) ==
	    -1)
		return -1;
	for (attempt = 1;; attempt++) {
		if (!bucket_take(ctx, bucket)) {
			http_apierr_set(err, 0, "Interrupted", "stopped by a "
			    "signal before sending", true);
			return -1;
		}
		http_apierr_cleanup(err);
		(void)pthread_mutex_lock(&ctx->mu);
		ctx->stats.requests++;
		(void)pthread_mutex_unlock(&ctx->mu);
		if (send_once(ctx, api, op, method, path, req, result, err) ==
		    0) {
			run_event(ctx, cur_lookup ? "lookup" : "reply",
			    cur_step != NULL ? cur_step : what);
			memset(&o, 0, sizeof(o));
			o.http_status = 200;
			(void)pthread_mutex_lock(&ctx->mu);
			(void)backoff_next(&ctx->backoff, bapi[api], attempt,
			    &o, &cls, &delay);
			(void)pthread_mutex_unlock(&ctx->mu);
			return 0;
		}
		run_event(ctx, cur_lookup ? "lookup" : "reply", cur_step != NULL ?
		    cur_step : what);
		memset(&o, 0, sizeof(o));
		o.net = err->code != NULL && strcmp(err->code, "Transport") ==
		    0 ? BACKOFF_NET_RESET : BACKOFF_NET_OK;
		o.http_status = err->status;
		o.code = err->code;
		o.reset_s = api == RUN_API_SPOT ? err->wait_seconds : -1;
		o.retry_after_ms = -1;
		o.idempotent = idempotent;
		if (o.net == BACKOFF_NET_OK && err->status == 0) {
			/* Failed before sending (signing, serializing). */
			return -1;
		}
		(void)pthread_mutex_lock(&ctx->mu);
		again = backoff_next(&ctx->backoff, bapi[api], attempt, &o,
		    &cls, &delay);
		if (cls == BACKOFF_THROTTLED)
			ctx->stats.throttled++;
		if (cls == BACKOFF_THROTTLED && api == RUN_API_SPOT &&
		    o.reset_s > 0)
			ratelimit_hold(&ctx->buckets[api],
			    (uint64_t)o.reset_s * 1000);
		if (cls == BACKOFF_INDOUBT)
			ctx->stats.indoubt++;
		if (again)
			ctx->stats.retries++;
		(void)pthread_mutex_unlock(&ctx->mu);
		if (cls == BACKOFF_INDOUBT) {
			if (indoubt != NULL)
				*indoubt = true;
			err->retryable = true;
			return -1;
		}
		if (!again) {
			err->retryable = cls == BACKOFF_THROTTLED ||
			    cls == BACKOFF_RETRY;
			return -1;
		}
		progress_retry(ctx->progress, what, err->code, delay);
		if (!sleep_ms(ctx, delay)) {
			http_apierr_set(err, 0, "Interrupted", "stopped by a "
			    "signal while backing off", true);
			return -1;
		}
	}
}

int
run_request_digest(const cJSON *req, char out[65])
{
	char *s;
	int rc;

	s = cJSON_PrintUnformatted(req);
	if (s == NULL)
		return -1;
	rc = digest_sha256_hex(out, s, strlen(s));
	cJSON_free(s);
	return rc;
}

cJSON *
run_step_request(struct run_ctx *ctx, const struct plan_step *step,
    bool resolve)
{
	cJSON *req;
	int rc;

	if (step->request == NULL)
		return cJSON_CreateObject();
	req = bundle_json(ctx->bundle, step->request);
	if (req == NULL)
		return NULL;
	if (resolve) {
		(void)pthread_mutex_lock(&ctx->mu);
		rc = run_resolve(req, ctx->outputs, step->request);
		(void)pthread_mutex_unlock(&ctx->mu);
		if (rc == -1) {
			cJSON_Delete(req);
			return NULL;
		}
	}
	return req;
}

/* ------------------------------------------------------------------ */
/* wait:ServicesStable / wait:ServicesInactive */

static const cJSON *
primary_deployment(const cJSON *deps)
{
	const cJSON *d;
	const char *st;

	cJSON_ArrayForEach(d, deps) {
		st = json_str(d, "status");
		if (st != NULL && strcmp(st, "PRIMARY") == 0)
			return d;
	}
	return cJSON_GetArrayItem(deps, 0);
}

/* Is the service of arn (".../NAME" or NAME) one being drained? */
static bool
drained_name(const cJSON *drain, const char *arn)
{
	const char *slash = strrchr(arn, '/');

	return cJSON_GetObjectItemCaseSensitive(drain, slash != NULL ?
	    slash + 1 : arn) != NULL;
}

/* Same task definition: equal, or an ARN ending in "/family:rev". */
static bool
td_same(const char *have, const char *want)
{
	size_t hl, wl;

	if (have == NULL || want == NULL)
		return false;
	if (strcmp(have, want) == 0)
		return true;
	hl = strlen(have);
	wl = strlen(want);
	if (strchr(want, '/') == NULL && hl > wl && have[hl - wl - 1] == '/' &&
	    strcmp(have + hl - wl, want) == 0)
		return true;
	if (strchr(have, '/') == NULL && wl > hl && want[wl - hl - 1] == '/' &&
	    strcmp(want + wl - hl, have) == 0)
		return true;
	return false;
}

int
run_services_check(const cJSON *reply, bool inactive, const cJSON *expect,
    const cJSON *drain, char *buf, size_t bufsz)
{
	const cJSON *svcs, *fails, *f, *s, *deps, *d;
	const char *st, *rs, *name, *want, *have, *reason, *arn;
	long long desired = 0, running = 0;
	int ndeps, rc = 1;

	buf[0] = '\0';
	fails = cJSON_GetObjectItemCaseSensitive(reply, "failures");
	cJSON_ArrayForEach(f, fails) {
		arn = json_str(f, "arn");
		reason = json_str(f, "reason");
		if (reason != NULL && strcmp(reason, "MISSING") == 0 &&
		    (inactive || (arn != NULL && drained_name(drain, arn))))
			continue;
		(void)snprintf(buf, bufsz, "service %s: %s", arn != NULL ?
		    arn : "?", reason != NULL ? reason : "failure");
		return -1;
	}
	svcs = cJSON_GetObjectItemCaseSensitive(reply, "services");
	if (!cJSON_IsArray(svcs)) {
		(void)snprintf(buf, bufsz, "no services in the reply");
		return -1;
	}
	cJSON_ArrayForEach(s, svcs) {
		name = json_str(s, "serviceName");
		if (name == NULL)
			name = "?";
		st = json_str(s, "status");
		if (inactive) {
			if (st == NULL || strcmp(st, "INACTIVE") != 0) {
				(void)snprintf(buf, bufsz, "service %s is %s",
				    name, st != NULL ? st : "without status");
				rc = 0;
			}
			continue;
		}
		if (st != NULL && strcmp(st, "ACTIVE") != 0 &&
		    cJSON_GetObjectItemCaseSensitive(drain, name) != NULL)
			continue;	/* scaled to 0, and gone: drained */
		if (st == NULL || strcmp(st, "ACTIVE") != 0) {
			(void)snprintf(buf, bufsz, "service %s is %s, not "
			    "ACTIVE", name, st != NULL ? st : "without status");
			return -1;
		}
		deps = cJSON_GetObjectItemCaseSensitive(s, "deployments");
		ndeps = cJSON_IsArray(deps) ? cJSON_GetArraySize(deps) : 0;
		d = ndeps > 0 ? primary_deployment(deps) : NULL;
		rs = d != NULL ? json_str(d, "rolloutState") : NULL;
		if (rs != NULL && strcmp(rs, "FAILED") == 0) {
			reason = json_str(d, "rolloutStateReason");
			(void)snprintf(buf, bufsz, "service %s: deployment "
			    "failed (rolloutState FAILED%s%s); the ECS "
			    "deployment circuit breaker stopped it", name,
			    reason != NULL ? ": " : "",
			    reason != NULL ? reason : "");
			return -1;
		}
		want = expect != NULL ? json_str(expect, name) : NULL;
		have = d != NULL ? json_str(d, "taskDefinition") :
		    json_str(s, "taskDefinition");
		if (want != NULL && have != NULL && !td_same(have, want)) {
			(void)snprintf(buf, bufsz, "service %s: the PRIMARY "
			    "deployment runs %s, not %s: the deployment was "
			    "rolled back (circuit breaker)", name, have, want);
			return -1;
		}
		if (json_int(s, "desiredCount", 0, 1LL << 31, &desired) == -1 ||
		    json_int(s, "runningCount", 0, 1LL << 31, &running) == -1) {
			(void)snprintf(buf, bufsz, "service %s: no "
			    "desiredCount/runningCount", name);
			rc = 0;
			continue;
		}
		if (desired == 0) {
			if (running != 0 || ndeps != 1) {
				(void)snprintf(buf, bufsz, "service %s: "
				    "scaling to 0: runningCount %lld, %d "
				    "deployment(s)", name, running, ndeps);
				rc = 0;
			}
			continue;
		}
		if (ndeps != 1 || (rs != NULL && strcmp(rs, "COMPLETED") !=
		    0) || running != desired) {
			(void)snprintf(buf, bufsz, "service %s: runningCount "
			    "%lld of %lld, %d deployment(s), rolloutState %s",
			    name, running, desired, ndeps, rs != NULL ? rs :
			    "-");
			rc = 0;
		}
	}
	return rc;
}

/*
 * From the steps in step->after: serviceName -> expected task definition
 * (a CreateService) into *expect, serviceName -> true (an UpdateService
 * to desiredCount 0: a service that is gone is drained too) into *drain.
 * Both NULL when there are none.
 */
static void
wait_expectations(struct run_ctx *ctx, const struct plan_step *step,
    cJSON **expect, cJSON **drain)
{
	const struct plan_step *dep;
	const cJSON *dc;
	cJSON *exp = NULL, *req;
	const char *name, *td;
	size_t i;

	*drain = NULL;
	for (i = 0; i < step->nafter; i++) {
		dep = plan_find(ctx->plan, step->after[i]);
		if (dep != NULL && strcmp(dep->action, "ecs:UpdateService") ==
		    0 && (req = run_step_request(ctx, dep, false)) != NULL) {
			dc = cJSON_GetObjectItemCaseSensitive(req,
			    "desiredCount");
			name = json_str(req, "service");
			if (cJSON_IsNumber(dc) && dc->valueint == 0 &&
			    name != NULL) {
				if (*drain == NULL)
					*drain = cJSON_CreateObject();
				if (strrchr(name, '/') != NULL)
					name = strrchr(name, '/') + 1;
				json_del(*drain, name);
				cJSON_AddTrueToObject(*drain, name);
			}
			cJSON_Delete(req);
			continue;
		}
		if (dep == NULL || strcmp(dep->action, "ecs:CreateService") !=
		    0)
			continue;
		req = run_step_request(ctx, dep, true);
		if (req == NULL)
			continue;
		name = json_str(req, "serviceName");
		td = json_str(req, "taskDefinition");
		if (name != NULL && td != NULL) {
			if (exp == NULL)
				exp = cJSON_CreateObject();
			json_del(exp, name);
			json_add_str(exp, name, td);
		}
		cJSON_Delete(req);
	}
	*expect = exp;
}

static int
wait_services(struct run_ctx *ctx, cJSON **result, struct http_apierr *err,
    const struct plan_step *step, const char *op, const cJSON *req)
{
	char why[1024];
	cJSON *reply = NULL, *expect = NULL, *drain = NULL;
	double t0, interval;
	bool inactive;
	int polls = 0, r, rc = -1;

	if (strcmp(op, "ServicesStable") == 0)
		inactive = false;
	else if (strcmp(op, "ServicesInactive") == 0)
		inactive = true;
	else {
		log_errx("%s: unknown wait:%s", step->id, op);
		http_apierr_set(err, 0, "InvalidAction", NULL, false);
		return -1;
	}
	if (!inactive)
		wait_expectations(ctx, step, &expect, &drain);
	t0 = now_s();
	interval = ctx->opts->poll_interval;
	why[0] = '\0';
	for (;;) {
		if (polls > 0) {
			if (now_s() - t0 + interval > ctx->opts->wait_timeout ||
			    (ctx->opts->wait_attempts > 0 &&
			    polls >= ctx->opts->wait_attempts))
				break;
			if (!sleep_ms(ctx, (uint64_t)(interval * 1000))) {
				http_apierr_set(err, 0, "Interrupted",
				    "stopped by a signal while waiting", true);
				goto out;
			}
		}
		polls++;
		cJSON_Delete(reply);
		reply = NULL;
		if (run_call(ctx, RUN_API_ECS, "DescribeServices", NULL, NULL,
		    req, true, &reply, err, NULL) == -1)
			goto out;
		r = run_services_check(reply, inactive, expect, drain, why,
		    sizeof(why));
		if (r == 1) {
			*result = reply;
			reply = NULL;
			rc = 0;
			goto out;
		}
		if (r == -1) {
			log_errx("%s: %s: %s", step->id, step->action, why);
			http_apierr_set(err, 0, inactive ? "WaiterFailed" :
			    "DeploymentFailed", why, false);
			goto out;
		}
	}
	log_errx("%s: %s: not reached after %.0f s (%d polls): %s", step->id,
	    step->action, now_s() - t0, polls, why);
	http_apierr_set(err, 0, "WaiterTimeout", why, true);
out:
	cJSON_Delete(reply);
	cJSON_Delete(expect);
	cJSON_Delete(drain);
	return rc;
}

/* ------------------------------------------------------------------ */
/* actions */

static const struct run_action actions[] = {
	{ "ecs:RegisterTaskDefinition", RUN_API_ECS, "RegisterTaskDefinition",
	    NULL, NULL, NULL, false, true, { NULL } },
	{ "ecs:CreateService", RUN_API_ECS, "CreateService", NULL, NULL, NULL,
	    false, true, { NULL } },
	{ "ecs:UpdateService", RUN_API_ECS, "UpdateService", NULL, NULL, NULL,
	    true, false, { NULL } },
	{ "ecs:DeleteService", RUN_API_ECS, "DeleteService", NULL, NULL, NULL,
	    true, false, { "ServiceNotFoundException",
	    "ServiceNotActiveException", NULL } },
	{ "ecs:DeregisterTaskDefinition", RUN_API_ECS,
	    "DeregisterTaskDefinition", NULL, NULL, NULL, true, false,
	    { NULL } },
	{ "ecs:PutAccountSettingDefault", RUN_API_ECS,
	    "PutAccountSettingDefault", NULL, NULL, NULL, true, false,
	    { NULL } },
	{ "ecs:PutAccountSetting", RUN_API_ECS, "PutAccountSetting", NULL,
	    NULL, NULL, true, false, { NULL } },
	{ "ecs:TagResource", RUN_API_ECS, "TagResource", NULL, NULL, NULL,
	    true, false, { NULL } },
	{ "ecs:DescribeServices", RUN_API_ECS, "DescribeServices", NULL, NULL,
	    NULL, true, false, { NULL } },
	{ "ec2:CreateSecurityGroup", RUN_API_EC2, "CreateSecurityGroup", NULL,
	    NULL, NULL, false, true, { NULL } },
	{ "ec2:AuthorizeSecurityGroupIngress", RUN_API_EC2,
	    "AuthorizeSecurityGroupIngress", NULL, NULL, NULL, true, false,
	    { "InvalidPermission.Duplicate", NULL } },
	{ "ec2:AuthorizeSecurityGroupEgress", RUN_API_EC2,
	    "AuthorizeSecurityGroupEgress", NULL, NULL, NULL, true, false,
	    { "InvalidPermission.Duplicate", NULL } },
	{ "ec2:RevokeSecurityGroupIngress", RUN_API_EC2,
	    "RevokeSecurityGroupIngress", NULL, NULL, NULL, true, false,
	    { "InvalidPermission.NotFound", NULL } },
	{ "ec2:RevokeSecurityGroupEgress", RUN_API_EC2,
	    "RevokeSecurityGroupEgress", NULL, NULL, NULL, true, false,
	    { "InvalidPermission.NotFound", NULL } },
	{ "ec2:DeleteSecurityGroup", RUN_API_EC2, "DeleteSecurityGroup", NULL,
	    NULL, NULL, true, false, { "InvalidGroup.NotFound", NULL } },
	{ "spot:CreateOceanCluster", RUN_API_SPOT, "CreateOceanCluster",
	    "POST", "/ocean/aws/ecs/cluster", NULL, false, true, { NULL } },
	{ "spot:CreateOceanLaunchSpec", RUN_API_SPOT, "CreateOceanLaunchSpec",
	    "POST", "/ocean/aws/ecs/launchSpec", NULL, false, true, { NULL } },
	{ "spot:DeleteOceanLaunchSpec", RUN_API_SPOT, "DeleteOceanLaunchSpec",
	    "DELETE", "/ocean/aws/ecs/launchSpec/", "launchSpecId", true, false,
	    { "404", "CANT_GET_OCEAN_ECS_LAUNCH_SPEC", NULL } },
	{ "spot:DeleteOceanCluster", RUN_API_SPOT, "DeleteOceanCluster",
	    "DELETE", "/ocean/aws/ecs/cluster/", "oceanId", true, false,
	    { "404", "CANT_GET_OCEAN_CLUSTER", NULL } },
	{ NULL, 0, NULL, NULL, NULL, NULL, false, false, { NULL } }
};

const struct run_action *
run_action_find(const char *action)
{
	size_t i;

	for (i = 0; actions[i].action != NULL; i++)
		if (strcmp(actions[i].action, action) == 0)
			return &actions[i];
	return NULL;
}

static bool
code_in(const char *const *list, const char *code)
{
	size_t i;

	if (code == NULL)
		return false;
	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], code) == 0)
			return true;
	return false;
}

/* An id for a URL path: [A-Za-z0-9_-], 1..128. */
static bool
path_id_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 128)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/*
 * Split an Authorize* request into one request per rule (each permission
 * times each of its ranges, prefix lists and group pairs). Returns an
 * array of requests (free with cJSON_Delete).
 */
static cJSON *
split_rules(const cJSON *req)
{
	static const char *const lists[] = { "IpRanges", "Ipv6Ranges",
	    "PrefixListIds", "UserIdGroupPairs", NULL };
	const cJSON *perms, *p, *l, *e;
	cJSON *out, *one, *perm, *arr;
	size_t i, k;
	bool any;

	out = cJSON_CreateArray();
	perms = cJSON_GetObjectItemCaseSensitive(req, "IpPermissions");
	cJSON_ArrayForEach(p, perms) {
		any = false;
		for (i = 0; lists[i] != NULL; i++) {
			l = cJSON_GetObjectItemCaseSensitive(p, lists[i]);
			cJSON_ArrayForEach(e, l) {
				any = true;
				one = cJSON_Duplicate(req, 1);
				json_del(one, "IpPermissions");
				perm = cJSON_Duplicate(p, 1);
				for (k = 0; lists[k] != NULL; k++)
					json_del(perm, lists[k]);
				arr = cJSON_AddArrayToObject(perm, lists[i]);
				cJSON_AddItemToArray(arr,
				    cJSON_Duplicate(e, 1));
				arr = cJSON_AddArrayToObject(one,
				    "IpPermissions");
				cJSON_AddItemToArray(arr, perm);
				cJSON_AddItemToArray(out, one);
			}
		}
		if (!any) {
			one = cJSON_Duplicate(req, 1);
			json_del(one, "IpPermissions");
			arr = cJSON_AddArrayToObject(one, "IpPermissions");
			cJSON_AddItemToArray(arr, cJSON_Duplicate(p, 1));
			cJSON_AddItemToArray(out, one);
		}
	}
	return out;
}

/* InvalidPermission.Duplicate on a batch: send rule by rule. */
static int
rules_one_by_one(struct run_ctx *ctx, const struct plan_step *step,
    const struct run_action *act, const cJSON *req, struct http_apierr *err)
{
	cJSON *reqs, *one, *res = NULL;
	int n, dup = 0, sent = 0, rc = -1;

	reqs = split_rules(req);
	n = cJSON_GetArraySize(reqs);
	log_warnx("%s: InvalidPermission.Duplicate for the batch: sending its "
	    "%d rule(s) one by one", step->id, n);
	cJSON_ArrayForEach(one, reqs) {
		cJSON_Delete(res);
		res = NULL;
		if (run_call(ctx, act->api, act->op, NULL, NULL, one, true,
		    &res, err, NULL) == 0) {
			sent++;
			continue;
		}
		if (code_in(act->gone, err->code)) {
			dup++;
			http_apierr_cleanup(err);
			continue;
		}
		goto out;
	}
	log_warnx("%s: %d rule(s) added, %d already present", step->id, sent,
	    dup);
	rc = 0;
out:
	cJSON_Delete(res);
	cJSON_Delete(reqs);
	return rc;
}

/*
 * CreateService refused as "not idempotent": is the name held by a
 * service that is still DRAINING (deleted, not yet INACTIVE)? 1 yes, 0
 * no, -1 the look-up failed.
 */
static int
service_draining(struct run_ctx *ctx, const cJSON *req)
{
	const char *name = json_str(req, "serviceName");
	const char *cluster = json_str(req, "cluster");
	const cJSON *s;
	const char *st;
	cJSON *q, *reply = NULL;
	struct http_apierr err;
	int rc = 0;

	if (name == NULL)
		return 0;
	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	q = cJSON_CreateObject();
	if (cluster != NULL)
		json_add_str(q, "cluster", cluster);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(q, "services"),
	    cJSON_CreateString(name));
	if (run_call(ctx, RUN_API_ECS, "DescribeServices", NULL, NULL, q, true,
	    &reply, &err, NULL) == -1)
		rc = -1;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(reply,
	    "services")) {
		st = json_str(s, "status");
		if (st != NULL && strcmp(st, "DRAINING") == 0)
			rc = 1;
	}
	http_apierr_cleanup(&err);
	cJSON_Delete(q);
	cJSON_Delete(reply);
	return rc;
}

/* Outputs of step from a create reply (for Spot: items[0]). */
int
run_outputs(const struct plan_step *step, const cJSON *result,
    cJSON **outputs, struct http_apierr *err)
{
	const cJSON *v;
	cJSON *outs;
	size_t i;

	outs = cJSON_CreateObject();
	for (i = 0; i < step->noutputs; i++) {
		v = run_path_get(result, step->outputs[i].path);
		if (v == NULL || !(cJSON_IsString(v) || cJSON_IsNumber(v))) {
			log_errx("%s: output %s: no %s in the reply", step->id,
			    step->outputs[i].name, step->outputs[i].path);
			http_apierr_set(err, 200, "MissingOutput", NULL,
			    false);
			cJSON_Delete(outs);
			return -1;
		}
		if (cJSON_IsString(v))
			json_add_str(outs, step->outputs[i].name,
			    v->valuestring);
		else	/* a number stays a number (desiredCount) */
			json_add_num(outs, step->outputs[i].name,
			    v->valuedouble);
	}
	*outputs = outs;
	return 0;
}

static const cJSON *
spot_item0(const cJSON *response)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(response,
	    "items");

	return cJSON_IsArray(items) ? cJSON_GetArrayItem(items, 0) : NULL;
}

int
run_step_exec(struct run_ctx *ctx, const struct plan_step *step,
    cJSON **outputs, struct http_apierr *err)
{
	const struct run_action *act;
	cJSON *req = NULL, *result = NULL, *found = NULL;
	const cJSON *res;
	const char *op, *id;
	char *svc = NULL, *path = NULL;
	double t0 = now_s();
	char code[64];
	unsigned delay;
	bool indoubt;
	int round = 0, r, rc = -1;

	*outputs = NULL;
	run_set_step(step->id, false);
	req = run_step_request(ctx, step, true);
	if (req == NULL) {
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		goto out;
	}
	if (action_split(step->action, &svc, &op) == -1) {
		http_apierr_set(err, 0, "InvalidAction", NULL, false);
		goto out;
	}
	if (strcmp(svc, "wait") == 0) {
		if (wait_services(ctx, &result, err, step, op, req) == -1)
			goto out;
		*outputs = cJSON_CreateObject();
		rc = 0;
		goto out;
	}
	act = run_action_find(step->action);
	if (act == NULL) {
		log_errx("%s: action %s is not supported", step->id,
		    step->action);
		http_apierr_set(err, 0, "InvalidAction", NULL, false);
		goto out;
	}
	if (act->id_member != NULL) {
		id = json_str(req, act->id_member);
		if (!path_id_valid(id)) {
			log_errx("%s: %s: %s is not a valid id", step->request,
			    act->id_member, id != NULL ? id : "(none)");
			http_apierr_set(err, 0, "InvalidRequest", NULL, false);
			goto out;
		}
		path = xasprintf("%s%s", act->path, id);
	} else if (act->path != NULL)
		path = xstrdup(act->path);
	/*
	 * Cutover and rollback re-create services under names that an earlier
	 * step deleted: never send the create while the name is DRAINING.
	 */
	if (strcmp(act->op, "CreateService") == 0 &&
	    strcmp(step->phase, "import") != 0) {
		while ((r = service_draining(ctx, req)) == 1) {
			if (now_s() - t0 >= ctx->opts->wait_timeout) {
				http_apierr_set(err, 0, "WaiterTimeout", "the "
				    "service name is still DRAINING", true);
				goto out;
			}
			if (round++ == 0)
				log_info("%s: service %s is DRAINING; waiting "
				    "until it is INACTIVE before creating it",
				    step->id, json_str(req, "serviceName"));
			if (!sleep_ms(ctx, (uint64_t)(ctx->opts->poll_interval *
			    1000) + 200)) {
				http_apierr_set(err, 0, "Interrupted",
				    "stopped by a signal", true);
				goto out;
			}
		}
		round = 0;
	}
	for (;;) {
		cJSON_Delete(result);
		result = NULL;
		if (run_call(ctx, act->api, act->op, act->method, path,
		    act->id_member != NULL ? NULL : req, act->idempotent,
		    &result, err, &indoubt) == 0)
			break;
		if (indoubt) {
			/* Look before sending again. */
			if (!act->create ||
			    (unsigned)++round >= ctx->opts->max_attempts) {
				http_apierr_set(err, 0, "InDoubt", "the "
				    "request may have taken effect; rerun to "
				    "look it up", true);
				goto out;
			}
			(void)snprintf(code, sizeof(code), "%s",
			    err->code != NULL ? err->code : "InDoubt");
			run_set_step(step->id, true);
			r = reconcile_find(ctx, step, req, &found, err);
			run_set_step(step->id, false);
			if (r == 1) {
				*outputs = found;
				found = NULL;
				(void)pthread_mutex_lock(&ctx->mu);
				ctx->stats.adopted++;
				(void)pthread_mutex_unlock(&ctx->mu);
				rc = 0;
				goto out;
			}
			if (r == -1) {
				http_apierr_set(err, 0, "InDoubt", "the "
				    "request may have taken effect and the "
				    "look-up failed; rerun to look again",
				    true);
				goto out;
			}
			(void)pthread_mutex_lock(&ctx->mu);
			delay = backoff_delay_ms(&ctx->backoff,
			    (unsigned)round);
			ctx->stats.retries++;
			(void)pthread_mutex_unlock(&ctx->mu);
			log_warnx("%s: no answer, and the look-up proves it "
			    "was not created: sending again in %u ms", step->id,
			    delay);
			progress_retry(ctx->progress, step->id, code, delay);
			if (!sleep_ms(ctx, delay)) {
				http_apierr_set(err, 0, "Interrupted", "stopped "
				    "by a signal", true);
				goto out;
			}
			continue;
		}
		if (code_in(act->gone, err->code)) {
			if (strncmp(act->op, "Authorize", 9) == 0 &&
			    cJSON_GetArraySize(result = split_rules(req)) > 1) {
				cJSON_Delete(result);
				result = NULL;
				http_apierr_cleanup(err);
				if (rules_one_by_one(ctx, step, act, req, err) ==
				    -1)
					goto out;
			} else {
				log_warnx("%s: %s: already done", step->id,
				    err->code);
				cJSON_Delete(result);
				result = NULL;
			}
			http_apierr_cleanup(err);
			*outputs = cJSON_CreateObject();
			rc = 0;
			goto out;
		}
		/* Scaling a removed service to 0 in a rollback: done. */
		if (strcmp(act->op, "UpdateService") == 0 &&
		    strcmp(step->phase, "rollback") == 0 && err->code != NULL &&
		    (strcmp(err->code, "ServiceNotFoundException") == 0 ||
		    strcmp(err->code, "ServiceNotActiveException") == 0) &&
		    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(req,
		    "desiredCount")) && cJSON_GetObjectItemCaseSensitive(req,
		    "desiredCount")->valuedouble == 0) {
			log_warnx("%s: %s: the service is gone; nothing to "
			    "scale down", step->id, err->code);
			http_apierr_cleanup(err);
			*outputs = cJSON_CreateObject();
			rc = 0;
			goto out;
		}
		/*
		 * The name is still held by a deleted service that is
		 * DRAINING: wait until it is INACTIVE, then create.
		 */
		if (strcmp(act->op, "CreateService") == 0 &&
		    err->code != NULL &&
		    strcmp(err->code, "InvalidParameterException") == 0 &&
		    err->message != NULL &&
		    strstr(err->message, "not idempotent") != NULL &&
		    now_s() - t0 < ctx->opts->wait_timeout &&
		    service_draining(ctx, req) == 1) {
			log_warnx("%s: service %s is still DRAINING; creating "
			    "it again once it is INACTIVE", step->id,
			    json_str(req, "serviceName"));
			if (!sleep_ms(ctx, (uint64_t)(ctx->opts->poll_interval *
			    1000) + 200)) {
				http_apierr_set(err, 0, "Interrupted",
				    "stopped by a signal", true);
				goto out;
			}
			continue;
		}
		/* Deregistering a revision that no longer exists: done. */
		if (strcmp(act->op, "DeregisterTaskDefinition") == 0 &&
		    err->code != NULL && strcmp(err->code, "ClientException") ==
		    0 && err->message != NULL &&
		    strstr(err->message, "does not exist") != NULL) {
			log_warnx("%s: the task definition does not exist; "
			    "nothing to deregister", step->id);
			http_apierr_cleanup(err);
			*outputs = cJSON_CreateObject();
			rc = 0;
			goto out;
		}
		/* Instances may still be terminating: retry for a while. */
		if (strcmp(act->op, "DeleteSecurityGroup") == 0 &&
		    err->code != NULL &&
		    strcmp(err->code, "DependencyViolation") == 0 &&
		    now_s() - t0 < ctx->opts->sg_timeout) {
			if (!sleep_ms(ctx, (uint64_t)(ctx->opts->poll_interval *
			    1000) + 1000)) {
				http_apierr_set(err, 0, "Interrupted",
				    "stopped by a signal", true);
				goto out;
			}
			continue;
		}
		if (strcmp(act->op, "DeleteSecurityGroup") == 0 &&
		    err->code != NULL &&
		    strcmp(err->code, "DependencyViolation") == 0)
			err->retryable = true;
		goto out;
	}
	res = act->api == RUN_API_SPOT ? spot_item0(result) : result;
	if (step->noutputs > 0 && res == NULL) {
		log_errx("%s: the reply has no items", step->id);
		http_apierr_set(err, 200, "MissingOutput", NULL, false);
		goto out;
	}
	if (run_outputs(step, res, outputs, err) == -1)
		goto out;
	rc = 0;
out:
	cJSON_Delete(found);
	cJSON_Delete(req);
	cJSON_Delete(result);
	free(svc);
	free(path);
	return rc;
}

/* Compact JSON text; free with free(). NULL on failure. */
static char *
compact(const cJSON *item)
{
	char *p, *s;

	p = cJSON_PrintUnformatted(item);
	if (p == NULL)
		return NULL;
	s = xstrdup(p);
	cJSON_free(p);
	return s;
}

/* Describe one request as it would be sent (no secrets). */
static int
dry_step(struct run_ctx *ctx, const struct plan_step *step)
{
	const struct run_action *act;
	cJSON *req = NULL, *ev, *h;
	const char *op, *method = "POST";
	char *svc = NULL, *url = NULL, *body = NULL, *target = NULL;
	const char *ctype = NULL;
	int rc = -1;

	req = run_step_request(ctx, step, false);
	if (req == NULL || action_split(step->action, &svc, &op) == -1)
		goto out;
	if (strcmp(svc, "ecs") == 0 || strcmp(svc, "wait") == 0) {
		url = xstrdup(ctx->ecs_url);
		target = xasprintf("%s.%s", ECS_TARGET_PREFIX,
		    strcmp(svc, "wait") == 0 ? "DescribeServices" : op);
		ctype = ECS_CONTENT_TYPE;
		body = compact(req);
	} else if (strcmp(svc, "ec2") == 0) {
		url = xstrdup(ctx->ec2_url);
		ctype = EC2_CONTENT_TYPE;
		if (ec2_serialize(&body, NULL, op, req) == -1)
			goto out;
	} else if (strcmp(svc, "spot") == 0 &&
	    (act = run_action_find(step->action)) != NULL) {
		method = act->method;
		target = act->id_member != NULL ? xasprintf("%s{%s}",
		    act->path, act->id_member) : xstrdup(act->path);
		url = spot_url(ctx->spot_url, target,
		    env_get("SPOTINST_ACCOUNT") != NULL ?
		    "<SPOTINST_ACCOUNT>" : NULL);
		free(target);
		target = NULL;
		if (url == NULL)
			goto out;
		ctype = "application/json";
		if (act->id_member != NULL) {
			/* The id goes into the path; no body. */
			body = xasprintf("(no body; %s %s)", act->id_member,
			    json_str(req, act->id_member) != NULL ?
			    json_str(req, act->id_member) : "?");
		} else
			body = compact(req);
	} else {
		log_errx("%s: action %s is not supported", step->id,
		    step->action);
		goto out;
	}
	if (body == NULL)
		goto out;
	if (ctx->opts->json) {
		ev = cJSON_CreateObject();
		json_add_str(ev, "event", "dry-run");
		json_add_str(ev, "id", step->id);
		json_add_str(ev, "action", step->action);
		json_add_str(ev, "method", method);
		json_add_str(ev, "url", url);
		h = cJSON_AddObjectToObject(ev, "headers");
		json_add_str(h, "Content-Type", ctype);
		if (target != NULL)
			json_add_str(h, "X-Amz-Target", target);
		json_add_str(h, "Authorization", "<redacted>");
		json_add_str(ev, "body", body);
		progress_event(ctx->progress, ev);
	} else {
		printf("dry-run %s  %s  %s %s\n", step->id, step->action,
		    method, url);
		if (target != NULL)
			printf("  X-Amz-Target: %s\n", target);
		printf("  Authorization: <redacted>\n  %s\n", body);
	}
	rc = 0;
out:
	cJSON_Delete(req);
	free(svc);
	free(url);
	free(target);
	free(body);
	return rc;
}

int
run_dry(struct run_ctx *ctx)
{
	size_t i, n = 0;
	int rc = RUN_EXIT_OK;

	for (i = 0; i < ctx->plan->nsteps; i++)
		if (strcmp(ctx->plan->steps[i].phase, ctx->opts->phase) == 0)
			n++;
	ctx->progress = progress_new(ctx->opts->json, 0, n, ctx->opts->phase,
	    ctx->bundle->digest);
	n = 0;
	for (i = 0; i < ctx->plan->nsteps; i++) {
		if (strcmp(ctx->plan->steps[i].phase, ctx->opts->phase) != 0)
			continue;
		if (dry_step(ctx, &ctx->plan->steps[i]) == -1) {
			rc = RUN_EXIT_FAIL;
			break;
		}
		n++;
	}
	if (rc == RUN_EXIT_OK)
		progress_done(ctx->progress, "dry-run", n, RUN_EXIT_OK, NULL);
	progress_free(ctx->progress);
	ctx->progress = NULL;
	return rc;
}
