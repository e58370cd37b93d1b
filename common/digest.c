/*
 * SHA-256 of a buffer as lower-case hex (OpenSSL EVP), for bundle and
 * export digests. See digest.h.
 */
#include <openssl/evp.h>

#include "digest.h"
#include "log.h"

static void
to_hex(char out[DIGEST_HEX_LEN + 1], const unsigned char *md)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < DIGEST_HEX_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[DIGEST_HEX_LEN] = '\0';
}

int
digest_sha256_hex(char out[DIGEST_HEX_LEN + 1], const void *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != DIGEST_HEX_LEN / 2) {
		log_errx("SHA-256 failed");
		return -1;
	}
	to_hex(out, md);
	return 0;
}

int
digest_begin(struct digest *d)
{
	d->md = EVP_MD_CTX_new();
	if (d->md == NULL || EVP_DigestInit_ex(d->md, EVP_sha256(),
	    NULL) != 1) {
		digest_abort(d);
		log_errx("SHA-256 failed");
		return -1;
	}
	return 0;
}

int
digest_update(struct digest *d, const void *buf, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(d->md, buf, len) != 1) {
		log_errx("SHA-256 failed");
		return -1;
	}
	return 0;
}

int
digest_end(struct digest *d, char out[DIGEST_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc = 0;

	if (EVP_DigestFinal_ex(d->md, md, &mdlen) != 1 ||
	    mdlen != DIGEST_HEX_LEN / 2) {
		log_errx("SHA-256 failed");
		rc = -1;
	} else
		to_hex(out, md);
	digest_abort(d);
	return rc;
}

void
digest_abort(struct digest *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->md);
	d->md = NULL;
}
