/*
 * Endpoints and regions: public AWS endpoints, region names, endpoint
 * URL checks (https or loopback http, no query). See endpoint.h.
 */
#include <ctype.h>
#include <string.h>

#include "endpoint.h"
#include "http.h"
#include "log.h"
#include "xalloc.h"

/* Public endpoint for service in region. */
char *
endpoint_default(const char *service, const char *region)
{
	const char *suffix = strncmp(region, "cn-", 3) == 0 ?
	    "amazonaws.com.cn" : "amazonaws.com";

	return xasprintf("https://%s.%s.%s", service, region, suffix);
}

bool
region_valid(const char *r)
{
	size_t i;

	if (r == NULL || r[0] == '\0' || strlen(r) > 32)
		return false;
	for (i = 0; r[i] != '\0'; i++)
		if (!islower((unsigned char)r[i]) &&
		    !isdigit((unsigned char)r[i]) && r[i] != '-')
			return false;
	return true;
}

/* An endpoint: https (or loopback http), no query. */
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
