/*
 * The pure parts of f2o-exec's waits: a drain wait at 0 tasks whatever the
 * rollout, the container-instances-gone check, and the diagnostics drawn
 * from DescribeServices / DescribeTasks replies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "wait.h"
#include "waitdiag.h"

/* One service; rollout the PRIMARY deployment's rolloutState. */
static cJSON *
svc_reply(const char *status, int desired, int running, int pending,
    const char *rollout)
{
	char buf[1024];

	(void)snprintf(buf, sizeof(buf), "{\"failures\":[],\"services\":[{"
	    "\"serviceName\":\"web\",\"status\":\"%s\",\"desiredCount\":%d,"
	    "\"runningCount\":%d,\"pendingCount\":%d,\"taskDefinition\":"
	    "\"arn:aws:ecs:us-east-1:1:task-definition/web:13\","
	    "\"deployments\":[{\"id\":\"ecs-svc/1\",\"status\":\"PRIMARY\","
	    "\"taskDefinition\":\"arn:aws:ecs:us-east-1:1:task-definition/"
	    "web:13\",\"rolloutState\":\"%s\",\"rolloutStateReason\":\"ECS "
	    "deployment circuit breaker: tasks failed to start.\"}]}]}",
	    status, desired, running, pending, rollout);
	return cJSON_Parse(buf);
}

static int
check(cJSON *reply, bool drain, char *buf, size_t sz)
{
	cJSON *dr = NULL, *exp;
	int r;

	exp = cJSON_Parse("{\"web\":\"web:13\"}");
	if (drain) {
		dr = cJSON_CreateObject();
		cJSON_AddTrueToObject(dr, "web");
	}
	r = run_services_check(reply, false, exp, dr, buf, sz);
	cJSON_Delete(exp);
	cJSON_Delete(dr);
	cJSON_Delete(reply);
	return r;
}

static void
test_wait_drain_failed(void **state)
{
	char buf[512];

	(void)state;
	/* Not being drained: a FAILED rollout fails the wait. */
	assert_int_equal(check(svc_reply("ACTIVE", 4, 0, 0, "FAILED"), false,
	    buf, sizeof(buf)), -1);
	assert_non_null(strstr(buf, "FAILED"));
	/* Drained: 0 desired, running and pending, whatever the rollout. */
	assert_int_equal(check(svc_reply("ACTIVE", 0, 0, 0, "FAILED"), true,
	    buf, sizeof(buf)), 1);
	assert_int_equal(check(svc_reply("ACTIVE", 0, 0, 0, "IN_PROGRESS"),
	    true, buf, sizeof(buf)), 1);
	/* Not yet: tasks pending or running, or still desired. */
	assert_int_equal(check(svc_reply("ACTIVE", 0, 0, 2, "FAILED"), true,
	    buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "pendingCount 2"));
	assert_int_equal(check(svc_reply("ACTIVE", 0, 1, 0, "COMPLETED"), true,
	    buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "runningCount 1"));
	assert_int_equal(check(svc_reply("ACTIVE", 3, 0, 0, "FAILED"), true,
	    buf, sizeof(buf)), 0);
	/* Gone meanwhile: drained. */
	assert_int_equal(check(svc_reply("INACTIVE", 0, 0, 0, "FAILED"), true,
	    buf, sizeof(buf)), 1);
}

static void
test_wait_instances(void **state)
{
	char buf[512];
	cJSON *a;

	(void)state;
	a = cJSON_Parse("[]");
	assert_int_equal(run_instances_check(a, buf, sizeof(buf)), 1);
	cJSON_Delete(a);
	assert_int_equal(run_instances_check(NULL, buf, sizeof(buf)), 1);
	a = cJSON_Parse("[\"arn:aws:ecs:us-east-1:1:container-instance/shop/"
	    "aa\",\"arn:aws:ecs:us-east-1:1:container-instance/shop/bb\","
	    "\"c3\",\"d4\",\"e5\"]");
	assert_int_equal(run_instances_check(a, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "5 container instance(s)"));
	assert_non_null(strstr(buf, " aa bb c3 ..."));
	assert_null(strstr(buf, "e5"));
	cJSON_Delete(a);
	/* A tiny buffer is cut, not overrun. */
	a = cJSON_Parse("[\"x\"]");
	assert_int_equal(run_instances_check(a, buf, 8), 0);
	assert_true(strlen(buf) < 8);
	cJSON_Delete(a);
}

static void
test_wait_diag_service(void **state)
{
	cJSON *svc, *d, *ev;
	const cJSON *dep;
	char buf[4096];
	int i;

	(void)state;
	/* 7 events, oldest first here: the last 5, newest first. */
	(void)snprintf(buf, sizeof(buf), "{\"serviceName\":\"web\","
	    "\"status\":\"ACTIVE\",\"deployments\":[{\"id\":\"ecs-svc/2\","
	    "\"status\":\"PRIMARY\",\"rolloutState\":\"COMPLETED\"},{\"id\":"
	    "\"ecs-svc/1\",\"status\":\"ACTIVE\",\"rolloutState\":\"FAILED\","
	    "\"rolloutStateReason\":\"tasks failed\\nto start\","
	    "\"failedTasks\":3}],\"events\":[");
	for (i = 1; i <= 7; i++)
		(void)snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		    "%s{\"createdAt\":%d.5,\"message\":\"event %d\"}", i > 1 ?
		    "," : "", 1780000000 + i, i);
	(void)snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "]}");
	svc = cJSON_Parse(buf);
	assert_non_null(svc);
	d = waitdiag_service(svc);
	assert_string_equal(json_str(d, "service"), "web");
	ev = cJSON_GetObjectItemCaseSensitive(d, "events");
	assert_int_equal(cJSON_GetArraySize(ev), WAITDIAG_EVENTS);
	assert_string_equal(json_str(cJSON_GetArrayItem(ev, 0), "message"),
	    "event 7");
	assert_string_equal(json_str(cJSON_GetArrayItem(ev, 4), "message"),
	    "event 3");
	assert_string_equal(json_str(cJSON_GetArrayItem(ev, 0), "createdAt"),
	    "2026-05-28T20:26:47Z");
	/* The FAILED deployment, its reason without control characters. */
	dep = cJSON_GetObjectItemCaseSensitive(d, "deployment");
	assert_string_equal(json_str(dep, "id"), "ecs-svc/1");
	assert_string_equal(json_str(dep, "rolloutStateReason"),
	    "tasks failed to start");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(dep,
	    "failedTasks")->valueint, 3);
	cJSON_Delete(d);
	cJSON_Delete(svc);
	/* No events, no deployments: nothing invented. */
	svc = cJSON_Parse("{\"serviceName\":\"x\"}");
	d = waitdiag_service(svc);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
	    d, "events")), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(d, "deployment"));
	cJSON_Delete(d);
	cJSON_Delete(svc);
}

static void
test_wait_diag_tasks(void **state)
{
	cJSON *r, *t;
	const cJSON *t0, *c;

	(void)state;
	r = cJSON_Parse("{\"tasks\":[{\"taskArn\":\"arn:aws:ecs:us-east-1:1:"
	    "task/shop/abc\",\"stopCode\":\"TaskFailedToStart\","
	    "\"stoppedReason\":\"CannotPullContainerError: not found\","
	    "\"containers\":[{\"name\":\"web\",\"reason\":"
	    "\"CannotPullContainerError: not found\"},{\"name\":\"side\"},"
	    "{\"name\":\"app\",\"exitCode\":137}]},{},{},{},{},{},{}],"
	    "\"failures\":[]}");
	t = waitdiag_tasks(r);
	assert_int_equal(cJSON_GetArraySize(t), WAITDIAG_TASKS);
	t0 = cJSON_GetArrayItem(t, 0);
	assert_string_equal(json_str(t0, "task"), "abc");
	assert_string_equal(json_str(t0, "stopCode"), "TaskFailedToStart");
	assert_non_null(strstr(json_str(t0, "stoppedReason"),
	    "CannotPullContainerError"));
	c = cJSON_GetObjectItemCaseSensitive(t0, "containers");
	/* the container with neither reason nor exit code is left out */
	assert_int_equal(cJSON_GetArraySize(c), 2);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
	    c, 1), "exitCode")->valueint, 137);
	waitdiag_print("cut/web:stable", t0);	/* no crash on odd input */
	cJSON_Delete(t);
	cJSON_Delete(r);
	t = waitdiag_tasks(NULL);
	assert_int_equal(cJSON_GetArraySize(t), 0);
	cJSON_Delete(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wait_drain_failed),
		cmocka_unit_test(test_wait_instances),
		cmocka_unit_test(test_wait_diag_service),
		cmocka_unit_test(test_wait_diag_tasks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
