/*
 * Retry policy: retryable outcomes, botocore-style jittered delays, the
 * retry quota; pure (no I/O, no clock). See backoff.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"

/* botocore retries/standard.py, THROTTLING_ERROR_CODES (aws-api.md 1.4). */
static const char *const throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded",
	"BandwidthLimitExceeded", "LimitExceededException",
	"RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException",
	"RateExceeded",		/* Application Auto Scaling */
	NULL
};

/* botocore TRANSIENT_ERROR_CODES; EC2 server codes (aws-api.md 2.3). */
static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "ServerException",
	"InternalError", "InternalFailure", "ServiceUnavailable",
	"Unavailable",
	"ConcurrentUpdateException",	/* Application Auto Scaling */
	NULL
};

static bool
in_list(const char *const *list, const char *code)
{
	size_t i;

	if (code == NULL)
		return false;
	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], code) == 0)
			return true;
	return false;
}

void
backoff_init(struct backoff *b, unsigned max_attempts, uint64_t seed)
{
	memset(b, 0, sizeof(*b));
	if (max_attempts == 0)
		max_attempts = BACKOFF_DEFAULT_ATTEMPTS;
	if (max_attempts > BACKOFF_MAX_ATTEMPTS)
		max_attempts = BACKOFF_MAX_ATTEMPTS;
	b->max_attempts = max_attempts;
	b->base_ms = BACKOFF_BASE_MS;
	b->cap_ms = BACKOFF_CAP_MS;
	b->quota = BACKOFF_QUOTA;
	b->rng = seed;
}

uint64_t
backoff_random(struct backoff *b)
{
	uint64_t z;

	/* splitmix64 (Steele, Lea, Flood 2014): any seed, even 0, is fine. */
	b->rng += 0x9e3779b97f4a7c15ULL;
	z = b->rng;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

bool
backoff_is_throttle_code(const char *code)
{
	return in_list(throttle_codes, code);
}

enum backoff_class
backoff_classify(enum backoff_api api, const struct backoff_outcome *o)
{
	long st = o->http_status;
	bool server;

	switch (o->net) {
	case BACKOFF_NET_OK:
		break;
	case BACKOFF_NET_CONNECT:
		return BACKOFF_RETRY;	/* nothing reached the server */
	case BACKOFF_NET_RESET:
	case BACKOFF_NET_TIMEOUT:
		return o->idempotent ? BACKOFF_RETRY : BACKOFF_INDOUBT;
	default:
		return BACKOFF_FATAL;
	}
	if (st >= 200 && st <= 299)
		return BACKOFF_SUCCESS;
	if (api == BACKOFF_API_SPOT) {
		/* spot-api.md 1.3/1.4: 429 carries no errors array. */
		if (st == 429)
			return BACKOFF_THROTTLED;
		server = st >= 500 && st <= 599;
	} else {
		/*
		 * ECS ThrottlingException arrives as 400, EC2
		 * RequestLimitExceeded as 503; the code decides first.
		 */
		if (backoff_is_throttle_code(o->code) || st == 429)
			return BACKOFF_THROTTLED;
		server = st == 500 || st == 502 || st == 503 || st == 504 ||
		    in_list(transient_codes, o->code);
	}
	if (server)
		return o->idempotent ? BACKOFF_RETRY : BACKOFF_INDOUBT;
	return BACKOFF_FATAL;
}

unsigned
backoff_delay_ms(struct backoff *b, unsigned attempt)
{
	uint64_t ceiling = b->base_ms, r;
	unsigned i;

	if (attempt == 0)
		attempt = 1;
	/* min(base * 2^(attempt-1), cap), without overflow. */
	for (i = 1; i < attempt && ceiling < b->cap_ms; i++)
		ceiling *= 2;
	if (ceiling > b->cap_ms)
		ceiling = b->cap_ms;
	/* rand[0,1) * ceiling in integers: 32 random bits, no overflow. */
	r = backoff_random(b) >> 32;
	return (unsigned)((r * ceiling) >> 32);
}

bool
backoff_next(struct backoff *b, enum backoff_api api, unsigned attempt,
    const struct backoff_outcome *o, enum backoff_class *cls,
    unsigned *delay_ms)
{
	enum backoff_class c = backoff_classify(api, o);
	unsigned d, cost;
	uint64_t want;

	*cls = c;
	*delay_ms = 0;
	if (c == BACKOFF_SUCCESS) {
		b->quota += BACKOFF_QUOTA_REFUND;
		if (b->quota > BACKOFF_QUOTA)
			b->quota = BACKOFF_QUOTA;
		return false;
	}
	if (c == BACKOFF_FATAL || c == BACKOFF_INDOUBT)
		return false;
	if (attempt >= b->max_attempts)
		return false;
	cost = o->net == BACKOFF_NET_TIMEOUT ? BACKOFF_QUOTA_COST_TIMEOUT :
	    BACKOFF_QUOTA_COST;
	if (b->quota < cost)
		return false;
	if (api == BACKOFF_API_SPOT && o->reset_s > BACKOFF_MAX_RESET_S)
		return false;
	b->quota -= cost;
	d = backoff_delay_ms(b, attempt);
	if (api != BACKOFF_API_SPOT && o->retry_after_ms > (long)d) {
		want = (uint64_t)o->retry_after_ms;
		if (want > (uint64_t)d + BACKOFF_RETRY_AFTER_MAX_MS)
			want = (uint64_t)d + BACKOFF_RETRY_AFTER_MAX_MS;
		d = (unsigned)want;
	}
	if (api == BACKOFF_API_SPOT && o->reset_s > 0 &&
	    (uint64_t)o->reset_s * 1000 > d)
		d = (unsigned)o->reset_s * 1000;
	*delay_ms = d;
	return true;
}

int
backoff_set_ms(struct backoff *b, const char *v)
{
	unsigned long base, cap;
	char *end;

	if (v == NULL || *v == '\0')
		return 0;
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	base = strtoul(v, &end, 10);
	cap = base;
	if (*end == ',') {
		v = end + 1;
		if (*v < '0' || *v > '9')
			return -1;
		cap = strtoul(v, &end, 10);
	}
	if (errno != 0 || *end != '\0' || base < 1 || cap < base ||
	    cap > BACKOFF_CAP_MS)
		return -1;
	b->base_ms = (unsigned)base;
	b->cap_ms = (unsigned)cap;
	return 0;
}
