/*
 * f2o-translate: AWS CLI exports of a Fargate cluster -> an f2o bundle.
 * Offline: no credentials, no network. See f2o-translate.1 and BUNDLE.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "log.h"
#include "options.h"
#include "xlate.h"

#define MAIN_MAX_ERRORS	50	/* errors printed; then "N more" */

int
main(int argc, char *argv[])
{
	struct options *opt = NULL;
	int r;

	log_init("f2o-translate");
	/* Interrupted or out of memory: no staging directory left behind. */
	cleanup_on_fatal();
	r = options_parse(&opt, argc, argv);
	if (r == OPTIONS_EXIT_OK)
		return 0;
	if (r != OPTIONS_OK)
		return 2;
	log_set_quiet(opt_bool(opt, "quiet"));
	log_set_json(opt_bool(opt, "json"));
	log_set_max_errors(MAIN_MAX_ERRORS);
	r = xlate_run(opt, opt->inputs, opt->ninputs);
	options_free(opt);
	if (r == -1) {
		log_finish();
		log_set_max_errors(0);
		log_errx("no bundle written");
		return 1;
	}
	return 0;
}
