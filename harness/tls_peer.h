/* The simulated server's real TLS: an OpenSSL server side over memory BIOs,
 * deterministic and fast.
 *
 * Deterministic: everything (keys, certificates, both ends' handshakes)
 * lives in its own OSSL_LIB_CTX whose random source is a provider of ours
 * (a seeded generator installed with OSSL_PROVIDER_add_builtin and
 * RAND_set_DRBG_type), reset by tls_peer_reseed(); certificates are judged at
 * the fixed time TLS_PEER_TIME. The same seed and the same client bytes give
 * the same server bytes, in this process and in any other.
 *
 * Fast: keys and certificates are made once (certs.h). Each certificate kind
 * has its own server context whose session cache holds exactly one session
 * per version, TLS 1.2 and TLS 1.3, each made at start-up by a full
 * handshake, and never changes (an external cache: new sessions are not
 * kept), so a client offering one resumes with no certificate to parse or
 * verify and no signature (at TLS 1.3 still with a key exchange), and every
 * run sees the same cache. Encrypted tickets are off (their contents carry
 * the wall-clock time): a TLS 1.3 session goes by a ticket that holds only
 * its ID. Every TLS 1.3 connection gets one such ticket after its
 * handshake, as from a real server (post-handshake bytes a client must read
 * past), but only those of start-up are kept. A TLS 1.3 client puts the session's
 * age, read from the wall clock, in its hello, so those bytes (and what is
 * encrypted after them) can differ between two runs a second apart; what
 * either side reads in plaintext does not.
 *
 * Not thread-safe (one random stream per process); one peer per process.
 */
#ifndef SC_TLS_PEER_H
#define SC_TLS_PEER_H

#include "scenario.h"

#include <stddef.h>
#include <stdint.h>

struct ssl_ctx_st;
struct ssl_st;
struct ssl_session_st;
struct ossl_lib_ctx_st;
struct evp_pkey_st;
struct x509_st;

/* The fixed clock: 2026-01-01T00:00:00Z. */
#define TLS_PEER_TIME       INT64_C(1767225600)
#define TLS_PEER_HOST       "mx.example.com"
#define TLS_PEER_WRONG_HOST "wrong.example.net"
/* The addresses of the two iPAddress-only certificates (CERTS_IPV4 and
 * CERTS_IPV6 in certs.h). */
#define TLS_PEER_IPV4 "192.0.2.10"
#define TLS_PEER_IPV6 "2001:db8::10"
/* The seed every run starts from unless told otherwise. */
#define TLS_PEER_SEED UINT64_C(0x736d747066757a7a)

enum tls_peer_version {
  TLS_PEER_TLS12,         /* at most TLS 1.2: resumable */
  TLS_PEER_TLS13,         /* at most TLS 1.3: full handshakes */
  TLS_PEER_TLS13_RESUMED, /* at most TLS 1.3: resumable */
};

struct tls_peer;
struct tls_peer_conn;

/* Creates the peer (library context, random provider, certificates, server
 * contexts, the client context for our engine and the resumable sessions).
 * NULL on failure. */
struct tls_peer *tls_peer_new(void);
void tls_peer_free(struct tls_peer *p);

/* Restart the random stream from `seed`. Call before each run. */
void tls_peer_reseed(struct tls_peer *p, uint64_t seed);

/* The library context (for callers making their own objects in it). */
struct ossl_lib_ctx_st *tls_peer_libctx(struct tls_peer *p);
/* A client context (owned by the peer) trusting the test CA, for
 * sf_tls_openssl_init(). */
struct ssl_ctx_st *tls_peer_client_ctx(struct tls_peer *p);
/* The same, for a run against a server of version `v`: limited to TLS 1.2
 * when `v` is TLS_PEER_TLS12, as that server is. */
struct ssl_ctx_st *tls_peer_client_ctx_for(struct tls_peer *p, enum tls_peer_version v);
/* The client-side session the server for `cert` resumes at version `v`
 * (TLS 1.2, or TLS 1.3 for TLS_PEER_TLS13_RESUMED; NULL for TLS_PEER_TLS13),
 * owned by the peer; offer a copy, SSL_SESSION_dup(), as
 * sc_engine_client_init_openssl() does: OpenSSL marks the session a
 * connection used unresumable when that connection ends badly. It was made
 * without verification: resuming it skips verification, so a correct
 * client checks what the session holds as it would a new certificate. */
struct ssl_session_st *tls_peer_client_session(struct tls_peer *p, enum sc_cert cert,
                                               enum tls_peer_version v);
/* The CA certificate as PEM (for a client that loads a file). */
const char *tls_peer_ca_pem(struct tls_peer *p);

/* The certificate the peer presents for a scenario: its kind, except that a
 * valid certificate for another name (cert_host) is the CA-issued one for
 * TLS_PEER_WRONG_HOST. The peer's certificates name TLS_PEER_HOST; a
 * scenario expecting another host sees a wrong-host failure. The name
 * kinds (SC_CERT_NAME_FIRST up to SC_CERT_CHAIN_FIRST) pass for
 * TLS_PEER_HOST only: a scenario whose client expects another host, or
 * that names another, gets what `valid` would. (The live server's
 * choice; in-process runs also have the address certificates,
 * tls_peer_pick(), which makes the same exception.) */
enum sc_cert tls_peer_cert_for(const struct scenario *sc);

/* Every certificate the in-process peer can present: the sc_cert kinds (for
 * TLS_PEER_HOST; the wrong-host one for TLS_PEER_WRONG_HOST), then the valid
 * ones for the addresses TLS_PEER_IPV4 and TLS_PEER_IPV6. */
enum tls_peer_cert { TLS_PEER_CERT_IPV4 = SC_CERT_COUNT, TLS_PEER_CERT_IPV6, TLS_PEER_CERT_COUNT };

/* The certificate for a scenario: its kind; a valid one names the scenario's
 * cert_host (else its host) when the peer has one for that name or address,
 * and is the wrong-host one otherwise. */
int tls_peer_pick(const struct scenario *sc);
/* "<kind> <name>" of a certificate of tls_peer_pick(), for the wire. */
const char *tls_peer_cert_desc(int cert, char *buf, size_t cap);
/* certs_make_leaf() with the peer's CA: a certificate for the names in
 * `san`, in date at TLS_PEER_TIME, whose key is *key (the peer's, not to be
 * freed), for a server of the caller's own. The caller frees the
 * certificate (X509_free). NULL on failure. */
struct x509_st *tls_peer_make_cert(struct tls_peer *p, const char *san, struct evp_pkey_st **key);
/* A connection presenting certificate `cert` of tls_peer_pick(). */
struct tls_peer_conn *tls_peer_accept_cert(struct tls_peer *p, int cert, enum tls_peer_version v);
/* The session a client for `sc` may offer at version `v` (NULL: none): the
 * one the server for tls_peer_pick(sc) resumes, at TLS 1.2 or, for
 * TLS_PEER_TLS13_RESUMED, TLS 1.3 (none for TLS_PEER_TLS13, whose
 * handshakes are full; the address certificates have none). Resuming it
 * must not hide a verification failure: a correct client checks the
 * session's certificate as a new one. */
struct ssl_session_st *tls_peer_resumable(struct tls_peer *p, const struct scenario *sc,
                                          enum tls_peer_version v);

/* ---- one server connection ------------------------------------------------ */

enum tls_peer_hs {
  TLS_PEER_HS_WANT,   /* handshaking, needs more from the client */
  TLS_PEER_HS_DONE,   /* established */
  TLS_PEER_HS_FAILED, /* see tls_peer_conn_error() */
};

struct tls_peer_conn *tls_peer_accept(struct tls_peer *p, enum sc_cert cert,
                                      enum tls_peer_version v);
/* A connection presenting the CA-issued certificate whose only
 * subjectAltName is the address TLS_PEER_IPV6 (ipv6 set) or TLS_PEER_IPV4;
 * no session to resume. */
struct tls_peer_conn *tls_peer_accept_ip(struct tls_peer *p, int ipv6, enum tls_peer_version v);
void tls_peer_conn_free(struct tls_peer_conn *c);
/* Client network bytes in; then the handshake's state. */
enum tls_peer_hs tls_peer_conn_feed(struct tls_peer_conn *c, const uint8_t *data, size_t len);
/* Network bytes for the client. */
size_t tls_peer_conn_take(struct tls_peer_conn *c, uint8_t *out, size_t cap);
/* Decrypted client bytes; *close_notify set when the client closed TLS. */
size_t tls_peer_conn_read(struct tls_peer_conn *c, uint8_t *out, size_t cap, int *close_notify);
/* Application bytes to encrypt; 0 on success. */
int tls_peer_conn_write(struct tls_peer_conn *c, const uint8_t *data, size_t len);
/* A server connection's TLS made to behave as `mode` says (before the
 * client's first byte): old allows only TLS 1.0 and 1.1 (and the security
 * level they need), client-cert demands a client certificate. 0 on success.
 * Shared with the live server (any SSL object of a server). */
int tls_peer_ssl_server_mode(struct ssl_st *ssl, enum sc_tls_server mode);
void tls_peer_conn_server_mode(struct tls_peer_conn *c, enum sc_tls_server mode);

/* Queue close_notify (RFC 8446 6.1), as a server does before it closes. */
void tls_peer_conn_shutdown(struct tls_peer_conn *c);
const char *tls_peer_conn_error(const struct tls_peer_conn *c);
int tls_peer_conn_reused(const struct tls_peer_conn *c);
/* The SNI the client sent ("" if none). */
const char *tls_peer_conn_sni(const struct tls_peer_conn *c);
const char *tls_peer_conn_version(const struct tls_peer_conn *c);

#endif
