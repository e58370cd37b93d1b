#ifndef F2O_ENDPOINT_H
#define F2O_ENDPOINT_H
/*
 * Endpoints and regions: the public AWS endpoint of a service, whether a
 * region name is well formed, whether an endpoint URL is acceptable.
 */
#include <stdbool.h>

/* Public endpoint for service in region; a new string, free with free(). */
char	*endpoint_default(const char *service, const char *region);
/* A region: [a-z0-9-], 1..32 characters. */
bool	 region_valid(const char *r);
/* An endpoint: https (or loopback http), no query. 0, or -1 (logged). */
int	 endpoint_check(const char *what, const char *url);

#endif
