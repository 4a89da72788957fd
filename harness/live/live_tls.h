/* The live server's TLS: one OpenSSL server context per certificate kind,
 * and a server connection over memory BIOs (the caller moves the bytes
 * between the socket and the BIOs, so it records every flight).
 *
 * Certificates come from certs.h, made in memory at start-up around the
 * real current time (real clients verify with the real clock), or, for
 * every kind, from PEM files the user gives (--cert/--key). The test CA is
 * written to a PEM file for the clients' {cafile}.
 */
#ifndef SF_LIVE_TLS_H
#define SF_LIVE_TLS_H

#include "certs.h"
#include "scenario.h"

#include <stddef.h>
#include <stdint.h>

struct ssl_ctx_st;
struct ssl_st;
struct bio_st;

struct live_tls {
  struct certs certs;
  int have_certs;
  struct ssl_ctx_st *ctx[SC_CERT_COUNT];
};

/* cert_file/key_file NULL: generated certificates naming `host` (NULL:
 * TLS_PEER_HOST; the wrong-host one names TLS_PEER_WRONG_HOST). Returns 0,
 * or -1 with a message in err. */
int live_tls_init(struct live_tls *t, const char *host, const char *cert_file, const char *key_file,
                  char *err, size_t errcap);
void live_tls_free(struct live_tls *t);
/* Writes the test CA as PEM to `path`; 0 or -1 (also when the
 * certificates came from files: there is no CA of ours then, and no file
 * is made). */
int live_tls_write_ca(const struct live_tls *t, const char *path);

enum live_hs { LIVE_HS_WANT, LIVE_HS_DONE, LIVE_HS_FAILED };

struct live_tls_conn {
  struct ssl_st *ssl;
  struct bio_st *rbio, *wbio; /* owned by ssl */
  char error[160];
};

int live_tls_accept(struct live_tls_conn *c, const struct live_tls *t, enum sc_cert cert);
void live_tls_conn_free(struct live_tls_conn *c);
/* Client network bytes in, then the handshake advanced. */
enum live_hs live_tls_feed(struct live_tls_conn *c, const uint8_t *p, size_t n);
/* Network bytes for the client. */
size_t live_tls_take(struct live_tls_conn *c, uint8_t *out, size_t cap);
/* Decrypted bytes; *close_notify set when the client closed TLS; -1 on a
 * TLS error (c->error says why). */
long live_tls_read(struct live_tls_conn *c, uint8_t *out, size_t cap, int *close_notify);
int live_tls_write(struct live_tls_conn *c, const uint8_t *p, size_t n);
/* Queues our close_notify. */
void live_tls_shutdown(struct live_tls_conn *c);
const char *live_tls_version(const struct live_tls_conn *c);

#endif
