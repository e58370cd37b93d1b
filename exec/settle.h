#ifndef F2O_SETTLE_H
#define F2O_SETTLE_H
/*
 * Settling in-doubt steps when a run starts (before anything is sent):
 * a create is looked up (reconcile.c) and adopted, or recorded as not
 * made; a DeleteService or UpdateService is checked for its effect; any
 * other step is recorded as safe to send again.
 */
#include "ctx.h"

/*
 * Settle every step of ctx->journal whose INTENT has no RESULT. Returns
 * 0, or a RUN_EXIT_* code (RUN_EXIT_STOPPED: a look-up failed and a rerun
 * may do better; RUN_EXIT_FAIL otherwise).
 */
int	settle_indoubt(struct run_ctx *);

#endif
