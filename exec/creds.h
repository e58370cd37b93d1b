#ifndef F2O_CREDS_H
#define F2O_CREDS_H
/*
 * Credentials, found the way the AWS CLI and the Spot SDKs find them.
 * Secrets are never printed, logged or written; creds_free() wipes them
 * with OPENSSL_cleanse.
 *
 * AWS, first match wins:
 *  1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *  2. profile AWS_PROFILE (default "default") in AWS_SHARED_CREDENTIALS_FILE
 *     (default ~/.aws/credentials): aws_access_key_id, ...;
 *  3. credential_process of that profile in AWS_CONFIG_FILE (default
 *     ~/.aws/config, sections "[default]" / "[profile NAME]"), whose
 *     stdout is JSON {"Version": 1, "AccessKeyId", "SecretAccessKey",
 *     "SessionToken"?, "Expiration"?};
 *  4. static keys of that profile in the config file.
 * Spot: SPOTINST_TOKEN / SPOTINST_ACCOUNT, then SPOTINST_CREDENTIALS_FILE
 * (default ~/.spotinst/credentials; INI section SPOTINST_CREDENTIALS_PROFILE
 * or "default" with keys token/account, or a JSON object).
 */

#define CREDS_MAX_FILE		(1024 * 1024)	/* bytes, one INI file */
#define CREDS_MAX_PROCESS_OUT	(64 * 1024)	/* bytes of stdout */
#define CREDS_MAX_ARGS		64

struct creds {
	char	*access_key;
	char	*secret_key;
	char	*session_token;		/* or NULL */
	char	*source;		/* "environment", "profile NAME", ... */
};

struct spot_creds {
	char	*token;
	char	*account;		/* act-..., or NULL */
	char	*source;
};

/* Free with creds_free(). Returns 0, or -1 (logged: nothing found/bad). */
int	creds_load(struct creds **out);
void	creds_free(struct creds *);		/* NULL-safe, wipes */
/* Free with creds_spot_free(). Returns 0, or -1 (logged). */
int	creds_spot_load(struct spot_creds **out);
void	creds_spot_free(struct spot_creds *);	/* NULL-safe, wipes */
/*
 * AWS_REGION (warned about when it differs), else bundle_region; the
 * result is borrowed. AWS_DEFAULT_REGION is deliberately ignored.
 */
const char *creds_region(const char *bundle_region);
/*
 * Parse credential_process output (JSON Version 1). what names the
 * command for messages. Free with creds_free(). Returns 0 or -1.
 */
int	creds_process_parse(struct creds **out, const char *what,
	    const char *buf, size_t len);
/*
 * Look up key in section of an INI text; the value is a new string
 * (free with free()) or NULL when absent.
 */
char	*creds_ini_get(const char *text, const char *section,
	    const char *key);

#endif
