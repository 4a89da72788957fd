/* Test certificates, made in memory at start-up with the OpenSSL API: one
 * test CA and a server certificate for each sc_cert kind. Nothing is read
 * from or written to disk, so no committed key can expire and break CI; the
 * validity periods are set around a given time (the harness's fixed clock)
 * and verification uses that same time.
 *
 *   valid           issued by the CA for `host`
 *   self-signed     issued by itself for `host`
 *   unknown-issuer  issued by a second CA that nobody trusts, for `host`
 *   wrong-host      issued by the CA for `wrong_host`
 *   expired         issued by the CA for `host`, ended a day before `now`
 *   not-yet-valid   issued by the CA for `host`, begins a year after `now`
 *
 * Keys are ECDSA P-256 (fast to sign with, and no RSA blinding state that
 * would make the first handshake differ from later ones). Everything is
 * created in the given library context, so its random source decides the
 * keys and signatures.
 */
#ifndef SC_CERTS_H
#define SC_CERTS_H

#include "scenario.h"

#include <stdint.h>

struct ossl_lib_ctx_st;
struct evp_pkey_st;
struct x509_st;

struct certs {
  struct evp_pkey_st *ca_key, *other_ca_key, *leaf_key;
  struct x509_st *ca, *other_ca;
  struct x509_st *leaf[SC_CERT_COUNT];
};

/* Returns 0, or -1 (everything made so far freed). */
int certs_make(struct certs *c, struct ossl_lib_ctx_st *libctx, const char *host,
               const char *wrong_host, int64_t now);
void certs_free(struct certs *c);
/* The CA as PEM text into out (NUL-terminated); returns its length, 0 on error. */
size_t certs_ca_pem(const struct certs *c, char *out, size_t cap);

#endif
