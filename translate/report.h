#ifndef F2O_REPORT_H
#define F2O_REPORT_H
/*
 * The cost and waste report (report.json, report.html, the PLAN.md "Cost"
 * section): what Fargate bills for each migrated service, what its
 * containers need, and what the same tasks cost packed onto the
 * bundle's EC2 instance types under Ocean (on-demand, and a spot
 * estimate from a stated discount).
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "model.h"

/*
 * Tasks packed per architecture: the largest desiredCount the export
 * accepts (1,000,000), or 100,000 services of 20 tasks each.
 */
#define REPORT_MAX_TASKS	2000000
#define REPORT_MAX_TYPES	4096	/* candidate instance types */
/*
 * What an ECS container instance keeps for itself: the OS and kernel take
 * about 6% of the nominal memory before ECS registers it, and the agent
 * reserves ECS_RESERVED_MEMORY (we assume 256 MiB) of what is registered.
 * No CPU is reserved (ECS registers all vCPUs).
 */
#define REPORT_OS_MEMORY_PCT	6
#define REPORT_AGENT_MEMORY_MIB	256
#define REPORT_AGENT_CPU	0

/* One instance type the packer may use. */
struct report_itype {
	const char *name;		/* "m7i.large" (borrowed) */
	int	 cpu;			/* registered CPU units */
	int	 memory;		/* usable MiB after OS and agent */
	int	 max_tasks;		/* awsvpc tasks (ENI / trunk limit) */
	double	 hour;			/* on-demand USD per hour */
};

/* One task to place: n copies of cpu/memory, owned by service svc. */
struct report_item {
	int	 cpu;
	int	 memory;
	size_t	 svc;			/* caller's index */
	long long n;
};

/* The result of packing: instances, each with its type and tasks. */
struct report_bin {
	size_t	 type;			/* index into the types given */
	int	 cpu;			/* CPU units used */
	int	 memory;		/* MiB used */
	int	 tasks;
};

struct report_pack {
	struct report_bin *bins;
	size_t	 nbins;
	size_t	*task_bin;		/* per placed task, its bin */
	size_t	*task_svc;		/* per placed task, its service */
	int	*task_cpu;
	int	*task_mem;
	size_t	 ntasks;
	long long unplaced;		/* tasks no type can hold */
	double	 hour;			/* on-demand USD per hour, all bins */
};

/*
 * Pack the items onto instances of the given types. Method (deterministic):
 * tasks sorted by cpu, then memory, descending (ties by service index);
 * for each type alone, first-fit decreasing; the type whose instances
 * cost least per hour wins (ties: fewer instances, then earlier type);
 * then each instance is replaced by the cheapest type that holds its
 * tasks (which gives a mix). Returns 0, or -1 on too many tasks (logged).
 * Free with report_pack_free().
 */
int	report_pack(struct report_pack **out, const struct report_item *,
	    size_t nitems, const struct report_itype *, size_t ntypes);
void	report_pack_free(struct report_pack *);

/* Pipeline stage: compute the report and add report.json, report.html
 * and x->md_cost. Returns 0 or -1 (logged). */
int	report_plan(struct xlate *);

/* report_html.c: render report.json's object as one self-contained
 * HTML page. Free with free(). */
char	*report_html(const cJSON *report, size_t *len);
/*
 * The same page a part at a time, for a report whose services are made
 * one by one: report_html_init() the strbuf (its limit), the head (from
 * the report without its services), each service object with its index,
 * the tail. ec2key: report_html_ec2key(report).
 */
struct strbuf;
void	report_html_init(struct strbuf *);
void	report_html_head(struct strbuf *, const cJSON *report);
void	report_html_svc(struct strbuf *, const cJSON *svc, size_t i,
	    const char *ec2key);
void	report_html_tail(struct strbuf *, const cJSON *report);
const char *report_html_ec2key(const cJSON *report);
/* HTML-escape s onto sb (& < > " '). Returns 0 or -1. */
int	report_html_escape(struct strbuf *, const char *s);

#endif
