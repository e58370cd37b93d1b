/*
 * f2o-exec check: the read-only preflight alone, against the journal read
 * without its lock; prints the verdict and what to do. See run.h.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "journal.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "preflight.h"
#include "run.h"

int
run_check(struct run_ctx *ctx)
{
	struct journal_scan_info info;
	struct preflight_sum sum;
	struct stat sb;
	struct journal *j = NULL;
	const char *bundle;
	cJSON *ev;
	char *jpath, *buf = NULL, *s;
	size_t len = 0, i;
	int rc = RUN_EXIT_FAIL;

	memset(&sum, 0, sizeof(sum));
	jpath = run_journal_path(ctx->opts);
	if (stat(jpath, &sb) == 0 && fsio_read_bounded(&buf, &len, jpath,
	    JOURNAL_MAX_SIZE) == -1)
		goto out;
	j = journal_scan(buf != NULL ? buf : "", len, &info);
	if (info.status == JSCAN_CORRUPT || j == NULL) {
		log_errx("%s: record %zu at offset %zu: %s; the journal is "
		    "damaged", jpath, info.bad_record, info.bad_offset,
		    info.reason);
		goto out;
	}
	bundle = journal_bundle(j);
	if (bundle != NULL && strcmp(bundle, ctx->bundle->digest) != 0) {
		log_errx("%s: journal belongs to bundle %s, not to this bundle "
		    "(%s)", jpath, bundle, ctx->bundle->digest);
		goto out;
	}
	for (i = 0; i < ctx->plan->nsteps; i++)
		if (journal_state(j, ctx->plan->steps[i].id) == JSTEP_DONE)
			outputs_set(ctx, ctx->plan->steps[i].id,
			    journal_outputs(j, ctx->plan->steps[i].id));
	rc = preflight_run(ctx, j, &sum);
	if (rc != RUN_EXIT_OK && rc != RUN_EXIT_DRIFT) {
		rc = RUN_EXIT_FAIL;	/* check: any error is 1 */
		goto out;
	}
	if (ctx->opts->json) {
		ev = cJSON_CreateObject();
		json_add_str(ev, "event", "check");
		json_add_str(ev, "status", rc == RUN_EXIT_OK ? "ok" : "drift");
		json_add_str(ev, "account", sum.account);
		json_add_num(ev, "services", (double)sum.services);
		json_add_num(ev, "securityGroups", (double)sum.groups);
		json_add_num(ev, "scalableTargets", (double)sum.targets);
		json_add_num(ev, "scalingItems", (double)sum.scaling);
		json_add_num(ev, "differences", (double)sum.diffs);
		json_add_num(ev, "refused", (double)sum.refused);
		json_add_num(ev, "exit", rc);
		s = cJSON_PrintUnformatted(ev);
		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(ev);
	} else if (rc == RUN_EXIT_OK && sum.targets == 0)
		printf("check: ok: account %s, region %s: %zu service(s) and "
		    "%zu security group(s) as the bundle recorded them; "
		    "\"f2o-exec run\" may go on\n", sum.account, ctx->region,
		    sum.services, sum.groups);
	else if (rc == RUN_EXIT_OK)
		printf("check: ok: account %s, region %s: %zu service(s), "
		    "%zu security group(s) and %zu scalable target(s) (%zu "
		    "scaling policies, scheduled actions and alarms) as the "
		    "bundle recorded them; \"f2o-exec run\" may go on\n",
		    sum.account, ctx->region, sum.services, sum.groups,
		    sum.targets, sum.scaling);
	else
		printf("check: drift: %zu difference(s) and %zu failed "
		    "precondition(s) (listed above, on stderr): \"f2o-exec "
		    "run\" would refuse to start (exit 4).\n"
		    "  Re-export the account and translate again, then review "
		    "the new plan;\n  or revert the live change and check "
		    "again. desiredCount is never drift.\n", sum.diffs,
		    sum.refused);
out:
	free(sum.account);
	journal_free(j);
	free(buf);
	free(jpath);
	return rc;
}
