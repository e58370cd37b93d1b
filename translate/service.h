#ifndef F2O_SERVICE_H
#define F2O_SERVICE_H
/*
 * Fargate service -> CreateService input for the side-by-side EC2 copy.
 */
#include "model.h"

/*
 * Decide whether s can be copied side by side; fills s->newname etc.
 * Returns 1 to migrate, 0 to leave alone (reported), -1 on bad input.
 */
int	service_select(struct xlate *, struct xsvc *s);
/*
 * The CreateService input on the EC2 launch type (free with
 * cJSON_Delete), or NULL (logged). for_copy: the side-by-side copy (a
 * Service Connect server joins as a client only). The clientToken is
 * derived from the bundle id and step_id.
 */
cJSON	*service_request(struct xlate *, struct xsvc *s, const char *name,
	    const char *td_ref, bool for_copy, const char *step_id);
/*
 * The read step that takes the live desiredCount of service name:
 * ecs:DescribeServices, output desiredCount (services.0.desiredCount).
 * Returns the request (free with cJSON_Delete).
 */
cJSON	*service_live_request(const struct xlate *, const char *name);
/* In req, desiredCount becomes "${live_step.desiredCount}". */
void	service_live_count(cJSON *req, const char *live_step);
/* Add create + wait steps for every migrated service. */
int	service_plan(struct xlate *);

#endif
