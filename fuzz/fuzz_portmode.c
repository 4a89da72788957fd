/* fuzz_portmode: the port x mode x tls policy x server personality matrix.
 *
 * The input is a scenario in binary form; its port is folded onto the four
 * SMTP ports (25, 465, 587, 2525). Every pairing has an expected outcome,
 * derived here independently of the engine from the port table and the
 * personalities' default answers (ARCHITECTURE.md, "Ports and modes"):
 *
 *   - a STARTTLS or plain client facing an implicit-TLS or silent server
 *     ends exactly at its greeting deadline, and on port 465 says why;
 *   - an implicit-TLS client facing a plaintext server fails at once with
 *     the plaintext diagnosis;
 *   - required TLS never continues without it; AUTH never goes in the clear.
 *
 * With no rules (the personality untouched) the outcome, the error and the
 * virtual end time must match exactly. With rules (mutated responses) the
 * run must earn no verdict and end within its virtual time bound.
 */
#include "client_under_test.h"
#include "judge_cmp.h"
#include "oracle.h"
#include "scenario_binary.h"
#include "sim.h"
#include "target.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int flaw = -1;
static unsigned findings = ~0u;

int sf_fuzz_init(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  flaw = sf_fuzz_flaw_from_env("fuzz_portmode");
  findings = sf_fuzz_verdicts_from_env("fuzz_portmode");
  return 0;
}

struct expected {
  enum sc_client_status status;
  enum sf_err error; /* SF_ERR_OK with FAILED: any TLS_CERT_* or CONFIG_* error */
  int any_cert_error;
  int any_config_error;
  uint64_t end_ms;
  const char *diagnosis; /* must appear in the client's diagnosis, or NULL */
};

static struct expected done(void)
{
  return (struct expected){SC_CLIENT_DONE, SF_ERR_OK, 0, 0, 0, NULL};
}

static struct expected failed(enum sf_err err, uint64_t end_ms, const char *diagnosis)
{
  return (struct expected){SC_CLIENT_FAILED, err, 0, 0, end_ms, diagnosis};
}

/* Same name as a verifier compares them: addresses as addresses (RFC 6125 6). */
static int same_name(const char *a, const char *b)
{
  unsigned char x[16], y[16];
  int fa = inet_pton(AF_INET, a, x) == 1 ? 4 : inet_pton(AF_INET6, a, x) == 1 ? 16 : 0;
  int fb = inet_pton(AF_INET, b, y) == 1 ? 4 : inet_pton(AF_INET6, b, y) == 1 ? 16 : 0;
  if (fa != fb)
    return 0;
  return fa ? jc_same(x, y, (size_t)fa) : jc_istreq(a, b);
}

/* A DNS name as RFC 1035 2.3.4 and RFC 1123 2.1 (with '_') allow it, or an
 * address; judged here, apart from the engine's src/host.c. */
static int host_syntax_ok(const char *h)
{
  unsigned char a[16];
  if (inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1)
    return 1;
  size_t len = strlen(h), label = 0;
  for (size_t i = 0; i <= len; i++) {
    if (h[i] == '.' || h[i] == '\0') {
      if (label == 0 || label > 63)
        return 0;
      label = 0;
    } else if (isalnum((unsigned char)h[i]) || h[i] == '-' || h[i] == '_') {
      label++;
    } else {
      return 0;
    }
  }
  return len <= 253;
}

/* The configuration rules, judged here apart from the engine: AUTH without
 * credentials, a sender without a recipient (RFC 5321 3.3), verification
 * without a name (RFC 6125 6), a host that is no name or address, values
 * longer than one command carries (RFC 5321 4.5.3.1, RFC 4954 4). */
static int config_refused(const struct sf_config *c, unsigned profile)
{
  if (c->auth != SF_AUTH_NONE &&
      (!c->user || !c->password || strlen(c->user) + strlen(c->password) > 510))
    return 1;
  if (c->mail_from && (c->nrcpt == 0 || strlen(c->mail_from) > 254))
    return 1;
  for (size_t i = 0; i < c->nrcpt; i++)
    if (strlen(c->rcpt[i]) > 254)
      return 1;
  if (profile != SF_PROF_PLAIN && c->verify && (!c->host || !c->host[0]))
    return 1;
  if (c->host && c->host[0] && !host_syntax_ok(c->host))
    return 1;
  return c->helo_name && strlen(c->helo_name) > 255;
}

static int cert_rejected(const struct scenario *sc)
{
  const char *host = sc->cert_host[0] ? sc->cert_host : sc->cfg.host;
  return sc->cfg.verify && (sc->cert != SC_CERT_VALID || !same_name(host, sc->cfg.host));
}

/* Where the TLS handshake begins. A server that speaks only TLS 1.0/1.1
 * fails it before any certificate (RFC 8996: the client offers nothing
 * older than 1.2); then the certificate is judged; then a server that
 * demands a client certificate ends it with an alert. After a successful
 * upgrade the post-TLS EHLO decides about AUTH. */
static struct expected after_tls(const struct scenario *sc, int offers_auth)
{
  if (sc->tls_server == SC_TLSS_OLD)
    return failed(SF_ERR_TLS_PROTOCOL_VERSION, 0, NULL);
  if (cert_rejected(sc))
    return (struct expected){SC_CLIENT_FAILED, SF_ERR_OK, 1, 0, 0, NULL};
  if (sc->tls_server == SC_TLSS_CLIENT_CERT)
    return failed(SF_ERR_TLS_ALERT, 0, NULL);
  if (sc->cfg.auth != SF_AUTH_NONE && !offers_auth)
    return failed(SF_ERR_AUTH_UNSUPPORTED, 0, NULL);
  return done();
}

/* In plaintext, after a hello with or without an AUTH offer. */
static struct expected plaintext(const struct scenario *sc, int offers_auth)
{
  if (sc->cfg.auth == SF_AUTH_NONE)
    return done();
  if (!sc->cfg.allow_plaintext_auth)
    return failed(SF_ERR_PLAINTEXT_AUTH_REFUSED, 0, NULL);
  return offers_auth ? done() : failed(SF_ERR_AUTH_UNSUPPORTED, 0, NULL);
}

static struct expected expect_for(const struct scenario *sc)
{
  const struct sf_config *c = &sc->cfg;
  unsigned profile = sf_config_profile(c);
  uint64_t greeting = c->timeout_ms[SF_PHASE_GREETING];
  const char *silent_diag = c->port == 465 ? "port 465 expects implicit TLS" : "implicit TLS";
  if (profile == 0)
    return failed(SF_ERR_CONFIG_INCONSISTENT, 0, NULL);
  /* What the configuration itself lacks or cannot carry ends the run
   * before a byte, with one of the CONFIG_* errors (which one first is
   * test_config's to check). */
  if (config_refused(c, profile))
    return (struct expected){SC_CLIENT_FAILED, SF_ERR_OK, 0, 1, 0, NULL};
  switch (sc->personality) {
  case SC_PERS_SILENT:
    if (profile == SF_PROF_IMPLICIT)
      return failed(SF_ERR_SESSION_TIMEOUT, c->timeout_ms[SF_PHASE_TLS], NULL);
    return failed(SF_ERR_SESSION_TIMEOUT, greeting, silent_diag);
  case SC_PERS_IMPLICIT:
    if (profile != SF_PROF_IMPLICIT)
      return failed(SF_ERR_SESSION_TIMEOUT, greeting, silent_diag);
    return after_tls(sc, 1);
  case SC_PERS_SUBMISSION:
  case SC_PERS_RELAY:
    if (profile == SF_PROF_IMPLICIT)
      return failed(SF_ERR_TLS_PEER_PLAINTEXT, 0, "the peer speaks plaintext SMTP");
    if (profile == SF_PROF_PLAIN)
      return plaintext(sc, 0); /* neither offers AUTH before TLS */
    return after_tls(sc, sc->personality == SC_PERS_SUBMISSION);
  case SC_PERS_LEGACY:
    if (profile == SF_PROF_IMPLICIT)
      return failed(SF_ERR_TLS_PEER_PLAINTEXT, 0, "the peer speaks plaintext SMTP");
    if (!c->allow_helo)
      return failed(SF_ERR_SESSION_EHLO_REJECTED, 0, NULL);
    if (profile == SF_PROF_REQ)
      return failed(SF_ERR_STARTTLS_MISSING, 0, NULL);
    return plaintext(sc, 0);
  case SC_PERS_COUNT:
    break;
  }
  return failed(SF_ERR_OK, 0, NULL);
}

int sf_fuzz_one(const uint8_t *data, size_t size)
{
  static struct scenario sc;
  static struct wire w;
  static struct sim_result res;
  static struct oracle_report rep;

  scenario_decode(&sc, data, size);
  scenario_as_portmode(&sc);
  sim_run(&sc, sf_fuzz_client(flaw, &sc), &w, &res);

  unsigned verdicts = oracle_judge(&sc, &w, &res, &rep) & ~ORACLE_BIT(SC_V_OUTCOME) & findings;
  for (int v = 0; v < SC_V_COUNT; v++)
    if (verdicts & ORACLE_BIT(v))
      SF_FUZZ_FAIL("fuzz_portmode: port %u %s/%s vs %s: verdict %s: %s", sc.cfg.port,
                   sf_mode_name(sc.cfg.mode), sf_tls_policy_name(sc.cfg.tls),
                   sc_personality_name(sc.personality), sc_verdict_name((enum sc_verdict)v),
                   rep.reason[v]);
  SF_FUZZ_CHECK(res.end_ms <= res.time_bound_ms, "fuzz_portmode: ran %llu ms past a %llu ms bound",
                (unsigned long long)res.end_ms, (unsigned long long)res.time_bound_ms);
  /* The exact outcomes are our engine's; a flawed client is judged by the
   * oracles alone. */
  if (sc.nrules > 0 || flaw >= 0)
    return 0;

  struct expected want = expect_for(&sc);
  int error_ok = want.any_cert_error ? res.error >= SF_ERR_TLS_CERT_SELF_SIGNED &&
                                           res.error <= SF_ERR_TLS_CERT_OTHER
                 : want.any_config_error
                     ? res.error >= SF_ERR_CONFIG_SYNTAX && res.error <= SF_ERR_CONFIG_NO_HOST
                     : res.error == want.error;
  SF_FUZZ_CHECK(res.status == want.status && error_ok && res.end_ms == want.end_ms &&
                    (!want.diagnosis || jc_find(res.diagnosis, strlen(res.diagnosis),
                                                want.diagnosis, strlen(want.diagnosis))),
                "fuzz_portmode: port %u %s/%s vs %s: ended %s %s at %llu ms (%s); expected %s %s "
                "at %llu ms%s%s",
                sc.cfg.port, sf_mode_name(sc.cfg.mode), sf_tls_policy_name(sc.cfg.tls),
                sc_personality_name(sc.personality), sc_client_status_name(res.status),
                sf_err_name(res.error), (unsigned long long)res.end_ms, res.diagnosis,
                sc_client_status_name(want.status),
                want.any_cert_error     ? "TLS_CERT_*"
                : want.any_config_error ? "CONFIG_*"
                                        : sf_err_name(want.error),
                (unsigned long long)want.end_ms, want.diagnosis ? " saying " : "",
                want.diagnosis ? want.diagnosis : "");
  return 0;
}
