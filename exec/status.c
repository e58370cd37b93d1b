/*
 * f2o-exec status: each step of the phase with its journal state, read
 * without taking the journal's lock or changing it. See run.h.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "journal.h"
#include "jsonutil.h"
#include "log.h"
#include "run.h"

static const char *
state_name(enum journal_step_state st)
{
	switch (st) {
	case JSTEP_DONE:
		return "done";
	case JSTEP_INDOUBT:
		return "in-doubt";
	case JSTEP_FAILED:
		return "failed";
	default:
		return "pending";
	}
}

int
run_status(struct run_ctx *ctx)
{
	struct journal_scan_info info;
	struct stat sb;
	struct journal *j = NULL;
	const struct plan_step *st;
	const cJSON *outs, *o;
	const char *state, *bundle, *e;
	cJSON *ev;
	char *jpath, *buf = NULL, *s;
	size_t len = 0, i, counts[5] = { 0, 0, 0, 0, 0 };
	enum journal_step_state js;
	int rc = RUN_EXIT_FAIL;

	jpath = run_journal_path(ctx->opts);
	if (stat(jpath, &sb) == 0 && fsio_read_bounded(&buf, &len, jpath,
	    JOURNAL_MAX_SIZE) == -1) {
		free(jpath);
		return RUN_EXIT_FAIL;
	}
	j = journal_scan(buf != NULL ? buf : "", len, &info);
	if (info.status == JSCAN_CORRUPT || j == NULL) {
		log_errx("%s: record %zu at offset %zu: %s; the journal is "
		    "damaged (not a torn write at its end); %zu good records "
		    "precede it", jpath, info.bad_record, info.bad_offset,
		    info.reason, info.nrecords);
		goto out;
	}
	if (info.status == JSCAN_TORN)
		log_warnx("%s: record %zu at offset %zu: %s: torn write at the "
		    "end; the next run cuts the journal to %zu bytes", jpath,
		    info.bad_record, info.bad_offset, info.reason,
		    info.good_len);
	bundle = journal_bundle(j);
	if (bundle != NULL && strcmp(bundle, ctx->bundle->digest) != 0) {
		log_errx("%s: journal belongs to bundle %s, not to this bundle "
		    "(%s)", jpath, bundle, ctx->bundle->digest);
		goto out;
	}
	for (i = 0; i < ctx->plan->nsteps; i++) {
		st = &ctx->plan->steps[i];
		if (ctx->opts->phase_set &&
		    strcmp(st->phase, ctx->opts->phase) != 0)
			continue;
		js = journal_state(j, st->id);
		state = state_name(js);
		if (js == JSTEP_PENDING && strcmp(st->phase, "rollback") ==
		    0 && st->undoes != NULL && journal_state(j, st->undoes) !=
		    JSTEP_DONE) {
			state = "skipped";
			counts[4]++;
		} else
			counts[js]++;
		outs = journal_outputs(j, st->id);
		e = journal_error(j, st->id);
		if (ctx->opts->json) {
			ev = cJSON_CreateObject();
			json_add_str(ev, "event", "status");
			json_add_str(ev, "id", st->id);
			json_add_str(ev, "phase", st->phase);
			json_add_str(ev, "action", st->action);
			json_add_str(ev, "state", state);
			json_add_num(ev, "attempts",
			    (double)journal_attempts(j, st->id));
			if (outs != NULL)
				cJSON_AddItemToObject(ev, "outputs",
				    cJSON_Duplicate(outs, 1));
			if (e != NULL)
				json_add_str(ev, "error", e);
			s = cJSON_PrintUnformatted(ev);
			if (s != NULL)
				printf("%s\n", s);
			cJSON_free(s);
			cJSON_Delete(ev);
			continue;
		}
		printf("%-8s %-8s %s  %s", state, st->phase, st->id,
		    st->action);
		cJSON_ArrayForEach(o, outs)
			printf("  %s=%s", o->string, cJSON_IsString(o) ?
			    o->valuestring : "...");
		if (e != NULL)
			printf("  (%s)", e);
		if (js == JSTEP_INDOUBT)
			printf("  (sent or about to be sent when the run "
			    "stopped; the next run looks it up first)");
		printf("\n");
	}
	if (ctx->opts->json) {
		ev = cJSON_CreateObject();
		json_add_str(ev, "event", "status-summary");
		json_add_str(ev, "journal", jpath);
		json_add_num(ev, "done", (double)counts[JSTEP_DONE]);
		json_add_num(ev, "inDoubt", (double)counts[JSTEP_INDOUBT]);
		json_add_num(ev, "failed", (double)counts[JSTEP_FAILED]);
		json_add_num(ev, "pending", (double)counts[JSTEP_PENDING]);
		json_add_num(ev, "skipped", (double)counts[4]);
		s = cJSON_PrintUnformatted(ev);
		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		cJSON_Delete(ev);
	} else
		printf("%zu done, %zu in doubt, %zu failed, %zu pending, %zu "
		    "skipped (journal %s%s)\n", counts[JSTEP_DONE],
		    counts[JSTEP_INDOUBT], counts[JSTEP_FAILED],
		    counts[JSTEP_PENDING], counts[4], jpath, buf == NULL ?
		    ": none yet" : "");
	rc = RUN_EXIT_OK;
out:
	journal_free(j);
	free(buf);
	free(jpath);
	return rc;
}

