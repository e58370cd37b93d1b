#ifndef F2O_DIGEST_H
#define F2O_DIGEST_H
/* SHA-256 (OpenSSL libcrypto EVP), as lower-case hex. */
#include <stddef.h>

#define DIGEST_HEX_LEN 64

/* Writes 64 hex digits and a NUL into out. Returns 0, or -1 (logged). */
int	digest_sha256_hex(char out[DIGEST_HEX_LEN + 1], const void *buf,
	    size_t len);

/*
 * SHA-256 of bytes given a piece at a time: digest_begin(), any number
 * of digest_update(), digest_end() (writes the hex, frees the state
 * whatever the result). digest_abort() frees an unfinished one; NULL-safe.
 * 0, or -1 (logged).
 */
struct digest {
	void	*md;		/* EVP_MD_CTX */
};
int	digest_begin(struct digest *);
int	digest_update(struct digest *, const void *buf, size_t len);
int	digest_end(struct digest *, char out[DIGEST_HEX_LEN + 1]);
void	digest_abort(struct digest *);

#endif
