/*
 * libcurl wrapper (easy interface, one transfer at a time). See http.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "http.h"
#include "log.h"
#include "strbuf.h"
#include "xalloc.h"

#define HTTP_MAX_DATE	64	/* longest Date value parsed */

struct xfer {
	struct strbuf		 body;
	struct http_response	*resp;
	int			 overflow;
};

int
http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_errx("libcurl: global init failed");
		return -1;
	}
	return 0;
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
}

void
http_url_cleanup(struct http_url *u)
{
	if (u == NULL)
		return;
	free(u->scheme);
	free(u->host);
	free(u->path);
	free(u->query);
	memset(u, 0, sizeof(*u));
}

static bool
host_is_loopback(const char *h)
{
	if (strcasecmp(h, "localhost") == 0 || strcmp(h, "::1") == 0 ||
	    strcmp(h, "[::1]") == 0)
		return true;
	/* 127.0.0.0/8 in dotted-quad form. */
	if (strncmp(h, "127.", 4) == 0) {
		const char *p = h + 4;
		int dots = 0;

		for (; *p != '\0'; p++) {
			if (*p == '.')
				dots++;
			else if (!isdigit((unsigned char)*p))
				return false;
		}
		return dots == 2;
	}
	return false;
}

/* The link-local credential endpoints (IMDS, ECS/EKS agents). */
static bool
host_is_metadata(const char *h)
{
	return strcmp(h, "169.254.169.254") == 0 ||
	    strcmp(h, "169.254.170.2") == 0 ||
	    strcmp(h, "169.254.170.23") == 0 ||
	    strcmp(h, "[fd00:ec2::254]") == 0 ||
	    strcmp(h, "[fd00:ec2::23]") == 0;
}

/* With meta, plain http to host_is_metadata() is allowed too. */
static int
url_parse(struct http_url *out, const char *what, const char *url,
    bool meta)
{
	CURLU *h = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char *query = NULL, *user = NULL;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	h = curl_url();
	if (h == NULL) {
		log_errx("%s: out of memory", what);
		goto out;
	}
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		log_errx("%s: \"%s\" is not a valid URL", what, url);
		goto out;
	}
	if (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		log_errx("%s: \"%s\": user info is not allowed", what, url);
		goto out;
	}
	if (curl_url_get(h, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
		query = NULL;
	/* The port only when given (curl drops nothing by itself). */
	if (curl_url_get(h, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	for (i = 0; host[i] != '\0'; i++)
		host[i] = (char)tolower((unsigned char)host[i]);
	out->loopback = host_is_loopback(host) ||
	    (meta && host_is_metadata(host));
	if (strcmp(scheme, "https") != 0 &&
	    !(strcmp(scheme, "http") == 0 && out->loopback)) {
		log_errx("%s: \"%s\": only https is allowed (plain http "
		    "only to 127.0.0.0/8, ::1 or localhost)", what, url);
		goto out;
	}
	if (port != NULL && !((strcmp(scheme, "https") == 0 &&
	    strcmp(port, "443") == 0) || (strcmp(scheme, "http") == 0 &&
	    strcmp(port, "80") == 0)))
		out->host = xasprintf("%s:%s", host, port);
	else
		out->host = xstrdup(host);
	out->scheme = xstrdup(scheme);
	out->path = xstrdup(path[0] != '\0' ? path : "/");
	out->query = query != NULL ? xstrdup(query) : NULL;
	rc = 0;
out:
	if (rc == -1)
		http_url_cleanup(out);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_free(user);
	curl_url_cleanup(h);
	return rc;
}

int
http_url_parse(struct http_url *out, const char *what, const char *url)
{
	return url_parse(out, what, url, false);
}

void
http_apierr_cleanup(struct http_apierr *e)
{
	if (e == NULL)
		return;
	free(e->code);
	free(e->message);
	free(e->field);
	free(e->request_id);
	memset(e, 0, sizeof(*e));
	e->wait_seconds = -1;
}

void
http_apierr_set(struct http_apierr *e, long status, const char *code,
    const char *message, bool retryable)
{
	free(e->code);
	free(e->message);
	e->status = status;
	e->code = xstrdup(code != NULL ? code : "Unknown");
	e->message = message != NULL ? xstrdup(message) : NULL;
	e->retryable = retryable;
	e->not_sent = false;
	e->server_date = 0;
}

void
http_apierr_transport(struct http_apierr *e, const struct http_response *r)
{
	http_apierr_set(e, 0, "Transport", r->not_sent ? "not sent: no "
	    "connection" : "no reply; the request may have reached the "
	    "server", true);
	e->not_sent = r->not_sent;
}

static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr",
	"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const wdays[7] = { "Sunday", "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday" };

/* Exactly n digits (a leading space allowed when sp). */
static bool
date_num(const char **p, int n, bool sp, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (i == 0 && sp && (*p)[0] == ' ') {
			(*p)++;
			continue;
		}
		if (!isdigit((unsigned char)**p))
			return false;
		*v = *v * 10 + (**p - '0');
		(*p)++;
	}
	return true;
}

static bool
date_lit(const char **p, const char *l)
{
	size_t n = strlen(l);

	if (strncmp(*p, l, n) != 0)
		return false;
	*p += n;
	return true;
}

static bool
date_month(const char **p, int *mon)
{
	int i;

	for (i = 0; i < 12; i++)
		if (strncmp(*p, months[i], 3) == 0) {
			*mon = i + 1;
			*p += 3;
			return true;
		}
	return false;
}

/* "Sun" (abbrev) or "Sunday" (full) */
static bool
date_wday(const char **p, bool full)
{
	int i;

	for (i = 0; i < 7; i++) {
		if (full && date_lit(p, wdays[i]))
			return true;
		if (!full && strncmp(*p, wdays[i], 3) == 0) {
			*p += 3;
			return true;
		}
	}
	return false;
}

static bool
date_time(const char **p, int *h, int *m, int *sec)
{
	return date_num(p, 2, false, h) && date_lit(p, ":") &&
	    date_num(p, 2, false, m) && date_lit(p, ":") &&
	    date_num(p, 2, false, sec);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
http_date_parse(const char *s, long long *out)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	const char *p = s;
	int y = 0, mon = 0, d = 0, h = 0, mi = 0, sec = 0;
	bool ok, leap;

	*out = 0;
	if (s == NULL || strnlen(s, HTTP_MAX_DATE + 1) > HTTP_MAX_DATE)
		return -1;
	/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
	ok = date_wday(&p, false) && date_lit(&p, ", ") &&
	    date_num(&p, 2, false, &d) && date_lit(&p, " ") &&
	    date_month(&p, &mon) && date_lit(&p, " ") &&
	    date_num(&p, 4, false, &y) && date_lit(&p, " ") &&
	    date_time(&p, &h, &mi, &sec) && date_lit(&p, " GMT") && *p == '\0';
	if (!ok) {
		/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
		p = s;
		ok = date_wday(&p, true) && date_lit(&p, ", ") &&
		    date_num(&p, 2, false, &d) && date_lit(&p, "-") &&
		    date_month(&p, &mon) && date_lit(&p, "-") &&
		    date_num(&p, 2, false, &y) && date_lit(&p, " ") &&
		    date_time(&p, &h, &mi, &sec) && date_lit(&p, " GMT") &&
		    *p == '\0';
		/* Two-digit years: 70-99 are 19xx (RFC 7231 allows 50 y). */
		if (ok)
			y += y >= 70 ? 1900 : 2000;
	}
	if (!ok) {
		/* asctime: Sun Nov  6 08:49:37 1994 */
		p = s;
		ok = date_wday(&p, false) && date_lit(&p, " ") &&
		    date_month(&p, &mon) && date_lit(&p, " ") &&
		    date_num(&p, 2, true, &d) && date_lit(&p, " ") &&
		    date_time(&p, &h, &mi, &sec) && date_lit(&p, " ") &&
		    date_num(&p, 4, false, &y) && *p == '\0';
	}
	if (!ok)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || d < 1 || d > mdays[mon - 1] ||
	    (mon == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (sec == 60)
		sec = 59;	/* a leap second */
	*out = days_from_civil(y, mon, d) * 86400LL + h * 3600LL +
	    mi * 60LL + sec;
	return 0;
}

void
http_response_cleanup(struct http_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r->request_id);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (strbuf_add(&x->body, ptr, n) == -1) {
		x->overflow = 1;
		return 0;	/* aborts the transfer */
	}
	return n;
}

static long
parse_secs(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno != 0 || end == s || *end != '\0' || v < 0 ||
	    v > 24 * 3600)
		return -1;
	return (long)v;
}

/* Header lines: "Name: value\r\n"; keep the few we use. */
static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, nlen;
	char *line, *colon, *v, *e;

	line = xstrndup(ptr, n);
	colon = strchr(line, ':');
	if (colon != NULL) {
		*colon = '\0';
		nlen = (size_t)(colon - line);
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		e = v + strlen(v);
		while (e > v && (e[-1] == '\r' || e[-1] == '\n' ||
		    e[-1] == ' '))
			*--e = '\0';
		if (nlen > 0 && strcasecmp(line, "x-amzn-requestid") == 0) {
			free(x->resp->request_id);
			x->resp->request_id = xstrdup(v);
		} else if (strcasecmp(line, "content-type") == 0) {
			free(x->resp->content_type);
			x->resp->content_type = xstrdup(v);
		} else if (strcasecmp(line, "x-ratelimit-reset") == 0)
			x->resp->ratelimit_reset = parse_secs(v);
		else if (strcasecmp(line, "retry-after") == 0)
			x->resp->retry_after = parse_secs(v);
		else if (strcasecmp(line, "date") == 0 &&
		    http_date_parse(v, &x->resp->date) == -1)
			x->resp->date = 0;
	}
	free(line);
	return n;
}

#define SETOPT(h, opt, val) do {					\
	if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) {		\
		log_errx("libcurl: cannot set %s", #opt);		\
		goto out;						\
	}								\
} while (0)

static int
send_req(struct http_response *out, const struct http_request *req,
    bool meta)
{
	CURL *h = NULL;
	struct curl_slist *hdrs = NULL, *tmp;
	struct http_url u;
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE];
	const char *ca;
	char *line = NULL;
	CURLcode cc;
	long reqsize = -1;
	bool not_sent = true;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	out->ratelimit_reset = out->retry_after = -1;
	strbuf_init(&x.body, HTTP_MAX_BODY);
	x.resp = out;
	errbuf[0] = '\0';
	if (url_parse(&u, "request URL", req->url, meta) == -1) {
		out->not_sent = true;
		return -1;
	}
	if (req->nheaders > HTTP_MAX_HEADERS) {
		log_errx("%s: too many headers", req->url);
		goto out;
	}
	h = curl_easy_init();
	if (h == NULL) {
		log_errx("libcurl: cannot create a handle");
		goto out;
	}
	for (i = 0; i < req->nheaders; i++) {
		line = xasprintf("%s: %s", req->headers[i].name,
		    req->headers[i].value);
		tmp = curl_slist_append(hdrs, line);
		/* The line may hold a bearer token or signature. */
		OPENSSL_cleanse(line, strlen(line));
		free(line);
		line = NULL;
		if (tmp == NULL) {
			log_errx("libcurl: out of memory");
			goto out;
		}
		hdrs = tmp;
	}
	/* No "Expect: 100-continue"; headers are sent exactly as signed. */
	tmp = curl_slist_append(hdrs, "Expect:");
	if (tmp == NULL) {
		log_errx("libcurl: out of memory");
		goto out;
	}
	hdrs = tmp;

	SETOPT(h, CURLOPT_URL, req->url);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, u.loopback ? "http,https" : "https");
	SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	ca = getenv("AWS_CA_BUNDLE");
	if (ca != NULL && *ca != '\0')
		SETOPT(h, CURLOPT_CAINFO, ca);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT, meta ? HTTP_META_CONNECT_TIMEOUT :
	    HTTP_CONNECT_TIMEOUT);
	SETOPT(h, CURLOPT_TIMEOUT, meta ? HTTP_META_TIMEOUT : HTTP_TIMEOUT);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_BODY);
	SETOPT(h, CURLOPT_USERAGENT, "f2o-exec/" F2O_VERSION);
	SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, &x);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, &x);
	if (strcmp(req->method, "POST") == 0) {
		SETOPT(h, CURLOPT_POST, 1L);
		SETOPT(h, CURLOPT_POSTFIELDS, req->body != NULL ?
		    (const char *)req->body : "");
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->bodylen);
	} else if (strcmp(req->method, "GET") == 0)
		SETOPT(h, CURLOPT_HTTPGET, 1L);
	else
		SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);

	cc = curl_easy_perform(h);
	/* Request bytes handed to the connection; see http.h. */
	if (curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &reqsize) !=
	    CURLE_OK)
		reqsize = -1;
	not_sent = reqsize == 0 || (reqsize < 0 && (cc ==
	    CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY ||
	    cc == CURLE_COULDNT_CONNECT || cc == CURLE_SSL_CONNECT_ERROR));
	if (x.overflow || cc == CURLE_FILESIZE_EXCEEDED) {
		log_errx("%s: response larger than %ld bytes", req->url,
		    HTTP_MAX_BODY);
		goto out;
	}
	if (cc != CURLE_OK) {
		log_errx("%s: %s (%s)", req->url, errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(cc), not_sent ? "not sent" : "the "
		    "request may have reached the server");
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status) !=
	    CURLE_OK) {
		log_errx("%s: no HTTP status", req->url);
		goto out;
	}
	out->body = strbuf_take(&x.body, &out->len);
	rc = 0;
out:
	if (rc == -1) {
		http_response_cleanup(out);
		out->not_sent = not_sent;
	}
	strbuf_cleanup(&x.body);
	for (tmp = hdrs; tmp != NULL; tmp = tmp->next)
		OPENSSL_cleanse(tmp->data, strlen(tmp->data));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	http_url_cleanup(&u);
	return rc;
}

int
http_send(struct http_response *out, const struct http_request *req)
{
	return send_req(out, req, false);
}

int
http_send_metadata(struct http_response *out, const struct http_request *req)
{
	return send_req(out, req, true);
}
