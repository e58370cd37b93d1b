/*
 * Client-side token buckets, one per API, on an injectable clock.
 * See ratelimit.h.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "ratelimit.h"

uint64_t
ratelimit_clock_monotonic(void *arg)
{
	struct timespec ts;

	(void)arg;
	/* CLOCK_MONOTONIC cannot fail with a valid pointer (POSIX). */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
now(const struct ratelimit *rl)
{
	return rl->clock(rl->clock_arg);
}

int
ratelimit_init(struct ratelimit *rl, double rate, unsigned burst,
    ratelimit_clock_fn clock, void *clock_arg)
{
	if (!isfinite(rate) || rate < RATELIMIT_MIN_RATE) {
		log_errx("rate limit: rate %g per second is out of range",
		    rate);
		return -1;
	}
	if (burst < 1 || burst > RATELIMIT_MAX_BURST) {
		log_errx("rate limit: burst %u is out of range 1..%u", burst,
		    RATELIMIT_MAX_BURST);
		return -1;
	}
	memset(rl, 0, sizeof(*rl));
	rl->rate = rate;
	rl->burst = burst;
	rl->tokens = burst;
	rl->clock = clock != NULL ? clock : ratelimit_clock_monotonic;
	rl->clock_arg = clock_arg;
	rl->last_ms = now(rl);
	return 0;
}

void
ratelimit_init_defaults(struct ratelimit *b, ratelimit_clock_fn clock,
    void *clock_arg)
{
	/* The defaults are in range: these cannot fail. */
	(void)ratelimit_init(&b[RATELIMIT_ECS], RATELIMIT_ECS_RATE,
	    RATELIMIT_ECS_BURST, clock, clock_arg);
	(void)ratelimit_init(&b[RATELIMIT_EC2], RATELIMIT_EC2_RATE,
	    RATELIMIT_EC2_BURST, clock, clock_arg);
	(void)ratelimit_init(&b[RATELIMIT_SPOT], RATELIMIT_SPOT_RATE,
	    RATELIMIT_SPOT_BURST, clock, clock_arg);
}

/* Add the tokens earned since last_ms. */
static void
refill(struct ratelimit *rl, uint64_t t)
{
	if (t <= rl->last_ms)
		return;		/* a clock that went back earns nothing */
	rl->tokens += (double)(t - rl->last_ms) * rl->rate / 1000.0;
	if (rl->tokens > rl->burst)
		rl->tokens = rl->burst;
	rl->last_ms = t;
}

uint64_t
ratelimit_wait_ms(struct ratelimit *rl)
{
	uint64_t t = now(rl), w;

	if (t < rl->hold_until_ms)
		return rl->hold_until_ms - t;
	refill(rl, t);
	if (rl->tokens >= 1.0)
		return 0;
	w = (uint64_t)ceil((1.0 - rl->tokens) * 1000.0 / rl->rate);
	return w == 0 ? 1 : w;
}

int
ratelimit_take(struct ratelimit *rl)
{
	if (ratelimit_wait_ms(rl) != 0)
		return -1;
	rl->tokens -= 1.0;
	return 0;
}

void
ratelimit_hold(struct ratelimit *rl, uint64_t ms)
{
	uint64_t t = now(rl);

	if (ms > RATELIMIT_MAX_HOLD_MS)
		ms = RATELIMIT_MAX_HOLD_MS;
	if (t + ms > rl->hold_until_ms)
		rl->hold_until_ms = t + ms;
	/*
	 * One request is allowed when the hold ends (that is what the
	 * server's reset means), and tokens accrue only from then on.
	 */
	rl->tokens = 1.0;
	rl->last_ms = rl->hold_until_ms > t ? rl->hold_until_ms : t;
}
