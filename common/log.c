/*
 * Messages for humans on stderr ("PROG: error: ..."): modules log once
 * where a fault is found; only main() exits. See log.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *prog = "f2o";
static int quiet;

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

static void vlog(const char *, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
vlog(const char *kind, const char *fmt, va_list ap, const char *tail)
{
	fprintf(stderr, "%s: %s", prog, kind);
	vfprintf(stderr, fmt, ap);
	if (tail != NULL)
		fprintf(stderr, ": %s", tail);
	fputc('\n', stderr);
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	if (quiet > 1)
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

	if (quiet > 1)
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
