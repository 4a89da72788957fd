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
 * and, made by certs_make_names(), three issued by the CA and in date whose
 * names no verifier following RFC 6125 6 matches to `host`, though a check
 * written by hand may (for the host mx.example.com and the wrong host
 * wrong.example.net):
 *
 *   name-in-cn-only    DNS-ID wrong.example.net, CN mx.example.com: a CN counts
 *                      only where there is no DNS-ID (6.4.4)
 *   nul-in-name        DNS-ID and CN "mx.example.com\0.wrong.example.net": the
 *                      name read up to the NUL, as a C string, is the host
 *                      (the null-prefix attack, CVE-2009-2408 and kin)
 *   wildcard-too-wide  DNS-ID and CN "*.com": '*' stands for one label,
 *                      the left-most (6.4.3), never for several
 *
 * and, made by certs_make_chain(), three for `host` and in date whose chain
 * no verifier following RFC 5280 6.1 and the TLS server purpose accepts,
 * though a check written by hand may:
 *
 *   forged-signature   the CA named as issuer, signed by the unknown CA's
 *                      key: the issuer found by name, its signature never
 *                      verified
 *   issuer-not-ca      issued by the wrong-host certificate, which the CA
 *                      made an end entity (CA:FALSE); the server sends it
 *                      behind the leaf (certs_chain_of()): an issuer not
 *                      asked to be a CA (RFC 5280 6.1.4 (k); the
 *                      basicConstraints bug of CVE-2002-0862 and
 *                      CVE-2011-0228)
 *   client-auth-only   issued by the CA, extendedKeyUsage clientAuth only:
 *                      not for a server (RFC 5280 4.2.1.12)
 *
 * and, made by certs_make_ip(), two more issued by the CA and valid like
 * `valid`, whose only subjectAltName is an iPAddress (RFC 5280 4.2.1.6),
 * for clients that connect to an address literal (RFC 6125 6.2):
 *
 *   ipv4            IP:192.0.2.10   (RFC 5737 documentation range)
 *   ipv6            IP:2001:db8::10 (RFC 3849 documentation prefix)
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

#define CERTS_IPV4 "192.0.2.10"
#define CERTS_IPV6 "2001:db8::10"

struct certs {
  struct evp_pkey_st *ca_key, *other_ca_key, *leaf_key;
  struct x509_st *ca, *other_ca;
  struct x509_st *leaf[SC_CERT_COUNT];
  struct x509_st *ipv4, *ipv6; /* certs_make_ip(): for CERTS_IPV4 and CERTS_IPV6 */
};

/* Returns 0, or -1 (everything made so far freed). */
int certs_make(struct certs *c, struct ossl_lib_ctx_st *libctx, const char *host,
               const char *wrong_host, int64_t now);
/* Adds ipv4 and ipv6 to certificates certs_make() made (same CA, key and
 * validity). A separate step so a caller can make them after everything
 * else that draws on its random source: tls_peer makes them after its
 * sessions, which therefore stay byte for byte what they were without
 * them. Returns 0, or -1 (neither made). */
int certs_make_ip(struct certs *c, struct ossl_lib_ctx_st *libctx, int64_t now);
/* The longest name certs_make_names() takes. */
#define CERTS_NAME_MAX 253
/* Adds the name kinds (SC_CERT_NAME_FIRST on) to certificates certs_make()
 * made, after everything else, for the same reason as certs_make_ip().
 * Returns 0, or -1 (none made). */
int certs_make_names(struct certs *c, struct ossl_lib_ctx_st *libctx, const char *host,
                     const char *wrong_host, int64_t now);
/* Adds the chain kinds (SC_CERT_CHAIN_FIRST on) to certificates
 * certs_make() and certs_make_names() made, after everything else, for the
 * same reason. Returns 0, or -1 (none made). */
int certs_make_chain(struct certs *c, struct ossl_lib_ctx_st *libctx, const char *host,
                     int64_t now);
/* The certificate a server sends behind the one of `kind` (issuer-not-ca's
 * issuer), or NULL. */
struct x509_st *certs_chain_of(const struct certs *c, enum sc_cert kind);
/* One more certificate issued by the CA, with the leaf key and in date like
 * `valid`, for the names in `san` (an OpenSSL subjectAltName value such as
 * "DNS:*.example.com,DNS:mail.example.com"; its first name is the CN), for
 * tests of name checks the kinds above do not cover. Not kept in `c`: the
 * caller frees it (X509_free). NULL on failure. */
struct x509_st *certs_make_leaf(const struct certs *c, struct ossl_lib_ctx_st *libctx,
                                const char *san, int64_t now);
/* Frees everything certs_make(), certs_make_ip(), certs_make_names() and
 * certs_make_chain() made. */
void certs_free(struct certs *c);
/* The CA as PEM text into out (NUL-terminated); returns its length, 0 on error. */
size_t certs_ca_pem(const struct certs *c, char *out, size_t cap);

#endif
