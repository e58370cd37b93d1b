#ifndef F2O_SIGV4_H
#define F2O_SIGV4_H
/*
 * AWS Signature Version 4 (the only HMAC user; OpenSSL libcrypto EVP).
 * Pure: strings in, strings out, no I/O, no clock (the caller passes the
 * X-Amz-Date value, which must also be one of the signed headers).
 */
#include <stddef.h>

#define SIGV4_MAX_HEADERS	64
#define SIGV4_DATE_LEN		16	/* YYYYMMDDTHHMMSSZ */
#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"

struct sigv4_header {
	const char	*name;		/* any case */
	const char	*value;		/* trimmed, spaces squeezed when signed */
};

struct sigv4_request {
	const char	*method;	/* "POST" */
	const char	*path;		/* raw path, "/" when empty */
	const char	*query;		/* raw query without '?', or NULL */
	const struct sigv4_header *headers;	/* every header to sign */
	size_t		 nheaders;	/* <= SIGV4_MAX_HEADERS */
	const void	*body;
	size_t		 bodylen;
};

struct sigv4_key {
	const char	*access_key;
	const char	*secret_key;
};

struct sigv4_result {
	char	*canonical_request;
	char	*string_to_sign;
	char	*authorization;		/* value of the Authorization header */
};

/*
 * Sign req for region/service at amzdate (YYYYMMDDTHHMMSSZ). The
 * session token, when used, must already be among the headers
 * (X-Amz-Security-Token). Fills out; release with sigv4_result_cleanup().
 * Returns 0, or -1 (logged).
 */
int	sigv4_sign(struct sigv4_result *out, const struct sigv4_request *req,
	    const struct sigv4_key *key, const char *region,
	    const char *service, const char *amzdate);
void	sigv4_result_cleanup(struct sigv4_result *);	/* NULL-safe */
/* Format now (UTC) as YYYYMMDDTHHMMSSZ into out. Returns 0 or -1. */
int	sigv4_date_now(char out[SIGV4_DATE_LEN + 1]);
/*
 * Append s percent-encoded per RFC 3986 (unreserved kept, upper-case hex)
 * to sb; with keep_slash, '/' is kept too. Returns 0 or -1.
 */
struct strbuf;
int	sigv4_uri_encode(struct strbuf *sb, const char *s, size_t len,
	    int keep_slash);

#endif
