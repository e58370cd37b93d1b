#ifndef F2O_DIGEST_H
#define F2O_DIGEST_H
/* SHA-256 (OpenSSL libcrypto EVP), as lower-case hex. */
#include <stddef.h>

#define DIGEST_HEX_LEN 64

/* Writes 64 hex digits and a NUL into out. Returns 0, or -1 (logged). */
int	digest_sha256_hex(char out[DIGEST_HEX_LEN + 1], const void *buf,
	    size_t len);

#endif
