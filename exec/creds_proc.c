/*
 * credential_process: run the configured command (no shell) and parse its
 * JSON output. See creds.h.
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
#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"
#include "xalloc.h"

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
	const char *ak, *sk, *tok, *exp;
	time_t t = 0;
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
	exp = json_str(j, "Expiration");
	if (exp != NULL && creds_time_parse(exp, &t) == -1) {
		log_errx("credential_process %s: $.Expiration is not an ISO "
		    "8601 UTC time", what);
		goto out;
	}
	c = creds_new(ak, sk, tok != NULL && *tok != '\0' ? tok : NULL,
	    "credential_process", exp != NULL ? t : 0);
	*out = c;
	c = NULL;
	rc = 0;
out:
	/* Wipe the secret copies cJSON holds before freeing. */
	creds_json_wipe(j);
	cJSON_Delete(j);
	creds_free(c);
	return rc;
}

/* Run cmd (no shell) and capture its stdout, bounded. */
int
creds_process_run(struct creds **out, const char *cmd)
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
