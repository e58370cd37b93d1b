#ifndef F2O_IAMPOLICY_H
#define F2O_IAMPOLICY_H
/*
 * iam-policy.json: the IAM policy document that grants exactly what the
 * plan's steps and f2o-exec's own reads send. See BUNDLE.md.
 */
#include "model.h"

/* Build the policy from x->plan and its requests, add it to the bundle. */
int	iampolicy_write(struct xlate *, const char *account);

#endif
