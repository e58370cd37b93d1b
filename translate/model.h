#ifndef F2O_MODEL_H
#define F2O_MODEL_H
/*
 * The translator's data model: what the export holds (services, task
 * definitions, security groups) and the pipeline state the stages pass
 * forward in struct xlate. Data only: it includes nothing of translate/.
 *
 * The stages (xlate.c runs them in order):
 *   export_load -> taskdef_plan -> sg_plan -> ocean_plan -> service_plan
 *   -> cutover_plan -> report_plan -> planmd_write
 * Each stage adds steps to x->plan and files to x->bundle, and may add a
 * PLAN.md section. Everything is deterministic: services are handled in
 * name order, task definitions in family:revision order.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "bundle.h"
#include "hashmap.h"
#include "plan.h"
#include "strbuf.h"

struct options;
struct iampolicy;
struct ctx_index;

#define MODEL_PHASE_IMPORT	"import"
#define MODEL_PHASE_CUTOVER	"cutover"
#define MODEL_PHASE_ROLLBACK	"rollback"
#define MODEL_VNG_MAX		32	/* node group name: "arm64-disk-od100" */

struct xtd {				/* one exported task definition */
	cJSON	*td;			/* bare task definition, owned */
	cJSON	*tags;			/* sibling "tags" array or NULL, owned */
	char	*src;			/* file it came from */
	char	*srcname;		/* src relative to its input argument */
	char	*jpath;			/* JSON path inside that file */
	char	*family;
	long long revision;		/* 0 when the export does not say */
	char	*key;			/* "family:revision" or "family" */
	unsigned char digest[32];	/* SHA-256 of its canonical JSON */
	/*
	 * Where td (and a sibling "tags") lie in the copy of the bytes
	 * read (ex->raw_fd): after export_load td and tags are in memory
	 * only while held (export_td_hold); slice_len 0: kept in memory
	 * (place unknown).
	 */
	long long slice_off;
	size_t	 slice_len;
	long long tags_off;		/* the sibling "tags" */
	size_t	 tags_len;		/* 0: none */
	bool	 tags_sibling;		/* tags came from beside td */
	/* Filled by taskdef_analyze(). */
	int	 cpu;			/* task-level CPU units, 0 = unset */
	int	 memory;		/* task-level MiB, 0 = unset */
	int	 ctr_cpu;		/* sum of container cpu units */
	int	 ctr_memory;		/* sum of container memory (hard), MiB */
	int	 ctr_reservation;	/* sum of memoryReservation or memory */
	const char *arch;		/* "X86_64" or "ARM64" */
	const char *os;			/* "LINUX", "WINDOWS_SERVER_..." */
	int	 ephemeral_gib;		/* Fargate ephemeralStorage, 0 = unset */
	bool	 used;			/* referenced by a migrated service */
	char	*step;			/* "td/<family>-<revision>" once planned */
	/*
	 * Kept when td leaves memory (taskdef_slim, td then NULL): what the
	 * later stages read of it.
	 */
	char	*arn;			/* taskDefinitionArn, or NULL */
	bool	 awsvpc;		/* networkMode awsvpc or unset */
	long long stop_max;		/* longest container stopTimeout, 0 */
	struct xtd_sums {		/* the containers' sizes */
		long long cpu;		/* sum of cpu */
		long long res;		/* sum of memoryReservation or memory */
		long long maxhard;	/* largest memory */
		bool	 anycpu, anymem;
	} sums;
};

/*
 * Application Auto Scaling and CloudWatch inputs: describe-scalable-targets,
 * describe-scaling-policies, describe-scheduled-actions (--service-namespace
 * ecs) and cloudwatch describe-alarms, each item kept in export order.
 */
enum xaas_kind {
	XAAS_TARGET,			/* ScalableTargets[] */
	XAAS_POLICY,			/* ScalingPolicies[] */
	XAAS_ACTION,			/* ScheduledActions[] */
	XAAS_ALARM,			/* MetricAlarms[] */
	XAAS__MAX
};

struct xaas {				/* one exported scaling item or alarm */
	cJSON	*obj;			/* owned */
	char	*src;
	char	*srcname;
	char	*jpath;
	char	*key;			/* identity: ResourceId[/name], AlarmName */
	char	*digest;
};

struct xaas_list {
	struct xaas *items;
	size_t	 n;
	struct hashmap idx;		/* key -> index in items */
	size_t	 pages;			/* files (pages) of this kind read */
	size_t	 pages_token;		/* of which with a NextToken */
	char	*token_src;		/* "file: $" of the last page with one */
};

/* What a migrated service's scaling carries (autoscale.c); borrowed. */
struct xscaling {
	const struct xaas *target;
	const struct xaas **policies;	/* export order: policy-N, N from 1 */
	bool	*dropped;		/* per policy: left out (--drop-...) */
	size_t	 npolicies;
	const struct xaas **actions;	/* action-N */
	size_t	 nactions;
	const struct xaas **alarms;	/* alarm-N: step scaling alarms */
	size_t	 nalarms;
};

struct xsvc {				/* one exported service */
	cJSON	*svc;			/* the service object, owned; after
					   export_load only while held
					   (export_svc_hold) */
	const char *src;		/* ex->files[file].path */
	const char *srcname;		/* src relative to its input argument:
					   the same whatever the path spelling */
	size_t	 file;			/* index in ex->files */
	long long slice_off;		/* its object's bytes in ex->raw_fd */
	size_t	 slice_len;		/* (0: unknown, the file is read) */
	char	*jpath;
	char	*name;
	char	*arn;			/* serviceArn or NULL */
	char	*cluster;		/* cluster short name, or NULL */
	unsigned char digest[32];	/* SHA-256 of its canonical JSON */
	bool	 fargate;		/* FARGATE launch type or providers */
	double	 spot_share;		/* FARGATE_SPOT share of the weights */
	bool	 share_mixed;		/* strategy names FARGATE and _SPOT */
	bool	 names_spot;		/* strategy names FARGATE_SPOT */
	int	 share_od;		/* on-demand percent when mixed */
	char	*launch;		/* launchType, or NULL */
	bool	 sc_server;		/* Service Connect server (svcpol_check) */
	bool	 strategy_other;	/* deployment strategy not ROLLING */
	long long desired;		/* service-level desiredCount */
	char	**sgs;			/* awsvpc security groups */
	size_t	 nsgs;
	char	**subnets;
	size_t	 nsubnets;
	struct xtd *td;			/* resolved, NULL if skipped */
	char	*td_ref;		/* taskDefinition as resolved by
					   consist_taskdef_ref, or NULL */
	char	*newname;		/* prefix + name */
	char	*svc_step;		/* "svc/<newname>" */
	char	*wait_step;		/* "wait/<newname>" */
	char	 vng[MODEL_VNG_MAX];	/* node group, set by ocean_plan */
	struct xscaling *scaling;	/* autoscale.c, or NULL: none */
};

struct xsg {				/* one exported security group */
	cJSON	*sg;			/* SecurityGroup object, owned; after
					   export_load only while held
					   (export_sg_hold) */
	char	*src;
	char	*jpath;
	char	*id;			/* GroupId */
	char	*vpc;			/* VpcId, or NULL */
	char	*digest;
	long long slice_off;		/* its bytes in ex->raw_fd */
	size_t	 slice_len;		/* 0: kept in memory */
};

/* A file that holds services: read again by export_svc_hold. */
struct xfile {
	char	*path;
	char	*display;		/* path relative to its input argument */
	size_t	 size;			/* bytes */
	long long raw_off;		/* where they are in ex->raw_fd, or -1 */
};

#define EXPORT_RAW_WINDOWS	2	/* export.rwin */

struct export {
	struct xsvc *svcs;
	size_t	 nsvcs;
	struct xtd *tds;
	size_t	 ntds;
	struct xsg *sgs;
	size_t	 nsgs;
	char	*region;		/* from ARNs, or NULL */
	char	*region_src;		/* "file: $.path" of that ARN */
	char	*account;		/* from ARNs, or NULL */
	char	*partition;		/* "aws", "aws-cn", ... */
	char	*cluster;		/* ECS cluster short name, or NULL */
	bool	 where_svc;		/* region etc. from a service's ARN */
	struct hashmap svc_idx;		/* "cluster/name" -> index in svcs */
	struct hashmap td_idx;		/* key -> index in tds */
	struct hashmap sg_idx;		/* GroupId -> index in sgs */
	struct xaas_list aas[XAAS__MAX];	/* scaling inputs and alarms */
	const char *display;		/* srcname of the file being parsed */
	int	 dup;			/* enum json_dup for the files read */
	struct xfile *files;		/* files of the services, read order */
	size_t	 nfiles;
	bool	 reload;		/* a file read again: no checks, quiet */
	struct xsvc **held;		/* trees export_svc_hold brought back */
	size_t	 nheld;
	bool	 failed;		/* export_svc_hold failed (logged) */
	/*
	 * A copy of the bytes of every file read that held services, task
	 * definitions or security groups: an unlinked temporary file
	 * (beside raw_near, else in /tmp), where the trees are read back
	 * from, so that each input is read once, however often a stage
	 * needs a tree again, and cannot change in between. -1 until the
	 * first file.
	 */
	int	 raw_fd;
	long long raw_len;		/* bytes in it */
	bool	 raw_failed;		/* a write to it failed (logged) */
	const char *raw_near;		/* the output's path, or NULL */
	/*
	 * Trees are read back in about the order their bytes were kept:
	 * windows of EXPORT_RAW_WINDOW bytes of raw_fd (export_int.h; the
	 * copy only grows) save a pread for most of them.
	 */
	struct raw_win {
		char	*buf;		/* NULL until first used */
		long long off;
		size_t	 len;
		unsigned long used;	/* last use; 0 never */
	}	 rwin[EXPORT_RAW_WINDOWS];
	unsigned long rwin_clock;
	struct xtd *td_held;		/* tree export_td_hold brought back */
	struct xsg *sg_held;		/* tree export_sg_hold brought back */
};

struct xwarn {
	char	*subject;		/* "service web", "task definition x:3" */
	char	*message;
};

struct xlate {
	const struct options *opt;
	struct export *ex;		/* NULL once the manifest is made */
	struct xsvc **mig;		/* migrated services, name order */
	size_t	 nmig;
	struct plan *plan;		/* NULL once the manifest is made */
	size_t	 nsteps;		/* its steps, then */
	struct bundle *bundle;
	struct xwarn *warns;
	size_t	 nwarns;
	cJSON	*templates;		/* manifest "templates": name -> sha256 */
	cJSON	*resolved;		/* defaults the stages resolved */
	char	*templates_dir;		/* resolved templates directory */
	char	*bundle_id;		/* 16 hex: parameters + inputs, for tags */
	struct iampolicy *iam;		/* IAM policy so far (iampolicy.h) */
	struct ctx_index *where;	/* the export by name (ctx.c) */
	/* Set by sg_plan: references to the instances' group ids. */
	char	**instance_sgs;		/* "${sg/instances.GroupId}" ... */
	size_t	 ninstance_sgs;
	char	**sg_steps;		/* step ids the launch spec waits for */
	size_t	 nsg_steps;
	/* Set by ocean_plan. */
	char	*ocean_step;		/* "ocean/cluster" */
	char	**vng_steps;
	size_t	 nvng_steps;
	/* PLAN.md sections, in order, filled by the stages. */
	struct strbuf md_steps_intro;	/* prerequisites */
	struct strbuf md_services;	/* per service: what changed */
	struct strbuf md_sg;		/* security groups */
	struct strbuf md_ocean;		/* Ocean cluster and node groups */
	struct strbuf md_cost;		/* cost and waste */
	struct strbuf md_phases;	/* cutover / rollback explanation */
};

/* PLAN.md, and so each of its sections: one bundle file. */
#define MODEL_MD_MAX	BUNDLE_MAX_FILE

#endif
