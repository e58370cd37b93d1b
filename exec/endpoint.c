/*
 * AWS endpoints: overrides, partitions, FIPS and dual-stack host names.
 * See endpoint.h.
 */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "endpoint.h"
#include "fsio.h"
#include "http.h"
#include "creds.h"
#include "log.h"
#include "xalloc.h"

#define ENDPOINT_MAX_CONFIG	(1024 * 1024)

/* botocore 1.43.67 partitions.json (regionRegex, outputs). */
struct partition {
	const char	*id;
	const char	*regex;
	const char	*dns;
	const char	*dualdns;
};

static const struct partition partitions[] = {
	{ "aws", "^(us|eu|ap|sa|ca|me|af|il|mx)-[A-Za-z0-9_]+-[0-9]+$",
	    "amazonaws.com", "api.aws" },
	{ "aws-cn", "^cn-[A-Za-z0-9_]+-[0-9]+$", "amazonaws.com.cn",
	    "api.amazonwebservices.com.cn" },
	{ "aws-eusc", "^eusc-(de)-[A-Za-z0-9_]+-[0-9]+$", "amazonaws.eu",
	    "api.amazonwebservices.eu" },
	{ "aws-iso", "^us-iso-[A-Za-z0-9_]+-[0-9]+$", "c2s.ic.gov",
	    "api.aws.ic.gov" },
	{ "aws-iso-b", "^us-isob-[A-Za-z0-9_]+-[0-9]+$", "sc2s.sgov.gov",
	    "api.aws.scloud" },
	{ "aws-iso-e", "^eu-isoe-[A-Za-z0-9_]+-[0-9]+$", "cloud.adc-e.uk",
	    "api.cloud-aws.adc-e.uk" },
	{ "aws-iso-f", "^us-isof-[A-Za-z0-9_]+-[0-9]+$", "csp.hci.ic.gov",
	    "api.aws.hci.ic.gov" },
	{ "aws-us-gov", "^us-gov-[A-Za-z0-9_]+-[0-9]+$", "amazonaws.com",
	    "api.aws" },
};

/*
 * Services. fips_regions: the aws-partition regions with a FIPS
 * endpoint (endpoints.json); GovCloud has one for each service.
 */
struct service {
	const char	*prefix;	/* endpoint prefix */
	const char	*env;		/* AWS_ENDPOINT_URL_<env> */
	bool		 gov_plain;	/* aws-us-gov FIPS = regular name */
	bool		 gov_nofips;	/* aws-us-gov: never a -fips name */
	const char	*fips_regions;
};

#define US4	" us-east-1 us-east-2 us-west-1 us-west-2 "

static const struct service services[] = {
	{ "ecs", "ECS", false, false, US4 },
	{ "ec2", "EC2", true, false, US4 "ca-central-1 ca-west-1 " },
	{ "sts", "STS", true, false, US4 },
	{ "application-autoscaling", "APPLICATION_AUTO_SCALING", true, false,
	    " " },
	{ "monitoring", "CLOUDWATCH", false, true, US4 },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

bool
endpoint_region_valid(const char *r)
{
	size_t i;

	if (r == NULL || r[0] == '\0' || strlen(r) > ENDPOINT_MAX_REGION)
		return false;
	for (i = 0; r[i] != '\0'; i++)
		if (!islower((unsigned char)r[i]) &&
		    !isdigit((unsigned char)r[i]) && r[i] != '-')
			return false;
	return true;
}

const char *
endpoint_partition(const char *region)
{
	regex_t re;
	size_t i;
	int m;

	if (!endpoint_region_valid(region))
		return NULL;
	for (i = 0; i < NELEM(partitions); i++) {
		if (regcomp(&re, partitions[i].regex, REG_EXTENDED |
		    REG_NOSUB) != 0)
			continue;
		m = regexec(&re, region, 0, NULL, 0);
		regfree(&re);
		if (m == 0)
			return partitions[i].id;
	}
	return NULL;
}

static const struct service *
service_find(const char *prefix)
{
	size_t i;

	for (i = 0; i < NELEM(services); i++)
		if (strcmp(services[i].prefix, prefix) == 0)
			return &services[i];
	return NULL;
}

static bool
fips_available(const struct service *s, const char *part,
    const char *region)
{
	const char *p;
	size_t n = strlen(region);

	if (strcmp(part, "aws-us-gov") == 0)
		return true;
	if (strcmp(part, "aws") != 0)
		return false;
	for (p = strstr(s->fips_regions, region); p != NULL;
	    p = strstr(p + 1, region))
		if (p[-1] == ' ' && p[n] == ' ')
			return true;
	return false;
}

char *
endpoint_default(const char *service, const char *region, bool fips,
    bool dualstack)
{
	const struct service *s;
	const struct partition *pt = NULL;
	const char *part, *suffix;
	bool gov;
	size_t i;

	s = service_find(service);
	if (s == NULL) {
		log_errx("endpoint: unknown service \"%s\"", service);
		return NULL;
	}
	part = endpoint_partition(region);
	for (i = 0; part != NULL && i < NELEM(partitions); i++)
		if (strcmp(partitions[i].id, part) == 0)
			pt = &partitions[i];
	if (pt == NULL) {
		log_errx("region \"%s\" is in no known AWS partition (aws, "
		    "aws-cn, aws-us-gov, aws-iso*, aws-eusc); set "
		    "AWS_ENDPOINT_URL_%s or AWS_ENDPOINT_URL", region, s->env);
		return NULL;
	}
	if (fips && !fips_available(s, pt->id, region)) {
		log_errx("FIPS endpoint requested (AWS_USE_FIPS_ENDPOINT or "
		    "use_fips_endpoint), but %s has no FIPS endpoint in "
		    "%s (partition %s); unset it or set AWS_ENDPOINT_URL_%s",
		    service, region, pt->id, s->env);
		return NULL;
	}
	suffix = dualstack ? pt->dualdns : pt->dns;
	gov = strcmp(pt->id, "aws-us-gov") == 0;
	if (fips && gov && (s->gov_nofips || (s->gov_plain && !dualstack)))
		fips = false;
	return xasprintf("https://%s%s.%s.%s", service, fips ? "-fips" : "",
	    region, suffix);
}

/* "true"/"false" (any case): 1/0; -1 (logged) otherwise. */
static int
bool_parse(const char *what, const char *v)
{
	if (strcasecmp(v, "true") == 0)
		return 1;
	if (strcasecmp(v, "false") == 0)
		return 0;
	log_errx("%s: \"%s\" is not true or false", what, v);
	return -1;
}

/* The active profile's config text, or NULL; -1 on a read error. */
static int
config_read(char **text, char **section)
{
	const char *profile, *path, *home;
	char *p = NULL;
	size_t len;
	int rc = 0;

	*text = *section = NULL;
	profile = env_get("AWS_PROFILE");
	if (profile == NULL)
		profile = env_get("AWS_DEFAULT_PROFILE");
	if (profile == NULL)
		profile = "default";
	path = env_get("AWS_CONFIG_FILE");
	if (path == NULL && (home = env_get("HOME")) != NULL)
		path = p = xasprintf("%s/.aws/config", home);
	if (path != NULL && access(path, F_OK) == 0) {
		if (fsio_read_bounded(text, &len, path, ENDPOINT_MAX_CONFIG) ==
		    -1)
			rc = -1;
		else
			*section = strcmp(profile, "default") == 0 ?
			    xstrdup("default") : xasprintf("profile %s",
			    profile);
	}
	free(p);
	return rc;
}

int
endpoint_settings(bool *fips, bool *dualstack)
{
	static const char *const envs[2] = { "AWS_USE_FIPS_ENDPOINT",
	    "AWS_USE_DUALSTACK_ENDPOINT" };
	static const char *const keys[2] = { "use_fips_endpoint",
	    "use_dualstack_endpoint" };
	bool *out[2] = { fips, dualstack };
	char *text = NULL, *section = NULL, *v, *what;
	bool loaded = false;
	int i, b, rc = -1;

	for (i = 0; i < 2; i++) {
		*out[i] = false;
		if (env_get(envs[i]) != NULL) {
			if ((b = bool_parse(envs[i], env_get(envs[i]))) == -1)
				goto out;
			*out[i] = b == 1;
			continue;
		}
		if (!loaded) {
			loaded = true;
			if (config_read(&text, &section) == -1)
				goto out;
		}
		if (text == NULL)
			continue;
		v = creds_ini_get(text, section, keys[i]);
		if (v == NULL)
			continue;
		what = xasprintf("config [%s] %s", section, keys[i]);
		b = *v == '\0' ? 0 : bool_parse(what, v);
		free(what);
		free(v);
		if (b == -1)
			goto out;
		*out[i] = b == 1;
	}
	rc = 0;
out:
	/* The config file may hold keys too. */
	if (text != NULL)
		OPENSSL_cleanse(text, strlen(text));
	free(text);
	free(section);
	return rc;
}

char *
endpoint_resolve(const char *service, const char *region)
{
	const struct service *s;
	const char *u;
	char *name;
	bool fips, dualstack;

	s = service_find(service);
	if (s == NULL) {
		log_errx("endpoint: unknown service \"%s\"", service);
		return NULL;
	}
	name = xasprintf("AWS_ENDPOINT_URL_%s", s->env);
	u = env_get(name);
	free(name);
	if (u == NULL)
		u = env_get("AWS_ENDPOINT_URL");
	if (u != NULL)
		return xstrdup(u);
	if (endpoint_settings(&fips, &dualstack) == -1)
		return NULL;
	return endpoint_default(service, region, fips, dualstack);
}

int
endpoint_check(const char *what, const char *url)
{
	struct http_url u;
	int rc = 0;

	if (http_url_parse(&u, what, url) == -1)
		return -1;
	if (u.query != NULL) {
		log_errx("%s: \"%s\": a query is not allowed", what, url);
		rc = -1;
	}
	http_url_cleanup(&u);
	return rc;
}
