/*
 * EC2 eventual consistency: tell a NotFound of a resource f2o just made
 * (retry it for a bounded time) from a real one. See consist.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "consist.h"
#include "outputs.h"

static const char *const codes[] = { "InvalidGroup.NotFound",
    "InvalidGroupId.NotFound", "InvalidSecurityGroupID.NotFound", NULL };

static bool
is_code(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && codes[i] != NULL; i++)
		if (strcmp(s, codes[i]) == 0)
			return true;
	return false;
}

static bool
mentions_code(const char *msg)
{
	size_t i;

	for (i = 0; msg != NULL && codes[i] != NULL; i++)
		if (strstr(msg, codes[i]) != NULL)
			return true;
	return false;
}

/*
 * Does item hold a "${STEP.OUTPUT}" reference whose value (in outputs)
 * is named by msg? Without msg: any resolved reference. Depth bounded by
 * the bundle's JSON depth limit.
 */
static bool
ref_named(const cJSON *item, const cJSON *outputs, const char *msg)
{
	const cJSON *c, *v;
	char *id, *out;
	bool hit = false;

	cJSON_ArrayForEach(c, item) {
		if (cJSON_IsString(c) && c->valuestring != NULL &&
		    plan_ref_parse(c->valuestring, &id, &out)) {
			v = cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetObjectItemCaseSensitive(outputs, id), out);
			hit = cJSON_IsString(v) && v->valuestring[0] != '\0' &&
			    (msg == NULL || strstr(msg, v->valuestring) !=
			    NULL);
			free(id);
			free(out);
		} else if (cJSON_IsObject(c) || cJSON_IsArray(c))
			hit = ref_named(c, outputs, msg);
		if (hit)
			return true;
	}
	return false;
}

bool
consist_notfound_own(struct run_ctx *ctx, const struct plan_step *step,
    const struct http_apierr *err)
{
	cJSON *raw;
	bool own;

	if (err == NULL || err->code == NULL)
		return false;
	if (!is_code(err->code) && !(strcmp(err->code,
	    "InvalidParameterException") == 0 && mentions_code(err->message)))
		return false;
	raw = run_step_request(ctx, step, false);
	if (raw == NULL)
		return false;
	(void)pthread_mutex_lock(&ctx->mu);
	/* The message names the id; when it does not, any reference. */
	own = ref_named(raw, ctx->outputs, err->message != NULL &&
	    strstr(err->message, "sg-") != NULL ? err->message : NULL);
	(void)pthread_mutex_unlock(&ctx->mu);
	cJSON_Delete(raw);
	return own;
}

unsigned
consist_delay_ms(unsigned round)
{
	unsigned d = CONSIST_FIRST_MS;

	while (round-- > 1 && d < CONSIST_CAP_MS)
		d *= 2;
	return d > CONSIST_CAP_MS ? CONSIST_CAP_MS : d;
}
