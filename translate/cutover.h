#ifndef F2O_CUTOVER_H
#define F2O_CUTOVER_H
/*
 * The cutover phase (give each migrated service back its name, on EC2)
 * and the rollback phase (undo whatever the journal says was done).
 */
#include "model.h"

#define CUTOVER_TEMP_PREFIX	"f2o-rb-"	/* rollback's temporary name */

/* Add cutover and rollback steps and the PLAN.md section. 0 or -1. */
int	cutover_plan(struct xlate *);

#endif
