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

#include "api.h"
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
	    "[--journal PATH]\n"
	    "                [--phase import|cutover|rollback] [--parallel N] "
	    "[--keep-going | --stop-on-failure]\n"
	    "                [--wait-timeout SEC] [--poll-interval SEC] "
	    "[--max-attempts N]\n"
	    "                [--rate-limit API=RATE[/BURST]] "
	    "[--progress auto|live|plain]\n"
	    "                [--profile NAME] run|rollback|status|verify "
	    "BUNDLE\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\n"
	    "  run       send the steps of the phase (default \"import\"), "
	    "resuming from the journal\n"
	    "  rollback  run the rollback phase: undo only what the journal "
	    "says f2o did\n"
	    "  check     the read-only preflight alone: account, region, "
	    "clusters, services\n"
	    "            and security groups against the bundle; sends no "
	    "write\n"
	    "  status    each step's state in the journal: done, in-doubt, "
	    "failed, pending, skipped\n"
	    "  verify    check the bundle's integrity and print its digest\n"
	    "\n"
	    "  --json               one JSON event per line on stdout\n"
	    "  --dry-run            print each request (secrets redacted), "
	    "send nothing\n"
	    "  --expect-digest HEX  refuse a bundle whose digest differs\n"
	    "  --journal PATH       checkpoint journal (default "
	    "BUNDLE.journal)\n"
	    "  --phase NAME         import, cutover or rollback\n"
	    "  --parallel N         steps in flight at once (%d)\n"
	    "  --keep-going         after a failure, independent steps go on\n"
	    "                       (the default in the cutover phase)\n"
	    "  --stop-on-failure    after a failure, start nothing new\n"
	    "  --wait-timeout SEC   longest wait for one service (%.0f)\n"
	    "  --poll-interval SEC  between DescribeServices polls (%.0f)\n"
	    "  --max-attempts N     tries of one request (%u)\n"
	    "  --rate-limit API=R[/B]  requests per second (burst) for ecs, "
	    "ec2, spot, ecs-read, sts,\n"
	    "                       application-autoscaling, cloudwatch\n"
	    "  --profile NAME       AWS profile, like aws --profile (the "
	    "environment's keys are then not used)\n"
	    "  --progress MODE      auto (live on a terminal), live, plain\n"
	    "\n"
	    "Credentials as the AWS CLI finds them; Spot: SPOTINST_TOKEN, "
	    "SPOTINST_ACCOUNT\nor ~/.spotinst/credentials. Exit: 0 ok, "
	    "1 failure, 2 usage, 3 stopped early\n(journal consistent; "
	    "rerun to resume), 4 the preflight refused: the account drifted\n"
	    "from the bundle or a precondition failed (nothing was "
	    "sent).\n",
	    RUN_DEFAULT_PARALLEL, RUN_WAIT_TIMEOUT, RUN_WAIT_INTERVAL,
	    RUN_DEFAULT_ATTEMPTS);
}

static int
parse_secs(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min) ||
	    !(v <= max))
		return -1;
	*out = v;
	return 0;
}

/* "ecs=2.5/20" */
static int
parse_rate(const char *s, struct run_opts *o)
{
	const char *eq = strchr(s, '=');
	char *end;
	double r;
	long b = 0;
	int i;

	if (eq == NULL)
		return -1;
	i = api_find(s, (size_t)(eq - s));
	if (i == -1)
		return -1;
	errno = 0;
	r = strtod(eq + 1, &end);
	if (errno != 0 || end == eq + 1 || !(r >= 0.001) || !(r <= 10000))
		return -1;
	if (*end == '/') {
		b = strtol(end + 1, &end, 10);
		if (b < 1 || b > 10000)
			return -1;
	}
	if (*end != '\0')
		return -1;
	o->rate[i] = r;
	o->burst[i] = (unsigned)b;
	return 0;
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
		{ "poll-interval", required_argument, NULL, 'i' },
		{ "wait-timeout", required_argument, NULL, 't' },
		{ "wait-attempts", required_argument, NULL, 'a' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "stop-on-failure", no_argument, NULL, 'S' },
		{ "max-attempts", required_argument, NULL, 'm' },
		{ "rate-limit", required_argument, NULL, 'r' },
		{ "progress", required_argument, NULL, 'g' },
		{ "profile", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct run_opts opts;
	struct run_ctx ctx;
	struct bundle *b = NULL;
	struct plan *p = NULL;
	const char *cmd, *path, *expect = NULL;
	struct sigaction sa;
	int ch, n, rc = RUN_EXIT_FAIL, ctx_ok = 0, curl_ok = 0;
	int going = -1;		/* --keep-going 1, --stop-on-failure 0 */

	log_init(argv[0]);
	memset(&opts, 0, sizeof(opts));
	opts.phase = RUN_DEFAULT_PHASE;
	opts.parallel = RUN_DEFAULT_PARALLEL;
	opts.wait_timeout = RUN_WAIT_TIMEOUT;
	opts.poll_interval = RUN_WAIT_INTERVAL;
	opts.sg_timeout = RUN_DELETE_SG_TIMEOUT;
	opts.max_attempts = RUN_DEFAULT_ATTEMPTS;
	opts.progress = -1;
	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			opts.json = true;
			break;
		case 'A':
			creds_profile_set(optarg);
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
			opts.phase_set = true;
			break;
		case 'i':
			if (parse_secs(optarg, 0, MAIN_MAX_WAIT,
			    &opts.poll_interval) == -1) {
				log_errx("--poll-interval: expected 0..%d "
				    "seconds", MAIN_MAX_WAIT);
				return RUN_EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_secs(optarg, 0, MAIN_MAX_WAIT * 10.0,
			    &opts.wait_timeout) == -1) {
				log_errx("--wait-timeout: expected 0..%d "
				    "seconds", MAIN_MAX_WAIT * 10);
				return RUN_EXIT_USAGE;
			}
			break;
		case 'k':
			opts.keep_going = true;
			going = 1;
			break;
		case 'S':
			opts.keep_going = false;
			going = 0;
			break;
		case 'm':
			if (parse_int(optarg, 1, (int)BACKOFF_MAX_ATTEMPTS,
			    &n) == -1) {
				log_errx("--max-attempts: expected 1..%u",
				    BACKOFF_MAX_ATTEMPTS);
				return RUN_EXIT_USAGE;
			}
			opts.max_attempts = (unsigned)n;
			break;
		case 'r':
			if (parse_rate(optarg, &opts) == -1) {
				log_errx("--rate-limit: expected ecs|ec2|spot|"
				    "ecs-read|sts|application-autoscaling|"
				    "cloudwatch=RATE[/BURST], e.g. ecs=1/10");
				return RUN_EXIT_USAGE;
			}
			break;
		case 'g':
			if (strcmp(optarg, "auto") == 0)
				opts.progress = -1;
			else if (strcmp(optarg, "live") == 0)
				opts.progress = 1;
			else if (strcmp(optarg, "plain") == 0)
				opts.progress = 0;
			else {
				log_errx("--progress: expected auto, live or "
				    "plain");
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
	    strcmp(cmd, "status") != 0 && strcmp(cmd, "rollback") != 0 &&
	    strcmp(cmd, "check") != 0) {
		usage(stderr);
		return RUN_EXIT_USAGE;
	}
	if (strcmp(cmd, "rollback") == 0) {
		if (opts.phase_set && strcmp(opts.phase, "rollback") != 0) {
			log_errx("rollback: --phase %s makes no sense here",
			    opts.phase);
			return RUN_EXIT_USAGE;
		}
		opts.phase = "rollback";
		opts.phase_set = true;
	}
	opts.bundle_path = path;
	if (expect != NULL && !hex_digest_valid(expect)) {
		log_errx("--expect-digest: expected %d hex digits",
		    DIGEST_HEX_LEN);
		return RUN_EXIT_USAGE;
	}
	/*
	 * Cutover: services are independent, so by default one failing stops
	 * only its own chain; --stop-on-failure stops the whole run.
	 */
	if (going == -1 && strcmp(opts.phase, "cutover") == 0)
		opts.keep_going = true;
	if (strcmp(opts.phase, "import") != 0 &&
	    strcmp(opts.phase, "cutover") != 0 &&
	    strcmp(opts.phase, "rollback") != 0) {
		log_errx("--phase: expected import, cutover or rollback");
		return RUN_EXIT_USAGE;
	}

	if (bundle_load(&b, path) == -1)
		goto out;
	if (expect != NULL && strcasecmp(expect, b->digest) != 0) {
		log_errx("%s: bundle digest %s, expected %s", path, b->digest,
		    expect);
		goto out;
	}
	if (bundle_find(b, "plan.json") == NULL) {
		log_errx("%s: no plan.json", path);
		goto out;
	}
	if (plan_read(&p, b, "plan.json") == -1)
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
		rc = run_status(&ctx);
		goto out;
	}
	if (opts.dry_run && strcmp(cmd, "check") != 0) {
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
	rc = strcmp(cmd, "check") == 0 ? run_check(&ctx) : run_plan(&ctx);
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
