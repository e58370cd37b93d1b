/*
 * Wait diagnostics: when a wait fails or times out, what ECS says about
 * its services (events, failed deployment, stopped tasks). See waitdiag.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "jsonutil.h"
#include "log.h"
#include "progress.h"
#include "waitdiag.h"
#include "xalloc.h"

/* AWS text for a terminal: control characters to spaces, cut. New. */
static char *
clean_text(const char *s)
{
	size_t i, n = s != NULL ? strlen(s) : 0;
	char *out;

	if (n > WAITDIAG_TEXT_MAX)
		n = WAITDIAG_TEXT_MAX;
	out = xstrndup(s != NULL ? s : "", n);
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
	return out;
}

static void
add_clean(cJSON *obj, const char *key, const char *val)
{
	char *c;

	if (val == NULL)
		return;
	c = clean_text(val);
	json_add_str(obj, key, c);
	free(c);
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* An ECS timestamp (epoch seconds, JSON number) as ISO 8601 UTC. */
static void
add_time(cJSON *obj, const char *key, const cJSON *t)
{
	char buf[32];
	struct tm tm;
	time_t sec;

	if (!cJSON_IsNumber(t) || t->valuedouble < 0 ||
	    t->valuedouble > 253402300799.0)
		return;
	sec = (time_t)t->valuedouble;
	if (gmtime_r(&sec, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return;
	json_add_str(obj, key, buf);
}

static double
created(const cJSON *ev)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "createdAt");

	return cJSON_IsNumber(t) ? t->valuedouble : 0;
}

/* The last WAITDIAG_EVENTS events, newest first. */
static cJSON *
last_events(const cJSON *events)
{
	const cJSON *pick[WAITDIAG_EVENTS], *e;
	cJSON *out = cJSON_CreateArray(), *o;
	size_t n = 0, i, j;

	cJSON_ArrayForEach(e, events) {
		if (json_str(e, "message") == NULL)
			continue;
		/* keep the newest; ties keep ECS's order (newest first) */
		for (i = 0; i < n && created(pick[i]) >= created(e); i++)
			;
		if (i >= WAITDIAG_EVENTS)
			continue;
		if (n < WAITDIAG_EVENTS)
			n++;
		for (j = n - 1; j > i; j--)
			pick[j] = pick[j - 1];
		pick[i] = e;
	}
	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		add_time(o, "createdAt", cJSON_GetObjectItemCaseSensitive(
		    pick[i], "createdAt"));
		add_clean(o, "message", json_str(pick[i], "message"));
		cJSON_AddItemToArray(out, o);
	}
	return out;
}

/* The FAILED deployment, else the PRIMARY one, else the first. */
static const cJSON *
pick_deployment(const cJSON *deps)
{
	const cJSON *d, *primary = NULL;
	const char *s;

	cJSON_ArrayForEach(d, deps) {
		s = json_str(d, "rolloutState");
		if (s != NULL && strcmp(s, "FAILED") == 0)
			return d;
		s = json_str(d, "status");
		if (primary == NULL && s != NULL && strcmp(s, "PRIMARY") == 0)
			primary = d;
	}
	return primary != NULL ? primary : cJSON_GetArrayItem(deps, 0);
}

cJSON *
waitdiag_service(const cJSON *svc)
{
	const cJSON *d;
	cJSON *out = cJSON_CreateObject(), *o;
	long long n;

	add_clean(out, "service", json_str(svc, "serviceName"));
	add_clean(out, "status", json_str(svc, "status"));
	cJSON_AddItemToObject(out, "events", last_events(
	    cJSON_GetObjectItemCaseSensitive(svc, "events")));
	d = pick_deployment(cJSON_GetObjectItemCaseSensitive(svc,
	    "deployments"));
	if (d != NULL) {
		o = cJSON_AddObjectToObject(out, "deployment");
		add_clean(o, "id", json_str(d, "id"));
		add_clean(o, "status", json_str(d, "status"));
		add_clean(o, "rolloutState", json_str(d, "rolloutState"));
		add_clean(o, "rolloutStateReason", json_str(d,
		    "rolloutStateReason"));
		if (json_int(d, "failedTasks", 0, 1LL << 31, &n) == 0)
			json_add_num(o, "failedTasks", (double)n);
	}
	return out;
}

cJSON *
waitdiag_tasks(const cJSON *reply)
{
	const cJSON *t, *c;
	cJSON *out = cJSON_CreateArray(), *o, *cs, *co;
	const char *arn, *slash;
	long long code;
	int n = 0;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(reply,
	    "tasks")) {
		if (n++ == WAITDIAG_TASKS)
			break;
		o = cJSON_CreateObject();
		arn = json_str(t, "taskArn");
		slash = arn != NULL ? strrchr(arn, '/') : NULL;
		add_clean(o, "task", slash != NULL ? slash + 1 : arn);
		add_clean(o, "stopCode", json_str(t, "stopCode"));
		add_clean(o, "stoppedReason", json_str(t, "stoppedReason"));
		cs = cJSON_AddArrayToObject(o, "containers");
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t,
		    "containers")) {
			if (json_str(c, "reason") == NULL &&
			    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(c,
			    "exitCode")))
				continue;
			co = cJSON_CreateObject();
			add_clean(co, "name", json_str(c, "name"));
			add_clean(co, "reason", json_str(c, "reason"));
			if (json_int(c, "exitCode", -(1LL << 31), 1LL << 31,
			    &code) == 0)
				json_add_num(co, "exitCode", (double)code);
			cJSON_AddItemToArray(cs, co);
		}
		cJSON_AddItemToArray(out, o);
	}
	return out;
}

/* Whether two stopped tasks stopped for the same reasons. */
static bool
same_stop(const cJSON *a, const cJSON *b)
{
	char *x, *y;
	bool eq;

	if (a == NULL || b == NULL)
		return false;
	x = json_canonical(cJSON_GetObjectItemCaseSensitive(a, "containers"));
	y = json_canonical(cJSON_GetObjectItemCaseSensitive(b, "containers"));
	eq = x != NULL && y != NULL && strcmp(x, y) == 0 &&
	    str_eq(json_str(a, "stopCode"), json_str(b, "stopCode")) &&
	    str_eq(json_str(a, "stoppedReason"), json_str(b, "stoppedReason"));
	free(x);
	free(y);
	return eq;
}

static void
print_task(const char *step, const char *name, const cJSON *t)
{
	const char *reason = json_str(t, "stoppedReason"), *cr;
	const char *code = json_str(t, "stopCode");
	const cJSON *c;
	long long ex;
	bool has_ex;

	log_warnx("%s: service %s: stopped task %s: %s%s%s", step, name,
	    json_str(t, "task") != NULL ? json_str(t, "task") : "?",
	    code != NULL ? code : "", code != NULL ? ": " : "",
	    reason != NULL ? reason : "(no reason given)");
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t,
	    "containers")) {
		cr = json_str(c, "reason");
		has_ex = json_int(c, "exitCode", -(1LL << 31), 1LL << 31,
		    &ex) == 0;
		/* nothing the task's reason did not say already */
		if (!has_ex && (cr == NULL || str_eq(cr, reason)))
			continue;
		if (has_ex)
			log_warnx("%s: service %s:   container %s: %s%sexit "
			    "code %lld", step, name, json_str(c, "name") !=
			    NULL ? json_str(c, "name") : "?", cr != NULL ? cr :
			    "", cr != NULL ? "; " : "", ex);
		else
			log_warnx("%s: service %s:   container %s: %s", step,
			    name, json_str(c, "name") != NULL ? json_str(c,
			    "name") : "?", cr);
	}
}

void
waitdiag_print(const char *step, const cJSON *diag)
{
	const char *name = json_str(diag, "service");
	const cJSON *d, *e, *t, *prev = NULL;
	int same = 0;

	if (name == NULL)
		name = "?";
	d = cJSON_GetObjectItemCaseSensitive(diag, "deployment");
	if (d != NULL && json_str(d, "rolloutState") != NULL)
		log_warnx("%s: service %s: deployment %s: rolloutState %s%s%s",
		    step, name, json_str(d, "id") != NULL ? json_str(d, "id") :
		    "?", json_str(d, "rolloutState"),
		    json_str(d, "rolloutStateReason") != NULL ? ": " : "",
		    json_str(d, "rolloutStateReason") != NULL ?
		    json_str(d, "rolloutStateReason") : "");
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(diag,
	    "stoppedTasks")) {
		if (same_stop(prev, t)) {
			same++;
			continue;
		}
		print_task(step, name, t);
		prev = t;
	}
	if (same > 0)
		log_warnx("%s: service %s: %d more stopped task(s) with the "
		    "same reason", step, name, same);
	e = cJSON_GetObjectItemCaseSensitive(diag, "events");
	if (cJSON_GetArraySize(e) > 0)
		log_warnx("%s: service %s: last events, newest first:", step,
		    name);
	cJSON_ArrayForEach(t, e)
		log_warnx("%s: service %s:   %s %s", step, name,
		    json_str(t, "createdAt") != NULL ? json_str(t,
		    "createdAt") : "-", json_str(t, "message"));
}

/* The stopped tasks of service name: a new array, or NULL. */
static cJSON *
stopped_tasks(struct run_ctx *ctx, const char *cluster, const char *name)
{
	struct http_apierr err;
	cJSON *q, *reply = NULL, *out = NULL, *arns;
	const cJSON *list, *a;
	int n = 0;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	q = cJSON_CreateObject();
	if (cluster != NULL)
		json_add_str(q, "cluster", cluster);
	json_add_str(q, "serviceName", name);
	json_add_str(q, "desiredStatus", "STOPPED");
	json_add_num(q, "maxResults", WAITDIAG_TASKS);
	if (run_call(ctx, RUN_API_ECS, "ListTasks", NULL, NULL, q, true,
	    &reply, &err, NULL) == -1)
		goto out;
	list = cJSON_GetObjectItemCaseSensitive(reply, "taskArns");
	if (cJSON_GetArraySize(list) == 0) {
		out = cJSON_CreateArray();
		goto out;
	}
	cJSON_Delete(q);
	q = cJSON_CreateObject();
	if (cluster != NULL)
		json_add_str(q, "cluster", cluster);
	arns = cJSON_AddArrayToObject(q, "tasks");
	cJSON_ArrayForEach(a, list)
		if (cJSON_IsString(a) && n++ < WAITDIAG_TASKS)
			cJSON_AddItemToArray(arns,
			    cJSON_CreateString(a->valuestring));
	cJSON_Delete(reply);
	reply = NULL;
	http_apierr_cleanup(&err);
	if (run_call(ctx, RUN_API_ECS, "DescribeTasks", NULL, NULL, q, true,
	    &reply, &err, NULL) == -1)
		goto out;
	out = waitdiag_tasks(reply);
out:
	http_apierr_cleanup(&err);
	cJSON_Delete(q);
	cJSON_Delete(reply);
	return out;
}

void
waitdiag_report(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *req, const cJSON *reply, bool tasks)
{
	const char *cluster = json_str(req, "cluster"), *name, *st;
	const cJSON *s, *m;
	cJSON *diag, *ev, *stopped;
	int n = 0;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(reply,
	    "services")) {
		if (n++ == WAITDIAG_SERVICES || run_stopping(ctx))
			break;
		diag = waitdiag_service(s);
		name = json_str(s, "serviceName");
		st = json_str(s, "status");
		if (tasks && name != NULL && st != NULL &&
		    strcmp(st, "INACTIVE") != 0 &&
		    (stopped = stopped_tasks(ctx, cluster, name)) != NULL)
			cJSON_AddItemToObject(diag, "stoppedTasks", stopped);
		waitdiag_print(step->id, diag);
		if (progress_json(ctx->progress)) {
			ev = cJSON_CreateObject();
			json_add_str(ev, "event", "wait-diagnostics");
			json_add_str(ev, "id", step->id);
			json_add_str(ev, "action", step->action);
			cJSON_ArrayForEach(m, diag)
				cJSON_AddItemToObject(ev, m->string,
				    cJSON_Duplicate(m, 1));
			progress_event(ctx->progress, ev);
		}
		cJSON_Delete(diag);
	}
}
