/*
 * f2o-translate's parameters: one table gives --help, the --config keys
 * and the manifest's "parameters"; argv and config parsed. See options.h.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "jsonutil.h"
#include "log.h"
#include "bundle.h"
#include "options.h"
#include "xalloc.h"

#define OPTIONS_MAX_CONFIG	(1024 * 1024)

/* The single source of --help, --config keys and manifest parameters. */
static const struct opt_def opt_table[] = {
	/* General */
	{ "output", OPT_STR, "BUNDLE", NULL, false,
	  "write the bundle here: x.tar or x.tar.gz for an archive, "
	  "anything else a directory (also -o)" },
	{ "config", OPT_STR, "FILE", NULL, false,
	  "read parameters from a JSON object whose keys are these option "
	  "names (options on the command line win)" },
	{ "force", OPT_BOOL, NULL, NULL, false,
	  "replace an existing bundle directory" },
	{ "quiet", OPT_BOOL, NULL, NULL, false,
	  "print only warnings, errors and the digest" },
	{ "prefix", OPT_STR, "PREFIX", "sfm-", true,
	  "name prefix of the side-by-side EC2 copies of the services" },
	{ "templates", OPT_STR, "DIR", NULL, false,
	  "templates directory (payload defaults, user data, catalog, "
	  "prices); files missing there come from the installed defaults" },
	{ "json", OPT_BOOL, NULL, NULL, false,
	  "print diagnostics as JSON objects, one per line on stderr (see "
	  "DIAGNOSTICS in f2o-translate(1))" },
	{ "duplicate-keys", OPT_STR, "error|last", NULL, true,
	  "a key twice in one JSON object of an export: refuse it (error, "
	  "the default) or keep the last value with a warning (last)" },
	{ "allow-unknown-values", OPT_BOOL, NULL, NULL, false,
	  "let through enum values the shipped ECS model does not know (newer "
	  "than it), each with a warning, instead of refusing them" },
	{ "skip-missing-taskdef", OPT_BOOL, NULL, NULL, true,
	  "skip (with a warning) a Fargate service whose task definition "
	  "revision is not in the export, instead of failing" },
	{ "drop-step-scaling", OPT_BOOL, NULL, NULL, false,
	  "leave out (with a warning) Application Auto Scaling step scaling "
	  "policies whose CloudWatch alarms are not in the export (aws "
	  "cloudwatch describe-alarms), instead of failing" },
	/* Target environment */
	{ "region", OPT_STR, "REGION", NULL, true,
	  "AWS region (default: from the export's ARNs)" },
	{ "account", OPT_STR, "ACCOUNT-ID", NULL, false,
	  "AWS account id of the export (default: from the export's ARNs)" },
	{ "ecs-cluster", OPT_STR, "NAME", NULL, true,
	  "ECS cluster name (default: from the export)" },
	{ "ocean-name", OPT_STR, "NAME", NULL, true,
	  "Ocean cluster name (default: the ECS cluster name)" },
	{ "vpc", OPT_STR, "VPC-ID", NULL, true,
	  "VPC of the instances (default: the services' security groups' VPC)" },
	{ "subnets", OPT_LIST, "SUBNET,...", NULL, true,
	  "instance subnets (default: the services' subnets)" },
	{ "ami-x86_64", OPT_STR, "AMI-ID", NULL, true,
	  "ECS-optimized AMI for x86_64 instances (required when a task is "
	  "x86_64)" },
	{ "ami-arm64", OPT_STR, "AMI-ID", NULL, true,
	  "ECS-optimized AMI for arm64 instances (required when a task is "
	  "ARM64)" },
	{ "instance-profile", OPT_STR, "ARN|NAME", NULL, true,
	  "IAM instance profile of the instances (ARN or name)" },
	{ "key-pair", OPT_STR, "NAME", NULL, true,
	  "EC2 key pair of the instances" },
	{ "tag", OPT_LIST, "KEY=VALUE", NULL, true,
	  "tag everything f2o creates (repeatable)" },
	{ "enable-trunking", OPT_BOOL, NULL, NULL, true,
	  "add a step that turns on the awsvpcTrunking account setting "
	  "(ecs:PutAccountSettingDefault)" },
	/* Security groups */
	{ "sg-max-ingress", OPT_INT, "N", "60", true,
	  "inbound rules per security group (AWS quota)" },
	{ "sg-max-egress", OPT_INT, "N", "60", true,
	  "outbound rules per security group (AWS quota)" },
	{ "sg-max-groups", OPT_INT, "N", "5", true,
	  "security groups per network interface (AWS quota)" },
	{ "sg-drop-contained", OPT_BOOL, NULL, NULL, true,
	  "drop merged rules wholly contained in another rule" },
	/* Cost report */
	{ "spot-discount", OPT_NUM, "FRACTION", "0.65", true,
	  "assumed spot discount off on-demand prices (0..1)" },
	{ "task-size", OPT_STR, "fargate|containers", "fargate", true,
	  "size EC2 task definitions as on Fargate, or from what the "
	  "containers reserve" },
	{ NULL, 0, NULL, NULL, false, NULL }
};

static const struct opt_def *
opt_find(const char *name)
{
	const struct opt_def *d;

	for (d = opt_table; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static void
usage_print(FILE *f)
{
	const struct opt_def *d;

	fprintf(f, "usage: f2o-translate [OPTIONS] EXPORT... -o BUNDLE\n");
	if (f == stderr) {
		fprintf(f, "Try 'f2o-translate --help' for more.\n");
		return;
	}
	fprintf(f,
	    "\nReads AWS CLI exports (aws ecs describe-services, aws ecs "
	    "describe-task-definition,\naws ec2 describe-security-groups: "
	    "files or directories) and writes a bundle that\nf2o-exec "
	    "replays. Offline: no credentials, no network.\n\nOptions:\n");
	for (d = opt_table; d->name != NULL; d++) {
		char left[64];

		(void)snprintf(left, sizeof(left), "--%s%s%s", d->name,
		    d->arg != NULL ? " " : "", d->arg != NULL ? d->arg : "");
		fprintf(f, "  %-30s  %s", left, d->help);
		if (d->def != NULL)
			fprintf(f, " [%s]", d->def);
		fputc('\n', f);
	}
	fprintf(f, "  %-30s %s\n", "-h, --help", "print this help");
	fprintf(f, "  %-30s %s\n", "-V, --version", "print the version");
	fprintf(f, "\nExit status: 0 bundle written, 1 bad input (nothing "
	    "written), 2 usage error.\n");
}

void
options_free(struct options *o)
{
	size_t i;

	if (o == NULL)
		return;
	cJSON_Delete(o->values);
	for (i = 0; i < o->ninputs; i++)
		free(o->inputs[i]);
	free(o->inputs);
	free(o);
}

/* Convert text to the option's JSON type. NULL (logged) when invalid. */
static cJSON *
value_from_text(const struct opt_def *d, const char *text, const char *where)
{
	char *end;
	double v;
	long long n;

	switch (d->type) {
	case OPT_STR:
		return cJSON_CreateString(text);
	case OPT_BOOL:
		if (strcmp(text, "true") == 0)
			return cJSON_CreateTrue();
		if (strcmp(text, "false") == 0)
			return cJSON_CreateFalse();
		break;
	case OPT_INT:
		errno = 0;
		n = strtoll(text, &end, 10);
		if (errno == 0 && end != text && *end == '\0' && n >= 0 &&
		    n <= 1000000)
			return cJSON_CreateNumber((double)n);
		break;
	case OPT_NUM:
		errno = 0;
		v = strtod(text, &end);
		if (errno == 0 && end != text && *end == '\0' && isfinite(v))
			return cJSON_CreateNumber(v);
		break;
	default:
		break;
	}
	log_errx("%s: --%s: invalid value \"%s\"", where, d->name, text);
	return NULL;
}

/* Append comma-separated items of text to the list option. */
static void
list_add(cJSON *values, const char *name, const char *text, bool split)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(values, name);
	char *copy = xstrdup(text), *p = copy, *tok;

	if (a == NULL)
		a = cJSON_AddArrayToObject(values, name);
	if (!split) {
		cJSON_AddItemToArray(a, cJSON_CreateString(text));
		free(copy);
		return;
	}
	while ((tok = strsep(&p, ",")) != NULL)
		if (*tok != '\0')
			cJSON_AddItemToArray(a, cJSON_CreateString(tok));
	free(copy);
}

static int
config_load(cJSON *values, const char *path)
{
	cJSON *root = NULL, *c, *e;
	char *buf = NULL;
	size_t len;
	int rc = -1;

	if (fsio_read_bounded(&buf, &len, path, OPTIONS_MAX_CONFIG) == -1 ||
	    json_parse(&root, path, buf, len) == -1)
		goto out;
	if (!cJSON_IsObject(root)) {
		log_errx("%s: $: must be a JSON object of option names", path);
		goto out;
	}
	cJSON_ArrayForEach(c, root) {
		const struct opt_def *d = opt_find(c->string);
		cJSON *v = NULL;
		bool ok = false;

		if (d == NULL || strcmp(c->string, "config") == 0) {
			log_errx("%s: $.%s: not an f2o-translate option", path,
			    c->string);
			goto out;
		}
		if (cJSON_GetObjectItemCaseSensitive(values, d->name) != NULL)
			continue;	/* the command line wins */
		switch (d->type) {
		case OPT_STR:
			ok = cJSON_IsString(c);
			break;
		case OPT_BOOL:
			ok = cJSON_IsBool(c);
			break;
		case OPT_INT:
			ok = cJSON_IsNumber(c) && c->valuedouble >= 0 &&
			    c->valuedouble == floor(c->valuedouble) &&
			    c->valuedouble <= 1000000;
			break;
		case OPT_NUM:
			ok = cJSON_IsNumber(c);
			break;
		case OPT_LIST:
			if (cJSON_IsString(c)) {
				list_add(values, d->name, c->valuestring,
				    strcmp(d->name, "tag") != 0);
				continue;
			}
			ok = cJSON_IsArray(c);
			cJSON_ArrayForEach(e, c)
				if (!cJSON_IsString(e))
					ok = false;
			break;
		default:
			break;
		}
		if (!ok) {
			log_errx("%s: $.%s: wrong type (%s)", path, c->string,
			    json_type_name(c));
			goto out;
		}
		v = cJSON_Duplicate(c, 1);
		cJSON_AddItemToObject(values, d->name, v);
	}
	rc = 0;
out:
	cJSON_Delete(root);
	free(buf);
	return rc;
}

int
options_parse(struct options **out, int argc, char **argv)
{
	struct option *lopts;
	const struct opt_def *d;
	struct options *o = xcalloc(1, sizeof(*o));
	size_t n = 0, i;
	int ch, idx, rc = OPTIONS_USAGE;

	*out = NULL;
	o->values = cJSON_CreateObject();
	for (d = opt_table; d->name != NULL; d++)
		n++;
	lopts = xcalloc(n + 3, sizeof(*lopts));
	for (i = 0; i < n; i++) {
		lopts[i].name = opt_table[i].name;
		lopts[i].has_arg = opt_table[i].type == OPT_BOOL ?
		    no_argument : required_argument;
		lopts[i].val = 0;
	}
	lopts[n].name = "help";
	lopts[n].val = 'h';
	lopts[n + 1].name = "version";
	lopts[n + 1].val = 'V';
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:hV", lopts, &idx)) != -1) {
		cJSON *v;

		switch (ch) {
		case 'h':
			usage_print(stdout);
			rc = OPTIONS_EXIT_OK;
			goto out;
		case 'V':
			printf("f2o-translate %s (bundle format %d)\n",
			    F2O_VERSION, BUNDLE_FORMAT_VERSION);
			rc = OPTIONS_EXIT_OK;
			goto out;
		case 'o':
			d = opt_find("output");
			json_del(o->values, "output");
			json_add_str(o->values, "output", optarg);
			continue;
		case 0:
			break;
		default:
			usage_print(stderr);
			goto out;
		}
		d = &opt_table[idx];
		if (d->type == OPT_BOOL) {
			json_del(o->values, d->name);
			json_add_bool(o->values, d->name, true);
			continue;
		}
		if (d->type == OPT_LIST) {
			list_add(o->values, d->name, optarg,
			    strcmp(d->name, "tag") != 0);
			continue;
		}
		v = value_from_text(d, optarg, "command line");
		if (v == NULL)
			goto out;
		json_del(o->values, d->name);
		cJSON_AddItemToObject(o->values, d->name, v);
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		o->inputs = xreallocarray(o->inputs, o->ninputs + 1,
		    sizeof(char *));
		o->inputs[o->ninputs++] = xstrdup(argv[i]);
	}
	if (opt_str(o, "config") != NULL &&
	    config_load(o->values, opt_str(o, "config")) == -1)
		goto out;
	/* Defaults. */
	for (d = opt_table; d->name != NULL; d++) {
		cJSON *v;

		if (d->def == NULL ||
		    cJSON_GetObjectItemCaseSensitive(o->values, d->name) != NULL)
			continue;
		v = value_from_text(d, d->def, "default");
		if (v == NULL)
			goto out;
		cJSON_AddItemToObject(o->values, d->name, v);
	}
	if (o->ninputs == 0) {
		log_errx("no EXPORT given");
		usage_print(stderr);
		goto out;
	}
	if (opt_str(o, "output") == NULL) {
		log_errx("no bundle path given (-o BUNDLE)");
		usage_print(stderr);
		goto out;
	}
	if (opt_str(o, "duplicate-keys") != NULL &&
	    strcmp(opt_str(o, "duplicate-keys"), "error") != 0 &&
	    strcmp(opt_str(o, "duplicate-keys"), "last") != 0) {
		log_errx("--duplicate-keys must be \"error\" or \"last\"");
		goto out;
	}
	if (strcmp(opt_str(o, "task-size"), "fargate") != 0 &&
	    strcmp(opt_str(o, "task-size"), "containers") != 0) {
		log_errx("--task-size must be \"fargate\" or \"containers\"");
		goto out;
	}
	if (opt_num(o, "spot-discount") < 0 || opt_num(o, "spot-discount") >= 1) {
		log_errx("--spot-discount must be at least 0 and below 1");
		goto out;
	}
	*out = o;
	o = NULL;
	rc = OPTIONS_OK;
out:
	free(lopts);
	options_free(o);
	return rc;
}

const char *
opt_str(const struct options *o, const char *name)
{
	return json_str(o->values, name);
}

bool
opt_bool(const struct options *o, const char *name)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o->values, name));
}

long long
opt_int(const struct options *o, const char *name)
{
	long long v = 0;

	(void)json_int(o->values, name, 0, 1000000, &v);
	return v;
}

double
opt_num(const struct options *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o->values, name);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

const cJSON *
opt_list(const struct options *o, const char *name)
{
	static cJSON empty = { NULL, NULL, NULL, cJSON_Array, NULL, 0, 0,
	    NULL };
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o->values, name);

	return cJSON_IsArray(v) ? v : &empty;
}

void
opt_set_str(struct options *o, const char *name, const char *value)
{
	json_del(o->values, name);
	json_add_str(o->values, name, value);
}

cJSON *
options_manifest(const struct options *o)
{
	const struct opt_def *d;
	cJSON *m = cJSON_CreateObject(), *v;

	for (d = opt_table; d->name != NULL; d++) {
		if (!d->manifest)
			continue;
		v = cJSON_GetObjectItemCaseSensitive(o->values, d->name);
		if (v != NULL)
			cJSON_AddItemToObject(m, d->name,
			    cJSON_Duplicate(v, 1));
		else if (d->type == OPT_BOOL)
			json_add_bool(m, d->name, false);
	}
	return m;
}
