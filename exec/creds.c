/*
 * Credential lookup (AWS CLI order, Spot SDK order). See creds.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "creds.h"
#include "fsio.h"
#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"
#include "xalloc.h"

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

void
creds_free(struct creds *c)
{
	if (c == NULL)
		return;
	wipe_free(c->access_key);
	wipe_free(c->secret_key);
	wipe_free(c->session_token);
	free(c->source);
	free(c);
}

void
creds_spot_free(struct spot_creds *c)
{
	if (c == NULL)
		return;
	wipe_free(c->token);
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
	r = env_get("AWS_REGION");
	if (r != NULL && bundle_region != NULL &&
	    strcmp(r, bundle_region) != 0)
		log_warnx("AWS_REGION=%s overrides the bundle's region %s", r,
		    bundle_region);
	return r != NULL ? r : bundle_region;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

char *
creds_ini_get(const char *text, const char *section, const char *key)
{
	char *copy, *line, *next, *t, *eq, *result = NULL;
	int in = 0;

	copy = xstrdup(text);
	for (line = copy; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		/* Indented lines are nested sub-blocks (config "services"). */
		if (*line == ' ' || *line == '\t')
			continue;
		t = trim(line);
		if (*t == '\0' || *t == '#' || *t == ';')
			continue;
		if (*t == '[') {
			eq = strchr(t, ']');
			if (eq == NULL) {
				in = 0;
				continue;
			}
			*eq = '\0';
			in = strcmp(trim(t + 1), section) == 0;
			continue;
		}
		if (!in)
			continue;
		eq = strchr(t, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (strcmp(trim(t), key) == 0) {
			free(result);
			result = xstrdup(trim(eq + 1));
			break;
		}
	}
	OPENSSL_cleanse(copy, strlen(text));
	free(copy);
	return result;
}

/* Read an optional file: 1 read, 0 absent, -1 error (logged). */
static int
read_optional(char **out, const char *path)
{
	size_t len;

	*out = NULL;
	if (access(path, F_OK) == -1)
		return 0;
	if (fsio_read_bounded(out, &len, path, CREDS_MAX_FILE) == -1)
		return -1;
	return 1;
}

static char *
default_path(const char *env, const char *rel)
{
	const char *home;

	if (env_get(env) != NULL)
		return xstrdup(env_get(env));
	home = env_get("HOME");
	if (home == NULL)
		return NULL;
	return xasprintf("%s/%s", home, rel);
}

/* Split a command line the way shlex does for simple cases. */
static int
split_args(char **argv, size_t max, char *s)
{
	size_t n = 0;
	char *w;
	char q;

	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (n + 1 >= max)
			return -1;
		argv[n++] = w = s;
		q = 0;
		while (*s != '\0' && (q != 0 || (*s != ' ' && *s != '\t'))) {
			if (q == 0 && (*s == '\'' || *s == '"'))
				q = *s++;
			else if (q != 0 && *s == q) {
				q = 0;
				s++;
			} else if (*s == '\\' && q != '\'' && s[1] != '\0') {
				s++;
				*w++ = *s++;
			} else
				*w++ = *s++;
		}
		if (q != 0)
			return -1;
		if (*s != '\0')
			s++;
		*w = '\0';
	}
	argv[n] = NULL;
	return n > 0 ? 0 : -1;
}

int
creds_process_parse(struct creds **out, const char *what, const char *buf,
    size_t len)
{
	cJSON *j = NULL;
	struct creds *c = NULL;
	long long ver;
	const char *ak, *sk, *tok;
	int rc = -1;

	*out = NULL;
	j = json_parse_quiet(buf, len);
	if (j == NULL || !cJSON_IsObject(j)) {
		log_errx("credential_process %s: output is not a JSON object",
		    what);
		goto out;
	}
	if (json_int(j, "Version", 1, 1, &ver) == -1) {
		log_errx("credential_process %s: $.Version must be 1", what);
		goto out;
	}
	ak = json_str(j, "AccessKeyId");
	sk = json_str(j, "SecretAccessKey");
	tok = json_str(j, "SessionToken");
	if (ak == NULL || *ak == '\0' || sk == NULL || *sk == '\0') {
		log_errx("credential_process %s: AccessKeyId and "
		    "SecretAccessKey are required", what);
		goto out;
	}
	c = xcalloc(1, sizeof(*c));
	c->access_key = xstrdup(ak);
	c->secret_key = xstrdup(sk);
	if (tok != NULL && *tok != '\0')
		c->session_token = xstrdup(tok);
	c->source = xasprintf("credential_process");
	*out = c;
	c = NULL;
	rc = 0;
out:
	if (j != NULL) {
		/* Wipe the secret copies cJSON holds before freeing. */
		cJSON *it;

		cJSON_ArrayForEach(it, j)
			if (cJSON_IsString(it) && it->valuestring != NULL)
				OPENSSL_cleanse(it->valuestring,
				    strlen(it->valuestring));
		cJSON_Delete(j);
	}
	creds_free(c);
	return rc;
}

/* Run cmd (no shell) and capture its stdout, bounded. */
static int
run_process(struct creds **out, const char *cmd)
{
	char *copy = NULL, *argv[CREDS_MAX_ARGS];
	struct strbuf sb;
	int fds[2] = { -1, -1 }, status, rc = -1;
	pid_t pid = -1;
	ssize_t n;
	char buf[4096];

	*out = NULL;
	strbuf_init(&sb, CREDS_MAX_PROCESS_OUT);
	copy = xstrdup(cmd);
	if (split_args(argv, CREDS_MAX_ARGS, copy) == -1) {
		log_errx("credential_process: cannot split the command line");
		goto out;
	}
	if (pipe(fds) == -1) {
		log_err("credential_process: pipe");
		goto out;
	}
	pid = fork();
	if (pid == -1) {
		log_err("credential_process: fork");
		goto out;
	}
	if (pid == 0) {
		if (dup2(fds[1], STDOUT_FILENO) == -1)
			_exit(127);
		(void)close(fds[0]);
		(void)close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	(void)close(fds[1]);
	fds[1] = -1;
	for (;;) {
		n = read(fds[0], buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_err("credential_process %s: read", argv[0]);
			goto out;
		}
		if (n == 0)
			break;
		if (strbuf_add(&sb, buf, (size_t)n) == -1) {
			log_errx("credential_process %s: output larger than "
			    "%d bytes", argv[0], CREDS_MAX_PROCESS_OUT);
			goto out;
		}
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			log_err("credential_process %s: waitpid", argv[0]);
			goto out;
		}
	}
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_errx("credential_process %s: exited with status %d",
		    argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	if (creds_process_parse(out, argv[0], sb.buf != NULL ? sb.buf : "",
	    sb.len) == -1)
		goto out;
	rc = 0;
out:
	if (pid > 0) {
		(void)kill(pid, SIGTERM);
		(void)waitpid(pid, &status, 0);
	}
	if (fds[0] != -1)
		(void)close(fds[0]);
	if (fds[1] != -1)
		(void)close(fds[1]);
	if (sb.buf != NULL)
		OPENSSL_cleanse(sb.buf, sb.len);
	strbuf_cleanup(&sb);
	free(copy);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* Static keys from one INI section; 1 found, 0 not, -1 error. */
static int
ini_keys(struct creds **out, const char *text, const char *section,
    const char *source)
{
	char *ak, *sk, *tok;

	ak = creds_ini_get(text, section, "aws_access_key_id");
	sk = creds_ini_get(text, section, "aws_secret_access_key");
	tok = creds_ini_get(text, section, "aws_session_token");
	if (tok == NULL)
		tok = creds_ini_get(text, section, "aws_security_token");
	if (ak == NULL || sk == NULL || *ak == '\0' || *sk == '\0') {
		wipe_free(ak);
		wipe_free(sk);
		wipe_free(tok);
		return 0;
	}
	*out = xcalloc(1, sizeof(**out));
	(*out)->access_key = ak;
	(*out)->secret_key = sk;
	(*out)->session_token = tok;
	(*out)->source = xstrdup(source);
	return 1;
}

int
creds_load(struct creds **out)
{
	const char *profile, *ak, *sk, *tok;
	char *cpath = NULL, *fpath = NULL, *ctext = NULL, *ftext = NULL;
	char *section = NULL, *proc = NULL, *source = NULL;
	int rc = -1, r;

	*out = NULL;
	ak = env_get("AWS_ACCESS_KEY_ID");
	sk = env_get("AWS_SECRET_ACCESS_KEY");
	if (ak != NULL && sk != NULL) {
		tok = env_get("AWS_SESSION_TOKEN");
		if (tok == NULL)
			tok = env_get("AWS_SECURITY_TOKEN");
		*out = xcalloc(1, sizeof(**out));
		(*out)->access_key = xstrdup(ak);
		(*out)->secret_key = xstrdup(sk);
		(*out)->session_token = tok != NULL ? xstrdup(tok) : NULL;
		(*out)->source = xstrdup("environment");
		return 0;
	}
	profile = env_get("AWS_PROFILE");
	if (profile == NULL)
		profile = env_get("AWS_DEFAULT_PROFILE");
	if (profile == NULL)
		profile = "default";
	source = xasprintf("profile %s", profile);

	fpath = default_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	if (fpath != NULL) {
		r = read_optional(&ftext, fpath);
		if (r == -1)
			goto out;
		if (r == 1 && ini_keys(out, ftext, profile, source) == 1) {
			rc = 0;
			goto out;
		}
	}
	cpath = default_path("AWS_CONFIG_FILE", ".aws/config");
	if (cpath != NULL) {
		r = read_optional(&ctext, cpath);
		if (r == -1)
			goto out;
		if (r == 1) {
			section = strcmp(profile, "default") == 0 ?
			    xstrdup("default") : xasprintf("profile %s",
			    profile);
			proc = creds_ini_get(ctext, section,
			    "credential_process");
			if (proc != NULL && *proc != '\0') {
				rc = run_process(out, proc);
				goto out;
			}
			if (ini_keys(out, ctext, section, source) == 1) {
				rc = 0;
				goto out;
			}
		}
	}
	log_errx("no AWS credentials: set AWS_ACCESS_KEY_ID and "
	    "AWS_SECRET_ACCESS_KEY, or configure %s", source);
out:
	if (ftext != NULL)
		OPENSSL_cleanse(ftext, strlen(ftext));
	if (ctext != NULL)
		OPENSSL_cleanse(ctext, strlen(ctext));
	free(ftext);
	free(ctext);
	free(fpath);
	free(cpath);
	free(section);
	free(proc);
	free(source);
	return rc;
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
	if (env_get("SPOTINST_TOKEN") != NULL) {
		c->token = xstrdup(env_get("SPOTINST_TOKEN"));
		c->source = xstrdup("environment");
	}
	if (env_get("SPOTINST_ACCOUNT") != NULL)
		c->account = xstrdup(env_get("SPOTINST_ACCOUNT"));
	if (c->token == NULL || c->account == NULL) {
		path = default_path("SPOTINST_CREDENTIALS_FILE",
		    ".spotinst/credentials");
		r = path != NULL ? read_optional(&text, path) : 0;
		if (r == -1)
			goto out;
		profile = env_get("SPOTINST_CREDENTIALS_PROFILE");
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
	if (j != NULL) {
		cJSON *it;

		cJSON_ArrayForEach(it, j)
			if (cJSON_IsString(it) && it->valuestring != NULL)
				OPENSSL_cleanse(it->valuestring,
				    strlen(it->valuestring));
		cJSON_Delete(j);
	}
	if (text != NULL)
		OPENSSL_cleanse(text, strlen(text));
	free(text);
	free(path);
	wipe_free(tok);
	free(acct);
	creds_spot_free(c);
	return rc;
}
