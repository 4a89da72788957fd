/* Base64 (RFC 4648 4) for SASL responses (RFC 4954 4). */
#ifndef SF_BASE64_H
#define SF_BASE64_H

#include <stddef.h>

/* Bytes needed to encode `len` bytes, without a terminator. */
#define SF_BASE64_LEN(len) ((((len) + 2) / 3) * 4)

/* Encodes `len` bytes of `in` into `out` (cap bytes). Returns the encoded
 * length, or 0 if it does not fit (an empty input also gives 0). */
size_t sf_base64_encode(const unsigned char *in, size_t len, char *out, size_t cap);

#endif
