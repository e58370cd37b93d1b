#ifndef F2O_FARGATE_H
#define F2O_FARGATE_H
/*
 * Fargate facts for the cost report: the valid task sizes (from
 * templates/fargate-sizes.json) and the prices (from
 * templates/fargate-pricing.json). Both files say where their figures come
 * from; the user may replace them with current ones.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define FARGATE_MAX_SIZES	1024
#define FARGATE_HOURS_MONTH	730.0	/* hours per month in the report */
#define FARGATE_GIB_MIB		1024.0	/* Fargate's GB is 1024 MiB */

struct fargate_size {
	int	 cpu;			/* CPU units, 1024 = 1 vCPU */
	int	 memory;		/* MiB */
	bool	 windows;		/* Windows allows this CPU size */
};

struct fargate_sizes {
	struct fargate_size *v;		/* sorted by cpu, then memory */
	size_t	 n;
	int	 eph_included_gib;	/* free ephemeral storage, 20 */
	int	 eph_max_gib;		/* 200 */
	char	*generated;		/* date of the file */
};

/* Rates in USD for one region and architecture. */
struct fargate_rate {
	double	 vcpu_hour;
	double	 gb_hour;
	double	 eph_gb_hour;		/* per GB-hour above the included */
	int	 eph_included_gb;
	const char *region;		/* region whose figures these are */
	const char *confidence;		/* "high", "medium", "low" */
	const char *as_of;		/* date text or NULL */
	bool	 exact;			/* region and arch found as asked */
};

struct fargate_prices {
	cJSON	*root;			/* the parsed file, owned */
	const char *generated;
	const char *currency;
	double	 spot_discount;		/* Fargate Spot planning discount */
};

/*
 * Build the size table from the parsed fargate-sizes.json ("combinations"
 * and "sizes" for the Windows column). what names the file for messages.
 * Returns 0 or -1 (logged). Free with fargate_sizes_free().
 */
int	fargate_sizes_load(struct fargate_sizes **out, const cJSON *root,
	    const char *what);
void	fargate_sizes_free(struct fargate_sizes *);
/* True when cpu/memory is one of the valid combinations. */
bool	fargate_size_valid(const struct fargate_sizes *, int cpu, int memory);
/*
 * The size Fargate bills for a request: the valid combination with the
 * smallest cpu, then the smallest memory, that is at least cpu and at
 * least memory (windows: only the sizes Windows allows). Returns 0, or -1
 * when no combination is large enough (not logged).
 */
int	fargate_round(const struct fargate_sizes *, int cpu, int memory,
	    bool windows, int *bcpu, int *bmemory);

/* Take a parsed fargate-pricing.json (taken). NULL (logged) if invalid. */
struct fargate_prices *fargate_prices_take(cJSON *root, const char *what);
void	fargate_prices_free(struct fargate_prices *);
/*
 * Rates for region and arch ("X86_64" or "ARM64"): the region's confirmed
 * figures, else its unconfirmed ones, else us-east-1's; an architecture
 * the region lacks falls back to us-east-1's figures for it. rate->exact
 * is false after a fallback or when the figures are unconfirmed. Returns
 * 0, or -1 when nothing usable exists (logged).
 */
int	fargate_rate_find(const struct fargate_prices *, const char *region,
	    const char *arch, struct fargate_rate *rate);
/* USD per hour of one task of cpu units / memory MiB / ephemeral GiB. */
double	fargate_task_hour(const struct fargate_rate *, int cpu, int memory,
	    int ephemeral_gib);
/* Round to cents (half away from zero), or to 4 decimals. */
double	fargate_cents(double usd);
double	fargate_round4(double v);

#endif
