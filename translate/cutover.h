#ifndef F2O_CUTOVER_H
#define F2O_CUTOVER_H
/*
 * The cutover phase (give each migrated service back its name, on EC2)
 * and the rollback phase (undo whatever the journal says was done).
 */
#include "model.h"

#define CUTOVER_TEMP_PREFIX	"f2o-rb-"	/* rollback's temporary name */
/* The rollback's wait until no instance of f2o's Ocean is left. */
#define CUTOVER_STEP_INSTANCES_GONE	"rb/ocean-instances-gone"

/* Add cutover and rollback steps and the PLAN.md section. 0 or -1. */
int	cutover_plan(struct xlate *);

#endif
