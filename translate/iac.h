#ifndef F2O_IAC_H
#define F2O_IAC_H
/*
 * Infrastructure-as-code ownership: services, task definitions and
 * security groups whose tags say a CloudFormation stack (CDK, Copilot) or
 * Terraform owns them.
 */
#include <cjson/cJSON.h>

#include "model.h"

/*
 * Look at every migrated service (x->mig), its task definition and its
 * security groups. An owned resource is an error (logged, -1) unless
 * --allow-iac-owned; the PLAN.md section (x->md_services) lists the owned
 * resources and the ones whose tags the export does not carry.
 */
int	iac_check(struct xlate *);
/*
 * The owner that tags (ECS [{key, value}] or EC2 [{Key, Value}]) name,
 * such as "CloudFormation stack shop", or NULL when none; *idx (if not
 * NULL) is the deciding tag's index. Free with free().
 */
char	*iac_owner(const cJSON *tags, int *idx);

#endif
