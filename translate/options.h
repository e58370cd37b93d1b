#ifndef F2O_OPTIONS_H
#define F2O_OPTIONS_H
/*
 * f2o-translate's parameters. Every parameter is a long option and may
 * also be a key of the same name in the JSON file given with --config
 * (command-line options win). The table in options.c is the single source
 * of --help, the config keys and the manifest's "parameters".
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

enum opt_type {
	OPT_STR = 1,	/* string */
	OPT_BOOL,	/* flag; config: true/false */
	OPT_INT,	/* integer */
	OPT_NUM,	/* number */
	OPT_LIST,	/* repeatable or comma-separated; config: array */
	OPT__MAX
};

struct opt_def {
	const char	*name;
	enum opt_type	 type;
	const char	*arg;		/* metavariable for --help */
	const char	*def;		/* default as text, or NULL */
	bool		 manifest;	/* recorded in manifest parameters */
	const char	*help;
};

struct options {
	cJSON	*values;		/* name -> value, defaults applied */
	char	**inputs;		/* EXPORT arguments */
	size_t	 ninputs;
};

enum {
	OPTIONS_OK = 0,
	OPTIONS_EXIT_OK = -10,		/* --help / --version printed */
	OPTIONS_USAGE = -2,		/* usage error, message printed */
};

/* Parse argv (and --config). Free with options_free(). */
int		 options_parse(struct options **out, int argc, char **argv);
void		 options_free(struct options *);
const char	*opt_str(const struct options *, const char *name);
bool		 opt_bool(const struct options *, const char *name);
long long	 opt_int(const struct options *, const char *name);
double		 opt_num(const struct options *, const char *name);
/* Array of strings (borrowed), possibly empty, never NULL. */
const cJSON	*opt_list(const struct options *, const char *name);
/* Set a value computed later (e.g. region derived from the export). */
void		 opt_set_str(struct options *, const char *name,
		    const char *value);
/* The manifest's "parameters" object; free with cJSON_Delete. */
cJSON		*options_manifest(const struct options *);

#endif
