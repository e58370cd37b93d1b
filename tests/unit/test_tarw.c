/*
 * tarw: the .tar stream is libarchive's pax_restricted stream byte for
 * byte (headers written directly, or made by libarchive when pax extends
 * them), for names of every length and sizes around the block size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgwrite.h"
#include "tarw.h"
#include "xalloc.h"

#define ENTRIES		400
#define MAX_LEN		3000

struct ent {
	char	*name;
	size_t	 len;
};

/* The whole text of the file behind f, read from its start. */
static char *
slurp(FILE *f, size_t *n)
{
	long end;
	char *buf;

	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	end = ftell(f);
	assert_true(end >= 0);
	rewind(f);
	buf = xmalloc((size_t)end + 1);
	assert_int_equal(fread(buf, 1, (size_t)end, f), (size_t)end);
	*n = (size_t)end;
	return buf;
}

/* Entry i's data: a pattern of its own. */
static void
fill(char *data, size_t len, size_t i)
{
	size_t k;

	for (k = 0; k < len; k++)
		data[k] = (char)('a' + (k + i) % 26);
}

/* The stream as the bundle writer made it with libarchive alone. */
static char *
with_libarchive(const struct ent *e, size_t n, size_t *len)
{
	struct archive *a = archive_write_new();
	struct archive_entry *en = archive_entry_new();
	FILE *f = tmpfile();
	char *data = xmalloc(MAX_LEN + 1), *out;
	size_t i;

	assert_non_null(f);
	assert_int_equal(archive_write_set_format_pax_restricted(a), 0);
	assert_int_equal(archive_write_set_bytes_per_block(a, 1024 * 1024), 0);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), 0);
	assert_int_equal(archive_write_open_fd(a, fileno(f)), 0);
	for (i = 0; i < n; i++) {
		archive_entry_clear(en);
		archive_entry_set_pathname(en, e[i].name);
		archive_entry_set_filetype(en, AE_IFREG);
		archive_entry_set_perm(en, 0644);
		archive_entry_set_size(en, (la_int64_t)e[i].len);
		archive_entry_set_mtime(en, 0, 0);
		archive_entry_set_uid(en, 0);
		archive_entry_set_gid(en, 0);
		assert_int_equal(archive_write_header(a, en), ARCHIVE_OK);
		fill(data, e[i].len, i);
		if (e[i].len > 0)
			assert_int_equal(archive_write_data(a, data, e[i].len),
			    (la_ssize_t)e[i].len);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(en);
	free(data);
	out = slurp(f, len);
	fclose(f);
	return out;
}

/* The stream tarw writes, itself (bg false) or through a writer thread. */
static char *
with_tarw(const struct ent *e, size_t n, size_t *len, bool bg)
{
	FILE *f = tmpfile();
	struct bgwrite *w = bg ? bgwrite_new(NULL) : NULL;
	struct tarw *t;
	char *data = xmalloc(MAX_LEN + 1), *out;
	size_t i, half;

	assert_non_null(f);
	t = tarw_open(fileno(f), "test.tar", false, w);
	assert_non_null(t);
	for (i = 0; i < n; i++) {
		assert_int_equal(tarw_header(t, e[i].name, e[i].len), 0);
		fill(data, e[i].len, i);
		/* In two pieces, as the writer passes a spooled file. */
		half = e[i].len / 2;
		assert_int_equal(tarw_data(t, data, half), 0);
		assert_int_equal(tarw_data(t, data + half, e[i].len - half), 0);
	}
	assert_int_equal(tarw_close(t), 0);
	tarw_free(t);
	if (w != NULL)
		assert_int_equal(bgwrite_sync(w), 0);
	bgwrite_free(w);
	free(data);
	out = slurp(f, len);
	fclose(f);
	return out;
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A name of n bytes, mostly a bundle's characters, some with '/'. */
static char *
rnd_name(uint64_t *s, size_t n, bool odd)
{
	static const char pool[] = "abcXYZ019_:-./";
	static const char wild[] = " \t~#";
	char *t = xmalloc(n + 1);
	size_t i;

	for (i = 0; i < n; i++)
		t[i] = odd && rnd(s) % 9 == 0 ? wild[rnd(s) % (sizeof(wild) - 1)] :
		    pool[rnd(s) % (sizeof(pool) - 1)];
	if (t[0] == '/')
		t[0] = 'r';
	t[n] = '\0';
	return t;
}

static void
test_tarw_same_as_libarchive(void **state)
{
	static const size_t lens[] = { 0, 1, 511, 512, 513, 1024, 2047,
	    MAX_LEN };
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	struct ent e[ENTRIES];
	char *want, *got;
	size_t i, nw, ng, n;

	(void)state;
	for (i = 0; i < ENTRIES; i++) {
		/* Names around 100 and 255 bytes (ustar's name and prefix). */
		n = i < 300 ? 1 + i % 300 : 90 + rnd(&seed) % 20;
		e[i].name = rnd_name(&seed, n, i % 7 == 3);
		e[i].len = i % 3 == 0 ? lens[rnd(&seed) % 8] :
		    (size_t)(rnd(&seed) % MAX_LEN);
	}
	free(e[0].name);
	e[0].name = xstrdup("manifest.json");
	want = with_libarchive(e, ENTRIES, &nw);
	got = with_tarw(e, ENTRIES, &ng, false);
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, nw);
	free(got);
	got = with_tarw(e, ENTRIES, &ng, true);
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, nw);
	free(want);
	free(got);
	for (i = 0; i < ENTRIES; i++)
		free(e[i].name);
}

/* An empty archive, and a file given more bytes than its header says. */
static void
test_tarw_edges(void **state)
{
	struct ent none = { NULL, 0 };
	FILE *f = tmpfile();
	struct tarw *t;
	char *want, *got;
	size_t nw, ng;

	(void)state;
	want = with_libarchive(&none, 0, &nw);
	got = with_tarw(&none, 0, &ng, true);
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, nw);
	free(want);
	free(got);
	assert_non_null(f);
	t = tarw_open(fileno(f), "test.tar", false, NULL);
	assert_non_null(t);
	assert_int_equal(tarw_header(t, "a", 2), 0);
	assert_int_equal(tarw_data(t, "abc", 3), -1);
	tarw_free(t);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tarw_same_as_libarchive),
		cmocka_unit_test(test_tarw_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
