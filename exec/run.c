/*
 * f2o-exec runner core: set up and release the run context, and execute
 * one step (send, retry, look up when in doubt, outputs). See run.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "adopt.h"
#include "call.h"
#include "consist.h"
#include "endpoint.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "progress.h"
#include "reconcile.h"
#include "run.h"
#include "wait.h"
#include "xalloc.h"

int
run_init(struct run_ctx *ctx, const struct run_opts *opts,
    const struct bundle *b, const struct plan *p)
{
	const struct api_desc *d;
	const cJSON *params;
	const char *breg = NULL, *u;
	struct timespec ts;
	int i;

	memset(ctx, 0, sizeof(*ctx));
	if (pthread_mutex_init(&ctx->mu, NULL) != 0) {
		log_errx("cannot create a mutex");
		return -1;
	}
	ctx->mu_ok = true;
	for (i = 0; i < RUN_API__MAX; i++) {
		d = api_get((enum run_api)i);
		if (ratelimit_init(&ctx->buckets[i], opts->rate[i] > 0 ?
		    opts->rate[i] : d->rate, opts->burst[i] > 0 ?
		    opts->burst[i] : d->burst, NULL, NULL) == -1)
			goto fail;
	}
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	backoff_init(&ctx->backoff, opts->max_attempts,
	    (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
	    (uint64_t)getpid());
	ctx_hooks_init(ctx);
	ctx->opts = opts;
	ctx->bundle = b;
	ctx->plan = p;
	ctx->outputs = cJSON_CreateObject();
	params = cJSON_GetObjectItemCaseSensitive(b->meta, "parameters");
	if (cJSON_IsObject(params))
		breg = json_str(params, "region");
	ctx->region = creds_region(breg);
	if (!endpoint_region_valid(ctx->region)) {
		log_errx("%s: $.parameters.region: no valid region (set "
		    "AWS_REGION)", BUNDLE_MANIFEST);
		goto fail;
	}
	/* Each API with an endpoint of its own: environment, else default. */
	for (i = 0; i < RUN_API__MAX; i++) {
		d = api_get((enum run_api)i);
		if (d->endpoint != (enum run_api)i)
			continue;
		if (d->service != NULL) {
			/* AWS: overrides, partitions, FIPS, dual-stack. */
			ctx->url[i] = endpoint_resolve(d->service,
			    ctx->region);
			if (ctx->url[i] == NULL)
				goto fail;
			continue;
		}
		u = d->endpoint_env != NULL ? ctx_env(d->endpoint_env) : NULL;
		if (u == NULL && d->fallback_env != NULL)
			u = ctx_env(d->fallback_env);
		ctx->url[i] = xstrdup(u != NULL ? u : d->default_url);
	}
	/* Refuse a bad endpoint before anything is sent. */
	for (i = 0; i < RUN_API__MAX; i++)
		if (ctx->url[i] != NULL && endpoint_check(
		    api_get((enum run_api)i)->what, ctx->url[i]) == -1)
			goto fail;
	return 0;
fail:
	run_cleanup(ctx);
	return -1;
}

void
run_cleanup(struct run_ctx *ctx)
{
	int i;

	if (ctx == NULL)
		return;
	cJSON_Delete(ctx->outputs);
	cJSON_Delete(ctx->adopt_checked);
	ctx->adopt_checked = NULL;
	for (i = 0; i < RUN_API__MAX; i++) {
		free(ctx->url[i]);
		ctx->url[i] = NULL;
	}
	creds_provider_free(ctx->creds);
	creds_spot_free(ctx->spot);
	ctx->outputs = NULL;
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
	const char *op;
	char *svc = NULL, *path = NULL;
	double t0 = ctx_now_s(), nf_t0 = 0;
	char code[64];
	unsigned delay;
	bool indoubt, draining = false;
	int round = 0, nf = 0, r, rc = -1;

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
	if (action_path(act, req, step->request, &path) == -1) {
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		goto out;
	}
	/* Adoption: an identical resource is adopted, another refused. */
	if (act->create && !adopt_checked(ctx, step->id)) {
		r = adopt_check(ctx, step, req, false, &found, &draining, err);
		if (r == -1)
			goto out;
		if (r == 1) {
			*outputs = found;
			found = NULL;
			adopt_note(ctx, step, *outputs);
			rc = 0;
			goto out;
		}
	}
	/*
	 * Cutover and rollback re-create services under names that an earlier
	 * step deleted: never send the create while the name is DRAINING.
	 */
	if (strcmp(act->op, "CreateService") == 0 &&
	    (strcmp(step->phase, "import") != 0 || draining)) {
		while ((r = action_service_draining(ctx, req)) == 1) {
			if (ctx_now_s() - t0 >= ctx->opts->wait_timeout) {
				http_apierr_set(err, 0, "WaiterTimeout", "the "
				    "service name is still DRAINING", true);
				goto out;
			}
			if (round++ == 0)
				log_info("%s: service %s is DRAINING; waiting "
				    "until it is INACTIVE before creating it",
				    step->id, json_str(req, "serviceName"));
			if (!ctx_sleep_ms(ctx,
			    (uint64_t)(ctx->opts->poll_interval * 1000) +
			    200)) {
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
			if (!ctx_sleep_ms(ctx, delay)) {
				http_apierr_set(err, 0, "Interrupted",
				    "stopped by a signal", true);
				goto out;
			}
			continue;
		}
		if (action_gone(act, err->code)) {
			if (strncmp(act->op, "Authorize", 9) == 0 &&
			    cJSON_GetArraySize(result =
			    action_split_rules(req)) > 1) {
				cJSON_Delete(result);
				result = NULL;
				http_apierr_cleanup(err);
				if (action_rules_one_by_one(ctx, step, act, req,
				    err) == -1)
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
		/* EC2 eventual consistency: a group f2o has just made. */
		if (consist_notfound_own(ctx, step, err)) {
			if (nf == 0)
				nf_t0 = ctx_now_s();
			if (ctx_now_s() - nf_t0 < CONSIST_TIMEOUT_S) {
				(void)snprintf(code, sizeof(code), "%s",
				    err->code);
				delay = consist_delay_ms((unsigned)++nf);
				(void)pthread_mutex_lock(&ctx->mu);
				ctx->stats.retries++;
				(void)pthread_mutex_unlock(&ctx->mu);
				log_warnx("%s: %s for a group f2o made: EC2 is "
				    "eventually consistent; retrying in %u ms",
				    step->id, code, delay);
				progress_retry(ctx->progress, step->id, code,
				    delay);
				if (!ctx_sleep_ms(ctx, delay)) {
					http_apierr_set(err, 0, "Interrupted",
					    "stopped by a signal", true);
					goto out;
				}
				continue;
			}
			log_errx("%s: %s for %.0f s after the group was made: "
			    "giving up", step->id, err->code, CONSIST_TIMEOUT_S);
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
		    ctx_now_s() - t0 < ctx->opts->wait_timeout &&
		    action_service_draining(ctx, req) == 1) {
			log_warnx("%s: service %s is still DRAINING; creating "
			    "it again once it is INACTIVE", step->id,
			    json_str(req, "serviceName"));
			if (!ctx_sleep_ms(ctx,
			    (uint64_t)(ctx->opts->poll_interval * 1000) +
			    200)) {
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
		    ctx_now_s() - t0 < ctx->opts->sg_timeout) {
			if (!ctx_sleep_ms(ctx,
			    (uint64_t)(ctx->opts->poll_interval * 1000) +
			    1000)) {
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
