#ifndef F2O_LOG_H
#define F2O_LOG_H
/*
 * Messages for humans, on stderr. Modules log once where a fault is found
 * and return -1; only main() decides to exit.
 */
#include <stdarg.h>

void	log_init(const char *progname);
/* "PROG: error: ..." */
void	log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: error: ...: strerror(errno)" */
void	log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: warning: ..." */
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: ..." unless quiet */
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1: no log_info; 2: nothing at all (fuzz targets). */
void	log_set_quiet(int quiet);
/* 1: every message is one JSON object per line on stderr (--json). */
void	log_set_json(int on);
/* Print at most max errors (0: all); log_finish() tells how many more. */
void	log_set_max_errors(int max);
int	log_error_count(void);
void	log_finish(void);

#define LOG_MAX_VALUE	80	/* characters of a value shown */
/*
 * A diagnostic in the one format of f2o-translate.1 "DIAGNOSTICS":
 * "PROG: error|warning: FILE: PATH: PROBLEM: \"VALUE\": WHAT TO DO".
 * Any of file, path, value, hint may be NULL. The value is shortened and
 * never shown when path is inside environment, secrets or repository
 * credentials.
 */
void	log_diag(int error, const char *file, const char *path,
	    const char *value, const char *hint, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/*
 * Called with every warning log_diag() prints (file and path may be
 * NULL; text is the problem, value and hint as printed), so that a caller
 * can keep them (f2o-translate's warnings.json). NULL: none.
 */
typedef void (*log_warn_hook)(void *arg, const char *file, const char *path,
    const char *text);
void	log_set_warn_hook(log_warn_hook fn, void *arg);
/* The value as log_diag shows it (shortened or redacted) into out. */
void	log_value(char *out, size_t outsz, const char *path,
	    const char *value);

#endif
