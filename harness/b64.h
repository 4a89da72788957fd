/* Base64 decoding (RFC 4648 4) for the harness's own readers: the scripted
 * server checks the credentials a client sends, and the oracles look for
 * secrets in whatever crossed in plaintext. Kept apart from the engine's
 * encoder (src/base64.c) on purpose: a bug there must not blind the judge. */
#ifndef SC_B64_H
#define SC_B64_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the base64 text p[0..n): returns the number of bytes written to
 * out (at most cap), or -1 if p is not base64 (a character outside the
 * alphabet, padding anywhere but at the end, a length that is not a
 * multiple of four, or more than cap bytes of output). "" decodes to 0
 * bytes. */
long sc_b64_decode(const uint8_t *p, size_t n, uint8_t *out, size_t cap);

#endif
