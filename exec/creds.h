#ifndef F2O_CREDS_H
#define F2O_CREDS_H
/*
 * Credentials, found the way the AWS CLI v2 (botocore) and the Spot SDKs
 * find them. Secrets (secret keys, session tokens, SSO access tokens, web
 * identity tokens, container authorization tokens) are never printed,
 * logged or written; every copy is wiped with OPENSSL_cleanse.
 *
 * AWS, first match wins (botocore create_credential_resolver order):
 *  1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
 *     (+ AWS_SESSION_TOKEN);
 *     (skipped when a profile is given with --profile, creds_profile_set,
 *     like "aws --profile": its credential_source Environment still works);
 *  2. the profile --profile, else AWS_PROFILE (else AWS_DEFAULT_PROFILE,
 *     else "default")
 *     of AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
 *     AWS_CONFIG_FILE (~/.aws/config: "[default]", "[profile NAME]",
 *     "[sso-session NAME]"), tried in this order:
 *     a. assume role: role_arn with source_profile (itself resolved by
 *        this list, chains at most CREDS_MAX_CHAIN deep, a cycle is an
 *        error; a profile naming itself uses its own static keys) or
 *        credential_source (Environment, Ec2InstanceMetadata,
 *        EcsContainer); STS AssumeRole signed with the source keys;
 *        role_session_name, external_id, duration_seconds honoured;
 *     b. web identity: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN,
 *        AWS_ROLE_SESSION_NAME (each one overriding the profile's
 *        web_identity_token_file, role_arn, role_session_name); STS
 *        AssumeRoleWithWebIdentity, unsigned;
 *     c. SSO: sso_session (a "[sso-session NAME]" section with
 *        sso_start_url, sso_region) or legacy sso_start_url/sso_region,
 *        with sso_account_id and sso_role_name; the token is read from
 *        ~/.aws/sso/cache/<sha1 of session name or start URL>.json
 *        (written by "aws sso login") and traded at the portal's
 *        GetRoleCredentials; an sso-session's token with less than 15
 *        minutes left (or refused by the portal with HTTP 401, then
 *        asked again once) is renewed with its refreshToken (SSO OIDC
 *        CreateToken, unsigned) and the cache file replaced, as botocore
 *        does; a legacy profile's token is not;
 *     d. static keys of the profile in the credentials file;
 *     e. credential_process of the profile, whose stdout is JSON
 *        {"Version": 1, "AccessKeyId", "SecretAccessKey",
 *        "SessionToken"?, "Expiration"?};
 *     f. static keys of the profile in the config file;
 *  3. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *     (http://169.254.170.2 + it), else AWS_CONTAINER_CREDENTIALS_FULL_URI
 *     (https, or http to loopback / 169.254.170.2 / 169.254.170.23 only),
 *     with the Authorization header from
 *     AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, else
 *     AWS_CONTAINER_AUTHORIZATION_TOKEN;
 *  4. EC2 instance metadata, IMDSv2 only (PUT /latest/api/token, then
 *     /latest/meta-data/iam/security-credentials/<role>), at
 *     AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254);
 *     skipped when AWS_EC2_METADATA_DISABLED=true.
 * STS is reached at AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else
 * https://sts.REGION.amazonaws.com; the SSO portal at AWS_ENDPOINT_URL_SSO,
 * else AWS_ENDPOINT_URL, else https://portal.sso.SSO_REGION.amazonaws.com;
 * SSO OIDC at AWS_ENDPOINT_URL_SSO_OIDC, else AWS_ENDPOINT_URL, else
 * https://oidc.SSO_REGION.amazonaws.com.
 *
 * Refresh: temporary credentials (with an expiration) are fetched again
 * through the same list when less than F2O_CREDS_REFRESH_MARGIN seconds
 * (default 300; a test knob, -86400..86400) remain, and once more after a
 * request was refused as ExpiredToken / ExpiredTokenException (or
 * RequestExpired while a session token was used).
 *
 * Spot: SPOTINST_TOKEN / SPOTINST_ACCOUNT, then SPOTINST_CREDENTIALS_FILE
 * (default ~/.spotinst/credentials; INI section SPOTINST_CREDENTIALS_PROFILE
 * or "default" with keys token/account, or a JSON object).
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define CREDS_MAX_FILE		(1024 * 1024)	/* bytes, one INI file */
#define CREDS_MAX_PROCESS_OUT	(64 * 1024)	/* bytes of stdout */
#define CREDS_MAX_ARGS		64
#define CREDS_MAX_CHAIN		8	/* source_profile hops */
#define CREDS_MAX_TOKEN		(64 * 1024)	/* bytes, token files */
#define CREDS_REFRESH_MARGIN	300	/* seconds before Expiration */
#define CREDS_RETRY_WAIT	10	/* seconds between early refreshes */

struct creds {
	char	*access_key;
	char	*secret_key;
	char	*session_token;		/* or NULL */
	char	*source;		/* "environment", "profile NAME", ... */
	time_t	 expiration;		/* 0: does not expire */
	unsigned long generation;	/* set by the provider */
};

struct spot_creds {
	char	*token;
	char	*account;		/* act-..., or NULL */
	char	*source;
};

/*
 * Run the AWS list above once; region is for STS. Free with
 * creds_free(). Returns 0, or -1 (logged: nothing found or a source
 * failed).
 */
int	creds_load(struct creds **out, const char *region);
void	creds_free(struct creds *);		/* NULL-safe, wipes */
/* Which source of a profile creds_load uses (list item 2 above). */
enum creds_kind {
	CREDS_KIND_NONE,
	CREDS_KIND_ROLE,		/* a. role_arn + source */
	CREDS_KIND_WEB,			/* b. web identity */
	CREDS_KIND_SSO,			/* c. */
	CREDS_KIND_FILE_KEYS,		/* d. credentials file keys */
	CREDS_KIND_PROCESS,		/* e. credential_process */
	CREDS_KIND_CONFIG_KEYS		/* f. config file keys */
};
struct creds_files;
/* env_ok: AWS_WEB_IDENTITY_TOKEN_FILE counts. Pure but for getenv. */
enum creds_kind creds_profile_kind(const struct creds_files *,
	    const char *profile, bool env_ok);
/* An explicit profile (--profile; borrowed, set before any thread). */
void	creds_profile_set(const char *name);
struct creds *creds_dup(const struct creds *);
/* A new creds (all strings copied); session_token may be NULL. */
struct creds *creds_new(const char *ak, const char *sk, const char *tok,
	    const char *source, time_t expiration);
/* Free with creds_spot_free(). Returns 0, or -1 (logged). */
int	creds_spot_load(struct spot_creds **out);
void	creds_spot_free(struct spot_creds *);	/* NULL-safe, wipes */
/*
 * AWS_REGION (warned about when it differs), else bundle_region; the
 * result is borrowed. AWS_DEFAULT_REGION is deliberately ignored.
 */
const char *creds_region(const char *bundle_region);

/*
 * The provider: the current credentials behind a mutex, shared by the
 * worker threads.
 */
struct creds_provider;
/* Load the credentials once. Returns 0, or -1 (logged). */
int	creds_provider_new(struct creds_provider **out, const char *region);
void	creds_provider_free(struct creds_provider *);	/* NULL-safe */
/*
 * A snapshot for one request, refreshed first when it expires within
 * the margin. Borrowed: valid until this thread calls it again (freed
 * at thread exit). NULL (logged) when expired and the refresh failed.
 */
const struct creds *creds_provider_get(struct creds_provider *);
/*
 * After a request signed with this thread's last snapshot was refused
 * with code: true when code means an expired session and fresh
 * credentials are now in place (refreshed at most once per generation:
 * threads refused together share one refresh).
 */
bool	creds_provider_expired(struct creds_provider *, const char *code);
/* Whether code says the session used is expired. Pure. */
bool	creds_code_expired(const char *code, bool had_token);

/* creds_ini.c: the shared config and credentials files. */
struct creds_files {
	char	*config;		/* text, or NULL when absent */
	char	*credentials;		/* text, or NULL when absent */
};
/* Read both files (either may be absent). Returns 0 or -1 (logged). */
int	creds_files_load(struct creds_files *);
void	creds_files_cleanup(struct creds_files *);	/* wipes */
/* profile's key in the credentials file, or NULL. */
char	*creds_files_cred(const struct creds_files *, const char *profile,
	    const char *key);
/* profile's key in the config file ("[profile NAME]"), or NULL. */
char	*creds_files_conf(const struct creds_files *, const char *profile,
	    const char *key);
/* Credentials file first, then config. */
char	*creds_files_get(const struct creds_files *, const char *profile,
	    const char *key);
/* Whether profile has a section in either file. */
bool	creds_files_has(const struct creds_files *, const char *profile);
/*
 * Look up key in section of an INI text; the value is a new string
 * (free with free()) or NULL when absent.
 */
char	*creds_ini_get(const char *text, const char *section,
	    const char *key);
bool	creds_ini_has(const char *text, const char *section);
/* $env, else $HOME/rel; NULL without HOME. Free with free(). */
char	*creds_path(const char *env, const char *rel);
/* Read an optional file: 1 read, 0 absent, -1 error (logged). */
int	creds_read_optional(char **out, const char *path, size_t max);
/* A non-empty environment variable, or NULL. */
const char *creds_env(const char *name);
/* free() after OPENSSL_cleanse; NULL-safe. */
void	creds_wipe_free(char *);
/* ISO 8601 UTC ("2026-01-02T03:04:05Z", fraction, "+00:00"). 0 or -1. */
int	creds_time_parse(const char *s, time_t *out);
/* Wipe every string value of a cJSON tree (secrets) before freeing. */
struct cJSON;
void	creds_json_wipe(struct cJSON *);

/* creds_proc.c: credential_process. */
int	creds_process_run(struct creds **out, const char *cmd);
/*
 * Parse credential_process output (JSON Version 1). what names the
 * command for messages. Free with creds_free(). Returns 0 or -1.
 */
int	creds_process_parse(struct creds **out, const char *what,
	    const char *buf, size_t len);

/* creds_sts.c: STS AssumeRole and AssumeRoleWithWebIdentity. */
struct creds_sts_role {
	const char	*role_arn;
	const char	*session_name;	/* or NULL: f2o-exec-<time> */
	const char	*external_id;	/* or NULL */
	const char	*duration;	/* seconds as text, or NULL */
};
/* STS endpoint URL for region. Free with free(). */
char	*creds_sts_url(const char *region);
int	creds_sts_assume_role(struct creds **out, const struct creds *src,
	    const char *region, const struct creds_sts_role *);
int	creds_sts_web_identity(struct creds **out, const char *token_file,
	    const char *region, const struct creds_sts_role *);
/*
 * Parse an STS <ActionResponse><ActionResult><Credentials> reply. Pure.
 * Returns 0 or -1 (logged).
 */
int	creds_sts_parse(struct creds **out, const char *action,
	    const char *source, const char *buf, size_t len);

/* creds_sso.c: IAM Identity Center (SSO). */
/* 1 found, 0 profile has no SSO settings, -1 error (logged). */
int	creds_sso_load(struct creds **out, const struct creds_files *,
	    const char *profile);
/*
 * An SSO endpoint's base URL, no trailing '/': $env, else
 * AWS_ENDPOINT_URL, else https://HOST.REGION.amazonaws.com. Free with free().
 */
char	*creds_sso_base(const char *env, const char *host, const char *region);
/* ~/.aws/sso/cache/<sha1 hex of key>.json; free with free(). */
char	*creds_sso_cache_path(const char *key);
/* An sso-session profile's session: its token can be renewed. */
struct creds_sso_session {
	const char	*name;		/* [sso-session NAME] */
	const char	*start_url;	/* its sso_start_url */
	const char	*region;	/* its sso_region */
};
/*
 * Read the cached access token of the cache file at path, renewed first
 * (renew not NULL) when less than 15 minutes are left or force is set.
 * 0 *token set; -1 (logged) when absent, unreadable or expired at now;
 * 1 force and not renewed (warned): no token to try.
 */
int	creds_sso_token(char **token, const char *path,
	    const struct creds_sso_session *renew, time_t now, bool force);
/* Parse a GetRoleCredentials reply ({"roleCredentials": ...}). Pure. */
int	creds_sso_parse(struct creds **out, const char *source,
	    const char *buf, size_t len);

/* creds_oidc.c: renewing an sso-session's cached token. */
/* CreateToken's URL for sso_region. Free with free(). */
char	*creds_oidc_url(const char *region);
/*
 * 1 when the cache j has what a renewal takes (refreshToken, clientId,
 * clientSecret, registrationExpiresAt after now), else 0. Pure.
 */
int	creds_oidc_renewable(const struct cJSON *j, time_t now);
/*
 * The cache after a CreateToken reply (accessToken, expiresIn,
 * refreshToken?) to the cache old, as botocore writes it; NULL (warned)
 * for a reply without them. Pure.
 */
struct cJSON *creds_oidc_cache(const struct cJSON *old,
	    const struct creds_sso_session *, const char *reply, size_t len,
	    time_t now);
/*
 * Renew the cache j read from path: CreateToken with its refresh token,
 * then path replaced (mode 0600, write-temp-fsync-rename). The new cache,
 * or NULL when j cannot be renewed (silent) or the renewal failed
 * (warned, no secret in the message).
 */
struct cJSON *creds_oidc_renew(const struct cJSON *j, const char *path,
	    const struct creds_sso_session *, time_t now);

/* creds_http.c: container credentials and IMDSv2. */
/* 1 found, 0 not configured, -1 error (logged). */
int	creds_container_load(struct creds **out);
int	creds_imds_load(struct creds **out);
/* {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}. Pure. */
int	creds_json_parse(struct creds **out, const char *source,
	    const char *buf, size_t len);

#endif
