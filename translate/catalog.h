#ifndef F2O_CATALOG_H
#define F2O_CATALOG_H
/*
 * The EC2 instance-type catalog (templates/instance-types.json): vCPUs,
 * memory, architecture, ENI and trunking limits, on-demand price, plus
 * what an ECS container instance keeps for itself ("ecsReservation") and
 * the selection rules ("selection"). Used by ocean_size.c to pick the
 * types of each node group and by the cost report to pack tasks.
 *
 * Sizes are ECS units: CPU units (1024 = 1 vCPU) and MiB.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define CATALOG_FILE		"instance-types.json"
#define CATALOG_MAX_TYPES	8192
#define CATALOG_MAX_VCPU	4096
#define CATALOG_MAX_MEMORY	(64 * 1024 * 1024)	/* MiB */
#define CATALOG_MAX_ENIS	1024
#define CATALOG_MAX_TASKS	100000	/* "unlimited" tasks per instance */
#define CATALOG_CPU_UNITS	1024	/* CPU units per vCPU */
#define CATALOG_PCT		100
/* Defaults when the file has no "ecsReservation" / "selection". */
#define CATALOG_OS_MEMORY_PCT	6
#define CATALOG_AGENT_MEMORY	256	/* MiB, ECS_RESERVED_MEMORY */
#define CATALOG_AGENT_CPU	0
#define CATALOG_SEL_MAX_VCPU	64

struct catalog_type {
	char	*name;			/* "m7g.large" */
	char	*family;		/* "m7g" */
	char	*size;			/* "large" */
	int	 vcpu;
	int	 memory;		/* nominal MiB */
	bool	 arm64;			/* else x86_64 */
	bool	 nitro;		/* "hypervisor", else tasks_trunk >= 0 */
	bool	 metal;
	bool	 burstable;		/* family starts with 't' */
	int	 gpu;
	int	 max_enis;
	int	 tasks_no_trunk;	/* awsvpc tasks without trunking */
	int	 tasks_trunk;		/* with awsvpcTrunking; -1 = ECS says no */
	double	 od_hour;		/* on-demand USD/hour us-east-1, or 0 */
};

struct catalog {
	struct catalog_type *types;	/* file order */
	size_t	 ntypes;
	int	 os_memory_pct;		/* ecsReservation.osMemoryPercent */
	int	 agent_memory;		/* ecsReservation.agentMemoryMiB */
	int	 agent_cpu;		/* ecsReservation.agentCpuUnits */
	bool	 sel_no_metal;		/* selection.excludeMetal */
	bool	 sel_no_burstable;	/* selection.excludeBurstable */
	int	 sel_max_vcpu;		/* selection.maxVcpu, 0 = no cap */
	char	*generated;		/* "generated" date or NULL */
};

/*
 * Build the catalog from the parsed file (not taken); what names the
 * file in messages. Returns 0, or -1 (logged with the JSON path).
 * Free with catalog_free().
 */
int	catalog_load(struct catalog **out, const cJSON *root, const char *what);
/* Same, from the file's bytes. */
int	catalog_parse(struct catalog **out, const char *buf, size_t len,
	    const char *what);
void	catalog_free(struct catalog *);	/* NULL-safe */
/* Borrowed type by name ("m5.large"), or NULL. */
const struct catalog_type *catalog_find(const struct catalog *,
	    const char *name);
/* CPU units / MiB a task may use on the type, after the reservation. */
int	catalog_usable_cpu(const struct catalog *, const struct catalog_type *);
int	catalog_usable_memory(const struct catalog *,
	    const struct catalog_type *);
/*
 * How many tasks of cpu units / memory MiB fit on one instance by
 * resources alone (0 = none; a 0 dimension does not limit; at most
 * CATALOG_MAX_TASKS).
 */
int	catalog_fit(const struct catalog *, const struct catalog_type *,
	    int cpu, int memory);
/*
 * awsvpc tasks per instance from ENIs: with trunking (when ECS supports
 * it on the type) the trunk limit, else max ENIs - 1.
 */
int	catalog_eni_limit(const struct catalog_type *, bool trunking);
/* min(catalog_fit, catalog_eni_limit when awsvpc). */
int	catalog_tasks_per_instance(const struct catalog *,
	    const struct catalog_type *, int cpu, int memory, bool awsvpc,
	    bool trunking);
/* "x86_64" or "arm64". */
const char *catalog_arch(const struct catalog_type *);

#endif
