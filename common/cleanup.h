#ifndef F2O_CLEANUP_H
#define F2O_CLEANUP_H
/*
 * What a process that dies before its output is in place removes: its
 * temporary files and staging directories (registered by bundle_out.c and
 * fsio_atomic_open), on SIGINT, SIGTERM or SIGHUP (unless ignored when the
 * process started) and when memory runs out (xalloc).
 */

/*
 * Remove path (a file, or a folder with all it holds) if the process dies
 * before cleanup_del(slot). The slot, or -1 when none is free or the path
 * is too long (then nothing is removed: not an error).
 */
int	cleanup_add(const char *path);
void	cleanup_del(int slot);		/* -1 is ignored */
/* Remove every path registered (async-signal-safe, no allocation). */
void	cleanup_run(void);
/*
 * Call cleanup_run() on those signals, then die of them, and when xalloc
 * runs out of memory.
 */
void	cleanup_on_fatal(void);

#endif
