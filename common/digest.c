/*
 * SHA-256 of a buffer, raw or as lower-case hex (OpenSSL EVP), for bundle
 * and export digests. See digest.h.
 */
#include <openssl/evp.h>

#include "digest.h"
#include "log.h"

int
digest_sha256(unsigned char out[DIGEST_LEN], const void *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != DIGEST_LEN) {
		log_errx("SHA-256 failed");
		return -1;
	}
	for (i = 0; i < DIGEST_LEN; i++)
		out[i] = md[i];
	return 0;
}

void
digest_hex(char out[DIGEST_HEX_LEN + 1], const unsigned char md[DIGEST_LEN])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < DIGEST_LEN; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[DIGEST_HEX_LEN] = '\0';
}

int
digest_sha256_hex(char out[DIGEST_HEX_LEN + 1], const void *buf, size_t len)
{
	unsigned char md[DIGEST_LEN];

	if (digest_sha256(md, buf, len) == -1)
		return -1;
	digest_hex(out, md);
	return 0;
}
