#ifndef F2O_SERVICE_H
#define F2O_SERVICE_H
/*
 * Fargate service -> CreateService input for the side-by-side EC2 copy.
 */
#include "xlate.h"

/*
 * Decide whether s can be copied side by side; fills s->newname etc.
 * Returns 1 to migrate, 0 to leave alone (reported), -1 on bad input.
 */
int	service_select(struct xlate *, struct xsvc *s);
/* The CreateService input (free with cJSON_Delete), or NULL (logged). */
cJSON	*service_request(struct xlate *, struct xsvc *s, const char *name,
	    const char *td_ref, bool for_copy);
/* Add create + wait steps for every migrated service. */
int	service_plan(struct xlate *);

#endif
