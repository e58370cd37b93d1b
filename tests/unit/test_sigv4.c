/*
 * SigV4 against the AWS test suite and the ECS/EC2 vectors in
 * fixtures/sigv4/ (run from the repository root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsio.h"
#include "sigv4.h"
#include "strbuf.h"
#include "xalloc.h"

#define KEY_ID	"AKIDEXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AMZDATE	"20150830T123600Z"
#define MAXCASE	64

/* Official cases whose .sts/.authz do not match their .req (data defect). */
static const char *const creq_only[] = {
	"post-x-www-form-urlencoded",
	"post-x-www-form-urlencoded-parameters",
	NULL
};

struct vcase {
	char	*dir;
	char	*name;
	const char *service;
};

static struct vcase cases[MAXCASE];
static size_t ncases;

static void
collect(const char *dir, const char *service)
{
	DIR *d;
	struct dirent *de;
	char *p, *req;
	struct stat st;

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			req = xasprintf("%s/%s.req", p, de->d_name);
			if (stat(req, &st) == 0) {
				assert_true(ncases < MAXCASE);
				cases[ncases].dir = xstrdup(p);
				cases[ncases].name = xstrdup(de->d_name);
				cases[ncases].service = service != NULL ?
				    service : (strncmp(de->d_name, "ecs-", 4) ==
				    0 ? "ecs" : "ec2");
				ncases++;
			} else
				collect(p, service);
			free(req);
		}
		free(p);
	}
	closedir(d);
}

static char *
slurp(const struct vcase *c, const char *ext)
{
	char *path, *buf = NULL;
	size_t len;

	path = xasprintf("%s/%s.%s", c->dir, c->name, ext);
	assert_int_equal(fsio_read_bounded(&buf, &len, path, 1 << 20), 0);
	free(path);
	return buf;
}

/* Parse a .req file and sign it; compare the three outputs. */
static int
run_case(const struct vcase *c, int check_sts)
{
	char *req = slurp(c, "req"), *creq = slurp(c, "creq");
	char *sts = slurp(c, "sts"), *authz = slurp(c, "authz");
	struct sigv4_header h[SIGV4_MAX_HEADERS];
	struct sigv4_request r;
	struct sigv4_key key = { KEY_ID, SECRET };
	struct sigv4_result res;
	char *line, *next, *sp, *uri, *q, *colon, *lastname = NULL;
	size_t nh = 0;
	int ok;

	memset(&r, 0, sizeof(r));
	line = req;
	next = strchr(line, '\n');
	assert_non_null(next);
	*next++ = '\0';
	sp = strchr(line, ' ');
	assert_non_null(sp);
	*sp = '\0';
	r.method = line;
	uri = sp + 1;
	sp = strstr(uri, " HTTP/");
	assert_non_null(sp);
	*sp = '\0';
	q = strchr(uri, '?');
	if (q != NULL)
		*q++ = '\0';
	r.path = uri;
	r.query = q;
	for (line = next; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == '\0')
			break;
		if (*line == ' ' || *line == '\t') {
			/* Folded line: another value of the previous header. */
			assert_non_null(lastname);
			h[nh].name = lastname;
			h[nh].value = line;
			nh++;
			continue;
		}
		colon = strchr(line, ':');
		assert_non_null(colon);
		*colon = '\0';
		assert_true(nh < SIGV4_MAX_HEADERS);
		h[nh].name = lastname = line;
		h[nh].value = colon + 1;
		nh++;
	}
	if (line != NULL && next != NULL) {
		/* The body follows the blank line. */
		r.body = next;
		r.bodylen = strlen(next);
	}
	r.headers = h;
	r.nheaders = nh;
	assert_int_equal(sigv4_sign(&res, &r, &key, "us-east-1", c->service,
	    AMZDATE), 0);
	ok = strcmp(res.canonical_request, creq) == 0;
	if (check_sts) {
		ok = ok && strcmp(res.string_to_sign, sts) == 0;
		ok = ok && strcmp(res.authorization, authz) == 0;
	}
	if (!ok)
		print_error("%s: got\n%s\n--\n%s\n--\n%s\n", c->dir,
		    res.canonical_request, res.string_to_sign,
		    res.authorization);
	sigv4_result_cleanup(&res);
	free(req);
	free(creq);
	free(sts);
	free(authz);
	return ok;
}

static int
is_creq_only(const struct vcase *c)
{
	size_t i;

	if (strstr(c->dir, "aws-sig-v4-test-suite") == NULL)
		return 0;
	for (i = 0; creq_only[i] != NULL; i++)
		if (strcmp(c->name, creq_only[i]) == 0)
			return 1;
	return 0;
}

static void
test_sigv4_suite(void **state)
{
	size_t i, pass = 0, full = 0;

	(void)state;
	ncases = 0;
	collect("fixtures/sigv4/aws-sig-v4-test-suite", "service");
	collect("fixtures/sigv4/repaired", "service");
	collect("fixtures/sigv4/extra-service-vectors", NULL);
	assert_true(ncases >= 35);
	for (i = 0; i < ncases; i++) {
		if (!is_creq_only(&cases[i]))
			full++;
		if (run_case(&cases[i], !is_creq_only(&cases[i])))
			pass++;
	}
	print_message("SigV4 vectors: %zu/%zu pass (%zu with sts+authz)\n",
	    pass, ncases, full);
	for (i = 0; i < ncases; i++) {
		free(cases[i].dir);
		free(cases[i].name);
	}
	assert_int_equal(pass, ncases);
}

static void
test_sigv4_uri_encode(void **state)
{
	struct strbuf sb;
	char *s;

	(void)state;
	strbuf_init(&sb, 1024);
	assert_int_equal(sigv4_uri_encode(&sb, "a b/~%", 6, 0), 0);
	s = strbuf_take(&sb, NULL);
	assert_string_equal(s, "a%20b%2F~%25");
	free(s);
}

static void
test_sigv4_bad_date(void **state)
{
	struct sigv4_request r = { "POST", "/", NULL, NULL, 0, "", 0 };
	struct sigv4_key key = { KEY_ID, SECRET };
	struct sigv4_result res;

	(void)state;
	assert_int_equal(sigv4_sign(&res, &r, &key, "us-east-1", "ecs",
	    "2015-08-30"), -1);
	assert_null(res.authorization);
}

static void
test_sigv4_date_now(void **state)
{
	char d[SIGV4_DATE_LEN + 1];

	(void)state;
	assert_int_equal(sigv4_date_now(d), 0);
	assert_int_equal(strlen(d), SIGV4_DATE_LEN);
	assert_int_equal(d[8], 'T');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigv4_suite),
		cmocka_unit_test(test_sigv4_uri_encode),
		cmocka_unit_test(test_sigv4_bad_date),
		cmocka_unit_test(test_sigv4_date_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
