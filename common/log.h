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

#endif
