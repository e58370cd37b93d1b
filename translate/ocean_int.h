#ifndef F2O_OCEAN_INT_H
#define F2O_OCEAN_INT_H
/*
 * Inside the Ocean stage (ocean*.c only): the state its steps pass
 * forward, and the helpers they share. The public interface is ocean.h.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "model.h"
#include "ocean.h"

#define OCEAN_NGROUPS		4	/* {x86_64, arm64} x {plain, disk} */

/*
 * The base node group names, {x86_64, arm64} x {plain, disk}: defined in
 * ocean_plan.c. A group that keeps an on-demand share adds "-od<N>".
 */
extern const char *const ocean_group_names[OCEAN_NGROUPS];

struct otask {
	const struct xsvc *s;
	int	 cpu;
	int	 memory;
	bool	 awsvpc;
};

struct ogroup {
	char	 name[MODEL_VNG_MAX];	/* "x86_64", "x86_64-disk-od30" */
	int	 base;			/* index into ocean_group_names */
	int	 ondemand;		/* on-demand percent, 0 = plain */
	bool	 arm64;
	bool	 disk;
	int	 eph_gib;		/* largest Fargate ephemeral storage */
	int	 volume;		/* root volume GiB, disk groups */
	size_t	*tasks;			/* indexes into ctx.tasks */
	size_t	 ntasks;
	bool	 awsvpc;		/* some task uses awsvpc */
	int	 max_cpu;
	int	 max_memory;
	int	 cap;			/* vCPU cap applied, 0 = none */
	const struct catalog_type **types;
	size_t	 ntypes;
	/* What the selection removed, for PLAN.md. */
	size_t	 n_arch, n_gpu, n_metal, n_burst, n_trunk, n_cap, n_small;
	char	*step;
};

struct octx {
	struct xlate *x;
	struct catalog *cat;
	struct otask *tasks;
	size_t	 ntasks;
	struct ogroup *g;		/* by base group, then share */
	size_t	 ng;
	bool	 vng_strategy;		/* VNGs set strategy.spotPercentage */
	int	 spot_override;		/* --spot-percentage, -1 = none */
	const char *region;
	const char *cluster;
	const char *name;
	const char *ami_x86;
	const char *ami_arm;
	const char *profile;
	char	**subnets;
	size_t	 nsubnets;
	bool	 trunking;
	int	 root_gib;		/* template root volume size */
	bool	 sgs_from_template;	/* no planned groups, template's */
};

/* Free what c owns (not c). */
void	ocean_size_cleanup(struct octx *c);
/* qsort comparator of char * elements. */
int	ocean_size_cmp_str(const void *a, const void *b);
/* Parameters: defaults from the export, one error listing what lacks. */
int	ocean_size_params(struct octx *c);
/* The migrated services' tasks, each into its node group. */
int	ocean_size_tasks(struct octx *c);
/* The instance types of g, after the selection and size rules. */
int	ocean_size_select(struct octx *c, struct ogroup *g);
/* The template's {"<root>": {...}}, checked. */
cJSON	*ocean_payload_template(struct xlate *x, const char *file,
	    const char *root);
/* The CreateOceanCluster body (free with cJSON_Delete), or NULL. */
cJSON	*ocean_payload_cluster(struct octx *c);
/* The CreateOceanLaunchSpec body of g from tmpl, or NULL. */
cJSON	*ocean_payload_vng(struct octx *c, struct ogroup *g, cJSON *tmpl);
/* The PLAN.md section of the Ocean cluster and node groups. */
void	ocean_report_write(struct octx *c);
/* The node group (created when new) of base group base and share od. */
struct ogroup *ocean_share_group(struct octx *c, int base, int od);
/* Sort the node groups (base group, then share); set the modes. */
void	ocean_share_finish(struct octx *c);
/* The cluster strategy's spotPercentage: --spot-percentage, or none. */
void	ocean_share_cluster(struct octx *c, cJSON *cluster);
/* The VNG's strategy.spotPercentage, when the VNGs carry the share. */
void	ocean_share_vng(struct octx *c, const struct ogroup *g, cJSON *ls);
/* The PLAN.md "On-demand share" part, when shown. */
void	ocean_share_md(struct octx *c);

#endif
