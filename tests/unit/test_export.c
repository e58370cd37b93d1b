/* Export reader and task-definition rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "export_int.h"
#include "fsio.h"
#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"
#include "taskdef.h"
#include "xalloc.h"

static int
parse(struct export *ex, const char *text)
{
	return export_parse(ex, "mem.json", text, strlen(text));
}

static void
test_export_envelopes(void **state)
{
	struct export *ex = export_new();

	(void)state;
	assert_int_equal(parse(ex, "{\"services\":[{\"serviceName\":\"a\","
	    "\"launchType\":\"FARGATE\",\"clusterArn\":"
	    "\"arn:aws-cn:ecs:cn-north-1:123:cluster/c\"}],\"failures\":[]}"), 0);
	assert_int_equal(parse(ex, "{\"service\":{\"serviceName\":\"b\","
	    "\"capacityProviderStrategy\":[{\"capacityProvider\":\"FARGATE\","
	    "\"weight\":1},{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":3}]"
	    "}}"), 0);
	assert_int_equal(parse(ex, "{\"status_code\":200,\"data\":{"
	    "\"taskDefinition\":{\"family\":\"f\",\"revision\":3,"
	    "\"containerDefinitions\":[]},\"tags\":[]}}"), 0);
	assert_int_equal(parse(ex, "{\"family\":\"g\",\"containerDefinitions\":"
	    "[],\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}"), 0);
	assert_int_equal(parse(ex, "{\"SecurityGroups\":[{\"GroupId\":\"sg-1\","
	    "\"IpPermissions\":[]}]}"), 0);
	/* The same object again is fine; different content is not. */
	assert_int_equal(parse(ex, "{\"family\":\"g\",\"containerDefinitions\":"
	    "[],\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}"), 0);
	assert_int_equal(parse(ex, "{\"family\":\"g\",\"containerDefinitions\":"
	    "[{\"name\":\"x\"}]}"), -1);
	export_sort(ex);
	assert_int_equal(ex->nsvcs, 2);
	assert_int_equal(ex->ntds, 2);
	assert_int_equal(ex->nsgs, 1);
	assert_true(ex->svcs[0].fargate);
	assert_string_equal(ex->svcs[0].cluster, "c");
	assert_string_equal(ex->partition, "aws-cn");
	assert_true(ex->svcs[1].spot_share > 0.74 && ex->svcs[1].spot_share < 0.76);
	assert_string_equal(ex->tds[0].key, "f:3");
	assert_non_null(ex->tds[1].tags);
	assert_non_null(export_find_td(ex,
	    "arn:aws:ecs:us-east-1:1:task-definition/f:3"));
	assert_non_null(export_find_td(ex, "f"));
	assert_null(export_find_td(ex, "f:4"));
	export_free(ex);
}

/*
 * A service in two exports: the same but for its events (which no stage
 * reads) is one service; another desiredCount is refused.
 */
#define SVC_TWICE "{\"services\":[{\"serviceName\":\"a\"," \
	"\"launchType\":\"FARGATE\",\"desiredCount\":%d,\"events\":" \
	"[{\"id\":\"%s\",\"message\":\"(service a) has reached a " \
	"steady state.\"}]}]}"

static void
test_export_service_twice(void **state)
{
	struct export *ex = export_new();
	char *t;

	(void)state;
	t = xasprintf(SVC_TWICE, 2, "e1");
	assert_int_equal(parse(ex, t), 0);
	assert_int_equal(parse(ex, t), 0);
	free(t);
	t = xasprintf(SVC_TWICE, 2, "e2");
	assert_int_equal(parse(ex, t), 0);
	free(t);
	assert_int_equal(ex->nsvcs, 1);
	t = xasprintf(SVC_TWICE, 3, "e1");
	assert_int_equal(parse(ex, t), -1);
	free(t);
	assert_int_equal(ex->nsvcs, 1);
	export_free(ex);
}

static void
test_export_dotnet_enums_unwrapped(void **state)
{
	struct export *ex = export_new();

	(void)state;
	assert_int_equal(parse(ex, "{\"services\":[{\"serviceName\":\"a\","
	    "\"launchType\":{\"value\":\"FARGATE\"}}]}"), 0);
	assert_true(ex->svcs[0].fargate);
	assert_string_equal(json_str(ex->svcs[0].svc, "launchType"), "FARGATE");
	export_free(ex);
}

static void
test_export_rejects_bad_shapes(void **state)
{
	struct export *ex = export_new();

	(void)state;
	assert_int_equal(parse(ex, "{\"services\":{}}"), -1);
	assert_int_equal(parse(ex, "{\"services\":[{\"serviceName\":3}]}"), -1);
	assert_int_equal(parse(ex, "{\"services\":[{\"serviceName\":\"a\","
	    "\"desiredCount\":\"2\"}]}"), -1);
	assert_int_equal(parse(ex, "{\"SecurityGroupRules\":[]}"), -1);
	assert_int_equal(parse(ex, "{\"hello\":1}"), -1);
	assert_int_equal(parse(ex, "[1,2,]"), -1);
	assert_int_equal(parse(ex, "$ aws ecs describe-services\n{}"), -1);
	assert_int_equal(ex->nsvcs, 0);
	export_free(ex);
}

static void
test_taskdef_units(void **state)
{
	int v = 0;

	(void)state;
	assert_int_equal(taskdef_units("1 vcpu", true, &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(taskdef_units("0.25 vCPU", true, &v), 0);
	assert_int_equal(v, 256);
	assert_int_equal(taskdef_units("2 GB", false, &v), 0);
	assert_int_equal(v, 2048);
	assert_int_equal(taskdef_units("512", false, &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(taskdef_units("2 GB", true, &v), -1);
	assert_int_equal(taskdef_units("lots", false, &v), -1);
	assert_int_equal(taskdef_units("0.1 vcpu", true, &v), -1);
}

static void
test_taskdef_analyze(void **state)
{
	struct export *ex = export_new();
	struct xtd *t;

	(void)state;
	assert_int_equal(parse(ex, "{\"family\":\"f\",\"cpu\":\"1 vCPU\","
	    "\"memory\":\"2 GB\",\"runtimePlatform\":{\"cpuArchitecture\":"
	    "\"ARM64\"},\"ephemeralStorage\":{\"sizeInGiB\":40},"
	    "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\","
	    "\"cpu\":512,\"memoryReservation\":256,\"memory\":1024},"
	    "{\"name\":\"b\",\"image\":\"i\",\"memory\":128}]}"), 0);
	t = &ex->tds[0];
	assert_int_equal(taskdef_analyze(t), 0);
	assert_int_equal(t->cpu, 1024);
	assert_int_equal(t->memory, 2048);
	assert_int_equal(t->ctr_cpu, 512);
	assert_int_equal(t->ctr_memory, 1152);
	assert_int_equal(t->ctr_reservation, 384);
	assert_string_equal(t->arch, "ARM64");
	assert_int_equal(t->ephemeral_gib, 40);
	export_free(ex);

	ex = export_new();
	assert_int_equal(parse(ex, "{\"family\":\"f\",\"containerDefinitions\":"
	    "[{\"name\":\"a\",\"image\":\"i\",\"dependsOn\":[{\"containerName\":"
	    "\"ghost\",\"condition\":\"START\"}]}]}"), 0);
	assert_int_equal(taskdef_analyze(&ex->tds[0]), -1);
	export_free(ex);
}

#define SVC_A "{\"serviceName\":\"a\",\"launchType\":\"FARGATE\"," \
	"\"taskDefinition\":\"fam\"}"

static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);

	assert_int_equal(fsio_write_atomic_path(p, text, strlen(text)), 0);
	return p;
}

static void
count_warn(void *arg, const char *file, const char *path, const char *text)
{
	(void)file;
	(void)path;
	(void)text;
	(*(int *)arg)++;
}

/*
 * After export_load the services' trees are read again
 * on demand, one at a time from its own bytes (or the whole file's when
 * its place is unknown), as they were (events dropped, the resolved
 * taskDefinition put back), from the copy of the bytes read then: a file
 * changed or removed meanwhile does not matter, a copy that cannot be
 * read back is refused.
 */
/*
 * The copy truncated under the reader (it only grows in use): what its
 * read windows hold is forgotten too, so the next read meets it.
 */
static void
forget_windows(struct export *ex)
{
	size_t i;

	for (i = 0; i < EXPORT_RAW_WINDOWS; i++)
		ex->rwin[i].used = 0;
}

static void
test_export_reload(void **state)
{
	char dir[] = "/tmp/f2o-test-export-XXXXXX", *in, *p1, *p2;
	struct export *ex;

	(void)state;
	assert_non_null(mkdtemp(dir));
	in = dir;
	p1 = write_file(dir, "p1.json", "{\"services\":[" SVC_A ",{"
	    "\"serviceName\":\"b\",\"launchType\":\"FARGATE\","
	    "\"events\":[{\"message\":\"m\"}]}]}");
	/* a again, the same: kept once (compared with a's file read again) */
	p2 = write_file(dir, "p2.json", "{\"services\":[{\"serviceName\":"
	    "\"c\",\"launchType\":\"FARGATE\"}," SVC_A "]}");
	assert_int_equal(export_load(&ex, &in, 1, NULL, JSON_DUP_ERROR, NULL),
	    0);
	assert_int_equal(ex->nsvcs, 3);
	assert_null(ex->svcs[0].svc);
	assert_null(ex->svcs[2].svc);
	assert_string_equal(ex->svcs[0].src, p1);
	assert_string_equal(ex->svcs[0].srcname, "p1.json");

	assert_true(ex->svcs[0].slice_len > 0);
	assert_int_equal(ex->svcs[1].slice_off, strlen("{\"services\":["
	    SVC_A ","));
	assert_int_equal(export_svc_hold(ex, &ex->svcs[1]), 0);
	assert_string_equal(json_str(ex->svcs[1].svc, "serviceName"), "b");
	assert_null(cJSON_GetObjectItemCaseSensitive(ex->svcs[1].svc,
	    "events"));
	assert_null(ex->svcs[0].svc);		/* one at a time */
	/* Its place unknown: the whole file, its services all held. */
	ex->svcs[0].slice_len = 0;
	assert_int_equal(export_svc_hold(ex, &ex->svcs[0]), 0);
	assert_string_equal(json_str(ex->svcs[0].svc, "serviceName"), "a");
	assert_non_null(ex->svcs[1].svc);	/* read with it */
	assert_null(ex->svcs[2].svc);
	ex->svcs[0].td_ref = xstrdup("fam:7");
	assert_int_equal(export_svc_hold(ex, &ex->svcs[2]), 0);
	assert_string_equal(json_str(ex->svcs[2].svc, "serviceName"), "c");
	assert_null(ex->svcs[0].svc);		/* left memory */
	assert_int_equal(export_svc_hold(ex, &ex->svcs[0]), 0);
	assert_string_equal(json_str(ex->svcs[0].svc, "taskDefinition"),
	    "fam:7");

	/* Changed or gone since it was read: the bytes read then come back. */
	free(write_file(dir, "p1.json", "{\"services\":[]}"));
	assert_int_equal(unlink(p2), 0);
	export_svc_release(ex);
	assert_null(ex->svcs[0].svc);
	assert_int_equal(export_svc_hold(ex, &ex->svcs[1]), 0);
	assert_string_equal(json_str(ex->svcs[1].svc, "serviceName"), "b");
	ex->svcs[0].slice_len = 0;		/* the whole file's copy too */
	assert_int_equal(export_svc_hold(ex, &ex->svcs[0]), 0);
	assert_string_equal(json_str(ex->svcs[0].svc, "serviceName"), "a");
	assert_int_equal(export_svc_hold(ex, &ex->svcs[2]), 0);
	assert_string_equal(json_str(ex->svcs[2].svc, "serviceName"), "c");
	/* The copy unreadable: refused, and stays refused. */
	assert_int_equal(ftruncate(ex->raw_fd, 0), 0);
	forget_windows(ex);
	assert_int_equal(export_svc_hold(ex, &ex->svcs[1]), -1);
	assert_true(ex->failed);
	assert_int_equal(export_svc_hold(ex, &ex->svcs[0]), -1);
	export_free(ex);

	/* --duplicate-keys last: warned once, the last value kept each time. */
	{
		int warns = 0;

		free(write_file(dir, "p1.json", "{\"services\":[{"
		    "\"serviceName\":\"a\",\"launchType\":\"EC2\","
		    "\"launchType\":\"FARGATE\"}]}"));
		free(write_file(dir, "p2.json", "{\"services\":[]}"));
		log_set_warn_hook(count_warn, &warns);
		assert_int_equal(export_load(&ex, &in, 1, NULL, JSON_DUP_LAST,
		    NULL), 0);
		assert_int_equal(warns, 1);
		assert_int_equal(export_svc_hold(ex, &ex->svcs[0]), 0);
		assert_string_equal(json_str(ex->svcs[0].svc, "launchType"),
		    "FARGATE");
		assert_int_equal(warns, 1);
		log_set_warn_hook(NULL, NULL);
		export_free(ex);
	}

	/* The same service with other content in two files: refused. */
	free(write_file(dir, "p1.json", "{\"services\":[{\"serviceName\":"
	    "\"a\",\"launchType\":\"FARGATE\",\"desiredCount\":2}]}"));
	free(write_file(dir, "p2.json", "{\"services\":[" SVC_A "]}"));
	assert_int_equal(export_load(&ex, &in, 1, NULL, JSON_DUP_ERROR, NULL),
	    -1);
	assert_null(ex);
	assert_int_equal(unlink(p1), 0);
	assert_int_equal(unlink(p2), 0);
	assert_int_equal(rmdir(dir), 0);
	free(p1);
	free(p2);
}

/* Each envelope a service comes in: its own bytes found and read back. */
static void
test_export_slices(void **state)
{
	static const char *const texts[] = {
		"[{\"services\":[{\"serviceName\":\"s0\"}]},"
		    " {\"serviceName\":\"s1\", \"x\": [1, {\"a\": \"]\"}]}]",
		"{\"status_code\": 200, \"data\": {\"services\": [ {"
		    "\"serviceName\":\"s2\"} , {\"serviceName\":\"s3\"}]}}",
		"{\"service\": {\"serviceName\": \"s4\"}}",
		"\n  {\"serviceName\": \"s5\", \"desiredCount\": 2}\n",
	};
	char dir[] = "/tmp/f2o-test-slice-XXXXXX", *in = dir, *p[4], name[16];
	struct export *ex;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 4; i++) {
		(void)snprintf(name, sizeof(name), "f%zu.json", i);
		p[i] = write_file(dir, name, texts[i]);
	}
	assert_int_equal(export_load(&ex, &in, 1, NULL, JSON_DUP_ERROR, NULL),
	    0);
	assert_int_equal(ex->nsvcs, 6);
	/*
	 * Backwards: a service whose next by name is in another file comes
	 * from its own bytes (s5 ... s3, s1), else with its file (s2, s0).
	 */
	for (i = ex->nsvcs; i-- > 0; ) {
		char want[32];

		(void)snprintf(want, sizeof(want), "s%zu", i);
		assert_true(ex->svcs[i].slice_len > 0);
		assert_int_equal(export_svc_hold(ex, &ex->svcs[i]), 0);
		assert_string_equal(json_str(ex->svcs[i].svc, "serviceName"),
		    want);
	}
	export_free(ex);
	for (i = 0; i < 4; i++) {
		assert_int_equal(unlink(p[i]), 0);
		free(p[i]);
	}
	assert_int_equal(rmdir(dir), 0);
}

/*
 * Trees read back through the copy's windows: 1,500 services of about
 * 200 bytes (several windows' worth), one of about 100 KiB (more than
 * half a window: read on its own), the even ones in one file and the odd
 * ones in another (so each comes from its own bytes, not with its file),
 * each held in the order kept, then in one that jumps back and forth:
 * every one comes back whole.
 */
static void
test_export_windows(void **state)
{
	char dir[] = "/tmp/f2o-test-win-XXXXXX", *in = dir, *p[2], want[32];
	long long dc;
	struct strbuf sb[2];
	struct export *ex;
	size_t i, k, n = 1500, big = 701;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (k = 0; k < 2; k++) {
		strbuf_init(&sb[k], 1 << 20);
		strbuf_puts(&sb[k], "{\"services\":[");
	}
	for (i = 0; i < n; i++) {
		struct strbuf *b = &sb[i % 2];

		strbuf_printf(b, "%s{\"serviceName\":\"s%04zu\","
		    "\"desiredCount\":%zu,\"x\":\"", i > 1 ? "," : "", i, i);
		for (k = 0; k < (i == big ? 100000 : 150); k++)
			strbuf_add(b, &"abcdefghijklmnopqrstuvwxyz"[(i + k) %
			    26], 1);
		strbuf_puts(b, "\"}");
	}
	for (k = 0; k < 2; k++) {
		strbuf_puts(&sb[k], "]}");
		p[k] = write_file(dir, k == 0 ? "even.json" : "odd.json",
		    sb[k].buf);
		strbuf_cleanup(&sb[k]);
	}
	assert_int_equal(export_load(&ex, &in, 1, NULL, JSON_DUP_ERROR, NULL),
	    0);
	assert_int_equal(ex->nsvcs, n);
	assert_true(ex->svcs[big].slice_len > EXPORT_RAW_WINDOW / 2);
	for (k = 0; k < 2 * n; k++) {
		/*
		 * First in the order kept (0, 2, 4, ... then 1, 3, ...: most
		 * from a window filled going on from the last), then 0, n-1,
		 * 1, n-2, ... (each read on its own).
		 */
		if (k < n)
			i = k < (n + 1) / 2 ? 2 * k : 2 * (k - (n + 1) / 2) + 1;
		else
			i = (k - n) % 2 == 0 ? (k - n) / 2 : n - 1 - (k - n) / 2;
		(void)snprintf(want, sizeof(want), "s%04zu", i);
		assert_true(ex->svcs[i].slice_len > 0);
		assert_int_equal(export_svc_hold(ex, &ex->svcs[i]), 0);
		assert_string_equal(json_str(ex->svcs[i].svc, "serviceName"),
		    want);
		assert_int_equal(json_int(ex->svcs[i].svc, "desiredCount", 0,
		    (long long)n, &dc), 0);
		assert_int_equal(dc, i);
		assert_int_equal(strlen(json_str(ex->svcs[i].svc, "x")),
		    i == big ? 100000 : 150);
		assert_null(ex->svcs[i % 2 ? i - 1 : i + 1].svc);
	}
	export_free(ex);
	for (k = 0; k < 2; k++) {
		assert_int_equal(unlink(p[k]), 0);
		free(p[k]);
	}
	assert_int_equal(rmdir(dir), 0);
}

/*
 * Task definitions too leave memory after export_load and come back one
 * at a time from their own bytes, as first read (enums unwrapped, tags
 * beside or inside them), whatever happened to the file meanwhile.
 */
static void
test_export_td_reload(void **state)
{
#define TD_F "{\"family\":\"f\",\"revision\":3,\"containerDefinitions\":[]," \
	"\"runtimePlatform\":{\"cpuArchitecture\":{\"value\":\"ARM64\"}}," \
	"\"tags\":[{\"key\":\"in\",\"value\":\"x\"}]}"
	char dir[] = "/tmp/f2o-test-tds-XXXXXX", *in = dir, *p[4];
	const cJSON *arch;
	struct export *ex;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	p[0] = write_file(dir, "t1.json", "{\"taskDefinition\": " TD_F ",\n"
	    " \"tags\": [{\"key\": \"k\", \"value\": \"v\"}]}");
	p[1] = write_file(dir, "t2.json", "{\"family\":\"g\","
	    "\"containerDefinitions\":[],\"tags\":[{\"key\":\"i\","
	    "\"value\":\"j\"}]}");
	/* An array of envelopes: each found from where the last one was. */
	p[2] = write_file(dir, "t3.json", "[{\"taskDefinition\":{\"family\":"
	    "\"h\",\"containerDefinitions\":[{\"name\":\"c\"}]}},\n"
	    " {\"taskDefinition\": {\"family\": \"i\", "
	    "\"containerDefinitions\": []}, \"tags\": [{\"key\": \"t\", "
	    "\"value\": \"u\"}]}]");
	/* f:3 again, the same: compared with t1's bytes read again */
	p[3] = write_file(dir, "t4.json", "{\"taskDefinition\": " TD_F
	    ", \"tags\": []}");
	assert_int_equal(export_load(&ex, &in, 1, NULL, JSON_DUP_ERROR, NULL),
	    0);
	assert_int_equal(ex->ntds, 4);
	for (i = 0; i < ex->ntds; i++) {
		assert_null(ex->tds[i].td);
		assert_null(ex->tds[i].tags);
		assert_true(ex->tds[i].slice_len > 0);
	}
	assert_string_equal(ex->tds[0].key, "f:3");
	assert_int_equal(export_td_hold(ex, &ex->tds[0]), 0);
	arch = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(ex->tds[0].td, "runtimePlatform"),
	    "cpuArchitecture");
	assert_true(cJSON_IsString(arch));
	assert_string_equal(arch->valuestring, "ARM64");
	/* The tags beside it win; the ones inside leave. */
	assert_null(cJSON_GetObjectItemCaseSensitive(ex->tds[0].td, "tags"));
	assert_string_equal(json_str(ex->tds[0].tags->child, "key"), "k");
	/* The tags beside it alone; inside it: the whole tree. */
	export_td_release(ex);
	assert_int_equal(export_td_hold_tags(ex, &ex->tds[0]), 0);
	assert_null(ex->tds[0].td);
	assert_string_equal(json_str(ex->tds[0].tags->child, "value"), "v");
	assert_int_equal(export_td_hold(ex, &ex->tds[0]), 0);
	assert_non_null(ex->tds[0].td);
	assert_int_equal(export_td_hold_tags(ex, &ex->tds[1]), 0);
	assert_non_null(ex->tds[1].td);
	assert_null(ex->tds[0].tags);
	assert_int_equal(export_td_hold(ex, &ex->tds[1]), 0);
	assert_null(ex->tds[0].td);		/* one at a time */
	assert_string_equal(json_str(ex->tds[1].tags->child, "key"), "i");
	assert_int_equal(export_td_hold(ex, &ex->tds[2]), 0);
	assert_null(ex->tds[2].tags);
	assert_string_equal(json_str(ex->tds[2].td, "family"), "h");
	assert_int_equal(export_td_hold(ex, &ex->tds[3]), 0);
	assert_string_equal(json_str(ex->tds[3].td, "family"), "i");
	assert_string_equal(json_str(ex->tds[3].tags->child, "value"), "u");

	/* Changed since it was read: the bytes read then come back. */
	free(write_file(dir, "t2.json", "{\"family\":\"g\","
	    "\"containerDefinitions\":[],\"tags\":[]}"));
	export_td_release(ex);
	assert_int_equal(export_td_hold(ex, &ex->tds[1]), 0);
	assert_string_equal(json_str(ex->tds[1].tags->child, "key"), "i");
	/* The copy unreadable: refused, and stays refused. */
	assert_int_equal(ftruncate(ex->raw_fd, 0), 0);
	forget_windows(ex);
	assert_int_equal(export_td_hold(ex, &ex->tds[2]), -1);
	assert_true(ex->failed);
	assert_int_equal(export_td_hold(ex, &ex->tds[0]), -1);
	export_free(ex);

	/* The same key with other content in two files: refused. */
	free(write_file(dir, "t4.json", "{\"taskDefinition\": {\"family\":"
	    "\"f\",\"revision\":3,\"containerDefinitions\":[]}}"));
	assert_int_equal(export_load(&ex, &in, 1, NULL, JSON_DUP_ERROR, NULL),
	    -1);
	assert_null(ex);
	for (i = 0; i < 4; i++) {
		assert_int_equal(unlink(p[i]), 0);
		free(p[i]);
	}
	assert_int_equal(rmdir(dir), 0);
#undef TD_F
}

/* Security groups too: each back from its own bytes, one at a time. */
static void
test_export_sg_reload(void **state)
{
	char dir[] = "/tmp/f2o-test-sgs-XXXXXX", *in = dir, *p[3];
	struct export *ex;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	p[0] = write_file(dir, "g0.json", "{\"GroupId\": \"sg-0\", "
	    "\"IpPermissions\": []}\n");
	p[1] = write_file(dir, "g1.json", "{\"SecurityGroups\": [{\"GroupId\": "
	    "\"sg-1\", \"VpcId\": \"vpc-1\", \"IpPermissions\": []},\n"
	    " {\"GroupId\": \"sg-2\", \"GroupName\": \"two\", "
	    "\"IpPermissions\": [{\"IpProtocol\": \"-1\"}]}]}");
	/* sg-1 again, the same: compared with g1's bytes read again */
	p[2] = write_file(dir, "g2.json", "{\"GroupId\": \"sg-1\", \"VpcId\": "
	    "\"vpc-1\", \"IpPermissions\": []}");
	assert_int_equal(export_load(&ex, &in, 1, NULL, JSON_DUP_ERROR, NULL),
	    0);
	assert_int_equal(ex->nsgs, 3);
	for (i = 0; i < 3; i++)
		assert_null(ex->sgs[i].sg);
	assert_string_equal(ex->sgs[1].vpc, "vpc-1");
	assert_null(ex->sgs[2].vpc);
	assert_int_equal(export_sg_hold(ex, &ex->sgs[2]), 0);
	assert_string_equal(json_str(ex->sgs[2].sg, "GroupName"), "two");
	assert_int_equal(export_sg_hold(ex, &ex->sgs[1]), 0);
	assert_null(ex->sgs[2].sg);		/* one at a time */
	assert_string_equal(json_str(ex->sgs[1].sg, "GroupId"), "sg-1");
	assert_int_equal(export_sg_hold(ex, &ex->sgs[0]), 0);
	assert_string_equal(json_str(ex->sgs[0].sg, "GroupId"), "sg-0");
	/* Changed since it was read: the bytes read then come back. */
	free(write_file(dir, "g1.json", "{\"SecurityGroups\": []}"));
	assert_int_equal(export_sg_hold(ex, &ex->sgs[2]), 0);
	assert_string_equal(json_str(ex->sgs[2].sg, "GroupName"), "two");
	/* The copy unreadable: refused. */
	assert_int_equal(ftruncate(ex->raw_fd, 0), 0);
	forget_windows(ex);
	assert_int_equal(export_sg_hold(ex, &ex->sgs[1]), -1);
	assert_true(ex->failed);
	export_free(ex);
	for (i = 0; i < 3; i++) {
		assert_int_equal(unlink(p[i]), 0);
		free(p[i]);
	}
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_envelopes),
		cmocka_unit_test(test_export_service_twice),
		cmocka_unit_test(test_export_dotnet_enums_unwrapped),
		cmocka_unit_test(test_export_rejects_bad_shapes),
		cmocka_unit_test(test_taskdef_units),
		cmocka_unit_test(test_taskdef_analyze),
		cmocka_unit_test(test_export_reload),
		cmocka_unit_test(test_export_slices),
		cmocka_unit_test(test_export_windows),
		cmocka_unit_test(test_export_td_reload),
		cmocka_unit_test(test_export_sg_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
