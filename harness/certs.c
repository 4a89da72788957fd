#include "certs.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define DAY  (24 * 60 * 60)
#define YEAR (365 * DAY)

static EVP_PKEY *new_key(OSSL_LIB_CTX *libctx)
{
  return EVP_PKEY_Q_keygen(libctx, NULL, "EC", "P-256");
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
  if (!ext)
    return 0;
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok;
}

/* O and CN (`cn_len` bytes, -1: up to its NUL). */
static int set_name(X509 *cert, const char *cn, int cn_len, int issuer_too)
{
  X509_NAME *name = X509_get_subject_name(cert);
  if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"smtpfuzz test",
                                  -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, cn_len, -1,
                                  0))
    return 0;
  return !issuer_too || X509_set_issuer_name(cert, name);
}

/* A certificate for `subject_key`, to be signed by `issuer` (NULL: by
 * itself), not signed yet. A leaf's only subjectAltName is `san`, in the
 * X509V3 configuration syntax ("DNS:mx.example.com", "IP:192.0.2.10"), or
 * none when `san` is NULL. */
static X509 *build_cert(OSSL_LIB_CTX *libctx, long serial, const char *cn, int cn_len,
                        const char *san, int is_ca, EVP_PKEY *subject_key, X509 *issuer,
                        int64_t not_before, int64_t not_after)
{
  X509 *cert = X509_new_ex(libctx, NULL);
  if (!cert)
    return NULL;
  int ok = X509_set_version(cert, X509_VERSION_3) &&
           ASN1_INTEGER_set(X509_get_serialNumber(cert), serial) &&
           ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)not_before) &&
           ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)not_after) &&
           X509_set_pubkey(cert, subject_key) && set_name(cert, cn, cn_len, issuer == NULL) &&
           (issuer == NULL || X509_set_issuer_name(cert, X509_get_subject_name(issuer)));
  X509 *signer = issuer ? issuer : cert;
  if (ok && is_ca)
    ok = add_ext(cert, signer, NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         add_ext(cert, signer, NID_subject_key_identifier, "hash");
  if (ok && !is_ca)
    ok = add_ext(cert, signer, NID_basic_constraints, "CA:FALSE") &&
         (san == NULL || add_ext(cert, signer, NID_subject_alt_name, san)) &&
         add_ext(cert, signer, NID_ext_key_usage, "serverAuth");
  if (!ok) {
    X509_free(cert);
    return NULL;
  }
  return cert;
}

/* Signs `cert` (freed on failure). */
static X509 *signed_by(X509 *cert, EVP_PKEY *key)
{
  if (cert && X509_sign(cert, key, EVP_sha256()) <= 0) {
    X509_free(cert);
    return NULL;
  }
  return cert;
}

static X509 *make_cert(OSSL_LIB_CTX *libctx, long serial, const char *cn, const char *san,
                       int is_ca, EVP_PKEY *subject_key, X509 *issuer, EVP_PKEY *issuer_key,
                       int64_t not_before, int64_t not_after)
{
  X509 *cert =
      build_cert(libctx, serial, cn, -1, san, is_ca, subject_key, issuer, not_before, not_after);
  return signed_by(cert, issuer ? issuer_key : subject_key);
}

/* "DNS:<host>", or "IP:<host>" for an address literal (RFC 6125 1.7.2: an
 * IP-ID): a live profile whose client checks the address it connected to
 * (tls_name = 127.0.0.1) gets certificates that name it so. */
#define SAN_MAX (CERTS_NAME_MAX + 8)
static void host_san(char out[SAN_MAX], const char *host)
{
  unsigned char addr[16];
  int is_ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
  snprintf(out, SAN_MAX, "%s:%s", is_ip ? "IP" : "DNS", host);
}

int certs_make(struct certs *c, OSSL_LIB_CTX *libctx, const char *host, const char *wrong_host,
               int64_t now)
{
  memset(c, 0, sizeof(*c));
  c->ca_key = new_key(libctx);
  c->other_ca_key = new_key(libctx);
  c->leaf_key = new_key(libctx);
  if (!c->ca_key || !c->other_ca_key || !c->leaf_key)
    goto fail;
  int64_t from = now - 10 * (int64_t)YEAR, to = now + 20 * (int64_t)YEAR;
  c->ca = make_cert(libctx, 1, "smtpfuzz test CA", NULL, 1, c->ca_key, NULL, NULL, from, to);
  c->other_ca =
      make_cert(libctx, 2, "smtpfuzz unknown CA", NULL, 1, c->other_ca_key, NULL, NULL, from, to);
  if (!c->ca || !c->other_ca)
    goto fail;
  char san[SAN_MAX], wrong_san[SAN_MAX];
  host_san(san, host);
  snprintf(wrong_san, sizeof(wrong_san), "DNS:%s", wrong_host);
  int64_t nb = now - 30 * (int64_t)DAY, na = now + 10 * (int64_t)YEAR;
  c->leaf[SC_CERT_VALID] =
      make_cert(libctx, 10, host, san, 0, c->leaf_key, c->ca, c->ca_key, nb, na);
  c->leaf[SC_CERT_SELF_SIGNED] =
      make_cert(libctx, 11, host, san, 0, c->leaf_key, NULL, NULL, nb, na);
  c->leaf[SC_CERT_UNKNOWN_ISSUER] =
      make_cert(libctx, 12, host, san, 0, c->leaf_key, c->other_ca, c->other_ca_key, nb, na);
  c->leaf[SC_CERT_WRONG_HOST] =
      make_cert(libctx, 13, wrong_host, wrong_san, 0, c->leaf_key, c->ca, c->ca_key, nb, na);
  c->leaf[SC_CERT_EXPIRED] = make_cert(libctx, 14, host, san, 0, c->leaf_key, c->ca, c->ca_key,
                                       now - (int64_t)YEAR, now - (int64_t)DAY);
  c->leaf[SC_CERT_NOT_YET_VALID] =
      make_cert(libctx, 15, host, san, 0, c->leaf_key, c->ca, c->ca_key, now + (int64_t)YEAR,
                now + 2 * (int64_t)YEAR);
  for (int k = 0; k < SC_CERT_NAME_FIRST; k++)
    if (!c->leaf[k])
      goto fail;
  return 0;
fail:
  certs_free(c);
  ERR_clear_error();
  return -1;
}

int certs_make_ip(struct certs *c, OSSL_LIB_CTX *libctx, int64_t now)
{
  int64_t nb = now - 30 * (int64_t)DAY, na = now + 10 * (int64_t)YEAR;
  /* The common name is the address too: it names no DNS host, so a client
   * that falls back to the CN for a DNS name (RFC 6125 6.4.4: allowed when
   * there is no DNS-ID) still finds no match for one. */
  c->ipv4 =
      make_cert(libctx, 16, CERTS_IPV4, "IP:" CERTS_IPV4, 0, c->leaf_key, c->ca, c->ca_key, nb, na);
  c->ipv6 =
      make_cert(libctx, 17, CERTS_IPV6, "IP:" CERTS_IPV6, 0, c->leaf_key, c->ca, c->ca_key, nb, na);
  if (!c->ipv4 || !c->ipv6) {
    X509_free(c->ipv4);
    X509_free(c->ipv6);
    c->ipv4 = c->ipv6 = NULL;
    ERR_clear_error();
    return -1;
  }
  return 0;
}

/* 0 if the kinds [from, to) were all made; else -1, none of them kept. */
static int kinds_made(struct certs *c, int from, int to)
{
  int ok = 1;
  for (int k = from; k < to; k++)
    ok = ok && c->leaf[k] != NULL;
  if (ok)
    return 0;
  for (int k = from; k < to; k++) {
    X509_free(c->leaf[k]);
    c->leaf[k] = NULL;
  }
  ERR_clear_error();
  return -1;
}

/* A dNSName of `len` bytes, NUL included if there is one. */
static int add_raw_dns(X509 *cert, const char *name, size_t len)
{
  GENERAL_NAMES *names = GENERAL_NAMES_new();
  GENERAL_NAME *gn = GENERAL_NAME_new();
  ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
  int ok = names && gn && ia5 && len <= INT_MAX && ASN1_STRING_set(ia5, name, (int)len);
  if (ok) {
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    ia5 = NULL;
    ok = sk_GENERAL_NAME_push(names, gn) > 0;
  }
  if (ok)
    gn = NULL;
  ok = ok && X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
  ASN1_IA5STRING_free(ia5);
  GENERAL_NAME_free(gn);
  GENERAL_NAMES_free(names);
  return ok;
}

int certs_make_names(struct certs *c, OSSL_LIB_CTX *libctx, const char *host,
                     const char *wrong_host, int64_t now)
{
  int64_t nb = now - 30 * (int64_t)DAY, na = now + 10 * (int64_t)YEAR;
  char san[CERTS_NAME_MAX + 8], nul_name[2 * CERTS_NAME_MAX + 3], wild[CERTS_NAME_MAX + 8];
  /* The host in the subject's CN only; the one DNS-ID names another host. */
  snprintf(san, sizeof san, "DNS:%s", wrong_host);
  c->leaf[SC_CERT_NAME_IN_CN_ONLY] =
      make_cert(libctx, 18, host, san, 0, c->leaf_key, c->ca, c->ca_key, nb, na);
  /* "<host>\0.<wrong_host>" as the DNS-ID and the CN: read as a C string,
   * the host. */
  int n = snprintf(nul_name, sizeof nul_name, "%s%c.%s", host, 0, wrong_host);
  X509 *nul =
      n > 0 ? build_cert(libctx, 19, nul_name, n, NULL, 0, c->leaf_key, c->ca, nb, na) : NULL;
  if (nul && !add_raw_dns(nul, nul_name, (size_t)n)) {
    X509_free(nul);
    nul = NULL;
  }
  c->leaf[SC_CERT_NUL_IN_NAME] = signed_by(nul, c->ca_key);
  /* A wildcard over every label but the last: "*.com" for mx.example.com. */
  const char *last = strrchr(host, '.');
  snprintf(wild, sizeof wild, "DNS:*.%s", last ? last + 1 : host);
  c->leaf[SC_CERT_WILDCARD_TOO_WIDE] =
      make_cert(libctx, 20, wild + 4, wild, 0, c->leaf_key, c->ca, c->ca_key, nb, na);
  return kinds_made(c, SC_CERT_NAME_FIRST, SC_CERT_CHAIN_FIRST);
}

/* The extendedKeyUsage of a certificate not signed yet, replaced by `value`. */
static int replace_eku(X509 *cert, const char *value)
{
  int at = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);
  if (at < 0)
    return 0;
  X509_EXTENSION_free(X509_delete_ext(cert, at));
  return add_ext(cert, cert, NID_ext_key_usage, value);
}

int certs_make_chain(struct certs *c, OSSL_LIB_CTX *libctx, const char *host, int64_t now)
{
  int64_t nb = now - 30 * (int64_t)DAY, na = now + 10 * (int64_t)YEAR;
  char san[SAN_MAX];
  host_san(san, host);
  /* The trusted CA's name as issuer, the signature by a key nobody trusts:
   * only a check that verifies the signature tells it from `valid`. */
  c->leaf[SC_CERT_FORGED_SIGNATURE] = signed_by(
      build_cert(libctx, 21, host, -1, san, 0, c->leaf_key, c->ca, nb, na), c->other_ca_key);
  /* Issued by the wrong-host certificate, a good end-entity certificate
   * (CA:FALSE) of the trusted CA for another name: anyone who holds one
   * could issue it (RFC 5280 4.2.1.9, 6.1.4 (k)). */
  X509 *issuer = c->leaf[SC_CERT_WRONG_HOST];
  c->leaf[SC_CERT_ISSUER_NOT_CA] =
      issuer ? make_cert(libctx, 22, host, san, 0, c->leaf_key, issuer, c->leaf_key, nb, na) : NULL;
  /* For TLS clients only (RFC 5280 4.2.1.12): not a server's certificate. */
  X509 *client = build_cert(libctx, 23, host, -1, san, 0, c->leaf_key, c->ca, nb, na);
  if (client && !replace_eku(client, "clientAuth")) {
    X509_free(client);
    client = NULL;
  }
  c->leaf[SC_CERT_CLIENT_AUTH_ONLY] = signed_by(client, c->ca_key);
  return kinds_made(c, SC_CERT_CHAIN_FIRST, SC_CERT_COUNT);
}

X509 *certs_chain_of(const struct certs *c, enum sc_cert kind)
{
  return kind == SC_CERT_ISSUER_NOT_CA ? c->leaf[SC_CERT_WRONG_HOST] : NULL;
}

X509 *certs_make_leaf(const struct certs *c, OSSL_LIB_CTX *libctx, const char *san, int64_t now)
{
  char cn[CERTS_NAME_MAX + 1];
  const char *first = strncmp(san, "DNS:", 4) == 0 ? san + 4 : san;
  snprintf(cn, sizeof cn, "%.*s", (int)strcspn(first, ","), first);
  int64_t nb = now - 30 * (int64_t)DAY, na = now + 10 * (int64_t)YEAR;
  X509 *cert = make_cert(libctx, 30, cn, san, 0, c->leaf_key, c->ca, c->ca_key, nb, na);
  if (!cert)
    ERR_clear_error();
  return cert;
}

void certs_free(struct certs *c)
{
  for (int k = 0; k < SC_CERT_COUNT; k++)
    X509_free(c->leaf[k]);
  X509_free(c->ipv4);
  X509_free(c->ipv6);
  X509_free(c->ca);
  X509_free(c->other_ca);
  EVP_PKEY_free(c->ca_key);
  EVP_PKEY_free(c->other_ca_key);
  EVP_PKEY_free(c->leaf_key);
  memset(c, 0, sizeof(*c));
}

size_t certs_ca_pem(const struct certs *c, char *out, size_t cap)
{
  BIO *b = BIO_new(BIO_s_mem());
  if (!b || !PEM_write_bio_X509(b, c->ca)) {
    BIO_free(b);
    return 0;
  }
  char *p = NULL;
  long n = BIO_get_mem_data(b, &p);
  size_t len = 0;
  if (n > 0 && (size_t)n < cap) {
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    len = (size_t)n;
  }
  BIO_free(b);
  return len;
}
