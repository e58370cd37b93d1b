/*
 * AWS Signature Version 4: canonical request, string to sign, signing key
 * derivation and the Authorization value (AWS "Create a signed AWS API
 * request", steps 1-4). Checked against the AWS test suite in
 * fixtures/sigv4/.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "log.h"
#include "sigv4.h"
#include "strbuf.h"
#include "xalloc.h"

#define SIGV4_MAX_TEXT	(16UL * 1024 * 1024)	/* canonical request */
#define SIGV4_HASH_LEN	32

struct canon_header {
	char	*name;		/* lower case */
	char	*value;		/* values joined with ',' */
};

struct query_pair {
	char	*key;		/* encoded */
	char	*val;		/* encoded */
};

static void
hex_encode(char *out, const unsigned char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
sha256_hex(char out[2 * SIGV4_HASH_LEN + 1], const void *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != SIGV4_HASH_LEN) {
		log_errx("SigV4: SHA-256 failed");
		return -1;
	}
	hex_encode(out, md, mdlen);
	return 0;
}

static int
hmac(unsigned char out[SIGV4_HASH_LEN], const void *key, size_t keylen,
    const char *msg)
{
	unsigned int outlen = 0;

	if (keylen > 0x7fffffff ||
	    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
	    strlen(msg), out, &outlen) == NULL || outlen != SIGV4_HASH_LEN) {
		log_errx("SigV4 signing key: HMAC-SHA256 failed");
		return -1;
	}
	return 0;
}

static int
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

int
sigv4_uri_encode(struct strbuf *sb, const char *s, size_t len,
    int keep_slash)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c < 0x80 && unreserved(c)) || (keep_slash && c == '/')) {
			if (strbuf_add(sb, &s[i], 1) == -1)
				return -1;
		} else if (strbuf_printf(sb, "%%%02X", c) == -1)
			return -1;
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..len) then re-encode it (query names and values). */
static char *
query_reencode(const char *s, size_t len)
{
	struct strbuf dec, enc;
	size_t i;
	char c;
	int hi, lo;

	strbuf_init(&dec, SIGV4_MAX_TEXT);
	strbuf_init(&enc, SIGV4_MAX_TEXT);
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '%' && i + 2 < len) {
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi >= 0 && lo >= 0) {
				c = (char)(hi * 16 + lo);
				i += 2;
			}
		}
		if (strbuf_add(&dec, &c, 1) == -1)
			goto fail;
	}
	if (sigv4_uri_encode(&enc, dec.buf != NULL ? dec.buf : "", dec.len,
	    0) == -1)
		goto fail;
	strbuf_cleanup(&dec);
	return strbuf_take(&enc, NULL);
fail:
	strbuf_cleanup(&dec);
	strbuf_cleanup(&enc);
	return NULL;
}

static int
query_cmp(const void *a, const void *b)
{
	const struct query_pair *x = a, *y = b;
	int c;

	c = strcmp(x->key, y->key);
	if (c != 0)
		return c;
	return strcmp(x->val, y->val);
}

static int
canon_query(struct strbuf *sb, const char *query)
{
	struct query_pair *pairs = NULL;
	size_t n = 0, cap = 0, i;
	const char *p, *amp, *eq, *end;
	int rc = -1;

	if (query == NULL || *query == '\0')
		return 0;
	for (p = query; ; p = amp + 1) {
		amp = strchr(p, '&');
		end = amp != NULL ? amp : p + strlen(p);
		if (end > p) {
			eq = memchr(p, '=', (size_t)(end - p));
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				pairs = xreallocarray(pairs, cap,
				    sizeof(*pairs));
			}
			pairs[n].key = query_reencode(p, (size_t)
			    ((eq != NULL ? eq : end) - p));
			pairs[n].val = eq != NULL ?
			    query_reencode(eq + 1, (size_t)(end - eq - 1)) :
			    xstrdup("");
			n++;
			if (pairs[n - 1].key == NULL ||
			    pairs[n - 1].val == NULL) {
				log_errx("SigV4 canonical query: too long");
				goto out;
			}
		}
		if (amp == NULL)
			break;
	}
	qsort(pairs, n, sizeof(*pairs), query_cmp);
	for (i = 0; i < n; i++) {
		if (strbuf_printf(sb, "%s%s=%s", i > 0 ? "&" : "",
		    pairs[i].key, pairs[i].val) == -1) {
			log_errx("SigV4 canonical query: too long");
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(pairs[i].key);
		free(pairs[i].val);
	}
	free(pairs);
	return rc;
}

/*
 * Canonical URI: remove "." and ".." segments and empty segments, keep a
 * trailing slash, then encode every byte but unreserved and '/'.
 */
static int
canon_path(struct strbuf *sb, const char *path)
{
	const char **seg = NULL;
	size_t *seglen = NULL, n = 0, cap = 0, i, len;
	const char *p, *slash;
	int trailing, rc = -1;

	if (path == NULL || *path == '\0')
		path = "/";
	len = strlen(path);
	trailing = len > 0 && path[len - 1] == '/';
	for (p = path; *p != '\0'; p = slash + 1) {
		slash = strchr(p, '/');
		if (slash == NULL)
			slash = p + strlen(p);
		len = (size_t)(slash - p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* skip */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (n > 0)
				n--;
		} else {
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				seg = xreallocarray(seg, cap, sizeof(*seg));
				seglen = xreallocarray(seglen, cap,
				    sizeof(*seglen));
			}
			seg[n] = p;
			seglen[n] = len;
			n++;
		}
		if (*slash == '\0')
			break;
	}
	for (i = 0; i < n; i++) {
		if (strbuf_puts(sb, "/") == -1 ||
		    sigv4_uri_encode(sb, seg[i], seglen[i], 0) == -1)
			goto fail;
	}
	if ((n == 0 || trailing) && strbuf_puts(sb, "/") == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	log_errx("SigV4 canonical URI: too long");
out:
	free(seg);
	free(seglen);
	return rc;
}

/* Trim and squeeze runs of spaces (SigV4 "Trimall"). */
static char *
header_trimall(const char *v)
{
	struct strbuf sb;
	int space = 0;

	strbuf_init(&sb, SIGV4_MAX_TEXT);
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
			space = 1;
			continue;
		}
		if (space && sb.len > 0 && strbuf_puts(&sb, " ") == -1)
			goto fail;
		space = 0;
		if (strbuf_add(&sb, v, 1) == -1)
			goto fail;
	}
	return strbuf_take(&sb, NULL);
fail:
	strbuf_cleanup(&sb);
	return NULL;
}

static int
header_cmp(const void *a, const void *b)
{
	const struct canon_header *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
canon_headers(struct strbuf *sb, struct strbuf *signed_names,
    const struct sigv4_request *req)
{
	struct canon_header h[SIGV4_MAX_HEADERS];
	size_t n = 0, i, j;
	char *v = NULL, *name = NULL, *joined;
	int rc = -1;

	if (req->nheaders > SIGV4_MAX_HEADERS) {
		log_errx("SigV4 canonical headers: more than %d headers",
		    SIGV4_MAX_HEADERS);
		return -1;
	}
	for (i = 0; i < req->nheaders; i++) {
		name = xstrdup(req->headers[i].name);
		for (j = 0; name[j] != '\0'; j++)
			name[j] = (char)tolower((unsigned char)name[j]);
		v = header_trimall(req->headers[i].value);
		if (v == NULL) {
			log_errx("SigV4 canonical headers: %s: value too long",
			    name);
			goto out;
		}
		for (j = 0; j < n; j++)
			if (strcmp(h[j].name, name) == 0)
				break;
		if (j < n) {
			/* Repeated header: values joined with ','. */
			joined = xasprintf("%s,%s", h[j].value, v);
			free(h[j].value);
			h[j].value = joined;
			free(v);
			free(name);
		} else {
			h[n].name = name;
			h[n].value = v;
			n++;
		}
		v = NULL;
		name = NULL;
	}
	qsort(h, n, sizeof(h[0]), header_cmp);
	for (i = 0; i < n; i++) {
		if (strbuf_printf(sb, "%s:%s\n", h[i].name, h[i].value) ==
		    -1 || strbuf_printf(signed_names, "%s%s", i > 0 ? ";" :
		    "", h[i].name) == -1) {
			log_errx("SigV4 canonical headers: too long");
			goto out;
		}
	}
	rc = 0;
out:
	free(v);
	free(name);
	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	return rc;
}

void
sigv4_result_cleanup(struct sigv4_result *r)
{
	if (r == NULL)
		return;
	free(r->canonical_request);
	free(r->string_to_sign);
	free(r->authorization);
	r->canonical_request = r->string_to_sign = r->authorization = NULL;
}

static int
date_valid(const char *d)
{
	size_t i;

	if (d == NULL || strlen(d) != SIGV4_DATE_LEN || d[8] != 'T' ||
	    d[15] != 'Z')
		return 0;
	for (i = 0; i < SIGV4_DATE_LEN - 1; i++)
		if (i != 8 && !isdigit((unsigned char)d[i]))
			return 0;
	return 1;
}

int
sigv4_sign(struct sigv4_result *out, const struct sigv4_request *req,
    const struct sigv4_key *key, const char *region, const char *service,
    const char *amzdate)
{
	struct strbuf creq, names;
	char payload_hash[2 * SIGV4_HASH_LEN + 1];
	char creq_hash[2 * SIGV4_HASH_LEN + 1];
	char sig[2 * SIGV4_HASH_LEN + 1];
	char date[9];
	unsigned char k[SIGV4_HASH_LEN], k2[SIGV4_HASH_LEN];
	char *secret = NULL, *scope = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	strbuf_init(&creq, SIGV4_MAX_TEXT);
	strbuf_init(&names, SIGV4_MAX_TEXT);
	if (!date_valid(amzdate)) {
		log_errx("SigV4: bad X-Amz-Date \"%s\"",
		    amzdate != NULL ? amzdate : "");
		goto out;
	}
	if (key->access_key == NULL || key->secret_key == NULL ||
	    region == NULL || service == NULL) {
		log_errx("SigV4: missing key, region or service");
		goto out;
	}
	memcpy(date, amzdate, 8);
	date[8] = '\0';

	/* Step 1: canonical request. */
	if (sha256_hex(payload_hash, req->body != NULL ? req->body : "",
	    req->bodylen) == -1)
		goto out;
	if (strbuf_printf(&creq, "%s\n", req->method) == -1 ||
	    canon_path(&creq, req->path) == -1 ||
	    strbuf_puts(&creq, "\n") == -1 ||
	    canon_query(&creq, req->query) == -1 ||
	    strbuf_puts(&creq, "\n") == -1 ||
	    canon_headers(&creq, &names, req) == -1 ||
	    strbuf_printf(&creq, "\n%s\n%s", names.buf != NULL ? names.buf :
	    "", payload_hash) == -1) {
		log_errx("SigV4 canonical request: cannot build");
		goto out;
	}
	out->canonical_request = strbuf_take(&creq, NULL);

	/* Step 2: string to sign. */
	if (sha256_hex(creq_hash, out->canonical_request,
	    strlen(out->canonical_request)) == -1)
		goto out;
	scope = xasprintf("%s/%s/%s/aws4_request", date, region, service);
	out->string_to_sign = xasprintf("%s\n%s\n%s\n%s", SIGV4_ALGORITHM,
	    amzdate, scope, creq_hash);

	/* Step 3: signing key, then the signature. */
	secret = xasprintf("AWS4%s", key->secret_key);
	if (hmac(k, secret, strlen(secret), date) == -1 ||
	    hmac(k2, k, sizeof(k), region) == -1 ||
	    hmac(k, k2, sizeof(k2), service) == -1 ||
	    hmac(k2, k, sizeof(k), "aws4_request") == -1 ||
	    hmac(k, k2, sizeof(k2), out->string_to_sign) == -1)
		goto out;
	hex_encode(sig, k, sizeof(k));

	/* Step 4: Authorization header value. */
	out->authorization = xasprintf("%s Credential=%s/%s, "
	    "SignedHeaders=%s, Signature=%s", SIGV4_ALGORITHM,
	    key->access_key, scope, names.buf != NULL ? names.buf : "", sig);
	rc = 0;
out:
	if (secret != NULL) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(k2, sizeof(k2));
	free(scope);
	strbuf_cleanup(&creq);
	strbuf_cleanup(&names);
	if (rc == -1)
		sigv4_result_cleanup(out);
	return rc;
}

/* Seconds to add to the local clock; see sigv4_clock_adjust. */
static pthread_mutex_t clock_mu = PTHREAD_MUTEX_INITIALIZER;
static long long clock_offset;

long long
sigv4_clock_offset(void)
{
	long long v;

	(void)pthread_mutex_lock(&clock_mu);
	v = clock_offset;
	(void)pthread_mutex_unlock(&clock_mu);
	return v;
}

void
sigv4_clock_reset(void)
{
	(void)pthread_mutex_lock(&clock_mu);
	clock_offset = 0;
	(void)pthread_mutex_unlock(&clock_mu);
}

long long
sigv4_clock_at(long long local)
{
	return local + sigv4_clock_offset();
}

int
sigv4_clock_adjust_at(long long server, long long local)
{
	long long skew = server - local, d;
	int rc = 0;

	if (server <= 0 || local <= 0)
		return -1;
	if (skew > SIGV4_SKEW_MAX || skew < -SIGV4_SKEW_MAX) {
		log_errx("clock skew: the server's Date is %lld s from the "
		    "local clock, more than the %d s allowed; fix the clock",
		    skew, SIGV4_SKEW_MAX);
		return -1;
	}
	(void)pthread_mutex_lock(&clock_mu);
	d = skew - clock_offset;
	if (d >= SIGV4_SKEW_MIN || d <= -SIGV4_SKEW_MIN) {
		clock_offset = skew;
		rc = 1;
	}
	(void)pthread_mutex_unlock(&clock_mu);
	if (rc == 1)
		log_warnx("clock skew: local clock is %lld s %s AWS; "
		    "signing with corrected time", skew < 0 ? -skew : skew,
		    skew >= 0 ? "behind" : "ahead of");
	return rc;
}

int
sigv4_clock_adjust(long long server)
{
	return sigv4_clock_adjust_at(server, (long long)time(NULL));
}

/* Codes whose message decides (also used for a bad key or signature). */
static const char *const skew_maybe[] = { "InvalidSignatureException",
	"SignatureDoesNotMatch", "AuthFailure", NULL };
static const char *const skew_always[] = { "RequestTimeTooSkewed",
	"RequestExpired", "RequestInTheFuture", NULL };
static const char *const skew_words[] = { "signature expired",
	"signature not yet current", "skew", NULL };

static bool
ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n && hay[i] != '\0' &&
		    tolower((unsigned char)hay[i]) == needle[i]; i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

bool
sigv4_skew_error(const char *code, const char *message)
{
	size_t i;

	if (code == NULL)
		return false;
	for (i = 0; skew_always[i] != NULL; i++)
		if (strcmp(code, skew_always[i]) == 0)
			return true;
	for (i = 0; skew_maybe[i] != NULL; i++)
		if (strcmp(code, skew_maybe[i]) == 0)
			break;
	if (skew_maybe[i] == NULL || message == NULL ||
	    strnlen(message, SIGV4_MAX_MESSAGE + 1) > SIGV4_MAX_MESSAGE)
		return false;
	for (i = 0; skew_words[i] != NULL; i++)
		if (ci_contains(message, skew_words[i]))
			return true;
	return false;
}

int
sigv4_date_format(long long t, char out[SIGV4_DATE_LEN + 1])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t < 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) !=
	    SIGV4_DATE_LEN) {
		log_errx("SigV4: cannot format time %lld", t);
		return -1;
	}
	return 0;
}

int
sigv4_date_now(char out[SIGV4_DATE_LEN + 1])
{
	time_t now;

	now = time(NULL);
	if (now == (time_t)-1) {
		log_errx("SigV4: cannot read the clock");
		return -1;
	}
	return sigv4_date_format(sigv4_clock_at((long long)now), out);
}
