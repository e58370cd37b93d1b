/*
 * The AWS credential chain (AWS CLI v2 order), the refreshing provider
 * shared by worker threads, and the Spot token lookup. See creds.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "creds.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

struct creds_provider {
	pthread_mutex_t	 mu;
	char		*region;
	struct creds	*cur;
	unsigned long	 gen;
	long		 margin;	/* seconds before expiration */
	time_t		 retry_at;	/* after a failed early refresh */
};

/* --profile: borrowed from argv, set once before any thread starts. */
static const char	*explicit_profile;

/* The calling thread's snapshot (creds_provider_get). */
static pthread_key_t	snap_key;
static pthread_once_t	snap_once = PTHREAD_ONCE_INIT;
static int		snap_ok;

struct creds *
creds_new(const char *ak, const char *sk, const char *tok,
    const char *source, time_t expiration)
{
	struct creds *c;

	c = xcalloc(1, sizeof(*c));
	c->access_key = xstrdup(ak);
	c->secret_key = xstrdup(sk);
	c->session_token = tok != NULL ? xstrdup(tok) : NULL;
	c->source = xstrdup(source);
	c->expiration = expiration;
	return c;
}

struct creds *
creds_dup(const struct creds *c)
{
	struct creds *d;

	d = creds_new(c->access_key, c->secret_key, c->session_token,
	    c->source, c->expiration);
	d->generation = c->generation;
	return d;
}

void
creds_free(struct creds *c)
{
	if (c == NULL)
		return;
	creds_wipe_free(c->access_key);
	creds_wipe_free(c->secret_key);
	creds_wipe_free(c->session_token);
	free(c->source);
	free(c);
}

void
creds_spot_free(struct spot_creds *c)
{
	if (c == NULL)
		return;
	creds_wipe_free(c->token);
	free(c->account);
	free(c->source);
	free(c);
}

const char *
creds_region(const char *bundle_region)
{
	const char *r;

	/*
	 * Only AWS_REGION: a shell's AWS_DEFAULT_REGION must not silently
	 * move a migration planned for the bundle's region.
	 */
	r = creds_env("AWS_REGION");
	if (r != NULL && bundle_region != NULL &&
	    strcmp(r, bundle_region) != 0)
		log_warnx("AWS_REGION=%s overrides the bundle's region %s", r,
		    bundle_region);
	return r != NULL ? r : bundle_region;
}

/* The chain's state while one lookup runs. */
struct chain {
	const struct creds_files *f;
	const char	*region;
	const char	*visited[CREDS_MAX_CHAIN + 1];
	size_t		 depth;
};

static int	profile_creds(struct creds **, struct chain *, const char *,
		    bool);

static int
env_creds(struct creds **out)
{
	const char *ak, *sk, *tok;

	ak = creds_env("AWS_ACCESS_KEY_ID");
	sk = creds_env("AWS_SECRET_ACCESS_KEY");
	if (ak == NULL || sk == NULL)
		return 0;
	tok = creds_env("AWS_SESSION_TOKEN");
	if (tok == NULL)
		tok = creds_env("AWS_SECURITY_TOKEN");
	*out = creds_new(ak, sk, tok, "environment", 0);
	return 1;
}

/* Static keys of profile in one file; 1 found, 0 not. */
static int
static_creds(struct creds **out, const struct creds_files *f,
    const char *profile, bool config)
{
	char *(*get)(const struct creds_files *, const char *,
	    const char *) = config ? creds_files_conf : creds_files_cred;
	char *ak, *sk, *tok, *src;

	ak = get(f, profile, "aws_access_key_id");
	sk = get(f, profile, "aws_secret_access_key");
	tok = get(f, profile, "aws_session_token");
	if (tok == NULL)
		tok = get(f, profile, "aws_security_token");
	if (ak == NULL || sk == NULL) {
		creds_wipe_free(ak);
		creds_wipe_free(sk);
		creds_wipe_free(tok);
		return 0;
	}
	src = xasprintf("profile %s", profile);
	*out = creds_new(ak, sk, tok, src, 0);
	creds_wipe_free(ak);
	creds_wipe_free(sk);
	creds_wipe_free(tok);
	free(src);
	return 1;
}

/* credential_source of a role profile. */
static int
named_source(struct creds **out, const char *profile, const char *name)
{
	int r;

	if (strcmp(name, "Environment") == 0) {
		r = env_creds(out);
		if (r == 0)
			log_errx("profile %s: credential_source Environment: "
			    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not "
			    "set", profile);
	} else if (strcmp(name, "Ec2InstanceMetadata") == 0) {
		r = creds_imds_load(out);
		if (r == 0)
			log_errx("profile %s: credential_source "
			    "Ec2InstanceMetadata: no credentials", profile);
	} else if (strcmp(name, "EcsContainer") == 0) {
		r = creds_container_load(out);
		if (r == 0)
			log_errx("profile %s: credential_source EcsContainer: "
			    "AWS_CONTAINER_CREDENTIALS_*_URI not set",
			    profile);
	} else {
		log_errx("profile %s: credential_source \"%s\": not one of "
		    "Environment, Ec2InstanceMetadata, EcsContainer", profile,
		    name);
		return -1;
	}
	return r == 1 ? 0 : -1;
}

/* role_arn with source_profile or credential_source; 0 or -1. */
static int
role_creds(struct creds **out, struct chain *ch, const char *profile,
    const char *arn, const char *srcp, const char *csrc)
{
	struct creds *src = NULL;
	struct creds_sts_role r;
	char *sess, *ext, *dur, *mfa;
	size_t i;
	int rc = -1;

	sess = creds_files_get(ch->f, profile, "role_session_name");
	ext = creds_files_get(ch->f, profile, "external_id");
	dur = creds_files_get(ch->f, profile, "duration_seconds");
	mfa = creds_files_get(ch->f, profile, "mfa_serial");
	if (mfa != NULL) {
		log_errx("profile %s: mfa_serial is not supported (f2o-exec "
		    "does not prompt): use credentials from \"aws sts "
		    "get-session-token\"", profile);
		goto out;
	}
	if (srcp != NULL && csrc != NULL) {
		log_errx("profile %s: both source_profile and "
		    "credential_source are set", profile);
		goto out;
	}
	if (csrc != NULL) {
		if (named_source(&src, profile, csrc) == -1)
			goto out;
	} else if (strcmp(srcp, profile) == 0) {
		/* A profile naming itself uses its own static keys. */
		if (static_creds(&src, ch->f, profile, false) == 0 &&
		    static_creds(&src, ch->f, profile, true) == 0) {
			log_errx("profile %s: source_profile is itself but it "
			    "has no static keys", profile);
			goto out;
		}
	} else {
		for (i = 0; i < ch->depth; i++)
			if (strcmp(ch->visited[i], srcp) == 0) {
				log_errx("profile %s: source_profile %s makes "
				    "a cycle", profile, srcp);
				goto out;
			}
		if (ch->depth >= CREDS_MAX_CHAIN) {
			log_errx("profile %s: source_profile chain longer "
			    "than %d", profile, CREDS_MAX_CHAIN);
			goto out;
		}
		if (!creds_files_has(ch->f, srcp)) {
			log_errx("profile %s: source_profile %s not found",
			    profile, srcp);
			goto out;
		}
		if (profile_creds(&src, ch, srcp, false) != 1) {
			log_errx("profile %s: source_profile %s has no "
			    "credentials", profile, srcp);
			goto out;
		}
	}
	r.role_arn = arn;
	r.session_name = sess;
	r.external_id = ext;
	r.duration = dur;
	if (creds_sts_assume_role(out, src, ch->region, &r) == -1)
		goto out;
	rc = 0;
out:
	creds_free(src);
	free(sess);
	free(ext);
	free(dur);
	free(mfa);
	return rc;
}

/* Web identity; env_ok lets AWS_* variables override the profile. */
static int
web_creds(struct creds **out, struct chain *ch, const char *profile,
    bool env_ok)
{
	static const char *const keys[3][2] = {
		{ "web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE" },
		{ "role_arn", "AWS_ROLE_ARN" },
		{ "role_session_name", "AWS_ROLE_SESSION_NAME" } };
	struct creds_sts_role r;
	char *v[3];
	size_t i;
	int rc = 0;

	for (i = 0; i < 3; i++) {
		v[i] = env_ok && creds_env(keys[i][1]) != NULL ?
		    xstrdup(creds_env(keys[i][1])) :
		    creds_files_get(ch->f, profile, keys[i][0]);
	}
	if (v[0] == NULL)
		goto out;
	if (v[1] == NULL) {
		log_errx("web identity: %s is set but no role ARN (%s)",
		    env_ok ? "AWS_WEB_IDENTITY_TOKEN_FILE or "
		    "web_identity_token_file" : "web_identity_token_file",
		    env_ok ? "AWS_ROLE_ARN or role_arn" : "role_arn");
		rc = -1;
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.role_arn = v[1];
	r.session_name = v[2];
	rc = creds_sts_web_identity(out, v[0], ch->region, &r) == 0 ? 1 : -1;
out:
	for (i = 0; i < 3; i++)
		free(v[i]);
	return rc;
}

static bool
has_key(const struct creds_files *f, const char *profile, const char *key,
    char *(*get)(const struct creds_files *, const char *, const char *))
{
	char *v;

	v = get(f, profile, key);
	creds_wipe_free(v);
	return v != NULL;
}

enum creds_kind
creds_profile_kind(const struct creds_files *f, const char *profile,
    bool env_ok)
{
	char *(*any)(const struct creds_files *, const char *,
	    const char *) = creds_files_get;

	if (has_key(f, profile, "role_arn", any) &&
	    (has_key(f, profile, "source_profile", any) ||
	    has_key(f, profile, "credential_source", any)))
		return CREDS_KIND_ROLE;
	if ((env_ok && creds_env("AWS_WEB_IDENTITY_TOKEN_FILE") != NULL) ||
	    has_key(f, profile, "web_identity_token_file", any))
		return CREDS_KIND_WEB;
	if (has_key(f, profile, "sso_session", creds_files_conf) ||
	    has_key(f, profile, "sso_start_url", creds_files_conf))
		return CREDS_KIND_SSO;
	if (has_key(f, profile, "aws_access_key_id", creds_files_cred) &&
	    has_key(f, profile, "aws_secret_access_key", creds_files_cred))
		return CREDS_KIND_FILE_KEYS;
	if (has_key(f, profile, "credential_process", any))
		return CREDS_KIND_PROCESS;
	if (has_key(f, profile, "aws_access_key_id", creds_files_conf) &&
	    has_key(f, profile, "aws_secret_access_key", creds_files_conf))
		return CREDS_KIND_CONFIG_KEYS;
	return CREDS_KIND_NONE;
}

/*
 * The profile's source, picked by creds_profile_kind (botocore order).
 * 1 found, 0 none, -1 error (logged).
 */
static int
profile_creds(struct creds **out, struct chain *ch, const char *profile,
    bool env_ok)
{
	char *arn, *srcp, *csrc, *proc;
	int r = 0;

	*out = NULL;
	ch->visited[ch->depth++] = profile;
	arn = creds_files_get(ch->f, profile, "role_arn");
	srcp = creds_files_get(ch->f, profile, "source_profile");
	csrc = creds_files_get(ch->f, profile, "credential_source");
	proc = creds_files_get(ch->f, profile, "credential_process");
	switch (creds_profile_kind(ch->f, profile, env_ok)) {
	case CREDS_KIND_ROLE:
		r = role_creds(out, ch, profile, arn, srcp, csrc) == 0 ? 1 :
		    -1;
		break;
	case CREDS_KIND_WEB:
		r = web_creds(out, ch, profile, env_ok);
		break;
	case CREDS_KIND_SSO:
		r = creds_sso_load(out, ch->f, profile);
		break;
	case CREDS_KIND_FILE_KEYS:
		r = static_creds(out, ch->f, profile, false);
		break;
	case CREDS_KIND_PROCESS:
		r = creds_process_run(out, proc) == 0 ? 1 : -1;
		break;
	case CREDS_KIND_CONFIG_KEYS:
		r = static_creds(out, ch->f, profile, true);
		break;
	case CREDS_KIND_NONE:
		break;
	}
	ch->depth--;
	free(arn);
	free(srcp);
	free(csrc);
	free(proc);
	return r;
}

void
creds_profile_set(const char *name)
{
	explicit_profile = name;
}

int
creds_load(struct creds **out, const char *region)
{
	struct creds_files f;
	struct chain ch;
	const char *profile;
	bool named;
	int r;

	*out = NULL;
	if (explicit_profile == NULL && env_creds(out) == 1)
		return 0;
	profile = explicit_profile;
	if (profile == NULL)
		profile = creds_env("AWS_PROFILE");
	if (profile == NULL)
		profile = creds_env("AWS_DEFAULT_PROFILE");
	named = profile != NULL;
	if (profile == NULL)
		profile = "default";
	if (creds_files_load(&f) == -1)
		return -1;
	if (named && !creds_files_has(&f, profile)) {
		log_errx("profile %s: not found in the config or credentials "
		    "file", profile);
		creds_files_cleanup(&f);
		return -1;
	}
	memset(&ch, 0, sizeof(ch));
	ch.f = &f;
	ch.region = region != NULL ? region : "us-east-1";
	r = profile_creds(out, &ch, profile, true);
	creds_files_cleanup(&f);
	if (r == 0)
		r = creds_container_load(out);
	if (r == 0)
		r = creds_imds_load(out);
	if (r == 1)
		return 0;
	if (r == 0)
		log_errx("no AWS credentials: set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY, or configure profile %s", profile);
	return -1;
}

bool
creds_code_expired(const char *code, bool had_token)
{
	if (code == NULL)
		return false;
	if (strcmp(code, "ExpiredToken") == 0 ||
	    strcmp(code, "ExpiredTokenException") == 0)
		return true;
	return had_token && strcmp(code, "RequestExpired") == 0;
}

static void
snap_free(void *p)
{
	creds_free(p);
}

static void
snap_init(void)
{
	snap_ok = pthread_key_create(&snap_key, snap_free) == 0;
}

static long
margin_get(void)
{
	const char *s;
	char *end;
	long v;

	s = creds_env("F2O_CREDS_REFRESH_MARGIN");
	if (s == NULL)
		return CREDS_REFRESH_MARGIN;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < -86400 || v > 86400) {
		log_warnx("F2O_CREDS_REFRESH_MARGIN=%s: not seconds in "
		    "-86400..86400, using %d", s, CREDS_REFRESH_MARGIN);
		return CREDS_REFRESH_MARGIN;
	}
	return v;
}

static void
provider_log(const struct creds *c, const char *what)
{
	char when[32] = "";
	struct tm tm;

	if (c->expiration != 0 && gmtime_r(&c->expiration, &tm) != NULL)
		(void)strftime(when, sizeof(when), ", expires %Y-%m-%dT%H:%M:%SZ",
		    &tm);
	log_info("AWS credentials %s: %s%s", what, c->source, when);
}

int
creds_provider_new(struct creds_provider **out, const char *region)
{
	struct creds_provider *p;

	*out = NULL;
	(void)pthread_once(&snap_once, snap_init);
	if (!snap_ok) {
		log_errx("credentials: cannot create a thread key");
		return -1;
	}
	p = xcalloc(1, sizeof(*p));
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		log_errx("credentials: cannot create a mutex");
		free(p);
		return -1;
	}
	p->region = region != NULL ? xstrdup(region) : NULL;
	p->margin = margin_get();
	if (creds_load(&p->cur, p->region) == -1) {
		creds_provider_free(p);
		return -1;
	}
	p->cur->generation = p->gen = 1;
	provider_log(p->cur, "from");
	*out = p;
	return 0;
}

void
creds_provider_free(struct creds_provider *p)
{
	if (p == NULL)
		return;
	/* The calling thread's snapshot; others went at thread exit. */
	if (snap_ok) {
		creds_free(pthread_getspecific(snap_key));
		(void)pthread_setspecific(snap_key, NULL);
	}
	creds_free(p->cur);
	free(p->region);
	(void)pthread_mutex_destroy(&p->mu);
	free(p);
}

/* With p->mu held: fetch again; 0 or -1 (logged). */
static int
provider_refresh(struct creds_provider *p)
{
	struct creds *n;

	if (creds_load(&n, p->region) == -1)
		return -1;
	creds_free(p->cur);
	p->cur = n;
	n->generation = ++p->gen;
	provider_log(n, "refreshed from");
	return 0;
}

const struct creds *
creds_provider_get(struct creds_provider *p)
{
	struct creds *snap = NULL;
	time_t now;

	(void)pthread_mutex_lock(&p->mu);
	now = time(NULL);
	if (p->cur->expiration != 0 &&
	    now >= p->cur->expiration - p->margin &&
	    (now >= p->cur->expiration || now >= p->retry_at) &&
	    provider_refresh(p) == -1) {
		if (now >= p->cur->expiration) {
			log_errx("AWS credentials from %s expired and could "
			    "not be refreshed", p->cur->source);
			goto out;
		}
		/* Still valid: go on with them, try again a bit later. */
		p->retry_at = now + CREDS_RETRY_WAIT;
		log_warnx("AWS credentials from %s: refresh failed, using "
		    "them until they expire (next try in %d s)",
		    p->cur->source, CREDS_RETRY_WAIT);
	}
	snap = creds_dup(p->cur);
out:
	(void)pthread_mutex_unlock(&p->mu);
	creds_free(pthread_getspecific(snap_key));
	(void)pthread_setspecific(snap_key, snap);
	return snap;
}

bool
creds_provider_expired(struct creds_provider *p, const char *code)
{
	const struct creds *snap;
	bool ok = false;

	snap = pthread_getspecific(snap_key);
	if (snap == NULL || !creds_code_expired(code,
	    snap->session_token != NULL))
		return false;
	(void)pthread_mutex_lock(&p->mu);
	if (p->gen != snap->generation)
		ok = true;	/* another thread refreshed already */
	else if (p->cur->expiration != 0) {
		log_warnx("AWS credentials from %s refused as %s: "
		    "refreshing", p->cur->source, code);
		ok = provider_refresh(p) == 0;
	}
	(void)pthread_mutex_unlock(&p->mu);
	return ok;
}

int
creds_spot_load(struct spot_creds **out)
{
	struct spot_creds *c;
	const char *profile;
	char *path = NULL, *text = NULL, *tok = NULL, *acct = NULL;
	cJSON *j = NULL;
	int rc = -1, r;

	*out = NULL;
	c = xcalloc(1, sizeof(*c));
	if (creds_env("SPOTINST_TOKEN") != NULL) {
		c->token = xstrdup(creds_env("SPOTINST_TOKEN"));
		c->source = xstrdup("environment");
	}
	if (creds_env("SPOTINST_ACCOUNT") != NULL)
		c->account = xstrdup(creds_env("SPOTINST_ACCOUNT"));
	if (c->token == NULL || c->account == NULL) {
		path = creds_path("SPOTINST_CREDENTIALS_FILE",
		    ".spotinst/credentials");
		r = path != NULL ? creds_read_optional(&text, path, CREDS_MAX_FILE) : 0;
		if (r == -1)
			goto out;
		profile = creds_env("SPOTINST_CREDENTIALS_PROFILE");
		if (profile == NULL)
			profile = "default";
		if (r == 1) {
			j = json_parse_quiet(text, strlen(text));
			if (j != NULL && cJSON_IsObject(j)) {
				if (json_str(j, "token") != NULL)
					tok = xstrdup(json_str(j, "token"));
				if (json_str(j, "account") != NULL)
					acct = xstrdup(json_str(j, "account"));
			} else {
				tok = creds_ini_get(text, profile, "token");
				acct = creds_ini_get(text, profile, "account");
			}
			if (c->token == NULL && tok != NULL && *tok != '\0') {
				c->token = tok;
				tok = NULL;
				c->source = xasprintf("%s", path);
			}
			if (c->account == NULL && acct != NULL &&
			    *acct != '\0') {
				c->account = acct;
				acct = NULL;
			}
		}
	}
	if (c->token == NULL) {
		log_errx("no Spot credentials: set SPOTINST_TOKEN or write "
		    "~/.spotinst/credentials");
		goto out;
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	creds_json_wipe(j);
	cJSON_Delete(j);
	if (text != NULL)
		OPENSSL_cleanse(text, strlen(text));
	free(text);
	free(path);
	creds_wipe_free(tok);
	free(acct);
	creds_spot_free(c);
	return rc;
}
