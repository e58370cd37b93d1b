/* Bundle format: seal, write (dir, tar, tar.gz), load, tamper detection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_int.h"
#include "fsio.h"
#include "jsonutil.h"
#include "plan.h"
#include "strbuf.h"
#include "xalloc.h"

static char *
tmpdir(void)
{
	char *d = xstrdup("/tmp/f2o-test-bundle-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

/* bundle_read gives name's bytes: want. */
static void
expect_file(const struct bundle *b, const char *name, const char *want)
{
	size_t len = 0;
	char *got = bundle_read(b, name, &len);

	assert_non_null(got);
	assert_int_equal(len, strlen(want));
	assert_string_equal(got, want);
	free(got);
}

static struct bundle *
sample(void)
{
	struct bundle *b = bundle_new();
	cJSON *meta = cJSON_CreateObject();

	assert_int_equal(bundle_add(b, "plan.json", "{}\n", 3), 0);
	assert_int_equal(bundle_add(b, "requests/td/web.json", "{\"a\":1}\n",
	    8), 0);
	json_add_str(meta, "generator", "test");
	assert_int_equal(bundle_seal(b, meta), 0);
	return b;
}

static void
test_bundle_roundtrip_dir_and_archives(void **state)
{
	const char *kinds[] = { "b", "b.tar", "b.tar.gz" };
	struct bundle *b = sample(), *r;
	char *d = tmpdir(), *p;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		p = xasprintf("%s/%s", d, kinds[i]);
		assert_int_equal(bundle_write(b, p, false), 0);
		assert_int_equal(bundle_load(&r, p), 0);
		assert_string_equal(r->digest, b->digest);
		assert_int_equal(r->nfiles, 2);
		assert_non_null(bundle_find(r, "requests/td/web.json"));
		assert_null(bundle_find(r, "plan.json")->data);  /* on demand */
		expect_file(r, "plan.json", "{}\n");
		expect_file(r, "requests/td/web.json", "{\"a\":1}\n");
		bundle_free(r);
		free(p);
	}
	fsio_remove_tree(d);
	free(d);
	bundle_free(b);
}

/*
 * The files of sample() plus a '"' in a name and a file written in parts,
 * streamed to path (or in memory when path is NULL), then sealed.
 */
#define SAMPLE_MANY	3000

static struct bundle *
sample_streamed(const char *path)
{
	struct bundle *b = bundle_new();
	struct bundle_wfile *w;
	cJSON *meta = cJSON_CreateObject(), *j;
	char name[64], text[32];
	size_t i, k;

	if (path != NULL)
		assert_int_equal(bundle_stream(b, path, false), 0);
	assert_int_equal(bundle_add(b, "requests/td/web.json", "{\"a\":1}\n",
	    8), 0);
	assert_int_equal(bundle_add(b, "requests/a\"q/x.json", "[]\n", 3), 0);
	/*
	 * Many more, not in name order: a streamed bundle's list goes to
	 * its file in pieces; each name is found whether written there or
	 * not yet, a second add is refused either way.
	 */
	for (i = 0; i < SAMPLE_MANY; i++) {
		k = (i * 7919) % SAMPLE_MANY;
		(void)snprintf(name, sizeof(name), "requests/many/f%04zu.json",
		    k);
		(void)snprintf(text, sizeof(text), "{\"k\":%zu}\n", k);
		assert_int_equal(bundle_add(b, name, text, strlen(text)), 0);
	}
	for (i = 0; i < SAMPLE_MANY; i += SAMPLE_MANY / 10 - 1) {
		(void)snprintf(name, sizeof(name), "requests/many/f%04zu.json",
		    i);
		(void)snprintf(text, sizeof(text), "{\"k\":%zu}\n", i);
		assert_int_equal(bundle_add(b, name, "x", 1), -1);
		expect_file(b, name, text);
	}
	assert_null(bundle_find(b, "requests/many/f9999.json"));
	/* Without the name map: found by a scan, then (sealed) in order. */
	bundle_forget_names(b);
	assert_null(bundle_find(b, "requests/many/f9999.json"));
	w = bundle_wopen(b, "plan.json");
	assert_non_null(w);
	if (path != NULL)	/* one at a time into a stream */
		assert_null(bundle_wopen(b, "other.json"));
	assert_int_equal(bundle_wwrite(w, "{", 1), 0);
	assert_int_equal(bundle_wwrite(w, "}\n", 2), 0);
	assert_int_equal(bundle_wclose(w), 0);
	assert_null(bundle_wopen(b, "plan.json"));	/* twice */
	/* Streamed files stay readable (the report reads requests back). */
	j = bundle_json(b, "requests/td/web.json");
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "a")->valueint, 1);
	cJSON_Delete(j);
	json_add_str(meta, "generator", "test");
	assert_int_equal(bundle_seal(b, meta), 0);
	return b;
}

static void
test_bundle_streamed_same_bytes(void **state)
{
	const char *kinds[] = { "b", "b.tar", "b.tar.gz" };
	struct bundle *mem = sample_streamed(NULL), *b, *r;
	char *d = tmpdir(), *p, *q, *x = NULL, *y = NULL, name[64];
	size_t i, k, xl, yl;

	(void)state;
	for (i = 0; i < 3; i++) {
		p = xasprintf("%s/s-%s", d, kinds[i]);
		q = xasprintf("%s/m-%s", d, kinds[i]);
		b = sample_streamed(p);
		assert_null(bundle_find(b, "plan.json")->data);
		for (k = 0; k < SAMPLE_MANY; k += 97) {
			(void)snprintf(name, sizeof(name),
			    "requests/many/f%04zu.json", k);
			assert_non_null(bundle_find(b, name));
			assert_string_equal(bundle_find(b, name)->name, name);
		}
		assert_null(bundle_find(b, "requests/many/f9999.json"));
		assert_null(bundle_find(b, "a"));
		assert_null(bundle_find(b, "zzz"));
		assert_int_equal(bundle_write(b, p, false), 0);
		assert_int_equal(bundle_write(mem, q, false), 0);
		assert_string_equal(b->digest, mem->digest);
		assert_int_equal(bundle_load(&r, p), 0);
		assert_string_equal(r->digest, mem->digest);
		expect_file(r, "plan.json", "{}\n");
		bundle_free(r);
		if (i > 0) {	/* archives: byte for byte */
			assert_int_equal(fsio_read_bounded(&x, &xl, p, 16 << 20),
			    0);
			assert_int_equal(fsio_read_bounded(&y, &yl, q, 16 << 20),
			    0);
			assert_int_equal(xl, yl);
			assert_memory_equal(x, y, xl);
			free(x);
			free(y);
		}
		bundle_free(b);
		free(p);
		free(q);
	}
	fsio_remove_tree(d);
	free(d);
	bundle_free(mem);
}

/* Once names are forgotten a file added twice is refused when sealed. */
static void
test_bundle_forgotten_twice(void **state)
{
	struct bundle *b = bundle_new();
	char *d = tmpdir(), *p = xasprintf("%s/b.tar", d);

	(void)state;
	assert_int_equal(bundle_stream(b, p, false), 0);
	assert_int_equal(bundle_add(b, "a.json", "1", 1), 0);
	assert_int_equal(bundle_add(b, "b.json", "2", 1), 0);
	bundle_forget_names(b);
	assert_non_null(bundle_find(b, "b.json"));	/* a scan */
	assert_int_equal(bundle_add(b, "a.json", "3", 1), -1);
	assert_int_equal(bundle_add_raw(b, "test", "a.json", "3", 1), 0);
	assert_int_equal(bundle_seal(b, NULL), -1);
	bundle_free(b);
	fsio_remove_tree(d);
	free(p);
	free(d);
}

/*
 * The manifest's head made a member at a time (held, or spilled past 64
 * KiB) is json_print()'s text less its last "\n}\n": nested objects,
 * empty ones, arrays, raw text, keys to escape.
 */
static int
head_put(void *arg, const void *data, size_t len)
{
	return strbuf_add(arg, data, len);
}

static void
test_bundle_head_text(void **state)
{
	cJSON *m = cJSON_CreateObject(), *o, *in;
	struct strbuf sb, got;
	char key[32], *want;
	size_t i, n;
	int spill;

	(void)state;
	json_add_str(m, "format", "f2o-bundle");
	(void)cJSON_AddObjectToObject(m, "empty");
	o = cJSON_AddObjectToObject(m, "inputs");
	in = cJSON_AddObjectToObject(o, "services");
	for (i = 0; i < 3000; i++) {
		(void)snprintf(key, sizeof(key), "c/s\"%zu\t", i);
		json_add_str(in, key, "0123456789abcdef0123456789abcdef");
	}
	(void)cJSON_AddObjectToObject(o, "none");
	cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("{\n\t\t\t\"r\": 1\n\t\t}"));
	cJSON_AddItemToObject(m, "list", cJSON_CreateIntArray((const int[]){
	    1, 2, 3 }, 3));
	(void)cJSON_AddObjectToObject(cJSON_AddObjectToObject(m, "deep"),
	    "deeper");
	want = json_print(m);
	n = strlen(want) - 3;
	assert_string_equal(want + n, "\n}\n");
	for (spill = 0; spill < 2; spill++) {
		strbuf_init(&sb, SIZE_MAX / 2);
		strbuf_init(&got, SIZE_MAX / 2);
		assert_int_equal(bundle_head_print(&sb, cJSON_Duplicate(m, 1),
		    spill == 1), 0);
		assert_true(spill == 0 || sb.spilled > 0);
		assert_int_equal(strbuf_drain(&sb, head_put, &got), 0);
		assert_int_equal(got.len, n);
		assert_memory_equal(got.buf, want, n);
		strbuf_cleanup(&sb);
		strbuf_cleanup(&got);
	}
	free(want);
	cJSON_Delete(m);
}

static void
test_bundle_stream_abandoned_leaves_nothing(void **state)
{
	struct bundle *b;
	char *d = tmpdir(), *p = xasprintf("%s/b", d), *q;
	int n = 0;

	(void)state;
	b = bundle_new();
	assert_int_equal(bundle_stream(b, p, false), 0);
	assert_int_equal(bundle_add(b, "requests/x/y.json", "{}\n", 3), 0);
	bundle_free(b);		/* translation failed: no bundle_write */
	q = xasprintf("rmdir %s 2>/dev/null", d);
	n = system(q);		/* succeeds only if d is empty */
	assert_int_equal(n, 0);
	free(q);
	/* An existing directory without force is refused at once. */
	assert_int_equal(fsio_mkdir_p(p), 0);
	b = bundle_new();
	assert_int_equal(bundle_stream(b, p, false), -1);
	bundle_free(b);
	fsio_remove_tree(d);
	free(p);
	free(d);
}

/* In dir's manifest, plan.json's line twice; an unlisted extra.json. */
static void
dup_listed(const char *dir)
{
	char *m = xasprintf("%s/manifest.json", dir), *x, *buf = NULL,
	    *out, *at;
	size_t len = 0, n;

	assert_int_equal(fsio_read_bounded(&buf, &len, m, 1 << 20), 0);
	at = strstr(buf, "\t\t\"plan.json\"");
	assert_non_null(at);
	n = (size_t)(strchr(at, '\n') + 1 - at);
	out = xasprintf("%.*s%.*s%s", (int)(at - buf + (long)n), buf, (int)n,
	    at, at + n);
	assert_int_equal(fsio_write_atomic_path(m, out, strlen(out)), 0);
	x = xasprintf("%s/extra.json", dir);
	assert_int_equal(fsio_write_atomic_path(x, "{}", 2), 0);
	free(x);
	free(out);
	free(buf);
	free(m);
}

static void
test_bundle_refuses_tampering(void **state)
{
	struct bundle *b = sample(), *r = NULL;
	char *d = tmpdir(), *p = xasprintf("%s/b", d), *f;

	(void)state;
	assert_int_equal(bundle_write(b, p, false), 0);
	/* A changed file. */
	f = xasprintf("%s/requests/td/web.json", p);
	assert_int_equal(fsio_write_atomic_path(f, "{\"a\":2}\n", 8), 0);
	assert_int_equal(bundle_load(&r, p), -1);
	assert_null(r);
	/* Restored, then an extra file. */
	assert_int_equal(fsio_write_atomic_path(f, "{\"a\":1}\n", 8), 0);
	assert_int_equal(bundle_load(&r, p), 0);
	bundle_free(r);
	free(f);
	f = xasprintf("%s/extra.json", p);
	assert_int_equal(fsio_write_atomic_path(f, "{}", 2), 0);
	assert_int_equal(bundle_load(&r, p), -1);
	unlink(f);
	free(f);
	/* An unlisted file hidden by a file listed twice. */
	dup_listed(p);
	assert_int_equal(bundle_load(&r, p), -1);
	assert_null(r);
	/* A missing file. */
	f = xasprintf("%s/plan.json", p);
	unlink(f);
	assert_int_equal(bundle_load(&r, p), -1);
	free(f);
	fsio_remove_tree(d);
	free(d);
	free(p);
	bundle_free(b);
}

/* Where what first occurs in buf (len bytes); fails the test if nowhere. */
static size_t
find(const char *buf, size_t len, const char *what)
{
	size_t i, n = strlen(what);

	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, what, n) == 0)
			return i;
	fail_msg("\"%s\" not found", what);
	return 0;
}

/* Overwrite the bytes at the first occurrence of what in file p with to. */
static void
patch_file(const char *p, const char *what, const char *to)
{
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(fsio_read_bounded(&buf, &len, p, 1 << 20), 0);
	memcpy(buf + find(buf, len, what), to, strlen(to));
	assert_int_equal(fsio_write_atomic_path(p, buf, len), 0);
	free(buf);
}

/*
 * A loaded bundle keeps only where its files are: a file changed after
 * bundle_load (the .tar rewritten in place, a directory's file) is
 * refused when read, and a changed or truncated .tar when loaded.
 */
static void
test_bundle_checked_again_when_read(void **state)
{
	struct bundle *b = sample(), *r = NULL;
	char *d = tmpdir(), *t = xasprintf("%s/b.tar", d),
	    *dir = xasprintf("%s/b", d), *f, *buf = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	assert_int_equal(bundle_write(b, t, false), 0);
	assert_int_equal(bundle_load(&r, t), 0);
	fd = open(t, O_WRONLY);		/* same inode: what r reads */
	assert_true(fd != -1);
	assert_int_equal(fsio_read_bounded(&buf, &len, t, 1 << 20), 0);
	assert_int_equal(pwrite(fd, "{\"a\":2}", 7,
	    (off_t)find(buf, len, "{\"a\":1}")), 7);
	close(fd);
	assert_null(bundle_read(r, "requests/td/web.json", NULL));
	expect_file(r, "plan.json", "{}\n");	/* untouched */
	bundle_free(r);
	/* Loaded again: the changed entry is refused at once. */
	assert_int_equal(bundle_load(&r, t), -1);
	assert_null(r);
	/* A truncated archive. */
	assert_int_equal(fsio_write_atomic_path(t, buf, len / 2), 0);
	assert_int_equal(bundle_load(&r, t), -1);
	free(buf);
	/* A directory's file changed after loading. */
	assert_int_equal(bundle_write(b, dir, false), 0);
	assert_int_equal(bundle_load(&r, dir), 0);
	f = xasprintf("%s/requests/td/web.json", dir);
	patch_file(f, "1", "3");
	assert_null(bundle_read(r, "requests/td/web.json", NULL));
	patch_file(f, "3", "1");
	expect_file(r, "requests/td/web.json", "{\"a\":1}\n");
	assert_int_equal(fsio_write_atomic_path(f, "{\"a\":1}\n\n", 9), 0);
	assert_null(bundle_read(r, "requests/td/web.json", NULL));  /* grew */
	bundle_free(r);
	free(f);
	fsio_remove_tree(d);
	free(d);
	free(t);
	free(dir);
	bundle_free(b);
}

/*
 * The manifest is read a member at a time: any layout or member order
 * loads; what is not one JSON object with $.files an object of strings
 * does not.
 */
static void
test_bundle_manifest_read(void **state)
{
	struct bundle *b = sample(), *r = NULL;
	char *d = tmpdir(), *p = xasprintf("%s/b", d),
	    *m = xasprintf("%s/b/manifest.json", d), *good, *text;
	char f[DIGEST_HEX_LEN + 1], g[DIGEST_HEX_LEN + 1];
	const char *bad[] = {
		"", "[]", "{\"format\":\"f2o-bundle\"",
		"{\"format\":\"f2o-bundle\",\"formatVersion\":1}",
		"{\"format\":\"f2o-bundle\",\"formatVersion\":1,"
		    "\"files\":[]}",
		"{\"format\":\"f2o-bundle\",\"formatVersion\":1,"
		    "\"files\":{\"plan.json\":1}}",
		"{\"format\":\"f2o-bundle\",\"formatVersion\":2,"
		    "\"files\":{}}",
	};
	size_t i;

	(void)state;
	digest_hex(f, b->files[0].sha256);
	digest_hex(g, b->files[1].sha256);
	assert_string_equal(b->files[0].name, "plan.json");
	assert_int_equal(bundle_write(b, p, false), 0);
	good = xasprintf("{\"files\":{\"requests/td/web.json\":\"%s\","
	    "\"plan.json\":\"%s\"},\"x\":[{\"}\":\"]\"}],\"formatVersion\":1,"
	    "\"format\":\"f2o-bundle\"} \n", g, f);
	assert_int_equal(fsio_write_atomic_path(m, good, strlen(good)), 0);
	assert_int_equal(bundle_load(&r, p), 0);
	assert_non_null(cJSON_GetObjectItem(r->meta, "x"));
	assert_null(cJSON_GetObjectItem(r->meta, "files"));
	bundle_free(r);
	text = xasprintf("%s x", good);		/* text after the object */
	assert_int_equal(fsio_write_atomic_path(m, text, strlen(text)), 0);
	assert_int_equal(bundle_load(&r, p), -1);
	free(text);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fsio_write_atomic_path(m, bad[i],
		    strlen(bad[i])), 0);
		r = NULL;
		if (bundle_load(&r, p) != -1)
			fail_msg("loaded: %s", bad[i]);
	}
	free(good);
	fsio_remove_tree(d);
	free(d);
	free(p);
	free(m);
	bundle_free(b);
}

static void
test_bundle_existing_dir_needs_force(void **state)
{
	struct bundle *b = sample();
	char *d = tmpdir(), *p = xasprintf("%s/b", d);

	(void)state;
	assert_int_equal(bundle_write(b, p, false), 0);
	assert_int_equal(bundle_write(b, p, false), -1);
	assert_int_equal(bundle_write(b, p, true), 0);
	fsio_remove_tree(d);
	free(d);
	free(p);
	bundle_free(b);
}

static void
test_bundle_rejects_unsafe_names(void **state)
{
	struct bundle *b = bundle_new();

	(void)state;
	assert_int_equal(bundle_add(b, "../x", "", 0), -1);
	assert_int_equal(bundle_add(b, "/etc/passwd", "", 0), -1);
	assert_int_equal(bundle_add(b, "a//b", "", 0), -1);
	assert_int_equal(bundle_add(b, "a/./b", "", 0), -1);
	assert_int_equal(bundle_add(b, "manifest.json", "", 0), -1);
	assert_int_equal(bundle_add(b, "ok/name.json", "", 0), 0);
	assert_int_equal(bundle_add(b, "ok/name.json", "", 0), -1);
	bundle_free(b);
	assert_true(fsio_safe_relpath("requests/svc/sfm-web.json"));
	assert_false(fsio_safe_relpath("requests/..\\x"));
	assert_false(fsio_safe_relpath(""));
}

/*
 * The size limit of one file (BUNDLE.md "Limits"): a PLAN.md of 100,000
 * services is 1.5 GB, over the old 256 MiB; past 4 GiB a file is refused.
 * bundle_entry checks before anything is allocated.
 */
static void
test_bundle_file_limit(void **state)
{
	struct bundle *b = bundle_new();

	(void)state;
	assert_non_null(bundle_entry(b, "t", "PLAN.md", (1536UL << 20)));
	assert_non_null(bundle_entry(b, "t", "PLAN.md", BUNDLE_MAX_FILE));
	assert_null(bundle_entry(b, "t", "PLAN.md", BUNDLE_MAX_FILE + 1));
	assert_int_equal(b->nfiles, 0);		/* none committed */
	bundle_free(b);
}

static void
test_bundle_rejects_garbage_archive(void **state)
{
	struct bundle *b = NULL;

	(void)state;
	assert_int_equal(bundle_parse_archive(&b, "mem", "not a tar", 9), -1);
	assert_null(b);
}

static void
test_plan_roundtrip_and_refs(void **state)
{
	const char *after[] = { "td/web", NULL };
	struct plan *p = plan_new(), *q = NULL;
	struct plan_step *s;
	cJSON *j;
	char *text, *id, *out;

	(void)state;
	s = plan_add(p, "td/web", "import", "ecs:RegisterTaskDefinition", "t",
	    "requests/td/web.json", NULL);
	assert_non_null(s);
	plan_step_output(s, "taskDefinitionArn",
	    "taskDefinition.taskDefinitionArn");
	assert_non_null(plan_add(p, "svc/sfm-web", "import",
	    "ecs:CreateService", "t", "requests/svc/sfm-web.json", after));
	assert_null(plan_add(p, "svc/sfm-web", "import", "x", "", NULL, NULL));
	assert_null(plan_add(p, "no-slash", "import", "x", "", NULL, NULL));
	assert_null(plan_add(p, "has/a.dot", "import", "x", "", NULL, NULL));
	j = plan_to_json(p);
	text = json_print(j);
	assert_int_equal(plan_parse(&q, "plan.json", text, strlen(text)), 0);
	assert_int_equal(q->nsteps, 2);
	assert_string_equal(q->steps[1].after[0], "td/web");
	assert_string_equal(q->steps[0].outputs[0].path,
	    "taskDefinition.taskDefinitionArn");
	plan_free(q);
	free(text);
	cJSON_Delete(j);
	plan_free(p);

	out = plan_ref("td/web", "taskDefinitionArn");
	assert_string_equal(out, "${td/web.taskDefinitionArn}");
	assert_true(plan_ref_parse(out, &id, &text));
	assert_string_equal(id, "td/web");
	assert_string_equal(text, "taskDefinitionArn");
	free(id);
	free(text);
	free(out);
	/* User data that merely looks like a template is not a reference. */
	assert_false(plan_ref_parse("${Partition}", &id, &text));
	assert_false(plan_ref_parse("${AccountID}:x", &id, &text));
	assert_false(plan_ref_parse("x ${td/web.taskDefinitionArn}", &id,
	    &text));
}

static void
test_plan_parse_rejects_forward_after(void **state)
{
	const char *bad = "{\"formatVersion\":1,\"steps\":[{\"id\":\"a/b\","
	    "\"phase\":\"import\",\"action\":\"x\",\"after\":[\"c/d\"]},"
	    "{\"id\":\"c/d\",\"phase\":\"import\",\"action\":\"x\"}]}";
	struct plan *p = NULL;

	(void)state;
	assert_int_equal(plan_parse(&p, "plan.json", bad, strlen(bad)), -1);
	assert_null(p);
}

/* plan_parse reads the root a member at a time and $.steps a step at a time. */
static void
test_plan_parse_streamed(void **state)
{
	const char *good[] = {
		/* steps first; strings with brackets, quotes, escapes */
		"{\"steps\": [ {\"id\":\"a/b\",\"phase\":\"import\","
		    "\"action\":\"x\",\"title\":\"[}{\\\"]\\\\\"} ,"
		    "{\"id\":\"c/d\",\"phase\":\"import\",\"action\":\"x\","
		    "\"after\":[\"a/b\"],\"outputs\":{\"o\":\"p.q\"}} ],"
		    "\"other\": {\"k\": [1, 2.5e3, true, null]},"
		    "\"formatVersion\": 1}\n",
		"{\"formatVersion\":1,\"steps\":[]}",
		" \n{ \"formatVersion\" : 1 , \"steps\" : [ ] } \n",
	};
	const char *bad[] = {
		"", "[]", "{}", "{\"formatVersion\":1}",
		"{\"formatVersion\":2,\"steps\":[]}",
		"{\"formatVersion\":1,\"steps\":{}}",
		"{\"formatVersion\":1,\"steps\":[]} x",
		"{\"formatVersion\":1,\"steps\":[],}",
		"{\"formatVersion\":1,\"steps\":[] \"a\":1}",
		"{\"formatVersion\":1,\"steps\":[1]}",
		"{\"formatVersion\":1,\"steps\":[{}]}",
		"{\"formatVersion\":1,\"steps\":[{\"id\":\"a/b\"",
		"{\"formatVersion\":1,\"steps\":[],\"steps\":[]}",
		"{\"formatVersion\":1,\"x\":tru,\"steps\":[]}",
		"{\"formatVersion\":1,\"steps\":[{\"id\":\"a/b\","
		    "\"phase\":\"import\",\"action\":\"x\",\"id\":\"c/d\"}]}",
		"{\"formatVersion\":1,\"steps\":[]]}",
		"{formatVersion:1}",
	};
	struct plan *p = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(plan_parse(&p, "plan.json", good[i],
		    strlen(good[i])), 0);
		if (i == 0) {
			assert_int_equal(p->nsteps, 2);
			assert_string_equal(p->steps[0].title, "[}{\"]\\");
			assert_string_equal(p->steps[1].after[0], "a/b");
		}
		plan_free(p);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = NULL;
		if (plan_parse(&p, "plan.json", bad[i], strlen(bad[i])) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_null(p);
	}
	/* Where values end, without parsing them. */
	assert_int_equal(json_value_end("\"a\\\"]\" x", 8, 0), 6);
	assert_int_equal(json_value_end("[{\"]\":1}] ,", 11, 0), 9);
	assert_int_equal(json_value_end("12.5,", 5, 0), 4);
	assert_int_equal(json_value_end("]", 1, 0), 0);
	assert_int_equal(json_value_end("[1", 2, 0), 0);
	assert_int_equal(json_value_end("\"abc", 4, 0), 0);
}

/*
 * plan_read: a plan.json of several windows (20,000 steps, 2.5 MB) read
 * from a .tar and a directory gives the plan plan_parse gives; changed
 * after bundle_load, it is refused (its SHA-256, checked at the end).
 */
static void
test_plan_read_windows(void **state)
{
	const char *kinds[] = { "b.tar", "b", "b.tar.gz" };
	struct bundle *b = bundle_new(), *r;
	struct plan *p = plan_new(), *q = NULL;
	char *d = tmpdir(), *path, *id, *prev = NULL, *buf = NULL;
	const char *after[2] = { NULL, NULL };
	size_t i, len = 0;
	int fd;

	(void)state;
	for (i = 0; i < 20000; i++) {
		id = xasprintf("td/step-%05zu", i);
		after[0] = prev;
		assert_non_null(plan_add(p, id, "import", "x", "a title [}\"",
		    NULL, prev != NULL ? after : NULL));
		free(prev);
		prev = id;
	}
	free(prev);
	assert_int_equal(plan_write(p, b, "plan.json"), 0);
	assert_int_equal(bundle_seal(b, cJSON_CreateObject()), 0);
	assert_true(bundle_find(b, "plan.json")->len > 2 * (1 << 20));
	for (i = 0; i < 3; i++) {
		path = xasprintf("%s/%s", d, kinds[i]);
		assert_int_equal(bundle_write(b, path, false), 0);
		assert_int_equal(bundle_load(&r, path), 0);
		assert_int_equal(plan_read(&q, r, "plan.json"), 0);
		assert_int_equal(q->nsteps, 20000);
		assert_string_equal(q->steps[19999].after[0], "td/step-19998");
		plan_free(q);
		if (i == 0) {	/* a title changed in place: parses */
			assert_int_equal(fsio_read_bounded(&buf, &len, path,
			    1 << 24), 0);
			fd = open(path, O_WRONLY);
			assert_true(fd != -1);
			assert_int_equal(pwrite(fd, "A", 1, (off_t)find(buf,
			    len, "a title")), 1);
			close(fd);
			free(buf);
			q = NULL;
			assert_int_equal(plan_read(&q, r, "plan.json"), -1);
			assert_null(q);
		}
		bundle_free(r);
		free(path);
	}
	plan_free(p);
	bundle_free(b);
	fsio_remove_tree(d);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundle_roundtrip_dir_and_archives),
		cmocka_unit_test(test_bundle_streamed_same_bytes),
		cmocka_unit_test(test_bundle_stream_abandoned_leaves_nothing),
		cmocka_unit_test(test_bundle_forgotten_twice),
		cmocka_unit_test(test_bundle_head_text),
		cmocka_unit_test(test_bundle_refuses_tampering),
		cmocka_unit_test(test_bundle_checked_again_when_read),
		cmocka_unit_test(test_bundle_manifest_read),
		cmocka_unit_test(test_bundle_existing_dir_needs_force),
		cmocka_unit_test(test_bundle_rejects_unsafe_names),
		cmocka_unit_test(test_bundle_rejects_garbage_archive),
		cmocka_unit_test(test_bundle_file_limit),
		cmocka_unit_test(test_plan_roundtrip_and_refs),
		cmocka_unit_test(test_plan_parse_rejects_forward_after),
		cmocka_unit_test(test_plan_parse_streamed),
		cmocka_unit_test(test_plan_read_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
