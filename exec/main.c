/*
 * f2o-exec: replay a bundle written by f2o-translate against AWS and the
 * Spot API. CLI only; the work is in run.c.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundle.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "plan.h"
#include "run.h"

#define MAIN_MAX_PARALLEL	64
#define MAIN_MAX_WAIT		100000

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: f2o-exec [--json] [--dry-run] [--expect-digest HEX] "
	    "[--parallel N]\n"
	    "                [--journal PATH] [--phase NAME] "
	    "[--wait-interval SEC]\n"
	    "                [--wait-attempts N] run|verify|status BUNDLE\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
	    "  run       send the steps of the phase (default \"import\") "
	    "in order\n"
	    "  verify    check the bundle's integrity and print its digest\n"
	    "  status    list the steps of the phase\n"
	    "\n"
	    "  --json               one JSON event per line on stdout\n"
	    "  --dry-run            print each request (secrets redacted), "
	    "send nothing\n"
	    "  --expect-digest HEX  refuse a bundle whose digest differs\n"
	    "  --parallel N         accepted; steps run one at a time\n"
	    "  --journal PATH       checkpoint journal (not yet "
	    "implemented)\n"
	    "  --phase NAME         import, cutover or rollback\n"
	    "  --wait-interval SEC  seconds between DescribeServices polls "
	    "(%d)\n"
	    "  --wait-attempts N    polls before a wait step fails (%d)\n"
	    "\n"
	    "Credentials as the AWS CLI finds them; Spot: SPOTINST_TOKEN, "
	    "SPOTINST_ACCOUNT\nor ~/.spotinst/credentials. Exit: 0 ok, "
	    "1 failure, 2 usage, 3 stopped early.\n",
	    RUN_WAIT_INTERVAL, RUN_WAIT_ATTEMPTS);
}

static int
parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static bool
hex_digest_valid(const char *s)
{
	size_t i;

	if (strlen(s) != DIGEST_HEX_LEN)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void
print_verify_json(const struct bundle *b, const struct plan *p)
{
	cJSON *ev;
	char *s;

	ev = cJSON_CreateObject();
	json_add_str(ev, "event", "verify");
	json_add_str(ev, "status", "ok");
	json_add_str(ev, "digest", b->digest);
	json_add_num(ev, "files", (double)b->nfiles);
	json_add_num(ev, "steps", (double)p->nsteps);
	s = cJSON_PrintUnformatted(ev);
	if (s != NULL)
		printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(ev);
}

static int
cmd_status(const struct run_ctx *ctx)
{
	const struct plan_step *st;
	cJSON *ev;
	char *s;
	size_t i;

	for (i = 0; i < ctx->plan->nsteps; i++) {
		st = &ctx->plan->steps[i];
		if (strcmp(st->phase, ctx->opts->phase) != 0)
			continue;
		if (ctx->opts->json) {
			ev = cJSON_CreateObject();
			json_add_str(ev, "event", "status");
			json_add_str(ev, "id", st->id);
			json_add_str(ev, "action", st->action);
			json_add_str(ev, "state", "pending");
			s = cJSON_PrintUnformatted(ev);
			if (s != NULL)
				printf("%s\n", s);
			cJSON_free(s);
			cJSON_Delete(ev);
		} else
			printf("pending %s  %s  %s\n", st->id, st->action,
			    st->title != NULL ? st->title : "");
	}
	return RUN_EXIT_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "expect-digest", required_argument, NULL, 'd' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "journal", required_argument, NULL, 'J' },
		{ "phase", required_argument, NULL, 'P' },
		{ "wait-interval", required_argument, NULL, 'i' },
		{ "wait-attempts", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct run_opts opts;
	struct run_ctx ctx;
	struct bundle *b = NULL;
	struct plan *p = NULL;
	const struct bundle_file *pf;
	const char *cmd, *path, *expect = NULL;
	struct sigaction sa;
	int ch, rc = RUN_EXIT_FAIL, ctx_ok = 0, curl_ok = 0;

	log_init(argv[0]);
	memset(&opts, 0, sizeof(opts));
	opts.phase = RUN_DEFAULT_PHASE;
	opts.parallel = 1;
	opts.wait_attempts = RUN_WAIT_ATTEMPTS;
	opts.wait_interval = RUN_WAIT_INTERVAL;
	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			opts.json = true;
			break;
		case 'n':
			opts.dry_run = true;
			break;
		case 'd':
			expect = optarg;
			break;
		case 'p':
			if (parse_int(optarg, 1, MAIN_MAX_PARALLEL,
			    &opts.parallel) == -1) {
				log_errx("--parallel: expected 1..%d",
				    MAIN_MAX_PARALLEL);
				return RUN_EXIT_USAGE;
			}
			break;
		case 'J':
			opts.journal = optarg;
			break;
		case 'P':
			opts.phase = optarg;
			break;
		case 'i':
			if (parse_int(optarg, 0, MAIN_MAX_WAIT,
			    &opts.wait_interval) == -1) {
				log_errx("--wait-interval: expected 0..%d",
				    MAIN_MAX_WAIT);
				return RUN_EXIT_USAGE;
			}
			break;
		case 'a':
			if (parse_int(optarg, 1, MAIN_MAX_WAIT,
			    &opts.wait_attempts) == -1) {
				log_errx("--wait-attempts: expected 1..%d",
				    MAIN_MAX_WAIT);
				return RUN_EXIT_USAGE;
			}
			break;
		case 'h':
			help();
			return RUN_EXIT_OK;
		case 'V':
			printf("f2o-exec %s\n", F2O_VERSION);
			return RUN_EXIT_OK;
		default:
			usage(stderr);
			return RUN_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2) {
		usage(stderr);
		return RUN_EXIT_USAGE;
	}
	cmd = argv[0];
	path = argv[1];
	if (strcmp(cmd, "run") != 0 && strcmp(cmd, "verify") != 0 &&
	    strcmp(cmd, "status") != 0) {
		usage(stderr);
		return RUN_EXIT_USAGE;
	}
	if (expect != NULL && !hex_digest_valid(expect)) {
		log_errx("--expect-digest: expected %d hex digits",
		    DIGEST_HEX_LEN);
		return RUN_EXIT_USAGE;
	}
	if (strcmp(opts.phase, "import") != 0 &&
	    strcmp(opts.phase, "cutover") != 0 &&
	    strcmp(opts.phase, "rollback") != 0) {
		log_errx("--phase: expected import, cutover or rollback");
		return RUN_EXIT_USAGE;
	}
	if (opts.parallel > 1)
		log_warnx("--parallel %d: steps run one at a time for now",
		    opts.parallel);
	if (opts.journal != NULL)
		log_warnx("--journal: not implemented yet; nothing recorded");

	if (bundle_load(&b, path) == -1)
		goto out;
	if (expect != NULL && strcasecmp(expect, b->digest) != 0) {
		log_errx("%s: bundle digest %s, expected %s", path, b->digest,
		    expect);
		goto out;
	}
	pf = bundle_find(b, "plan.json");
	if (pf == NULL) {
		log_errx("%s: no plan.json", path);
		goto out;
	}
	if (plan_parse(&p, "plan.json", pf->data, pf->len) == -1)
		goto out;
	if (strcmp(cmd, "verify") == 0) {
		if (opts.json)
			print_verify_json(b, p);
		else
			printf("ok: %s: %zu files, %zu steps, digest %s\n",
			    path, b->nfiles, p->nsteps, b->digest);
		rc = RUN_EXIT_OK;
		goto out;
	}
	if (run_init(&ctx, &opts, b, p) == -1)
		goto out;
	ctx_ok = 1;
	ctx.stop = &stop_flag;
	if (strcmp(cmd, "status") == 0) {
		rc = cmd_status(&ctx);
		goto out;
	}
	if (opts.dry_run) {
		rc = run_dry(&ctx);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigemptyset(&sa.sa_mask) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1) {
		log_err("sigaction");
		goto out;
	}
	if (http_global_init() == -1)
		goto out;
	curl_ok = 1;
	rc = run_plan(&ctx);
out:
	if (ctx_ok)
		run_cleanup(&ctx);
	if (curl_ok)
		http_global_cleanup();
	plan_free(p);
	bundle_free(b);
	if (fflush(stdout) == EOF && rc == RUN_EXIT_OK) {
		log_err("stdout");
		rc = RUN_EXIT_FAIL;
	}
	return rc;
}
