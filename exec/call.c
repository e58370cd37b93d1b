/*
 * The API call layer: credentials on first use, token buckets, retries
 * with backoff, one send through the API table. See call.h.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "call.h"
#include "log.h"
#include "progress.h"
#include "sigv4.h"

static int
need_aws(struct run_ctx *ctx, struct http_apierr *err)
{
	int rc = 0;

	(void)pthread_mutex_lock(&ctx->mu);
	if (ctx->creds == NULL &&
	    creds_provider_new(&ctx->creds, ctx->region) == -1) {
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
		if (!ctx_sleep_ms(ctx, w > 200 ? 200 : w))
			return false;
	}
}

static int
send_once(struct run_ctx *ctx, const struct api_desc *d, const char *op,
    const char *method, const char *path, const cJSON *req, cJSON **result,
    struct http_apierr *err)
{
	struct conn c;

	c.url = ctx->url[d->endpoint];
	c.region = ctx->region;
	c.service = d->service;
	c.creds = NULL;
	if (d->service != NULL) {
		c.creds = creds_provider_get(ctx->creds); /* fresh */
		if (c.creds == NULL) {
			http_apierr_set(err, 0, "NoCredentials", NULL,
			    false);
			return -1;
		}
	}
	c.spot = ctx->spot;
	return d->send(&c, op, method, path, req, result, err);
}

int
run_call(struct run_ctx *ctx, enum run_api api, const char *op,
    const char *method, const char *path, const cJSON *req, bool idempotent,
    cJSON **result, struct http_apierr *err, bool *indoubt)
{
	const struct api_desc *d = api_get(api);
	enum run_api bucket;
	struct backoff_outcome o;
	enum backoff_class cls;
	unsigned attempt, delay;
	const char *what = d->service == NULL ? path : op, *step;
	bool again, lookup, skew_retried = false, renewed = false;

	*result = NULL;
	if (indoubt != NULL)
		*indoubt = false;
	if (d->send == NULL) {
		log_errx("%s: not an API that sends", d->name);
		http_apierr_set(err, 0, "InvalidAction", NULL, false);
		return -1;
	}
	bucket = api_bucket(api, op);
	if ((d->service == NULL ? need_spot(ctx, err) : need_aws(ctx, err)) ==
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
		if (send_once(ctx, d, op, method, path, req, result, err) ==
		    0) {
			step = ctx_step(&lookup);
			run_event(ctx, ctx_reply_kind(),
			    step != NULL ? step : what);
			memset(&o, 0, sizeof(o));
			o.http_status = 200;
			(void)pthread_mutex_lock(&ctx->mu);
			(void)backoff_next(&ctx->backoff, d->backoff, attempt,
			    &o, &cls, &delay);
			(void)pthread_mutex_unlock(&ctx->mu);
			return 0;
		}
		step = ctx_step(&lookup);
		run_event(ctx, ctx_reply_kind(), step != NULL ?
		    step : what);
		/* Clock skew: correct the signing clock, re-sign once. */
		if (d->service != NULL && !skew_retried &&
		    sigv4_skew_error(err->code, err->message) &&
		    sigv4_clock_adjust(err->server_date) != -1) {
			skew_retried = true;
			continue;
		}
		memset(&o, 0, sizeof(o));
		o.net = err->code != NULL && strcmp(err->code, "Transport") ==
		    0 ? (err->not_sent ? BACKOFF_NET_CONNECT :
		    BACKOFF_NET_RESET) : BACKOFF_NET_OK;
		o.http_status = err->status;
		o.code = err->code;
		o.reset_s = d->service == NULL ? err->wait_seconds : -1;
		o.retry_after_ms = -1;
		o.idempotent = idempotent;
		if (o.net == BACKOFF_NET_OK && err->status == 0) {
			/* Failed before sending (signing, serializing). */
			return -1;
		}
		/* ExpiredToken: refresh the credentials once, same request. */
		if (d->service != NULL && !renewed &&
		    creds_provider_expired(ctx->creds, err->code)) {
			renewed = true;
			continue;
		}
		(void)pthread_mutex_lock(&ctx->mu);
		again = backoff_next(&ctx->backoff, d->backoff, attempt, &o,
		    &cls, &delay);
		if (cls == BACKOFF_THROTTLED)
			ctx->stats.throttled++;
		if (cls == BACKOFF_THROTTLED && d->service == NULL &&
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
		if (!ctx_sleep_ms(ctx, delay)) {
			http_apierr_set(err, 0, "Interrupted", "stopped by a "
			    "signal while backing off", true);
			return -1;
		}
	}
}
