/*
 * Credentials from HTTP endpoints: the ECS/EKS container agent and the
 * EC2 instance metadata service (IMDSv2). See creds.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "creds.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

#define CONTAINER_HOST		"http://169.254.170.2"
#define IMDS_DEFAULT		"http://169.254.169.254"
#define IMDS_TOKEN_TTL		"21600"
#define IMDS_ROLES		"/latest/meta-data/iam/security-credentials/"
#define IMDS_MAX_ROLE		128

int
creds_json_parse(struct creds **out, const char *source, const char *buf,
    size_t len)
{
	cJSON *j;
	const char *ak, *sk, *tok, *exp, *code;
	time_t t = 0;
	int rc = -1;

	*out = NULL;
	j = json_parse_quiet(buf, len);
	if (j == NULL || !cJSON_IsObject(j)) {
		log_errx("%s: reply is not a JSON object", source);
		goto out;
	}
	code = json_str(j, "Code");
	if (code != NULL && strcmp(code, "Success") != 0) {
		log_errx("%s: Code \"%s\"", source, code);
		goto out;
	}
	ak = json_str(j, "AccessKeyId");
	sk = json_str(j, "SecretAccessKey");
	tok = json_str(j, "Token");
	exp = json_str(j, "Expiration");
	if (ak == NULL || sk == NULL || *ak == '\0' || *sk == '\0') {
		log_errx("%s: reply without AccessKeyId and SecretAccessKey",
		    source);
		goto out;
	}
	if (exp != NULL && creds_time_parse(exp, &t) == -1) {
		log_errx("%s: Expiration \"%s\" is not an ISO 8601 UTC time",
		    source, exp);
		goto out;
	}
	*out = creds_new(ak, sk, tok != NULL && *tok != '\0' ? tok : NULL,
	    source, t);
	rc = 0;
out:
	creds_json_wipe(j);
	cJSON_Delete(j);
	return rc;
}

static void
resp_wipe(struct http_response *r)
{
	if (r->body != NULL)
		OPENSSL_cleanse(r->body, r->len);
	http_response_cleanup(r);
}

/* One GET or PUT; 0 with a reply (any status), -1 logged. */
static int
fetch(struct http_response *resp, const char *method, const char *url,
    const struct http_header *h, size_t nh)
{
	struct http_header all[2];
	struct http_request req;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = h;
	req.nheaders = nh;
	if (strcmp(method, "PUT") == 0 && nh == 1) {
		/* An empty PUT still says its length (IMDS wants it). */
		all[0] = h[0];
		all[1] = (struct http_header){ "Content-Length", "0" };
		req.headers = all;
		req.nheaders = 2;
	}
	req.body = "";
	req.bodylen = 0;
	return http_send_metadata(resp, &req);
}

/* FULL_URI: https, or http to loopback or the container agent. */
static bool
full_uri_ok(const char *u)
{
	static const char *const hosts[] = { "127.", "localhost",
	    "[::1]", "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]",
	    NULL };
	const char *h, *e;
	size_t i, n;

	if (strncasecmp(u, "https://", 8) == 0)
		return true;
	if (strncasecmp(u, "http://", 7) != 0)
		return false;
	h = u + 7;
	e = h + strcspn(h, "/?#");
	if (*h == '[') {
		e = strchr(h, ']');
		if (e == NULL)
			return false;
		e++;
	} else if (memchr(h, ':', (size_t)(e - h)) != NULL)
		e = memchr(h, ':', (size_t)(e - h));
	if (memchr(h, '@', (size_t)(e - h)) != NULL)
		return false;
	n = (size_t)(e - h);
	for (i = 0; hosts[i] != NULL; i++) {
		if (i == 0 && n > 4 && strncmp(h, hosts[0], 4) == 0 &&
		    strspn(h, "0123456789.") == n)
			return true;
		if (strlen(hosts[i]) == n && strncasecmp(h, hosts[i], n) == 0)
			return true;
	}
	return false;
}

/* The authorization token: 1 set, 0 none, -1 error (logged). */
static int
container_token(char **out)
{
	const char *file, *env;
	char *e;
	int r;

	*out = NULL;
	file = creds_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	env = creds_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	if (file != NULL) {
		r = creds_read_optional(out, file, CREDS_MAX_TOKEN);
		if (r != 1) {
			if (r == 0)
				log_errx("AWS_CONTAINER_AUTHORIZATION_TOKEN_"
				    "FILE %s: not found", file);
			return -1;
		}
		e = *out + strlen(*out);
		while (e > *out && (e[-1] == '\n' || e[-1] == '\r' ||
		    e[-1] == ' '))
			*--e = '\0';
	} else if (env != NULL)
		*out = xstrdup(env);
	else
		return 0;
	if (**out == '\0' || strpbrk(*out, "\r\n") != NULL) {
		log_errx("container credentials: the authorization token is "
		    "empty or holds a line break");
		creds_wipe_free(*out);
		*out = NULL;
		return -1;
	}
	return 1;
}

int
creds_container_load(struct creds **out)
{
	struct http_header h[1];
	struct http_response resp;
	const char *rel, *full;
	char *url, *tok = NULL;
	int rc = -1, r;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	rel = creds_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	full = creds_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	if (rel != NULL)
		url = xasprintf("%s%s%s", CONTAINER_HOST, *rel == '/' ? "" :
		    "/", rel);
	else if (full != NULL) {
		if (!full_uri_ok(full)) {
			log_errx("AWS_CONTAINER_CREDENTIALS_FULL_URI: only "
			    "https, or http to loopback or 169.254.170.2 / "
			    "169.254.170.23 / fd00:ec2::23");
			return -1;
		}
		url = xstrdup(full);
	} else
		return 0;
	r = container_token(&tok);
	if (r == -1)
		goto out;
	h[0].name = "Authorization";
	h[0].value = tok;
	if (fetch(&resp, "GET", url, h, r == 1 ? 1 : 0) == -1) {
		log_errx("container credentials: no reply");
		goto out;
	}
	if (resp.status != 200) {
		log_errx("container credentials: HTTP %ld", resp.status);
		goto out;
	}
	if (creds_json_parse(out, "container credentials", resp.body,
	    resp.len) == -1)
		goto out;
	rc = 1;
out:
	resp_wipe(&resp);
	creds_wipe_free(tok);
	free(url);
	return rc;
}

static bool
role_ok(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && strchr("+=,.@_-", *s) ==
		    NULL)
			return false;
	return n > 0 && n <= IMDS_MAX_ROLE;
}

int
creds_imds_load(struct creds **out)
{
	struct http_header h[1];
	struct http_response resp;
	const char *dis, *ep;
	char *base, *url = NULL, *tok = NULL, *role = NULL, *nl;
	size_t n;
	int rc = -1;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	dis = creds_env("AWS_EC2_METADATA_DISABLED");
	if (dis != NULL && strcasecmp(dis, "true") == 0)
		return 0;
	ep = creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	base = xstrdup(ep != NULL ? ep : IMDS_DEFAULT);
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	/* IMDSv2 session token. */
	url = xasprintf("%s/latest/api/token", base);
	h[0].name = "X-aws-ec2-metadata-token-ttl-seconds";
	h[0].value = IMDS_TOKEN_TTL;
	if (fetch(&resp, "PUT", url, h, 1) == -1) {
		/* Not on EC2: nothing found, like the AWS CLI. */
		log_warnx("instance metadata: no reply at %s", base);
		rc = 0;
		goto out;
	}
	if (resp.status != 200 || resp.len == 0) {
		log_errx("instance metadata: token: HTTP %ld", resp.status);
		goto out;
	}
	tok = xstrndup(resp.body, resp.len);
	resp_wipe(&resp);
	h[0].name = "X-aws-ec2-metadata-token";
	h[0].value = tok;
	free(url);
	url = xasprintf("%s%s", base, IMDS_ROLES);
	if (fetch(&resp, "GET", url, h, 1) == -1)
		goto out;
	if (resp.status == 404) {
		log_warnx("instance metadata: no instance profile");
		rc = 0;
		goto out;
	}
	if (resp.status != 200) {
		log_errx("instance metadata: role: HTTP %ld", resp.status);
		goto out;
	}
	role = xstrndup(resp.body, resp.len);
	nl = strpbrk(role, "\r\n");
	if (nl != NULL)
		*nl = '\0';
	if (!role_ok(role)) {
		log_errx("instance metadata: bad role name");
		goto out;
	}
	resp_wipe(&resp);
	free(url);
	url = xasprintf("%s%s%s", base, IMDS_ROLES, role);
	if (fetch(&resp, "GET", url, h, 1) == -1)
		goto out;
	if (resp.status != 200) {
		log_errx("instance metadata: credentials of %s: HTTP %ld",
		    role, resp.status);
		goto out;
	}
	free(base);
	base = xasprintf("instance metadata role %s", role);
	if (creds_json_parse(out, base, resp.body, resp.len) == -1)
		goto out;
	rc = 1;
out:
	resp_wipe(&resp);
	creds_wipe_free(tok);
	free(role);
	free(url);
	free(base);
	return rc;
}
