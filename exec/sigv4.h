#ifndef F2O_SIGV4_H
#define F2O_SIGV4_H
/*
 * AWS Signature Version 4 (the only HMAC user; OpenSSL libcrypto EVP).
 * Signing is pure: strings in, strings out, no I/O (the caller passes
 * the X-Amz-Date value, which must also be one of the signed headers).
 *
 * The signing clock is the local clock plus a process-wide offset
 * (mutex-guarded). AWS refuses a request whose X-Amz-Date is more than
 * 5 minutes from its own time. The AWS SDKs (JS v3, Java v2, Swift;
 * botocore 1.43 only uses the Date header for its retry TTL) treat
 * RequestTimeTooSkewed, RequestExpired, RequestInTheFuture,
 * InvalidSignatureException, SignatureDoesNotMatch and AuthFailure as
 * clock-skew errors and correct their clock from the reply's Date
 * header. The last three also mean a wrong key, so here they count only
 * when the message says "Signature expired", "Signature not yet
 * current" or mentions skew (ECS and STS word it so). The caller then
 * calls sigv4_clock_adjust with the reply's Date and re-signs once.
 */
#include <stdbool.h>
#include <stddef.h>

#define SIGV4_MAX_HEADERS	64
#define SIGV4_DATE_LEN		16	/* YYYYMMDDTHHMMSSZ */
#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
#define SIGV4_SKEW_MIN		60	/* s: smaller changes are ignored */
#define SIGV4_SKEW_MAX		(7 * 86400)	/* s: larger is refused */
#define SIGV4_MAX_MESSAGE	4096	/* error message bytes examined */

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
/*
 * Format the signing clock's now (UTC: local clock + offset) as
 * YYYYMMDDTHHMMSSZ into out. Returns 0 or -1.
 */
int	sigv4_date_now(char out[SIGV4_DATE_LEN + 1]);
/* Format t (seconds since the epoch) likewise. Returns 0 or -1. */
int	sigv4_date_format(long long t, char out[SIGV4_DATE_LEN + 1]);
/* The signing time for local clock value local: local + offset. */
long long sigv4_clock_at(long long local);
long long sigv4_clock_offset(void);	/* seconds */
void	sigv4_clock_reset(void);		/* offset 0 (tests) */
/*
 * A reply carried Date server (epoch s) when the local clock read
 * local: when server - local differs from the offset by SIGV4_SKEW_MIN
 * or more, make it the offset and log the skew (once per change).
 * Returns 1 changed, 0 unchanged (the clock already agrees), -1 no
 * usable date or a skew beyond SIGV4_SKEW_MAX (logged).
 */
int	sigv4_clock_adjust_at(long long server, long long local);
int	sigv4_clock_adjust(long long server);	/* local = time(NULL) */
/* Whether an AWS error (code, message) is a clock-skew error. Pure. */
bool	sigv4_skew_error(const char *code, const char *message);
/*
 * Append s percent-encoded per RFC 3986 (unreserved kept, upper-case hex)
 * to sb; with keep_slash, '/' is kept too. Returns 0 or -1.
 */
struct strbuf;
int	sigv4_uri_encode(struct strbuf *sb, const char *s, size_t len,
	    int keep_slash);

#endif
