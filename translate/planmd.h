#ifndef F2O_PLANMD_H
#define F2O_PLANMD_H
/* PLAN.md: the human review of a bundle. */
#include "model.h"

/* Add PLAN.md to the bundle. Returns 0 or -1. */
int	planmd_write(struct xlate *);
/* Append s to sb as a Markdown table cell: "|" escaped, newlines spaces. */
void	planmd_cell(struct strbuf *sb, const char *s);

#endif
