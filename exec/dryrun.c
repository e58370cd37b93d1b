/*
 * Dry run: print each request of the phase as it would be sent (method,
 * URL, headers with Authorization redacted, body), sending nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "ec2.h"
#include "ecs.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "progress.h"
#include "run.h"
#include "spot.h"
#include "xalloc.h"

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
		url = xstrdup(ctx->url[RUN_API_ECS]);
		target = xasprintf("%s.%s", ECS_TARGET_PREFIX,
		    strcmp(svc, "wait") != 0 ? op :
		    strcmp(op, "ContainerInstancesGone") == 0 ?
		    "ListContainerInstances" : "DescribeServices");
		ctype = ECS_CONTENT_TYPE;
		body = compact(req);
	} else if (strcmp(svc, "ec2") == 0) {
		url = xstrdup(ctx->url[RUN_API_EC2]);
		ctype = EC2_CONTENT_TYPE;
		if (ec2_serialize(&body, NULL, op, req) == -1)
			goto out;
	} else if (strcmp(svc, "spot") == 0 &&
	    (act = run_action_find(step->action)) != NULL) {
		method = act->method;
		target = act->id_member != NULL ? xasprintf("%s{%s}",
		    act->path, act->id_member) : xstrdup(act->path);
		url = spot_url(ctx->url[RUN_API_SPOT], target,
		    ctx_env("SPOTINST_ACCOUNT") != NULL ?
		    "<SPOTINST_ACCOUNT>" : NULL);
		free(target);
		target = NULL;
		if (url == NULL)
			goto out;
		if (act->query != NULL && cJSON_IsBool(
		    cJSON_GetObjectItemCaseSensitive(req, act->query))) {
			target = xasprintf("%s%c%s=%s", url,
			    strchr(url, '?') != NULL ? '&' : '?', act->query,
			    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req,
			    act->query)) ? "true" : "false");
			free(url);
			url = target;
			target = NULL;
		}
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
