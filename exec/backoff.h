#ifndef F2O_BACKOFF_H
#define F2O_BACKOFF_H
/*
 * Retry policy of f2o-exec: which outcomes may be retried, and how long to
 * wait. Pure: no I/O, no clock, no logging; the random source is a
 * seedable PRNG so tests are reproducible.
 *
 * AWS (ECS, EC2) follows botocore "standard" mode
 * (shared/reference/aws-api.md 1.4, botocore retries/standard.py):
 *   - at most 3 attempts in all by default (AWS_MAX_ATTEMPTS);
 *   - delay before attempt n+1 = rand[0,1) * min(2^(n-1) s, 20 s)
 *     ("full jitter", base 1 s, cap 20 s);
 *   - a x-amz-retry-after header (ms) may stretch that delay by at most
 *     5 s, never shorten it;
 *   - a retry quota of 500 tokens: a retry costs 5 (10 after a timeout),
 *     a success refunds 1; with no tokens left, no retries.
 * Spot (spot-api.md 1.4): 429 means rate limited; wait at least
 * X-RateLimit-Reset seconds (and the backoff delay, whichever is longer).
 * Spot's SDKs retry nothing; we retry 429 always and 5xx / transport
 * errors only for idempotent requests (GET, PUT, DELETE), as 1.4 advises.
 *
 * What "retryable" means here: throttling replies (ECS
 * ThrottlingException, EC2 RequestLimitExceeded, Spot 429, ...) prove the
 * request was not acted on, so they are always safe to repeat. A 5xx or a
 * connection lost after sending may or may not have taken effect: it is
 * BACKOFF_RETRY for idempotent requests and BACKOFF_INDOUBT otherwise (the
 * caller must look the resource up before sending again). A connection
 * that was never established (DNS, refused) is always safe.
 */
#include <stdbool.h>
#include <stdint.h>

#define BACKOFF_BASE_MS		1000U	/* botocore standard: 1 s */
#define BACKOFF_CAP_MS		20000U	/* botocore standard: 20 s */
#define BACKOFF_DEFAULT_ATTEMPTS 3U	/* botocore standard, total */
#define BACKOFF_MAX_ATTEMPTS	100U
#define BACKOFF_RETRY_AFTER_MAX_MS 5000U /* stretch by x-amz-retry-after */
#define BACKOFF_MAX_RESET_S	300	/* a longer Spot reset: give up */
#define BACKOFF_QUOTA		500U	/* botocore retry quota */
#define BACKOFF_QUOTA_COST	5U
#define BACKOFF_QUOTA_COST_TIMEOUT 10U
#define BACKOFF_QUOTA_REFUND	1U

enum backoff_api {
	BACKOFF_API_ECS = 0,
	BACKOFF_API_EC2,
	BACKOFF_API_SPOT,
	BACKOFF_API__MAX
};

/* What the transport layer saw; http.c maps CURLcode to this. */
enum backoff_net {
	BACKOFF_NET_OK = 0,	/* a reply (any HTTP status) arrived */
	BACKOFF_NET_CONNECT,	/* DNS / refused / TLS: nothing was sent */
	BACKOFF_NET_RESET,	/* connection lost after sending */
	BACKOFF_NET_TIMEOUT,	/* no reply in time */
	BACKOFF_NET_OTHER	/* anything else: not retried */
};

struct backoff_outcome {
	enum backoff_net net;
	long	 http_status;	/* 0 without a reply */
	const char *code;	/* error code from the body (sanitised:
				   "ThrottlingException"), or NULL */
	long	 reset_s;	/* Spot X-RateLimit-Reset, -1 if absent */
	long	 retry_after_ms; /* AWS x-amz-retry-after, -1 if absent */
	bool	 idempotent;	/* repeating the request is harmless */
};

enum backoff_class {
	BACKOFF_SUCCESS = 0,	/* 2xx */
	BACKOFF_FATAL,		/* not retryable: fix the request */
	BACKOFF_THROTTLED,	/* rate limited; not acted on; retry */
	BACKOFF_RETRY,		/* transient and safe to repeat */
	BACKOFF_INDOUBT		/* transient, may have taken effect, not
				   idempotent: look up before resending */
};

struct backoff {
	unsigned max_attempts;	/* total, including the first */
	unsigned base_ms;
	unsigned cap_ms;
	unsigned quota;		/* retry quota tokens left */
	uint64_t rng;		/* PRNG state */
};

/* Defaults above; max_attempts 0 means BACKOFF_DEFAULT_ATTEMPTS. */
void	backoff_init(struct backoff *, unsigned max_attempts, uint64_t seed);
/*
 * F2O_EXEC_BACKOFF_MS (tests and tuning): "BASE[,CAP]" in ms replaces the
 * base and cap (CAP defaults to BASE). 0 when applied or v is NULL or
 * empty; -1, nothing changed, unless 1 <= BASE <= CAP <= BACKOFF_CAP_MS.
 */
int	backoff_set_ms(struct backoff *, const char *v);
/* Next PRNG value (splitmix64). */
uint64_t backoff_random(struct backoff *);
/* Classify one outcome. */
enum backoff_class backoff_classify(enum backoff_api,
	    const struct backoff_outcome *);
/* Is code a throttling code of AWS botocore standard mode? */
bool	backoff_is_throttle_code(const char *code);
/* Full-jitter delay before attempt (attempt + 1); attempt is 1-based. */
unsigned backoff_delay_ms(struct backoff *, unsigned attempt);
/*
 * After attempt (1-based) ended with outcome: classify it; if it should be
 * repeated and attempts and quota allow, set *delay_ms and return true.
 * Returns false to stop (*class tells why). A success refunds the quota.
 */
bool	backoff_next(struct backoff *, enum backoff_api, unsigned attempt,
	    const struct backoff_outcome *, enum backoff_class *cls,
	    unsigned *delay_ms);

#endif
