#ifndef F2O_OCEAN_H
#define F2O_OCEAN_H
/*
 * The Spot Ocean payloads: the Ocean cluster (spot:CreateOceanCluster,
 * step "ocean/cluster") and one virtual node group per group of services
 * that needs different instances (spot:CreateOceanLaunchSpec, steps
 * "vng/<name>"), built from templates/ocean-cluster.json,
 * templates/ocean-launchspec.json, templates/userdata.sh and
 * templates/instance-types.json.
 *
 * Node groups: one per architecture ("x86_64", "arm64"), plus one per
 * architecture for services whose Fargate ephemeral storage exceeded the
 * 20 GiB default ("x86_64-disk", "arm64-disk"; root volume sized for the
 * largest). The cluster's own launch specification is a template only
 * (useAsTemplateOnly): every instance comes from a node group, so an AMI
 * never meets an instance type of the other architecture.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "model.h"

#define OCEAN_STEP_CLUSTER	"ocean/cluster"
#define OCEAN_STEP_TRUNKING	"account/awsvpcTrunking"
#define OCEAN_TEMPLATE_CLUSTER	"ocean-cluster.json"
#define OCEAN_TEMPLATE_VNG	"ocean-launchspec.json"
#define OCEAN_TEMPLATE_USERDATA	"userdata.sh"
#define OCEAN_VNG_ATTRIBUTE	"f2o.vng"	/* ECS attribute: group name */
#define OCEAN_FARGATE_EPH_GIB	20	/* ephemeral storage Fargate gives */
#define OCEAN_ROOT_GIB		30	/* root volume when the template has none */
#define OCEAN_MAX_USERDATA	16384	/* EC2 user data, bytes before base64 */
#define OCEAN_MAX_PLACEHOLDER	64	/* bytes of a {{NAME}} */
#define OCEAN_MAX_NAME		255	/* ECS cluster / Ocean name */

/* Pipeline stage. Returns 0, or -1 (bad input, logged). */
int	 ocean_plan(struct xlate *);
/*
 * Append to sb one line ("\n  --name (why)") per parameter the Ocean
 * payloads need that neither the options nor the export give (region,
 * ECS cluster, the AMI of each architecture the tasks use, instance
 * profile, subnets), so the caller can report every missing parameter in
 * one error. Needs taskdef_analyze() done (task architectures).
 */
void	 ocean_missing_params(const struct xlate *, struct strbuf *sb);
/*
 * The node group a migrated service's tasks run on ("x86_64", "arm64",
 * "x86_64-disk", "arm64-disk"); its instances carry the ECS attribute
 * OCEAN_VNG_ATTRIBUTE with that value, so a placement constraint
 * "attribute:f2o.vng == <name>" pins the service there. Borrowed static
 * string; NULL when the service has no task definition.
 */
const char *ocean_vng_name(const struct xsvc *);
/*
 * The placement constraint that pins s to its node group's instances,
 * {"type": "memberOf", "expression": "attribute:f2o.vng == <group>"}
 * (free with cJSON_Delete), or NULL when s has no task definition.
 */
cJSON	*ocean_placement(const struct xsvc *);
/*
 * The size a task occupies on EC2 (CPU units, MiB), following
 * --task-size: "fargate" = the task-level size (containers' sums when
 * unset); "containers" = taskdef_container_size(), as the cost report.
 */
void	 ocean_task_size(const struct xlate *, const struct xtd *, int *cpu,
	    int *memory);
/* Standard padded base64 of buf; free with free(). */
char	*ocean_base64(const void *buf, size_t len);
/*
 * Replace each {{NAME}} (NAME of A-Z, 0-9, _) in tmpl (len bytes) by the
 * value that follows NAME in vars (NULL-terminated name, value, name,
 * value, ...); other braces, such as {{.Id}}, are copied. An unknown NAME
 * is an error naming what and the line. Returns a new string (free with
 * free()) or NULL (logged).
 */
char	*ocean_render(const char *tmpl, size_t len, const char *const *vars,
	    const char *what);

#endif
