/* Certificates whose name or chain is the fault, end to end with real
 * TLS: the CERT oracle catches a client that checks names or chains by
 * hand wrongly, and only on the certificate made for its flaw.
 *
 * The clients are our engine with the OpenSSL layer, on a client context
 * whose verify callback takes over the host name check
 * (X509_V_ERR_HOSTNAME_MISMATCH) with a matcher written by hand, as
 * clients that verify names themselves do, and lets every other failed
 * check stand but the one its flaw skips, as clients that check chains
 * themselves (or wave through errors they do not expect) do. The matcher
 * follows RFC 6125 6 and the chain RFC 5280 but for one flaw:
 *
 *   none          the reference: DNS-IDs compared with their length and
 *                 without case, '*' as the whole left-most label for one
 *                 label, the CN only when there is no DNS-ID; every check
 *                 of the chain OpenSSL makes
 *   cn-fallback   tries the CN too when no DNS-ID matches (6.4.4)
 *   c-string      reads names up to their first NUL, as C strings
 *   wildcard-any  lets '*' stand for any run of characters, dots too (6.4.3)
 *   no-signature  never verifies a signature with its issuer's key
 *                 (X509_V_ERR_CERT_SIGNATURE_FAILURE)
 *   no-ca-flag    never asks an issuer to be a CA: basicConstraints
 *                 (X509_V_ERR_INVALID_CA; RFC 5280 6.1.4 (k)), nor the
 *                 purpose of a server's CA (X509_V_ERR_INVALID_PURPOSE
 *                 above depth 0)
 *   no-purpose    never looks at the server certificate's
 *                 extendedKeyUsage (X509_V_ERR_INVALID_PURPOSE at depth 0;
 *                 RFC 5280 4.2.1.12)
 *
 * Each runs against the valid certificate, the three name kinds and the
 * three chain kinds (harness/certs.h), in TLS 1.2 and TLS 1.3 full
 * handshakes: CERT exactly where a flaw meets the certificate made for it,
 * nothing elsewhere, and the engine itself refuses the name kinds with
 * TLS_CERT_WRONG_HOST and the chain kinds with TLS_CERT_OTHER.
 */
#include "check.h"
#include "client_engine.h"
#include "oracle.h"
#include "scenario.h"
#include "sim.h"
#include "tls_peer.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum flaw {
  FLAW_NONE,
  FLAW_CN_FALLBACK,
  FLAW_C_STRING,
  FLAW_WILDCARD_ANY,
  FLAW_NO_SIGNATURE,
  FLAW_NO_CA_FLAG,
  FLAW_NO_PURPOSE,
  FLAW_COUNT
};
static const char *const flaw_names[FLAW_COUNT] = {
    "none", "cn-fallback", "c-string", "wildcard-any", "no-signature", "no-ca-flag", "no-purpose"};
/* The certificate made for each flaw, the one it lets through (valid for
 * the reference): the name kinds, then the chain kinds. Every client meets
 * all of them. */
static const enum sc_cert flaw_cert[FLAW_COUNT] = {SC_CERT_VALID,
                                                   SC_CERT_NAME_IN_CN_ONLY,
                                                   SC_CERT_NUL_IN_NAME,
                                                   SC_CERT_WILDCARD_TOO_WIDE,
                                                   SC_CERT_FORGED_SIGNATURE,
                                                   SC_CERT_ISSUER_NOT_CA,
                                                   SC_CERT_CLIENT_AUTH_ONLY};

static struct tls_peer *peer;
static struct scenario sc;
static struct wire wire;
static struct sim_result res;
static struct oracle_report rep;
static struct sc_engine_client engine;

/* ---- the hand matcher --------------------------------------------------- */

/* Does the presented name p[0, len) match host? */
static int name_matches(const unsigned char *p, size_t len, const char *host, enum flaw flaw)
{
  if (flaw == FLAW_C_STRING)
    len = strnlen((const char *)p, len); /* the flaw: the name ends at a NUL */
  else if (memchr(p, '\0', len))
    return 0;
  size_t hlen = strlen(host);
  if (len >= 2 && p[0] == '*' && p[1] == '.') {
    const unsigned char *rest = p + 1; /* ".example.com" */
    size_t rlen = len - 1;
    if (flaw == FLAW_WILDCARD_ANY) /* the flaw: any run before the rest */
      return hlen > rlen && strncasecmp(host + hlen - rlen, (const char *)rest, rlen) == 0;
    const char *dot = strchr(host, '.');
    return dot && dot > host && strlen(dot) == rlen &&
           strncasecmp(dot, (const char *)rest, rlen) == 0;
  }
  return len == hlen && strncasecmp((const char *)p, host, len) == 0;
}

static int hand_check(X509 *cert, const char *host, enum flaw flaw)
{
  GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
  int dns_ids = 0, match = 0;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && !match; i++) {
    const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type != GEN_DNS)
      continue;
    dns_ids++;
    const ASN1_STRING *s = gn->d.dNSName;
    match = name_matches(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), host, flaw);
  }
  GENERAL_NAMES_free(names);
  if (match || (dns_ids > 0 && flaw != FLAW_CN_FALLBACK))
    return match;
  X509_NAME *subject = X509_get_subject_name(cert);
  int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  const ASN1_STRING *cn =
      at >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)) : NULL;
  return cn && name_matches(ASN1_STRING_get0_data(cn), (size_t)ASN1_STRING_length(cn), host, flaw);
}

/* Does the flaw let this failed check of the chain pass? An issuer that
 * is not a CA fails twice in OpenSSL: basicConstraints, and the purpose of
 * an SSL server's CA; a check that never asks skips both. */
static int skipped(enum flaw flaw, int err, int depth)
{
  switch (flaw) {
  case FLAW_NO_SIGNATURE:
    return err == X509_V_ERR_CERT_SIGNATURE_FAILURE;
  case FLAW_NO_CA_FLAG:
    return err == X509_V_ERR_INVALID_CA || (err == X509_V_ERR_INVALID_PURPOSE && depth > 0);
  case FLAW_NO_PURPOSE:
    return err == X509_V_ERR_INVALID_PURPOSE && depth == 0;
  default:
    return 0;
  }
}

/* OpenSSL checks the chain, but for the check a chain flaw skips; the host
 * name is the client's own business. */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
  if (ok)
    return ok;
  SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
  const enum flaw *flaw = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
  int err = X509_STORE_CTX_get_error(x);
  if (!flaw)
    return 0;
  if (err == X509_V_ERR_HOSTNAME_MISMATCH) {
    const char *host = X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl), 0);
    X509 *leaf = X509_STORE_CTX_get_current_cert(x);
    if (!host || !leaf || !hand_check(leaf, host, *flaw))
      return 0;
  } else if (!skipped(*flaw, err, X509_STORE_CTX_get_error_depth(x))) {
    return 0;
  }
  X509_STORE_CTX_set_error(x, X509_V_OK);
  return 1;
}

/* ---- runs ---------------------------------------------------------------- */

static void configure(enum sc_cert cert)
{
  scenario_init(&sc);
  sc.cfg.mode = SF_MODE_STARTTLS;
  sc.cfg.tls = SF_TLS_REQUIRED;
  sc.cfg.port = 587;
  sc.cfg.auth = SF_AUTH_PLAIN;
  sc.cfg.user = "alice";
  sc.cfg.password = "s3cret";
  sc.personality = SC_PERS_SUBMISSION;
  sc.cert = cert;
  snprintf(sc.name, sizeof sc.name, "cert-%s", sc_cert_name(cert));
}

/* A full handshake of version v on `ctx` (NULL: the engine's own); returns
 * the verdicts, OUTCOME aside. */
static unsigned run(SSL_CTX *ctx, enum tls_peer_version v)
{
  tls_peer_reseed(peer, TLS_PEER_SEED);
  sc_engine_client_init_openssl(&engine, &sc.cfg, ctx ? ctx : tls_peer_client_ctx(peer),
                                TLS_PEER_TIME, NULL);
  SSL *ssl = v == TLS_PEER_TLS12 ? sf_tls_openssl_ssl(&engine.ossl) : NULL;
  if (ssl)
    SSL_set_max_proto_version(ssl, TLS1_2_VERSION);
  struct sim_options opt = {SIM_TLS_OPENSSL, peer, v};
  sim_run_with(&sc, &engine.base, &wire, &res, &opt);
  unsigned verdicts = oracle_judge(&sc, &wire, &res, &rep) & ~ORACLE_BIT(SC_V_OUTCOME);
  sc_engine_client_cleanup(&engine);
  return verdicts;
}

static void test_engine(void)
{
  for (size_t i = 0; i < FLAW_COUNT; i++)
    for (int v = TLS_PEER_TLS12; v <= TLS_PEER_TLS13; v++) {
      configure(flaw_cert[i]);
      unsigned verdicts = run(NULL, (enum tls_peer_version)v);
      CHECKF(verdicts == 0, "engine, %s (v%d): verdicts %#x", sc.name, v, verdicts);
      enum sf_err want =
          flaw_cert[i] >= SC_CERT_CHAIN_FIRST ? SF_ERR_TLS_CERT_OTHER : SF_ERR_TLS_CERT_WRONG_HOST;
      if (flaw_cert[i] == SC_CERT_VALID)
        CHECKF(res.status == SC_CLIENT_DONE, "engine, %s (v%d): %s", sc.name, v, res.diagnosis);
      else
        CHECKF(res.status == SC_CLIENT_FAILED && res.error == want, "engine, %s (v%d): %s %s",
               sc.name, v, sf_err_name(res.error), res.diagnosis);
    }
}

/* The name kinds pass for TLS_PEER_HOST only. A client that expects the
 * host name-in-cn-only's DNS-ID names would rightly take that certificate:
 * such a client gets the certificate for its own name instead, and nothing
 * is judged against it (fuzz_starttls found this the oracle's error). */
static void test_other_host(void)
{
  for (size_t i = 1; i < FLAW_COUNT && flaw_cert[i] < SC_CERT_CHAIN_FIRST; i++)
    for (int v = TLS_PEER_TLS12; v <= TLS_PEER_TLS13; v++) {
      configure(flaw_cert[i]);
      sc.cfg.host = TLS_PEER_WRONG_HOST;
      unsigned verdicts = run(NULL, (enum tls_peer_version)v);
      CHECKF(verdicts == 0 && res.status == SC_CLIENT_DONE, "engine for %s, %s (v%d): %#x %s",
             TLS_PEER_WRONG_HOST, sc.name, v, verdicts, res.diagnosis);
    }
}

static void test_hand_checks(void)
{
  enum flaw flaw;
  SSL_CTX *ctx = sf_tls_openssl_ctx_new_pem(tls_peer_libctx(peer), tls_peer_ca_pem(peer),
                                            strlen(tls_peer_ca_pem(peer)));
  CHECK(ctx != NULL);
  if (!ctx)
    return;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
  SSL_CTX_set_app_data(ctx, &flaw);
  for (flaw = FLAW_NONE; flaw < FLAW_COUNT; flaw++)
    for (size_t i = 0; i < FLAW_COUNT; i++)
      for (int v = TLS_PEER_TLS12; v <= TLS_PEER_TLS13; v++) {
        configure(flaw_cert[i]);
        unsigned verdicts = run(ctx, (enum tls_peer_version)v);
        int lets_through = flaw_cert[i] == SC_CERT_VALID || i == (size_t)flaw;
        unsigned want = flaw_cert[i] != SC_CERT_VALID && lets_through ? ORACLE_BIT(SC_V_CERT) : 0;
        CHECKF(verdicts == want, "flaw %s, %s (v%d): verdicts %#x, want %#x (%s)", flaw_names[flaw],
               sc.name, v, verdicts, want, res.diagnosis);
        CHECKF((res.status == SC_CLIENT_DONE) == lets_through, "flaw %s, %s (v%d): %s %s",
               flaw_names[flaw], sc.name, v, sf_err_name(res.error), res.diagnosis);
        if (want)
          CHECKF(strstr(rep.reason[SC_V_CERT], sc_cert_name(flaw_cert[i])) != NULL,
                 "flaw %s: the finding '%s' names no %s certificate", flaw_names[flaw],
                 rep.reason[SC_V_CERT], sc_cert_name(flaw_cert[i]));
      }
  sf_tls_openssl_ctx_free(ctx);
}

int main(void)
{
  peer = tls_peer_new();
  CHECK(peer != NULL);
  if (!peer)
    return check_report("test_cert_checks");
  test_engine();
  test_other_host();
  test_hand_checks();
  tls_peer_free(peer);
  return check_report("test_cert_checks");
}
