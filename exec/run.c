/*
 * The f2o-exec run loop: sequential, one step at a time. See run.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ec2.h"
#include "ecs.h"
#include "jsonutil.h"
#include "log.h"
#include "run.h"
#include "spot.h"
#include "xalloc.h"

#define RUN_MAX_PATH_DEPTH	32

struct spot_route {
	const char	*op;
	const char	*method;
	const char	*path;
};

static const struct spot_route spot_routes[] = {
	{ "CreateOceanCluster", "POST", "/ocean/aws/ecs/cluster" },
	{ "CreateOceanLaunchSpec", "POST", "/ocean/aws/ecs/launchSpec" },
	{ NULL, NULL, NULL }
};

static const struct spot_route *
spot_route_find(const char *op)
{
	size_t i;

	for (i = 0; spot_routes[i].op != NULL; i++)
		if (strcmp(spot_routes[i].op, op) == 0)
			return &spot_routes[i];
	return NULL;
}

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

	memset(ctx, 0, sizeof(*ctx));
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

static int
need_aws(struct run_ctx *ctx, struct http_apierr *err)
{
	if (ctx->creds != NULL)
		return 0;
	if (creds_load(&ctx->creds) == -1) {
		http_apierr_set(err, 0, "NoCredentials", NULL, false);
		return -1;
	}
	return 0;
}

static int
need_spot(struct run_ctx *ctx, struct http_apierr *err)
{
	if (ctx->spot != NULL)
		return 0;
	if (creds_spot_load(&ctx->spot) == -1) {
		http_apierr_set(err, 0, "NoCredentials", NULL, false);
		return -1;
	}
	return 0;
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

static int
ecs_json_call(struct run_ctx *ctx, cJSON **result, struct http_apierr *err,
    const char *op, const cJSON *req)
{
	struct ecs_aws aws;
	char *body;
	int rc;

	if (need_aws(ctx, err) == -1)
		return -1;
	aws.url = ctx->ecs_url;
	aws.region = ctx->region;
	aws.service = "ecs";
	aws.creds = ctx->creds;
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

static void
sleep_secs(struct run_ctx *ctx, int secs)
{
	struct timespec ts;
	int i;

	for (i = 0; i < secs && (ctx->stop == NULL || !*ctx->stop); i++) {
		ts.tv_sec = 1;
		ts.tv_nsec = 0;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR &&
		    (ctx->stop == NULL || !*ctx->stop))
			;
	}
}

static int
wait_services(struct run_ctx *ctx, cJSON **result, struct http_apierr *err,
    const struct plan_step *step, const char *op, const cJSON *req)
{
	bool inactive;
	const char *why, *name;
	cJSON *reply = NULL;
	int i, r;

	if (strcmp(op, "ServicesStable") == 0)
		inactive = false;
	else if (strcmp(op, "ServicesInactive") == 0)
		inactive = true;
	else {
		log_errx("%s: unknown wait:%s", step->id, op);
		http_apierr_set(err, 0, "InvalidAction", NULL, false);
		return -1;
	}
	for (i = 0; i < ctx->opts->wait_attempts; i++) {
		if (i > 0)
			sleep_secs(ctx, ctx->opts->wait_interval);
		if (ctx->stop != NULL && *ctx->stop) {
			http_apierr_set(err, 0, "Interrupted", NULL, true);
			return -1;
		}
		cJSON_Delete(reply);
		reply = NULL;
		if (ecs_json_call(ctx, &reply, err, "DescribeServices", req) ==
		    -1) {
			if (!err->retryable)
				return -1;
			/* Throttled while polling: count it as a try. */
			http_apierr_cleanup(err);
			continue;
		}
		r = ecs_services_check(reply, inactive, &why, &name);
		if (r == 1) {
			*result = reply;
			return 0;
		}
		if (r == -1) {
			log_errx("%s: %s: service %s: %s", step->id,
			    step->action, name != NULL ? name : "?", why);
			http_apierr_set(err, 0, "WaiterFailed", why, false);
			cJSON_Delete(reply);
			return -1;
		}
	}
	cJSON_Delete(reply);
	log_errx("%s: %s: not reached after %d polls", step->id, step->action,
	    ctx->opts->wait_attempts);
	http_apierr_set(err, 0, "WaiterTimeout", "not reached in time", true);
	return -1;
}

/* Send one resolved request; *result is the reply as JSON. */
static int
step_call(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *req, cJSON **result, struct http_apierr *err)
{
	struct ecs_aws aws;
	struct spot_api api;
	const struct spot_route *route;
	const char *op;
	char *svc = NULL, *body = NULL;
	int rc = -1;

	*result = NULL;
	if (action_split(step->action, &svc, &op) == -1) {
		http_apierr_set(err, 0, "InvalidAction", NULL, false);
		return -1;
	}
	if (strcmp(svc, "ecs") == 0)
		rc = ecs_json_call(ctx, result, err, op, req);
	else if (strcmp(svc, "ec2") == 0) {
		if (need_aws(ctx, err) == -1)
			goto out;
		aws.url = ctx->ec2_url;
		aws.region = ctx->region;
		aws.service = "ec2";
		aws.creds = ctx->creds;
		rc = ec2_call(result, err, &aws, op, req);
	} else if (strcmp(svc, "spot") == 0) {
		route = spot_route_find(op);
		if (route == NULL) {
			log_errx("%s: action %s is not supported", step->id,
			    step->action);
			http_apierr_set(err, 0, "InvalidAction", NULL, false);
			goto out;
		}
		if (need_spot(ctx, err) == -1)
			goto out;
		api.base_url = ctx->spot_url;
		api.creds = ctx->spot;
		body = cJSON_PrintUnformatted(req);
		if (body == NULL) {
			http_apierr_set(err, 0, "InvalidRequest", NULL, false);
			goto out;
		}
		rc = spot_call(result, err, &api, route->method, route->path,
		    body, strlen(body));
	} else if (strcmp(svc, "wait") == 0)
		rc = wait_services(ctx, result, err, step, op, req);
	else {
		log_errx("%s: action %s is not supported", step->id,
		    step->action);
		http_apierr_set(err, 0, "InvalidAction", NULL, false);
	}
out:
	cJSON_free(body);
	free(svc);
	return rc;
}

/* Read the step's request file (or {}) and resolve its references. */
static cJSON *
step_request(struct run_ctx *ctx, const struct plan_step *step,
    bool resolve)
{
	cJSON *req;

	if (step->request == NULL)
		return cJSON_CreateObject();
	req = bundle_json(ctx->bundle, step->request);
	if (req == NULL)
		return NULL;
	if (resolve && run_resolve(req, ctx->outputs, step->request) == -1) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

int
run_step_exec(struct run_ctx *ctx, const struct plan_step *step,
    cJSON **outputs, struct http_apierr *err)
{
	cJSON *req = NULL, *result = NULL, *outs = NULL;
	const cJSON *v;
	size_t i;
	int rc = -1;

	*outputs = NULL;
	req = step_request(ctx, step, true);
	if (req == NULL) {
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		goto out;
	}
	if (step_call(ctx, step, req, &result, err) == -1)
		goto out;
	outs = cJSON_CreateObject();
	for (i = 0; i < step->noutputs; i++) {
		v = run_path_get(result, step->outputs[i].path);
		if (v == NULL) {
			log_errx("%s: output %s: no %s in the reply", step->id,
			    step->outputs[i].name, step->outputs[i].path);
			http_apierr_set(err, 200, "MissingOutput", NULL,
			    false);
			goto out;
		}
		cJSON_AddItemToObject(outs, step->outputs[i].name,
		    cJSON_Duplicate(v, 1));
	}
	*outputs = outs;
	outs = NULL;
	rc = 0;
out:
	cJSON_Delete(req);
	cJSON_Delete(result);
	cJSON_Delete(outs);
	return rc;
}

static void
emit_event(cJSON *ev)
{
	char *s;

	s = cJSON_PrintUnformatted(ev);
	if (s != NULL) {
		printf("%s\n", s);
		cJSON_free(s);
	}
	(void)fflush(stdout);
	cJSON_Delete(ev);
}

static void
report_step(const struct run_ctx *ctx, const struct plan_step *step,
    const char *status, const cJSON *outputs, const struct http_apierr *err)
{
	cJSON *ev, *e, *o;
	const char *sep = "";

	if (ctx->opts->json) {
		ev = cJSON_CreateObject();
		json_add_str(ev, "event", "step");
		json_add_str(ev, "id", step->id);
		json_add_str(ev, "action", step->action);
		json_add_str(ev, "status", status);
		if (outputs != NULL)
			cJSON_AddItemToObject(ev, "outputs",
			    cJSON_Duplicate(outputs, 1));
		if (err != NULL && err->code != NULL) {
			e = cJSON_AddObjectToObject(ev, "error");
			json_add_str(e, "code", err->code);
			if (err->message != NULL)
				json_add_str(e, "message", err->message);
			if (err->field != NULL)
				json_add_str(e, "field", err->field);
			if (err->request_id != NULL)
				json_add_str(e, "requestId", err->request_id);
			json_add_num(e, "httpStatus", (double)err->status);
			json_add_bool(e, "retryable", err->retryable);
			if (err->wait_seconds >= 0)
				json_add_num(e, "waitSeconds",
				    (double)err->wait_seconds);
		}
		emit_event(ev);
		return;
	}
	printf("%-7s %s  %s", status, step->id, step->action);
	if (outputs != NULL) {
		cJSON_ArrayForEach(o, outputs) {
			printf("%s%s=%s", *sep == '\0' ? "  " : sep, o->string,
			    cJSON_IsString(o) ? o->valuestring : "...");
			sep = " ";
		}
	}
	if (err != NULL && err->code != NULL)
		printf("  %s%s%s%s", err->code, err->message != NULL ? ": " :
		    "", err->message != NULL ? err->message : "",
		    err->retryable ? " (retryable)" : "");
	printf("\n");
	(void)fflush(stdout);
}

static void
report_done(const struct run_ctx *ctx, const char *status, size_t n,
    int code)
{
	cJSON *ev;

	if (ctx->opts->json) {
		ev = cJSON_CreateObject();
		json_add_str(ev, "event", "done");
		json_add_str(ev, "status", status);
		json_add_str(ev, "phase", ctx->opts->phase);
		json_add_num(ev, "steps", (double)n);
		json_add_num(ev, "exit", code);
		json_add_str(ev, "digest", ctx->bundle->digest);
		emit_event(ev);
	} else {
		printf("%s: %zu step(s) of phase %s, bundle %s\n", status, n,
		    ctx->opts->phase, ctx->bundle->digest);
		(void)fflush(stdout);
	}
}

int
run_plan(struct run_ctx *ctx)
{
	const struct plan_step *step;
	struct http_apierr err;
	cJSON *outs = NULL;
	size_t i, n = 0;
	int code = RUN_EXIT_OK;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	for (i = 0; i < ctx->plan->nsteps; i++) {
		step = &ctx->plan->steps[i];
		if (strcmp(step->phase, ctx->opts->phase) != 0)
			continue;
		if (ctx->stop != NULL && *ctx->stop) {
			log_errx("interrupted before %s", step->id);
			code = RUN_EXIT_STOPPED;
			break;
		}
		/* Issue 6: journal intent record for step here. */
		if (run_step_exec(ctx, step, &outs, &err) == -1) {
			report_step(ctx, step, "failed", NULL, &err);
			code = err.retryable ? RUN_EXIT_STOPPED :
			    RUN_EXIT_FAIL;
			http_apierr_cleanup(&err);
			break;
		}
		/* Issue 6: journal result record (step id, outputs) here. */
		report_step(ctx, step, "ok", outs, NULL);
		cJSON_AddItemToObject(ctx->outputs, step->id, outs);
		outs = NULL;
		n++;
	}
	report_done(ctx, code == RUN_EXIT_OK ? "ok" : code ==
	    RUN_EXIT_STOPPED ? "stopped" : "failed", n, code);
	return code;
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
	const struct spot_route *route;
	cJSON *req = NULL, *ev, *h;
	const char *op, *method = "POST";
	char *svc = NULL, *url = NULL, *body = NULL, *target = NULL;
	const char *ctype = NULL;
	int rc = -1;

	req = step_request(ctx, step, false);
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
	} else if (strcmp(svc, "spot") == 0 && spot_route_find(op) != NULL) {
		route = spot_route_find(op);
		method = route->method;
		url = spot_url(ctx->spot_url, route->path,
		    env_get("SPOTINST_ACCOUNT") != NULL ?
		    "<SPOTINST_ACCOUNT>" : NULL);
		if (url == NULL)
			goto out;
		ctype = "application/json";
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
		emit_event(ev);
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

	for (i = 0; i < ctx->plan->nsteps; i++) {
		if (strcmp(ctx->plan->steps[i].phase, ctx->opts->phase) != 0)
			continue;
		if (dry_step(ctx, &ctx->plan->steps[i]) == -1)
			return RUN_EXIT_FAIL;
		n++;
	}
	report_done(ctx, "dry-run", n, RUN_EXIT_OK);
	return RUN_EXIT_OK;
}
