#ifndef F2O_RATELIMIT_H
#define F2O_RATELIMIT_H
/*
 * Client-side token buckets, one per API, so f2o-exec stays below the
 * server's throttles instead of bouncing off them. A bucket holds at most
 * burst tokens and gains rate tokens per second; each request takes one.
 * Time comes from an injectable clock (milliseconds, monotonic), so tests
 * drive it by hand.
 *
 * Default rates, and where they come from:
 *   ECS   1 request/s, burst 10. AWS documents a per-account, per-region
 *         token bucket per API group (ECS API Reference, "Request
 *         throttling"); the lowest figure in shared/reference/aws-api.md
 *         1.3 is RegisterTaskDefinition: burst 20, refill 1/s (quoted in
 *         aws-actions/amazon-ecs-deploy-task-definition#502). We take the
 *         same refill and half the burst, because the account's budget is
 *         shared with whatever else runs there.
 *   EC2   2 requests/s, burst 10. The reference has no EC2 figures. From
 *         memory of the EC2 API Reference "Request throttling" page
 *         (mutating actions: bucket 200, refill 5/s; not verified here), we
 *         pick values well below, as a conservative choice.
 *   Spot  0.5 request/s (30 per minute), burst 5. Spot counts requests per
 *         60 s per organization + route + method and publishes no number
 *         (spot-api.md 1.4); the value is a conservative guess. A reply's
 *         X-RateLimit-Remaining 0 / X-RateLimit-Reset N is fed back with
 *         ratelimit_hold().
 */
#include <stdint.h>

#define RATELIMIT_ECS_RATE	1.0	/* tokens per second */
#define RATELIMIT_ECS_BURST	10U
#define RATELIMIT_EC2_RATE	2.0
#define RATELIMIT_EC2_BURST	10U
#define RATELIMIT_SPOT_RATE	0.5
#define RATELIMIT_SPOT_BURST	5U
#define RATELIMIT_MIN_RATE	0.001	/* below this the rate is refused */
#define RATELIMIT_MAX_BURST	10000U
#define RATELIMIT_MAX_HOLD_MS	3600000U	/* one hour */

enum ratelimit_api {
	RATELIMIT_ECS = 0,
	RATELIMIT_EC2,
	RATELIMIT_SPOT,
	RATELIMIT__MAX
};

/* Milliseconds from any fixed origin, never going backwards. */
typedef uint64_t (*ratelimit_clock_fn)(void *arg);

struct ratelimit {
	double	 rate;		/* tokens per second */
	double	 burst;		/* bucket size, tokens */
	double	 tokens;	/* now in the bucket */
	uint64_t last_ms;	/* clock when tokens was computed */
	uint64_t hold_until_ms;	/* no token before this (server said so) */
	ratelimit_clock_fn clock;
	void	*clock_arg;
};

/* The real clock: CLOCK_MONOTONIC in milliseconds. */
uint64_t ratelimit_clock_monotonic(void *arg);
/*
 * Set up a full bucket. clock NULL means ratelimit_clock_monotonic.
 * Returns 0, or -1 if rate or burst is out of range (logged).
 */
int	ratelimit_init(struct ratelimit *, double rate, unsigned burst,
	    ratelimit_clock_fn clock, void *clock_arg);
/* Set up buckets[RATELIMIT__MAX] with the default rates above. */
void	ratelimit_init_defaults(struct ratelimit *buckets,
	    ratelimit_clock_fn clock, void *clock_arg);
/* Milliseconds to wait before a token is available; 0 means now. */
uint64_t ratelimit_wait_ms(struct ratelimit *);
/* Take a token if one is available now: 0, else -1 (nothing taken). */
int	ratelimit_take(struct ratelimit *);
/* Empty the bucket and take nothing for ms milliseconds (Spot reset). */
void	ratelimit_hold(struct ratelimit *, uint64_t ms);

#endif
