/*
 * Fuzz target: the credential sources' replies, each from a server or a
 * program f2o-exec does not control: credential_process output, STS
 * AssumeRole XML, the container / IMDS JSON, the SSO portal's
 * GetRoleCredentials and SSO OIDC CreateToken (with the cache it renews).
 */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "creds.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct creds_sso_session ss = { "fuzz",
	    "https://fuzz.awsapps.com/start", "us-east-1" };
	const char *buf = (const char *)data;
	struct creds *c;
	cJSON *old, *o;

	log_set_quiet(2);
	if (creds_process_parse(&c, "fuzz", buf, size) == 0)
		creds_free(c);
	if (creds_sts_parse(&c, "AssumeRole", "fuzz", buf, size) == 0)
		creds_free(c);
	if (creds_json_parse(&c, "fuzz", buf, size) == 0)
		creds_free(c);
	if (creds_sso_parse(&c, "fuzz", buf, size) == 0)
		creds_free(c);
	/* The input as a reply to a renewal, then as the cache itself. */
	old = cJSON_Parse("{\"clientId\": \"c\", \"clientSecret\": \"s\", "
	    "\"registrationExpiresAt\": \"2030-01-01T00:00:00Z\", "
	    "\"refreshToken\": \"r\"}");
	o = creds_oidc_cache(old, &ss, buf, size, (time_t)1700000000);
	if (o != NULL)
		(void)creds_oidc_renewable(o, (time_t)1700000000);
	cJSON_Delete(o);
	cJSON_Delete(old);
	old = cJSON_ParseWithLength(buf, size);
	(void)creds_oidc_renewable(old, (time_t)1700000000);
	cJSON_Delete(old);
	return 0;
}
