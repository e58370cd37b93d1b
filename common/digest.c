/*
 * SHA-256 of a buffer, raw or as lower-case hex (OpenSSL EVP), for bundle
 * and export digests. See digest.h.
 */
#include <openssl/evp.h>
#include <pthread.h>

#include "digest.h"
#include "log.h"

/*
 * SHA-256 fetched from the provider once: EVP_sha256() makes every
 * EVP_Digest() fetch it again (a locked look-up that cost more than
 * hashing a request file of a few hundred bytes). Kept to the end.
 */
static EVP_MD *digest_md;
static pthread_once_t digest_once = PTHREAD_ONCE_INIT;

static void
digest_fetch(void)
{
	digest_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
digest_alg(void)
{
	(void)pthread_once(&digest_once, digest_fetch);
	return digest_md != NULL ? digest_md : EVP_sha256();
}

int
digest_sha256(unsigned char out[DIGEST_LEN], const void *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(buf, len, md, &mdlen, digest_alg(), NULL) != 1 ||
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

int
digest_begin(struct digest *d)
{
	d->md = EVP_MD_CTX_new();
	if (d->md == NULL || EVP_DigestInit_ex(d->md, digest_alg(),
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
digest_end(struct digest *d, unsigned char out[DIGEST_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	int rc = 0;

	if (EVP_DigestFinal_ex(d->md, md, &mdlen) != 1 ||
	    mdlen != DIGEST_LEN) {
		log_errx("SHA-256 failed");
		rc = -1;
	} else
		for (i = 0; i < DIGEST_LEN; i++)
			out[i] = md[i];
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
