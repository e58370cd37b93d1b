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
/* Add a RegisterTaskDefinition step per used task definition. */
int	taskdef_plan(struct xlate *);

#endif
