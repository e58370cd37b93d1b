#ifndef F2O_TASKDEF_H
#define F2O_TASKDEF_H
/*
 * Fargate task definition -> RegisterTaskDefinition input for EC2.
 */
#include "model.h"

/*
 * Read sizes, architecture and Fargate-only settings of t into its
 * derived fields. Returns 0, or -1 (logged with file and JSON path).
 */
int	taskdef_analyze(struct xtd *t);
/*
 * Normalise a task-level size string: cpu "1 vcpu" -> 1024 units,
 * memory "2 gb" -> 2048 MiB, plain numbers as given. -1 when invalid.
 */
int	taskdef_units(const char *s, bool is_cpu, int *out);
/* Build the request (free with cJSON_Delete), or NULL (logged). */
cJSON	*taskdef_request(struct xlate *, struct xtd *t);
#define TASKDEF_EC2_MIN_CPU	128	/* smallest EC2 task-level cpu */
#define TASKDEF_EC2_MIN_MEMORY	6	/* MiB, smallest container memory */

/* taskdef_container_size() flags: a dimension the containers leave unset. */
#define TASKDEF_SIZE_NO_CPU	0x1	/* no container sets cpu */
#define TASKDEF_SIZE_NO_MEMORY	0x2	/* no container sets memory */

/*
 * --task-size containers: the task-level size for the EC2 task definition
 * from what the containers reserve. cpu = sum of container cpu (at least
 * 128); memory = sum of each container's memoryReservation (or memory when
 * only that is set), and never below the largest container hard memory
 * limit. A dimension no container sets keeps the task-level value (and
 * its flag is returned so the caller can say so; report_plan() warns).
 * Never returns less than any container reserves. Returns the flags
 * (0 when both dimensions come from the containers).
 */
int	taskdef_container_size(const struct xtd *, int *cpu, int *memory);
/*
 * taskDefinitionArn (or NULL), whether its network mode is awsvpc (or
 * unset), its containers' longest stopTimeout (0 when none sets one): from
 * the tree, or once it left memory (taskdef_plan) from what it kept.
 */
const char *taskdef_arn(const struct xtd *);
bool	taskdef_awsvpc(const struct xtd *);
long long taskdef_stop_max(const struct xtd *);
/* Add a RegisterTaskDefinition step per used task definition. */
int	taskdef_plan(struct xlate *);

#endif
