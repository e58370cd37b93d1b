#ifndef F2O_REPORT_INT_H
#define F2O_REPORT_INT_H
/*
 * Inside the cost report (report*.c only): the figures computed per
 * service and per scenario, passed from computation to writing.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "fargate.h"
#include "model.h"
#include "ocean_share.h"
#include "report.h"

#define REPORT_TYPES_FILE	"instance-types.json"
#define REPORT_SIZES_FILE	"fargate-sizes.json"
#define REPORT_PRICES_FILE	"fargate-pricing.json"

#define REPORT_NSCEN	2		/* 0: Fargate-shaped task size, 1: containers */
#define REPORT_NARCH	2		/* 0: x86_64, 1: arm64 */

/* Scenario and architecture names in JSON (defined in report_cost.c). */
extern const char *const report_scen_name[REPORT_NSCEN];
extern const char *const report_arch_name[REPORT_NARCH];

struct rsvc {
	const struct xsvc *s;
	int	 arch;			/* 0 x86_64, 1 arm64 */
	int	 task_cpu, task_mem;	/* task level as exported */
	int	 need_cpu, need_mem;	/* taskdef_container_size */
	int	 need_flags;
	int	 bill_cpu, bill_mem;	/* Fargate billed size */
	bool	 rounded;		/* billed differs from task level */
	int	 eph, eph_billed;	/* GiB */
	struct fargate_rate rate;
	double	 hour_task;		/* Fargate on-demand USD/h per task */
	double	 fargate_month;		/* with the FARGATE_SPOT share */
	struct ocean_share share;	/* on-demand share kept on Ocean */
	int	 ec2_cpu[REPORT_NSCEN], ec2_mem[REPORT_NSCEN];
	double	 ec2_hour[REPORT_NSCEN];	/* share of instance cost, USD/h */
};

struct rctx {
	struct xlate *x;
	struct catalog *cat;
	struct fargate_sizes *sizes;
	struct fargate_prices *prices;
	struct rsvc *sv;
	size_t	 nsv;
	const char *region;
	double	 spot_discount;		/* EC2 spot assumption */
	char	**chosen;		/* type names found in the bundle */
	size_t	 nchosen;
	bool	 from_bundle;
	bool	 share_shown;		/* ocean_share_shown(): show shares */
	struct report_itype *types[REPORT_NARCH];
	size_t	 ntypes[REPORT_NARCH];
	bool	 price_warned[REPORT_NARCH];	/* Fargate price fallback said */
};

struct stot {
	double	 od_month;
	double	 spot_month;
	long long tasks;
	long long unplaced;
	long long instances;
};

/* Load the catalog, Fargate sizes and prices into c. Returns 0 or -1. */
int	report_cost_load(struct rctx *c);
/* Free what c owns (not c). */
void	report_cost_cleanup(struct rctx *c);
/* The candidate instance types (the chosen ones, else the catalog's). */
void	report_cost_types(struct rctx *c);
/* Fargate side of one service. Returns 0 or -1. */
int	report_cost_svc(struct rctx *c, struct rsvc *r, const struct xsvc *s);
/* A size as {"cpu", "memoryMiB", "vcpu", "gib"}. */
cJSON	*report_cost_size_json(int cpu, int mem);
/* Pack one scenario; fill sv[].ec2_hour[sc] and return its JSON. */
cJSON	*report_cost_scenario(struct rctx *c, int sc, struct stot *tot);

#endif
