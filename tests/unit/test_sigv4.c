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

#define VECTOR_TIME	1440938160LL	/* 2015-08-30T12:36:00Z */
#define ECS_VECTOR	"fixtures/sigv4/extra-service-vectors/" \
	"ecs-describe-services/ecs-describe-services.authz"

/* Sign the ECS DescribeServices vector at amzdate. */
static char *
sign_ecs_vector(const char *amzdate)
{
	static const char body[] = "{\"cluster\":\"default\","
	    "\"services\":[\"web\"]}";
	struct sigv4_header h[4] = {
		{ "Host", "ecs.us-east-1.amazonaws.com" },
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "X-Amz-Target",
		    "AmazonEC2ContainerServiceV20141113.DescribeServices" },
		{ "X-Amz-Date", amzdate },
	};
	struct sigv4_request r = { "POST", "/", NULL, h, 4, body,
	    sizeof(body) - 1 };
	struct sigv4_key key = { KEY_ID, SECRET };
	struct sigv4_result res;
	char *out;

	assert_int_equal(sigv4_sign(&res, &r, &key, "us-east-1", "ecs",
	    amzdate), 0);
	out = xstrdup(res.authorization);
	sigv4_result_cleanup(&res);
	return out;
}

static void
test_sigv4_clock_offset_signing(void **state)
{
	char d[SIGV4_DATE_LEN + 1], *want, *got, *p;
	size_t len;
	long long local = VECTOR_TIME - 3725;	/* local clock behind */

	(void)state;
	sigv4_clock_reset();
	assert_int_equal(fsio_read_bounded(&want, &len, ECS_VECTOR, 4096), 0);
	if ((p = strchr(want, '\n')) != NULL)
		*p = '\0';
	/* Without an offset the local time is signed. */
	assert_int_equal(sigv4_date_format(sigv4_clock_at(local), d), 0);
	assert_string_equal(d, "20150830T113355Z");
	/* The server's Date corrects it: fixed time + offset == vector. */
	assert_int_equal(sigv4_clock_adjust_at(VECTOR_TIME, local), 1);
	assert_int_equal(sigv4_clock_offset(), 3725);
	assert_int_equal(sigv4_date_format(sigv4_clock_at(local), d), 0);
	assert_string_equal(d, AMZDATE);
	got = sign_ecs_vector(d);
	assert_string_equal(got, want);
	free(got);
	/* The same skew again changes nothing (logged once). */
	assert_int_equal(sigv4_clock_adjust_at(VECTOR_TIME + 10,
	    local + 10), 0);
	assert_int_equal(sigv4_clock_offset(), 3725);
	/* Under SIGV4_SKEW_MIN of change: kept. */
	assert_int_equal(sigv4_clock_adjust_at(VECTOR_TIME + 30, local), 0);
	/* The local clock ahead: a negative offset. */
	assert_int_equal(sigv4_clock_adjust_at(VECTOR_TIME, VECTOR_TIME +
	    600), 1);
	assert_int_equal(sigv4_clock_offset(), -600);
	assert_int_equal(sigv4_date_format(sigv4_clock_at(VECTOR_TIME + 600),
	    d), 0);
	assert_string_equal(d, AMZDATE);
	/* No date, or a skew beyond the bound: refused, offset kept. */
	assert_int_equal(sigv4_clock_adjust_at(0, VECTOR_TIME), -1);
	assert_int_equal(sigv4_clock_adjust_at(VECTOR_TIME + SIGV4_SKEW_MAX +
	    1, VECTOR_TIME), -1);
	assert_int_equal(sigv4_clock_offset(), -600);
	/* sigv4_date_now follows the offset. */
	sigv4_clock_reset();
	assert_int_equal(sigv4_clock_offset(), 0);
	free(want);
}

static void
test_sigv4_skew_classify(void **state)
{
	(void)state;
	/* ECS JSON */
	assert_true(sigv4_skew_error("InvalidSignatureException",
	    "Signature expired: 20150830T120000Z is now earlier than "
	    "20150830T123100Z (20150830T123600Z - 5 min.)"));
	assert_true(sigv4_skew_error("InvalidSignatureException",
	    "Signature not yet current: 20150830T130000Z is still later "
	    "than 20150830T124100Z (20150830T123600Z + 5 min.)"));
	assert_false(sigv4_skew_error("InvalidSignatureException",
	    "The request signature we calculated does not match the "
	    "signature you provided."));
	assert_false(sigv4_skew_error("InvalidSignatureException", NULL));
	/* EC2 / STS query */
	assert_true(sigv4_skew_error("RequestExpired",
	    "Request has expired."));
	assert_true(sigv4_skew_error("RequestTimeTooSkewed", NULL));
	assert_true(sigv4_skew_error("RequestInTheFuture", "x"));
	assert_true(sigv4_skew_error("SignatureDoesNotMatch",
	    "Signature expired: 20150830T120000Z is now earlier than ..."));
	assert_true(sigv4_skew_error("AuthFailure",
	    "Request time too skewed"));
	assert_false(sigv4_skew_error("AuthFailure",
	    "AWS was not able to validate the provided access credentials"));
	assert_false(sigv4_skew_error("SignatureDoesNotMatch",
	    "The request signature we calculated does not match"));
	/* Others */
	assert_false(sigv4_skew_error("ThrottlingException",
	    "Signature expired"));
	assert_false(sigv4_skew_error("ExpiredTokenException",
	    "The security token included in the request is expired"));
	assert_false(sigv4_skew_error(NULL, "Signature expired"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigv4_suite),
		cmocka_unit_test(test_sigv4_uri_encode),
		cmocka_unit_test(test_sigv4_bad_date),
		cmocka_unit_test(test_sigv4_date_now),
		cmocka_unit_test(test_sigv4_clock_offset_signing),
		cmocka_unit_test(test_sigv4_skew_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
