/*
 * Wait steps: poll DescribeServices until stable or inactive (judging each
 * reply against what the steps before expect), or ListContainerInstances
 * until no instance of f2o's Ocean is left. See wait.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "call.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "wait.h"
#include "waitdiag.h"

#define WAIT_MAX_PAGES	100	/* ListContainerInstances pages per poll */

static const cJSON *
primary_deployment(const cJSON *deps)
{
	const cJSON *d;
	const char *st;

	cJSON_ArrayForEach(d, deps) {
		st = json_str(d, "status");
		if (st != NULL && strcmp(st, "PRIMARY") == 0)
			return d;
	}
	return cJSON_GetArrayItem(deps, 0);
}

/* Is the service of arn (".../NAME" or NAME) one being drained? */
static bool
drained_name(const cJSON *drain, const char *arn)
{
	const char *slash = strrchr(arn, '/');

	return cJSON_GetObjectItemCaseSensitive(drain, slash != NULL ?
	    slash + 1 : arn) != NULL;
}

/* Same task definition: equal, or an ARN ending in "/family:rev". */
static bool
td_same(const char *have, const char *want)
{
	size_t hl, wl;

	if (have == NULL || want == NULL)
		return false;
	if (strcmp(have, want) == 0)
		return true;
	hl = strlen(have);
	wl = strlen(want);
	if (strchr(want, '/') == NULL && hl > wl && have[hl - wl - 1] == '/' &&
	    strcmp(have + hl - wl, want) == 0)
		return true;
	if (strchr(have, '/') == NULL && wl > hl && want[wl - hl - 1] == '/' &&
	    strcmp(want + wl - hl, have) == 0)
		return true;
	return false;
}

/*
 * A service scaled to 0: 1 when desiredCount, runningCount and
 * pendingCount (absent: 0) are all 0, else 0 with buf saying where it
 * stands.
 */
static int
drained_counts(const cJSON *s, const char *name, char *buf, size_t bufsz)
{
	long long desired = -1, running = -1, pending = 0;

	if (json_int(s, "desiredCount", 0, 1LL << 31, &desired) == -1 ||
	    json_int(s, "runningCount", 0, 1LL << 31, &running) == -1) {
		(void)snprintf(buf, bufsz, "service %s: no "
		    "desiredCount/runningCount", name);
		return 0;
	}
	if (cJSON_GetObjectItemCaseSensitive(s, "pendingCount") != NULL &&
	    json_int(s, "pendingCount", 0, 1LL << 31, &pending) == -1)
		pending = -1;
	if (desired == 0 && running == 0 && pending == 0)
		return 1;
	(void)snprintf(buf, bufsz, "service %s: draining: desiredCount %lld, "
	    "runningCount %lld, pendingCount %lld", name, desired, running,
	    pending);
	return 0;
}

int
run_services_check(const cJSON *reply, bool inactive, const cJSON *expect,
    const cJSON *drain, char *buf, size_t bufsz)
{
	const cJSON *svcs, *fails, *f, *s, *deps, *d;
	const char *st, *rs, *name, *want, *have, *reason, *arn;
	long long desired = 0, running = 0;
	int ndeps, rc = 1;

	buf[0] = '\0';
	fails = cJSON_GetObjectItemCaseSensitive(reply, "failures");
	cJSON_ArrayForEach(f, fails) {
		arn = json_str(f, "arn");
		reason = json_str(f, "reason");
		if (reason != NULL && strcmp(reason, "MISSING") == 0 &&
		    (inactive || (arn != NULL && drained_name(drain, arn))))
			continue;
		(void)snprintf(buf, bufsz, "service %s: %s", arn != NULL ?
		    arn : "?", reason != NULL ? reason : "failure");
		return -1;
	}
	svcs = cJSON_GetObjectItemCaseSensitive(reply, "services");
	if (!cJSON_IsArray(svcs)) {
		(void)snprintf(buf, bufsz, "no services in the reply");
		return -1;
	}
	cJSON_ArrayForEach(s, svcs) {
		name = json_str(s, "serviceName");
		if (name == NULL)
			name = "?";
		st = json_str(s, "status");
		if (inactive) {
			if (st == NULL || strcmp(st, "INACTIVE") != 0) {
				(void)snprintf(buf, bufsz, "service %s is %s",
				    name, st != NULL ? st : "without status");
				rc = 0;
			}
			continue;
		}
		if (st != NULL && strcmp(st, "ACTIVE") != 0 &&
		    cJSON_GetObjectItemCaseSensitive(drain, name) != NULL)
			continue;	/* scaled to 0, and gone: drained */
		if (st != NULL && strcmp(st, "ACTIVE") == 0 &&
		    cJSON_GetObjectItemCaseSensitive(drain, name) != NULL) {
			/*
			 * Being drained: no task left is all that counts. A
			 * FAILED or rolled-back deployment of a service that
			 * is being removed is no failure of the drain.
			 */
			if (drained_counts(s, name, buf, bufsz) == 0)
				rc = 0;
			continue;
		}
		if (st == NULL || strcmp(st, "ACTIVE") != 0) {
			(void)snprintf(buf, bufsz, "service %s is %s, not "
			    "ACTIVE", name, st != NULL ? st : "without status");
			return -1;
		}
		deps = cJSON_GetObjectItemCaseSensitive(s, "deployments");
		ndeps = cJSON_IsArray(deps) ? cJSON_GetArraySize(deps) : 0;
		d = ndeps > 0 ? primary_deployment(deps) : NULL;
		rs = d != NULL ? json_str(d, "rolloutState") : NULL;
		if (rs != NULL && strcmp(rs, "FAILED") == 0) {
			reason = json_str(d, "rolloutStateReason");
			(void)snprintf(buf, bufsz, "service %s: deployment "
			    "failed (rolloutState FAILED%s%s); the ECS "
			    "deployment circuit breaker stopped it", name,
			    reason != NULL ? ": " : "",
			    reason != NULL ? reason : "");
			return -1;
		}
		want = expect != NULL ? json_str(expect, name) : NULL;
		have = d != NULL ? json_str(d, "taskDefinition") :
		    json_str(s, "taskDefinition");
		if (want != NULL && have != NULL && !td_same(have, want)) {
			(void)snprintf(buf, bufsz, "service %s: the PRIMARY "
			    "deployment runs %s, not %s: the deployment was "
			    "rolled back (circuit breaker)", name, have, want);
			return -1;
		}
		if (json_int(s, "desiredCount", 0, 1LL << 31, &desired) == -1 ||
		    json_int(s, "runningCount", 0, 1LL << 31, &running) == -1) {
			(void)snprintf(buf, bufsz, "service %s: no "
			    "desiredCount/runningCount", name);
			rc = 0;
			continue;
		}
		if (desired == 0) {
			if (running != 0 || ndeps != 1) {
				(void)snprintf(buf, bufsz, "service %s: "
				    "scaling to 0: runningCount %lld, %d "
				    "deployment(s)", name, running, ndeps);
				rc = 0;
			}
			continue;
		}
		if (ndeps != 1 || (rs != NULL && strcmp(rs, "COMPLETED") !=
		    0) || running != desired) {
			(void)snprintf(buf, bufsz, "service %s: runningCount "
			    "%lld of %lld, %d deployment(s), rolloutState %s",
			    name, running, desired, ndeps, rs != NULL ? rs :
			    "-");
			rc = 0;
		}
	}
	return rc;
}

void
wait_expectations(struct run_ctx *ctx, const struct plan_step *step,
    cJSON **expect, cJSON **drain)
{
	const struct plan_step *dep;
	const cJSON *dc;
	cJSON *exp = NULL, *req;
	const char *name, *td;
	size_t i;

	*drain = NULL;
	for (i = 0; i < step->nafter; i++) {
		dep = plan_find(ctx->plan, step->after[i]);
		if (dep != NULL && strcmp(dep->action, "ecs:UpdateService") ==
		    0 && (req = run_step_request(ctx, dep, false)) != NULL) {
			dc = cJSON_GetObjectItemCaseSensitive(req,
			    "desiredCount");
			name = json_str(req, "service");
			if (cJSON_IsNumber(dc) && dc->valueint == 0 &&
			    name != NULL) {
				if (*drain == NULL)
					*drain = cJSON_CreateObject();
				if (strrchr(name, '/') != NULL)
					name = strrchr(name, '/') + 1;
				json_del(*drain, name);
				cJSON_AddTrueToObject(*drain, name);
			}
			cJSON_Delete(req);
			continue;
		}
		if (dep == NULL || strcmp(dep->action, "ecs:CreateService") !=
		    0)
			continue;
		req = run_step_request(ctx, dep, true);
		if (req == NULL)
			continue;
		name = json_str(req, "serviceName");
		td = json_str(req, "taskDefinition");
		if (name != NULL && td != NULL) {
			if (exp == NULL)
				exp = cJSON_CreateObject();
			json_del(exp, name);
			json_add_str(exp, name, td);
		}
		cJSON_Delete(req);
	}
	*expect = exp;
}

int
run_instances_check(const cJSON *arns, char *buf, size_t bufsz)
{
	const cJSON *a;
	const char *arn, *tail;
	size_t used;
	int n, i = 0;

	buf[0] = '\0';
	n = cJSON_IsArray(arns) ? cJSON_GetArraySize(arns) : 0;
	if (n == 0)
		return 1;
	(void)snprintf(buf, bufsz, "%d container instance(s) of f2o's Ocean "
	    "left:", n);
	cJSON_ArrayForEach(a, arns) {
		arn = cJSON_GetStringValue(a);
		if (arn == NULL)
			continue;
		tail = strrchr(arn, '/');
		used = strlen(buf);
		if (i++ == 3) {
			(void)snprintf(buf + used, bufsz - used, " ...");
			break;
		}
		(void)snprintf(buf + used, bufsz - used, " %s",
		    tail != NULL ? tail + 1 : arn);
	}
	return 0;
}

/*
 * Every page of ListContainerInstances for req: 0 with *arns (a new
 * array), or -1 (err filled).
 */
static int
instances_list(struct run_ctx *ctx, const cJSON *req, cJSON **arns,
    struct http_apierr *err)
{
	const cJSON *page, *a;
	const char *next = NULL;
	cJSON *q, *reply = NULL;
	int pages = 0, rc = -1;

	*arns = cJSON_CreateArray();
	for (;;) {
		q = cJSON_Duplicate(req, 1);
		json_del(q, "nextToken");
		if (next != NULL)
			json_add_str(q, "nextToken", next);
		cJSON_Delete(reply);
		reply = NULL;
		if (run_call(ctx, RUN_API_ECS, "ListContainerInstances", NULL,
		    NULL, q, true, &reply, err, NULL) == -1) {
			cJSON_Delete(q);
			goto out;
		}
		cJSON_Delete(q);
		page = cJSON_GetObjectItemCaseSensitive(reply,
		    "containerInstanceArns");
		cJSON_ArrayForEach(a, page)
			if (cJSON_IsString(a))
				cJSON_AddItemToArray(*arns,
				    cJSON_CreateString(a->valuestring));
		next = json_str(reply, "nextToken");
		if (next == NULL || next[0] == '\0')
			break;
		if (++pages >= WAIT_MAX_PAGES) {
			log_warnx("ListContainerInstances: more than %d pages; "
			    "counting the first ones", WAIT_MAX_PAGES);
			break;
		}
	}
	rc = 0;
out:
	cJSON_Delete(reply);
	if (rc == -1) {
		cJSON_Delete(*arns);
		*arns = NULL;
	}
	return rc;
}

bool
wait_in_time(const struct run_ctx *ctx, double t0, int polls)
{
	return !(ctx_now_s() - t0 + ctx->opts->poll_interval >
	    ctx->opts->wait_timeout || (ctx->opts->wait_attempts > 0 &&
	    polls >= ctx->opts->wait_attempts));
}

int
wait_judge(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *req, const cJSON *reply, const struct wait_expect *we,
    char *why, size_t whysz, struct http_apierr *err)
{
	int r;

	r = run_services_check(reply, we->inactive, we->expect, we->drain, why,
	    whysz);
	if (r == -1) {
		log_errx("%s: %s: %s", step->id, step->action, why);
		waitdiag_report(ctx, step, req, reply, !we->inactive);
		http_apierr_set(err, 0, we->inactive ? "WaiterFailed" :
		    "DeploymentFailed", why, false);
	}
	return r;
}

void
wait_timed_out(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *req, const cJSON *reply, const struct wait_expect *we,
    double t0, int polls, const char *why, struct http_apierr *err)
{
	log_errx("%s: %s: not reached after %.0f s (%d polls): %s", step->id,
	    step->action, ctx_now_s() - t0, polls, why);
	waitdiag_report(ctx, step, req, reply, !we->inactive);
	http_apierr_set(err, 0, "WaiterTimeout", why, true);
}

/* Sleep before the next poll: 1 go on, 0 out of time, -1 stopped. */
static int
wait_pause(struct run_ctx *ctx, double t0, int polls, double interval,
    struct http_apierr *err)
{
	if (!wait_in_time(ctx, t0, polls))
		return 0;
	if (!ctx_sleep_ms(ctx, (uint64_t)(interval * 1000))) {
		http_apierr_set(err, 0, "Interrupted",
		    "stopped by a signal while waiting", true);
		return -1;
	}
	return 1;
}

/*
 * wait:ContainerInstancesGone: poll ListContainerInstances (req, all
 * pages) until it lists no container instance.
 */
static int
wait_instances_gone(struct run_ctx *ctx, cJSON **result,
    struct http_apierr *err, const struct plan_step *step, const cJSON *req)
{
	char why[512];
	cJSON *arns = NULL;
	double t0 = ctx_now_s(), interval = ctx->opts->poll_interval;
	int polls = 0, r;

	why[0] = '\0';
	for (;;) {
		if (polls > 0 && (r = wait_pause(ctx, t0, polls, interval,
		    err)) != 1) {
			if (r == -1)
				return -1;
			break;
		}
		polls++;
		cJSON_Delete(arns);
		if (instances_list(ctx, req, &arns, err) == -1) {
			/* No cluster: no container instance either. */
			if (err->code == NULL || strcmp(err->code,
			    "ClusterNotFoundException") != 0)
				return -1;
			log_warnx("%s: the ECS cluster is gone: no container "
			    "instance left", step->id);
			http_apierr_cleanup(err);
			*result = cJSON_CreateArray();
			return 0;
		}
		if (run_instances_check(arns, why, sizeof(why)) == 1) {
			*result = arns;
			return 0;
		}
	}
	cJSON_Delete(arns);
	log_errx("%s: %s: not reached after %.0f s (%d polls): %s", step->id,
	    step->action, ctx_now_s() - t0, polls, why);
	http_apierr_set(err, 0, "WaiterTimeout", why, true);
	return -1;
}

int
wait_kind(const char *op, struct wait_expect *we)
{
	memset(we, 0, sizeof(*we));
	if (strcmp(op, "ServicesStable") == 0)
		return 0;
	if (strcmp(op, "ServicesInactive") == 0) {
		we->inactive = true;
		return 0;
	}
	return -1;
}

int
wait_services(struct run_ctx *ctx, cJSON **result, struct http_apierr *err,
    const struct plan_step *step, const char *op, const cJSON *req)
{
	char why[WAIT_WHY_MAX];
	cJSON *reply = NULL;
	struct wait_expect we;
	double t0;
	int polls = 0, r, rc = -1;

	if (strcmp(op, "ContainerInstancesGone") == 0)
		return wait_instances_gone(ctx, result, err, step, req);
	if (wait_kind(op, &we) == -1) {
		log_errx("%s: unknown wait:%s", step->id, op);
		http_apierr_set(err, 0, "InvalidAction", NULL, false);
		return -1;
	}
	if (!we.inactive)
		wait_expectations(ctx, step, &we.expect, &we.drain);
	t0 = ctx_now_s();
	why[0] = '\0';
	for (;;) {
		if (polls > 0 && (r = wait_pause(ctx, t0, polls,
		    ctx->opts->poll_interval, err)) != 1) {
			if (r == -1)
				goto out;
			break;
		}
		polls++;
		cJSON_Delete(reply);
		reply = NULL;
		if (run_call(ctx, RUN_API_ECS, "DescribeServices", NULL, NULL,
		    req, true, &reply, err, NULL) == -1)
			goto out;
		r = wait_judge(ctx, step, req, reply, &we, why, sizeof(why),
		    err);
		if (r == 1) {
			*result = reply;
			reply = NULL;
			rc = 0;
			goto out;
		}
		if (r == -1)
			goto out;
	}
	wait_timed_out(ctx, step, req, reply, &we, t0, polls, why, err);
out:
	cJSON_Delete(reply);
	wait_expect_cleanup(&we);
	return rc;
}

void
wait_expect_cleanup(struct wait_expect *we)
{
	if (we == NULL)
		return;
	cJSON_Delete(we->expect);
	cJSON_Delete(we->drain);
	we->expect = we->drain = NULL;
}
