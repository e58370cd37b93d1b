#ifndef F2O_XLATE_H
#define F2O_XLATE_H
/*
 * The translation pipeline (the hub): read the exports, run the stages in
 * order, write the bundle. Only main.c and tests include this header.
 */
#include <stddef.h>

#include "model.h"
#include "options.h"

/* Run the whole translation. Returns 0, or -1 (bad input, logged). */
int	xlate_run(struct options *, char **inputs, size_t ninputs);

#endif
