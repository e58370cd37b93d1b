/*
 * Messages for humans on stderr ("PROG: error: ..."), or JSON lines with
 * --json; modules log once where a fault is found. See log.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"

#define LOG_MAX_LINE	4096

static const char *prog = "f2o";
static int quiet;
static int json;
static int max_errors;
static int nerrors;
static log_warn_hook warn_hook;
static void *warn_arg;

void
log_set_warn_hook(log_warn_hook fn, void *arg)
{
	warn_hook = fn;
	warn_arg = arg;
}

void
log_init(const char *progname)
{
	const char *p = strrchr(progname, '/');

	prog = p != NULL ? p + 1 : progname;
}

void
log_set_quiet(int q)
{
	quiet = q;
}

void
log_set_json(int on)
{
	json = on;
}

void
log_set_max_errors(int max)
{
	max_errors = max;
}

int
log_error_count(void)
{
	return nerrors;
}

/* One JSON object per line; fields absent when unknown. */
static void
emit_json(const char *sev, const char *file, const char *path,
    const char *value, const char *msg, const char *hint)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (o == NULL)
		return;
	cJSON_AddStringToObject(o, "program", prog);
	cJSON_AddStringToObject(o, "severity", sev);
	if (file != NULL)
		cJSON_AddStringToObject(o, "file", file);
	if (path != NULL)
		cJSON_AddStringToObject(o, "path", path);
	if (value != NULL)
		cJSON_AddStringToObject(o, "value", value);
	cJSON_AddStringToObject(o, "message", msg);
	if (hint != NULL)
		cJSON_AddStringToObject(o, "hint", hint);
	s = cJSON_PrintUnformatted(o);
	if (s != NULL) {
		fprintf(stderr, "%s\n", s);
		cJSON_free(s);
	}
	cJSON_Delete(o);
}

/*
 * A free-text message in JSON: "FILE: $.PATH: rest" or "FILE: rest"
 * (FILE one word naming a file) are split into their fields.
 */
static void
emit_json_text(const char *sev, char *text)
{
	char *c1 = strstr(text, ": "), *c2, *file = NULL, *path = NULL;
	char *msg = text;

	if (c1 != NULL && memchr(text, ' ', (size_t)(c1 - text)) == NULL &&
	    (memchr(text, '.', (size_t)(c1 - text)) != NULL ||
	    memchr(text, '/', (size_t)(c1 - text)) != NULL)) {
		*c1 = '\0';
		file = text;
		msg = c1 + 2;
		if (msg[0] == '$' && (c2 = strstr(msg, ": ")) != NULL) {
			*c2 = '\0';
			path = msg;
			msg = c2 + 2;
		}
	}
	emit_json(sev, file, path, NULL, msg, NULL);
}

/* Counts errors; false when the error is beyond the limit. */
static int
error_shown(void)
{
	nerrors++;
	return max_errors <= 0 || nerrors <= max_errors;
}

static void vlog(const char *, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
vlog(const char *kind, const char *fmt, va_list ap, const char *tail)
{
	char text[LOG_MAX_LINE];
	int n;

	if (!json) {
		fprintf(stderr, "%s: %s", prog, kind);
		vfprintf(stderr, fmt, ap);
		if (tail != NULL)
			fprintf(stderr, ": %s", tail);
		fputc('\n', stderr);
		return;
	}
	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		return;
	if (tail != NULL && (size_t)n < sizeof(text))
		(void)snprintf(text + n, sizeof(text) - (size_t)n, ": %s",
		    tail);
	emit_json_text(kind[0] == 'e' ? "error" : kind[0] == 'w' ?
	    "warning" : "info", text);
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	if (quiet > 1 || !error_shown())
		return;
	va_start(ap, fmt);
	vlog("error: ", fmt, ap, NULL);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	if (quiet > 1 || !error_shown())
		return;
	va_start(ap, fmt);
	vlog("error: ", fmt, ap, strerror(e));
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	if (quiet > 1)
		return;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
}

/* True when a value at path may hold a secret: never printed. */
static int
secret_path(const char *path)
{
	static const char *const parts[] = { ".environment[", ".environment.",
	    ".secrets[", "repositoryCredentials", ".Environment", NULL };
	const char *const *p;

	if (path == NULL)
		return 0;
	for (p = parts; *p != NULL; p++)
		if (strstr(path, *p) != NULL)
			return 1;
	return 0;
}

void
log_value(char *out, size_t outsz, const char *path, const char *value)
{
	size_t i, n;

	if (outsz == 0)
		return;
	if (secret_path(path)) {
		(void)snprintf(out, outsz, "(redacted)");
		return;
	}
	n = strlen(value);
	for (i = 0; i < n && i + 1 < outsz && i < LOG_MAX_VALUE; i++) {
		unsigned char c = (unsigned char)value[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[i] = '\0';
	if (i < n && outsz > 4 && i >= 3)
		memcpy(out + i - 3, "...", 4);
}

void
log_diag(int error, const char *file, const char *path, const char *value,
    const char *hint, const char *fmt, ...)
{
	char msg[LOG_MAX_LINE], val[LOG_MAX_VALUE + 1];
	va_list ap;

	if (error && (quiet > 1 || !error_shown()))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (value != NULL)
		log_value(val, sizeof(val), path, value);
	/* Kept by the caller even when nothing is printed. */
	if (!error && warn_hook != NULL) {
		char text[2 * LOG_MAX_LINE];

		(void)snprintf(text, sizeof(text), "%s%s%s%s%s%s", msg,
		    value != NULL ? ": \"" : "", value != NULL ? val : "",
		    value != NULL ? "\"" : "", hint != NULL ? ": " : "",
		    hint != NULL ? hint : "");
		warn_hook(warn_arg, file, path, text);
	}
	if (quiet > 1)
		return;
	if (json) {
		emit_json(error ? "error" : "warning", file, path,
		    value != NULL ? val : NULL, msg, hint);
		return;
	}
	fprintf(stderr, "%s: %s: ", prog, error ? "error" : "warning");
	if (file != NULL)
		fprintf(stderr, "%s: ", file);
	if (path != NULL)
		fprintf(stderr, "%s: ", path);
	fputs(msg, stderr);
	if (value != NULL)
		fprintf(stderr, ": \"%s\"", val);
	if (hint != NULL)
		fprintf(stderr, ": %s", hint);
	fputc('\n', stderr);
}

void
log_finish(void)
{
	if (max_errors > 0 && nerrors > max_errors && quiet < 2) {
		int more = nerrors - max_errors, save = max_errors;

		max_errors = 0;
		log_errx("%d more error%s not shown", more, more == 1 ? "" :
		    "s");
		max_errors = save;
	}
}
