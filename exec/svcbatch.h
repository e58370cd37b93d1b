#ifndef F2O_SVCBATCH_H
#define F2O_SVCBATCH_H
/*
 * Batching DescribeServices: which requests may share one call (same
 * cluster and options), and each request's part of a shared reply. Pure;
 * the poller (svcpoll.h) uses them.
 */
#include <cjson/cJSON.h>

#define SVCBATCH_MAX	10	/* services per DescribeServices (API limit) */

/*
 * The batch key of a DescribeServices request: its members other than
 * "services" as text (equal keys may share a call). NULL when the request
 * cannot share one: a member other than cluster and include, or services
 * not an array of 1..SVCBATCH_MAX strings. Free with free().
 */
char	*svcbatch_key(const cJSON *req);
/*
 * Add the strings of names to all (an array) that it does not hold yet.
 * Returns how many all would hold then; adds nothing (and returns that
 * count) when it would exceed max.
 */
int	svcbatch_merge(cJSON *all, const cJSON *names, int max);
/*
 * The part of a shared DescribeServices reply that answers names (the
 * "services" of one request): a new {"services": [...], "failures":
 * [...]} with the services (an ARN matched by serviceArn, a name by
 * serviceName; in the order of names) and failures (matched by arn, a
 * name by the arn's last "/" part) of those names, and every failure
 * without an arn. NULL when some name is answered by nothing or by more
 * than one service or failure: that request must be sent alone.
 */
cJSON	*svcbatch_split(const cJSON *reply, const cJSON *names);

#endif
