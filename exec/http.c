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
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	out->ratelimit_reset = out->retry_after = -1;
	strbuf_init(&x.body, HTTP_MAX_BODY);
	x.resp = out;
	errbuf[0] = '\0';
	if (url_parse(&u, "request URL", req->url, meta) == -1)
		return -1;
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
	if (x.overflow || cc == CURLE_FILESIZE_EXCEEDED) {
		log_errx("%s: response larger than %ld bytes", req->url,
		    HTTP_MAX_BODY);
		goto out;
	}
	if (cc != CURLE_OK) {
		log_errx("%s: %s", req->url, errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(cc));
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
	if (rc == -1)
		http_response_cleanup(out);
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
