#ifndef F2O_HTTP_H
#define F2O_HTTP_H
/*
 * HTTP(S) transport: the only file that includes curl.h. TLS peer and
 * host verification are always on (AWS_CA_BUNDLE may name the CA file);
 * plain http is refused except to loopback (127.0.0.0/8, ::1,
 * localhost). No redirects are followed. A 4xx/5xx reply is data
 * (status + body), not a transport error.
 *
 * A transport error says whether the request certainly never reached
 * the server (not_sent): libcurl counts in CURLINFO_REQUEST_SIZE the
 * request bytes it handed to the connection; 0 means none was written
 * (DNS, refused connection, TLS handshake, connect timeout), so the
 * server cannot have acted on it and repeating it is safe. Any byte
 * written (a reset or timeout while sending or waiting, an empty reply)
 * means it may have been received and acted on. Every transfer uses a
 * fresh handle, so libcurl never silently re-sends on a reused
 * connection.
 */
#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_BODY		(16L * 1024 * 1024)	/* response bytes */
#define HTTP_MAX_HEADERS	16
#define HTTP_CONNECT_TIMEOUT	10L	/* seconds */
#define HTTP_TIMEOUT		60L	/* seconds, whole transfer */
#define HTTP_META_CONNECT_TIMEOUT 2L	/* seconds, credential endpoints */
#define HTTP_META_TIMEOUT	5L	/* seconds, credential endpoints */

struct http_header {
	const char	*name;
	const char	*value;
};

struct http_request {
	const char	*method;	/* "POST", "GET" */
	const char	*url;
	const struct http_header *headers;	/* sent exactly as given */
	size_t		 nheaders;	/* <= HTTP_MAX_HEADERS */
	const void	*body;
	size_t		 bodylen;
};

struct http_response {
	long	 status;		/* HTTP status code */
	char	*body;			/* NUL-terminated, may be "" */
	size_t	 len;
	char	*request_id;		/* x-amzn-RequestId, or NULL */
	char	*content_type;		/* or NULL */
	long	 ratelimit_reset;	/* X-RateLimit-Reset seconds, or -1 */
	long	 retry_after;		/* Retry-After seconds, or -1 */
	long long date;			/* Date header (epoch s), or 0 */
	bool	 not_sent;		/* after -1: certainly not sent */
};

/* Parts of a URL, all lower-case host; free with http_url_cleanup. */
struct http_url {
	char	*scheme;	/* "https" or "http" */
	char	*host;		/* host for the Host header: name[:port] */
	char	*path;		/* "/" at least, no query */
	char	*query;		/* without '?', or NULL */
	bool	 loopback;
};

/*
 * The outcome of a failed API call (ECS, EC2 or Spot), for the caller to
 * decide: code is the service's error code ("ThrottlingException",
 * "InvalidGroup.Duplicate", "429"), or "Transport" when no reply came.
 */
struct http_apierr {
	long	 status;		/* HTTP status; 0 when no reply */
	char	*code;
	char	*message;		/* or NULL */
	char	*field;			/* Spot only, or NULL */
	char	*request_id;		/* or NULL */
	bool	 retryable;		/* throttling, 5xx, transport */
	long	 wait_seconds;		/* server-given wait, or -1 */
	bool	 not_sent;		/* "Transport": certainly not sent */
	long long server_date;		/* reply's Date (epoch s), or 0 */
};

/* Release the strings; NULL-safe; leaves the struct zeroed, wait -1. */
void	http_apierr_cleanup(struct http_apierr *);
/* Set code/message (copied), status and retryable; frees old values. */
void	http_apierr_set(struct http_apierr *, long status, const char *code,
	    const char *message, bool retryable);

/*
 * A transport error from resp (after http_send returned -1): code
 * "Transport", retryable, not_sent copied, message saying which.
 */
void	http_apierr_transport(struct http_apierr *,
	    const struct http_response *resp);
/*
 * Parse an HTTP date (RFC 7231 7.1.1.1: IMF-fixdate, the obsolete RFC
 * 850 and asctime forms; GMT only) into seconds since the epoch.
 * Bounded, pure. Returns 0, or -1 when s is not such a date.
 */
int	http_date_parse(const char *s, long long *out);

/* Call once from main before any request; 0 or -1 (logged). */
int	http_global_init(void);
void	http_global_cleanup(void);
/*
 * Parse and check url: https, or http to loopback only; no user info.
 * what names the
 * setting for messages (e.g. "AWS_ENDPOINT_URL"). Returns 0 or -1
 * (logged).
 */
int	http_url_parse(struct http_url *out, const char *what,
	    const char *url);
void	http_url_cleanup(struct http_url *);	/* NULL-safe */
/*
 * Send req and read the reply into out (release with
 * http_response_cleanup). Returns 0 when a reply arrived (any status),
 * -1 on a transport error (logged); out is then empty except
 * out->not_sent, true when the request certainly did not reach the
 * server.
 */
int	http_send(struct http_response *out, const struct http_request *req);
void	http_response_cleanup(struct http_response *);	/* NULL-safe */
/*
 * http_send for credential endpoints: plain http is also allowed to the
 * link-local metadata addresses (169.254.169.254, 169.254.170.2,
 * 169.254.170.23, fd00:ec2::254, fd00:ec2::23); short timeouts.
 */
int	http_send_metadata(struct http_response *out,
	    const struct http_request *req);

#endif
