#ifndef F2O_PLANMD_H
#define F2O_PLANMD_H
/* PLAN.md: the human review of a bundle. */
#include "model.h"

/* Add PLAN.md to the bundle. Returns 0 or -1. */
int	planmd_write(struct xlate *);

#endif
