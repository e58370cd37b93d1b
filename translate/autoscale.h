#ifndef F2O_AUTOSCALE_H
#define F2O_AUTOSCALE_H
/*
 * Application Auto Scaling carry-over: the side-by-side copy and the EC2
 * service re-created at cutover get the original's scalable target,
 * scaling policies, scheduled actions and step-scaling alarms; the
 * cutover suspends the original's scaling first; the rollback restores it
 * as exported and removes f2o's. See BUNDLE.md "Application Auto Scaling".
 */
#include <cjson/cJSON.h>

#include "model.h"

#define AUTOSCALE_DIMENSION	"ecs:service:DesiredCount"
#define AUTOSCALE_MAX_ALARMS	100	/* DeleteAlarms takes at most 100 */
#define AUTOSCALE_ALARM_MAX	255	/* CloudWatch alarm name length */
/* Alarms Application Auto Scaling makes for target tracking (not ours). */
#define AUTOSCALE_TT_PREFIX	"TargetTracking-"

/*
 * After service_plan: match the export's targets, policies, scheduled
 * actions and alarms to the migrated services (warnings for the rest,
 * errors for step scaling without its alarms), add the copy's steps
 * (as/COPY:..., cw/COPY:...) and the PLAN.md section. 0 or -1 (logged).
 */
int	autoscale_plan(struct xlate *);
/* True when any migrated service carries scaling. */
bool	autoscale_any(const struct xlate *);
void	autoscale_free(struct xscaling *);	/* NULL-safe */

/*
 * Cutover and rollback hooks, called by cutover.c inside a service's
 * chain: each adds its steps (none when the service has no scaling) one
 * after the other starting after *prev, and leaves *prev (a malloc'd step
 * id) naming the last step added. 0 or -1 (logged).
 *   cut_suspend    cut/N:suspend, before the original is scaled down
 *   cut_carry      cut/N:target, :policy-K, :action-K, :alarm-K, after
 *                  cut/N:stable
 *   cut_copy_off   cut/N:copy-deregister, cut/N:copy-alarms-delete,
 *                  before the copy is scaled down
 *   rb_ec2_off     rb/N:ec2-deregister, before the EC2 service is scaled
 *                  down
 *   rb_restore     rb/N:target, :policy-K, :action-K, :alarm-K, after
 *                  rb/N:fargate-scaled
 *   rb_copy_off    rb/N:copy-deregister, rb/N:copy-alarms-delete, before
 *                  the copy is scaled down
 */
int	autoscale_cut_suspend(struct xlate *, const struct xsvc *, char **prev);
int	autoscale_cut_carry(struct xlate *, const struct xsvc *, char **prev);
int	autoscale_cut_copy_off(struct xlate *, const struct xsvc *,
	    char **prev);
int	autoscale_rb_ec2_off(struct xlate *, const struct xsvc *, char **prev);
int	autoscale_rb_restore(struct xlate *, const struct xsvc *, char **prev);
int	autoscale_rb_copy_off(struct xlate *, const struct xsvc *,
	    char **prev);

#endif
