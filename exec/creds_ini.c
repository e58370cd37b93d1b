/*
 * The shared AWS config and credentials files (INI), paths, environment
 * and time helpers for the credential sources. See creds.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "creds.h"
#include "fsio.h"
#include "log.h"
#include "utctime.h"
#include "xalloc.h"

const char *
creds_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

void
creds_wipe_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
creds_json_wipe(struct cJSON *j)
{
	cJSON *it;

	if (j == NULL)
		return;
	if (cJSON_IsString(j) && j->valuestring != NULL)
		OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
	for (it = j->child; it != NULL; it = it->next)
		creds_json_wipe(it);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * Walk text; with key NULL, report whether section exists (returns
 * a non-NULL dummy). Comments start with # or ; at the line start.
 */
static char *
ini_walk(const char *text, const char *section, const char *key,
    bool *found)
{
	char *copy, *line, *next, *t, *eq, *result = NULL;
	size_t tlen;
	int in = 0;

	*found = false;
	if (text == NULL)
		return NULL;
	tlen = strlen(text);
	copy = xstrdup(text);
	for (line = copy; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		/* Indented lines are nested sub-blocks (config "services"). */
		if (*line == ' ' || *line == '\t')
			continue;
		t = trim(line);
		if (*t == '\0' || *t == '#' || *t == ';')
			continue;
		if (*t == '[') {
			eq = strchr(t, ']');
			if (eq == NULL) {
				in = 0;
				continue;
			}
			*eq = '\0';
			in = strcmp(trim(t + 1), section) == 0;
			if (in)
				*found = true;
			continue;
		}
		if (!in || key == NULL)
			continue;
		eq = strchr(t, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (strcmp(trim(t), key) == 0) {
			result = xstrdup(trim(eq + 1));
			break;
		}
	}
	OPENSSL_cleanse(copy, tlen);
	free(copy);
	return result;
}

char *
creds_ini_get(const char *text, const char *section, const char *key)
{
	bool found;
	char *v;

	v = ini_walk(text, section, key, &found);
	if (v != NULL && *v == '\0') {
		free(v);
		v = NULL;
	}
	return v;
}

bool
creds_ini_has(const char *text, const char *section)
{
	bool found;

	(void)ini_walk(text, section, NULL, &found);
	return found;
}

static char *
conf_section(const char *profile)
{
	return strcmp(profile, "default") == 0 ? xstrdup("default") :
	    xasprintf("profile %s", profile);
}

char *
creds_files_cred(const struct creds_files *f, const char *profile,
    const char *key)
{
	return creds_ini_get(f->credentials, profile, key);
}

char *
creds_files_conf(const struct creds_files *f, const char *profile,
    const char *key)
{
	char *sec, *v;

	sec = conf_section(profile);
	v = creds_ini_get(f->config, sec, key);
	free(sec);
	return v;
}

char *
creds_files_get(const struct creds_files *f, const char *profile,
    const char *key)
{
	char *v;

	v = creds_files_cred(f, profile, key);
	return v != NULL ? v : creds_files_conf(f, profile, key);
}

bool
creds_files_has(const struct creds_files *f, const char *profile)
{
	char *sec;
	bool has;

	sec = conf_section(profile);
	has = creds_ini_has(f->credentials, profile) ||
	    creds_ini_has(f->config, sec);
	free(sec);
	return has;
}

int
creds_read_optional(char **out, const char *path, size_t max)
{
	size_t len;

	*out = NULL;
	if (access(path, F_OK) == -1)
		return 0;
	if (fsio_read_bounded(out, &len, path, max) == -1)
		return -1;
	return 1;
}

char *
creds_path(const char *env, const char *rel)
{
	const char *home;

	if (creds_env(env) != NULL)
		return xstrdup(creds_env(env));
	home = creds_env("HOME");
	if (home == NULL)
		return NULL;
	return xasprintf("%s/%s", home, rel);
}

int
creds_files_load(struct creds_files *f)
{
	char *p;
	int r;

	memset(f, 0, sizeof(*f));
	p = creds_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	r = p != NULL ? creds_read_optional(&f->credentials, p,
	    CREDS_MAX_FILE) : 0;
	free(p);
	if (r == -1)
		return -1;
	p = creds_path("AWS_CONFIG_FILE", ".aws/config");
	r = p != NULL ? creds_read_optional(&f->config, p, CREDS_MAX_FILE) :
	    0;
	free(p);
	if (r == -1) {
		creds_files_cleanup(f);
		return -1;
	}
	return 0;
}

void
creds_files_cleanup(struct creds_files *f)
{
	if (f == NULL)
		return;
	creds_wipe_free(f->config);
	creds_wipe_free(f->credentials);
	f->config = f->credentials = NULL;
}

int
creds_time_parse(const char *s, time_t *out)
{
	const char *p;
	int y, mo, d, h, mi, sec, n = 0;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d,
	    &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 &&
	    strcmp(p, "UTC") != 0 && strcmp(p, "+0000") != 0)
		return -1;
	return utctime_make(y, mo, d, h, mi, sec, out);
}
