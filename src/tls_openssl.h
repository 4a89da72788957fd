/* The TLS layer of the engine implemented with OpenSSL 3 over memory BIOs:
 * the drop-in for tls_passthrough.h when real cryptography is wanted. This
 * header names OpenSSL types only as incomplete structs, so including it does
 * not pull OpenSSL into the includer; tls_openssl.c is the one file in src/
 * that includes OpenSSL.
 *
 * No global state: the caller owns the SSL_CTX (sf_tls_openssl_ctx_new()) and
 * each connection (struct sf_tls_openssl), and passes the time at which
 * certificates are judged, so a test on a fixed clock verifies the same way
 * every day.
 *
 *   SSL_CTX *ctx = sf_tls_openssl_ctx_new(NULL, cfg.cafile, NULL);
 *   struct sf_tls_openssl t;
 *   sf_tls_openssl_init(&t, ctx, verify_time);
 *   sf_session_init(&s, &cfg, &t.base);
 *   ...
 *   sf_tls_openssl_cleanup(&t);
 *   sf_tls_openssl_ctx_free(ctx);
 *
 * Verification (on unless start() is told otherwise): the chain against the
 * context's trust store, then the host: a DNS name against the dNSName
 * entries (RFC 6125, no partial wildcards), an address literal (as
 * sf_host_kind() decides) against the iPAddress entries, as an address. A
 * DNS name is sent as SNI, an address never is (RFC 6066 3). With
 * verification on, start() needs a host: given NULL or "" it fails at once
 * with CONFIG_NO_HOST and sends nothing. Failures map onto the named
 * errors: self-signed, unknown issuer, wrong host, expired, not yet valid,
 * other certificate problems, an alert from the peer (named), no common
 * protocol version, a peer that speaks no TLS (a record header no TLS peer
 * sends, judged byte by byte as it arrives, so an SSH or HTTP server, or
 * plaintext SMTP, fails at once; the reason shows its first bytes; that
 * they are SMTP is the session's to say), anything else a handshake
 * failure; the reason says which check failed.
 *
 * A resumed session is held to the same standard, although OpenSSL checks
 * nothing when it resumes one: with verification on, the verify result the
 * session recorded must be OK (a session made with verification off may
 * carry a failure) and its certificate must name the expected host (a
 * session made for another host fails with TLS_CERT_WRONG_HOST). The reason
 * says it was a resumed session; the client's Finished is not sent.
 *
 * Network bytes are taken one TLS record at a time, and a record's plaintext
 * is held until read_app() has given it all, so the session never has more
 * decrypted bytes pending than one record (16 KiB).
 */
#ifndef SF_TLS_OPENSSL_H
#define SF_TLS_OPENSSL_H

#include "tls.h"

#include <stddef.h>
#include <stdint.h>

struct ssl_ctx_st;      /* SSL_CTX */
struct ssl_st;          /* SSL */
struct ssl_session_st;  /* SSL_SESSION */
struct ossl_lib_ctx_st; /* OSSL_LIB_CTX */

/* Largest plaintext of one TLS record (RFC 8446 5.1). */
#define SF_TLS_OPENSSL_RECORD_MAX 16384
/* Ciphertext queued for the network beyond which write_app() takes nothing. */
#define SF_TLS_OPENSSL_OUT_MAX (64 * 1024)
#define SF_TLS_OPENSSL_REASON  200

/* A client context: TLS 1.2 and 1.3, trusting `cafile` and/or `capath` (the
 * system's default locations when both are NULL). `libctx` is the OpenSSL
 * library context (NULL: the default one). NULL on failure. */
struct ssl_ctx_st *sf_tls_openssl_ctx_new(struct ossl_lib_ctx_st *libctx, const char *cafile,
                                          const char *capath);
/* The same, trusting exactly the certificates of the PEM text ca_pem[0..len)
 * (an in-memory trust store; nothing read from disk). NULL if it holds none. */
struct ssl_ctx_st *sf_tls_openssl_ctx_new_pem(struct ossl_lib_ctx_st *libctx, const char *ca_pem,
                                              size_t len);
void sf_tls_openssl_ctx_free(struct ssl_ctx_st *ctx);

struct sf_tls_openssl {
  struct sf_tls base;
  struct ssl_ctx_st *ctx;
  struct ssl_st *ssl;            /* from start() on */
  struct ssl_session_st *resume; /* offered at start(); not owned */
  int64_t verify_time;           /* seconds since the epoch; 0: OpenSSL's own clock */
  enum sf_tls_state st;
  enum sf_err err;
  char reason[SF_TLS_OPENSSL_REASON];
  int verify;
  /* The network record being taken: header bytes seen, body bytes left. */
  uint8_t rec_hdr[5];
  size_t rec_hdr_len;
  size_t rec_left;
  /* Plaintext of the last record, not yet read by the session. */
  uint8_t in[SF_TLS_OPENSSL_RECORD_MAX];
  size_t in_head, in_len;
};

/* Prepares a connection on `ctx` (which must outlive it); its OpenSSL
 * objects are made when TLS starts, so a session that never upgrades costs
 * none. Certificates are judged at `verify_time` (seconds since the epoch;
 * 0 leaves it to OpenSSL's clock, for live use). Never fails: an
 * allocation failure makes start() end in SF_TLS_FAILED with TLS_INTERNAL. */
void sf_tls_openssl_init(struct sf_tls_openssl *t, struct ssl_ctx_st *ctx, int64_t verify_time);
/* The connection's SSL, for a caller that sets options of its own on it
 * before start(): made now if it is not yet. NULL if OpenSSL could not
 * make it (start() then fails with TLS_INTERNAL), or if start() was called
 * and failed before making it. */
struct ssl_st *sf_tls_openssl_ssl(struct sf_tls_openssl *t);
/* Frees the connection's OpenSSL objects; `t` may be initialised again. */
void sf_tls_openssl_cleanup(struct sf_tls_openssl *t);

/* Offer `sess` for resumption at start() (NULL: none). Not owned; it must
 * outlive start(). If the server resumes it, it is checked as above. */
void sf_tls_openssl_set_session(struct sf_tls_openssl *t, struct ssl_session_st *sess);
/* The session to resume later (a new reference, SSL_SESSION_free it), or
 * NULL, always NULL unless the connection was established. */
struct ssl_session_st *sf_tls_openssl_get1_session(const struct sf_tls_openssl *t);
/* 1 if the handshake resumed a session. */
int sf_tls_openssl_session_reused(const struct sf_tls_openssl *t);
/* "TLSv1.2", "TLSv1.3", ... of the connection ("" before the handshake). */
const char *sf_tls_openssl_version(const struct sf_tls_openssl *t);

/* Empties this thread's OpenSSL error queue, as ERR_clear_error() does, but
 * only looks when it is empty already: OpenSSL 3.0's ERR_clear_error() frees
 * the saved file and function names of all 16 slots, holding an error or
 * not, and under ASan each free() records a stack trace (600 ns against
 * 15 ns for the look, here). A connection clears the queue before each
 * OpenSSL call whose outcome it reads. */
void sf_tls_openssl_clear_errors(void);

#endif
