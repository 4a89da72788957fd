/* The TLS layer the session talks to: network bytes in and out on one side,
 * application bytes in and out on the other. Implementations embed
 * `struct sf_tls` as their first member and are owned by the caller.
 *
 * Two implementations: tls_passthrough.c (no crypto, a marked boundary, for
 * tests and the fast fuzz target) and tls_openssl.c (OpenSSL over memory
 * BIOs). The session does not know which one it drives.
 */
#ifndef SF_TLS_H
#define SF_TLS_H

#include "errors.h"

#include <stddef.h>
#include <stdint.h>

enum sf_tls_state {
  SF_TLS_IDLE,        /* not started */
  SF_TLS_HANDSHAKING, /* started, not yet established */
  SF_TLS_ESTABLISHED, /* application data flows */
  SF_TLS_FAILED,      /* see error() */
  SF_TLS_CLOSED,      /* close_notify sent or received */
};

struct sf_tls;

struct sf_tls_vtable {
  /* Begin a client handshake. `host` is the SNI name and, with `verify`, the
   * name the certificate must carry. */
  void (*start)(struct sf_tls *tls, const char *host, int verify);
  /* Network bytes from the peer; returns how many were taken. */
  size_t (*feed_net)(struct sf_tls *tls, const uint8_t *data, size_t len);
  /* Network bytes to send; returns how many were written to `out`. */
  size_t (*take_net)(struct sf_tls *tls, uint8_t *out, size_t cap);
  /* How many network bytes take_net() would give now. */
  size_t (*pending_net)(const struct sf_tls *tls);
  /* Application bytes to encrypt; returns how many were taken. */
  size_t (*write_app)(struct sf_tls *tls, const uint8_t *data, size_t len);
  /* Decrypted application bytes; returns how many were written to `out`. */
  size_t (*read_app)(struct sf_tls *tls, uint8_t *out, size_t cap);
  /* Queue close_notify. */
  void (*close)(struct sf_tls *tls);
  enum sf_tls_state (*state)(const struct sf_tls *tls);
  /* The error after SF_TLS_FAILED, and a reason (static or owned by `tls`). */
  enum sf_err (*error)(const struct sf_tls *tls, const char **reason);
};

struct sf_tls {
  const struct sf_tls_vtable *vt;
};

#endif
