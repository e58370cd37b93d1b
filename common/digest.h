#ifndef F2O_DIGEST_H
#define F2O_DIGEST_H
/* SHA-256 (OpenSSL libcrypto EVP), raw or as lower-case hex. */
#include <stddef.h>

#define DIGEST_LEN	32
#define DIGEST_HEX_LEN	64

/* Writes 64 hex digits and a NUL into out. Returns 0, or -1 (logged). */
int	digest_sha256_hex(char out[DIGEST_HEX_LEN + 1], const void *buf,
	    size_t len);
/* The 32 bytes of the SHA-256 of buf. Returns 0, or -1 (logged). */
int	digest_sha256(unsigned char out[DIGEST_LEN], const void *buf,
	    size_t len);
/* md as 64 lower-case hex digits and a NUL. */
void	digest_hex(char out[DIGEST_HEX_LEN + 1],
	    const unsigned char md[DIGEST_LEN]);


/*
 * SHA-256 of bytes given a piece at a time: digest_begin(), any number
 * of digest_update(), digest_end() (writes the 32 bytes, frees the state
 * whatever the result). digest_abort() frees an unfinished one; NULL-safe.
 * 0, or -1 (logged).
 */
struct digest {
	void	*md;		/* EVP_MD_CTX */
};
int	digest_begin(struct digest *);
int	digest_update(struct digest *, const void *buf, size_t len);
int	digest_end(struct digest *, unsigned char out[DIGEST_LEN]);
void	digest_abort(struct digest *);

#endif
