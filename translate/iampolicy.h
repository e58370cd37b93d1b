#ifndef F2O_IAMPOLICY_H
#define F2O_IAMPOLICY_H
/*
 * iam-policy.json: the IAM policy document that grants exactly what the
 * plan's steps and f2o-exec's own reads send. See BUNDLE.md.
 */
#include "model.h"

/*
 * The policy is taken in as the plan grows: x->iam (iampolicy_new(), NULL-
 * safe iampolicy_free()) keeps what the steps so far need, and
 * ctx_request() notes each request file it stores (req is taken: kept
 * until its step is taken in), so that no request is read back. Without
 * x->iam, iampolicy_write() reads every request back from the bundle.
 */
struct iampolicy *iampolicy_new(void);
void	iampolicy_free(struct iampolicy *);
void	iampolicy_note_take(struct xlate *, const char *path, cJSON *req);
/* Build the policy from x->plan and its requests, add it to the bundle. */
int	iampolicy_write(struct xlate *, const char *account);

#endif
