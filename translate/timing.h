#ifndef F2O_TIMING_H
#define F2O_TIMING_H
/*
 * Where f2o-translate's time goes, for make bench: with F2O_TIMINGS=FILE
 * in the environment, each stage appends a line "STAGE WALL CPU" to FILE
 * (seconds since the stage before; CPU of every thread). Nothing else
 * changes: no output, no bundle byte. Without it, nothing is done.
 */
void	timing_start(void);
/* The stage that just ended. */
void	timing_mark(const char *stage);
void	timing_end(void);

#endif
