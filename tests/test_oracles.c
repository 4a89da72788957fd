/* Each oracle catches the flawed client built to trip it, while our engine
 * and the flawless baseline client, against the very same scenario, get no
 * verdict at all. */
#include "check.h"
#include "client_engine.h"
#include "flawed_client.h"
#include "oracle.h"
#include "scenario.h"
#include "sim.h"
#include "wire.h"

#include <string.h>

/* ---- building scenarios through the scenario.h API ------------------------ */

static void rule(struct scenario *sc, enum sc_verb verb, enum sc_chan chan, uint8_t nth)
{
  struct sc_rule *r = &sc->rules[sc->nrules++];
  memset(r, 0, sizeof(*r));
  r->verb = verb;
  r->chan = chan;
  r->nth = nth;
  r->first_action = (uint16_t)sc->nactions;
}

static void act(struct scenario *sc, enum sc_act kind, const char *bytes)
{
  struct sc_action *a = &sc->actions[sc->nactions++];
  memset(a, 0, sizeof(*a));
  a->kind = kind;
  if (bytes) {
    size_t n = strlen(bytes);
    memcpy(sc->pool + sc->pool_len, bytes, n);
    a->off = (uint32_t)sc->pool_len;
    a->len = (uint32_t)n;
    sc->pool_len += n;
  }
  sc->rules[sc->nrules - 1].nactions++;
}

static void send_rule(struct scenario *sc, enum sc_verb verb, enum sc_chan chan, const char *bytes)
{
  rule(sc, verb, chan, 0);
  act(sc, SC_ACT_SEND, bytes);
}

/* Submission with AUTH PLAIN and an envelope: every leak has something to leak. */
static void base(struct scenario *sc, const char *name)
{
  scenario_init(sc);
  snprintf(sc->name, sizeof(sc->name), "%s", name);
  sc->cfg.auth = SF_AUTH_PLAIN;
}

/* ---- running ----------------------------------------------------------------- */

static struct wire wire;
static struct sim_result res;
static struct oracle_report rep;
static char text[65536];

static void show(const struct scenario *sc, const char *who)
{
  oracle_transcript(sc, &wire, &rep, text, sizeof(text));
  fprintf(stderr, "---- %s vs %s\n%s", who, sc->name, text);
}

static unsigned run(const struct scenario *sc, struct sc_client *c)
{
  sim_run(sc, c, &wire, &res);
  return oracle_judge(sc, &wire, &res, &rep);
}

static unsigned run_engine(const struct scenario *sc)
{
  struct sc_engine_client ec;
  sc_engine_client_init(&ec, &sc->cfg);
  sc_engine_client_offer_resume(&ec, sc->resume);
  return run(sc, &ec.base);
}

static unsigned run_flawed(const struct scenario *sc, enum sc_flaw flaw)
{
  struct sc_flawed_client fc;
  sc_flawed_client_init(&fc, &sc->cfg, flaw);
  sc_flawed_client_offer_resume(&fc, sc->resume);
  return run(sc, &fc.base);
}

/* The flaw is caught with `want` (and its reason is given); the engine and
 * the flawless client get nothing. */
static void expect_caught(const struct scenario *sc, enum sc_flaw flaw, enum sc_verdict want)
{
  unsigned got = run_flawed(sc, flaw);
  CHECKF(got & ORACLE_BIT(want), "%s vs %s: no %s (verdicts %#x)", sc_flaw_name(flaw), sc->name,
         sc_verdict_name(want), got);
  CHECKF(rep.reason[want][0] != '\0', "%s: empty reason for %s", sc->name, sc_verdict_name(want));
  if (!(got & ORACLE_BIT(want)))
    show(sc, sc_flaw_name(flaw));

  got = run_engine(sc);
  CHECKF(got == 0, "engine vs %s: verdicts %#x", sc->name, got);
  if (got)
    show(sc, "engine");

  got = run_flawed(sc, SC_FLAW_NONE);
  CHECKF(got == 0, "flawless client vs %s: verdicts %#x", sc->name, got);
  if (got)
    show(sc, "flawless client");
}

/* ---- one scenario per verdict -------------------------------------------------- */

/* STARTTLS answered 454 (RFC 8314 5.2: abort, never go on in plaintext). */
static void test_downgrade_on_454(void)
{
  struct scenario sc;
  base(&sc, "starttls-454");
  send_rule(&sc, SC_VERB_EHLO, SC_CHAN_PLAIN,
            "250-mx.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n");
  send_rule(&sc, SC_VERB_STARTTLS, SC_CHAN_PLAIN, "454 4.7.0 TLS not available\r\n");
  /* the man in the middle gladly takes the credentials */
  send_rule(&sc, SC_VERB_AUTH, SC_CHAN_PLAIN, "235 2.7.0 Authentication successful\r\n");
  expect_caught(&sc, SC_FLAW_FALLBACK_ON_454, SC_V_DOWNGRADE);
  unsigned got = run_flawed(&sc, SC_FLAW_FALLBACK_ON_454);
  CHECK(got & ORACLE_BIT(SC_V_LEAK_AUTH));
  CHECK(got & ORACLE_BIT(SC_V_LEAK_MAIL));
  /* 5xx too */
  base(&sc, "starttls-554");
  send_rule(&sc, SC_VERB_EHLO, SC_CHAN_PLAIN,
            "250-mx.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n");
  send_rule(&sc, SC_VERB_STARTTLS, SC_CHAN_PLAIN, "554 5.7.3 no\r\n");
  expect_caught(&sc, SC_FLAW_FALLBACK_ON_454, SC_V_DOWNGRADE);
}

/* STARTTLS stripped from the EHLO answer. */
static void test_downgrade_not_offered(void)
{
  struct scenario sc;
  base(&sc, "starttls-stripped");
  send_rule(&sc, SC_VERB_EHLO, SC_CHAN_PLAIN, "250-mx.example.com\r\n250 AUTH PLAIN LOGIN\r\n");
  send_rule(&sc, SC_VERB_AUTH, SC_CHAN_PLAIN, "235 2.7.0 Authentication successful\r\n");
  expect_caught(&sc, SC_FLAW_NO_STARTTLS_CHECK, SC_V_DOWNGRADE);
  unsigned got = run_flawed(&sc, SC_FLAW_NO_STARTTLS_CHECK);
  CHECK(got & ORACLE_BIT(SC_V_LEAK_MAIL));
  CHECK(got & ORACLE_BIT(SC_V_LEAK_AUTH));
}

/* The CVE-2021-22947 class: a fake post-TLS EHLO answer rides with the 220. */
static void test_injection(void)
{
  struct scenario sc;
  base(&sc, "starttls-injection");
  rule(&sc, SC_VERB_STARTTLS, SC_CHAN_PLAIN, 0);
  act(&sc, SC_ACT_SEND, "220 2.0.0 go ahead\r\n250-mx.example.com\r\n250 AUTH PLAIN\r\n");
  act(&sc, SC_ACT_TLS, NULL);
  expect_caught(&sc, SC_FLAW_KEEP_PIPELINED, SC_V_INJECTION);

  /* The mechanism only the injected bytes announced is caught as such. */
  base(&sc, "starttls-injection-mech");
  rule(&sc, SC_VERB_STARTTLS, SC_CHAN_PLAIN, 0);
  act(&sc, SC_ACT_SEND, "220 2.0.0 go ahead\r\n250-mx.example.com\r\n250 AUTH PLAIN\r\n");
  act(&sc, SC_ACT_TLS, NULL);
  send_rule(&sc, SC_VERB_EHLO, SC_CHAN_TLS, "250-mx.example.com\r\n250 AUTH LOGIN\r\n");
  run_flawed(&sc, SC_FLAW_KEEP_PIPELINED);
  CHECK(rep.verdicts & ORACLE_BIT(SC_V_INJECTION));
}

/* AUTH announced before TLS only (RFC 3207 4.2). */
static void test_stale_caps(void)
{
  struct scenario sc;
  base(&sc, "caps-changed-after-tls");
  send_rule(&sc, SC_VERB_EHLO, SC_CHAN_PLAIN,
            "250-mx.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n");
  send_rule(&sc, SC_VERB_EHLO, SC_CHAN_TLS, "250-mx.example.com\r\n250 8BITMIME\r\n");
  expect_caught(&sc, SC_FLAW_REUSE_PRETLS_CAPS, SC_V_STALE_CAPS);
  CHECK(!(run_flawed(&sc, SC_FLAW_REUSE_PRETLS_CAPS) & ORACLE_BIT(SC_V_INJECTION)));
}

/* STARTTLS spoken to port 465: the peer waits for a TLS hello. */
static void test_hang(void)
{
  struct scenario sc;
  base(&sc, "starttls-on-465-silent");
  sc.cfg.auth = SF_AUTH_NONE;
  sc.cfg.port = 465;
  sc.personality = SC_PERS_SILENT;
  expect_caught(&sc, SC_FLAW_NO_GREETING_TIMEOUT, SC_V_HANG);
  base(&sc, "starttls-on-465-implicit");
  sc.cfg.auth = SF_AUTH_NONE;
  sc.cfg.port = 465;
  sc.personality = SC_PERS_IMPLICIT;
  expect_caught(&sc, SC_FLAW_NO_GREETING_TIMEOUT, SC_V_HANG);
}

/* Waiting past the phase's own timeout is a hang too: a client that ignores
 * its timeout while the server stalls 10 minutes. */
static void test_hang_past_timeout(void)
{
  struct scenario sc;
  base(&sc, "greeting-stall-600s");
  sc.cfg.auth = SF_AUTH_NONE;
  sc.cfg.timeout_ms[SF_PHASE_GREETING] = 60000;
  rule(&sc, SC_VERB_CONNECT, SC_CHAN_ANY, 0);
  act(&sc, SC_ACT_STALL, NULL);
  sc.actions[sc.nactions - 1].ms = 600000;
  act(&sc, SC_ACT_SEND, "220 mx.example.com ESMTP late\r\n");
  expect_caught(&sc, SC_FLAW_NO_GREETING_TIMEOUT, SC_V_HANG);
  CHECK(res.status == SC_CLIENT_FAILED && res.end_ms == 60000); /* the flawless one timed out */
}

static void test_plaintext_auth(void)
{
  struct scenario sc;
  base(&sc, "submission-auth");
  expect_caught(&sc, SC_FLAW_PLAINTEXT_AUTH, SC_V_LEAK_AUTH);
  base(&sc, "submission-auth-login");
  sc.cfg.auth = SF_AUTH_LOGIN;
  expect_caught(&sc, SC_FLAW_PLAINTEXT_AUTH, SC_V_LEAK_AUTH);
}

static void test_cert(void)
{
  static const enum sc_cert bad[] = {SC_CERT_SELF_SIGNED, SC_CERT_UNKNOWN_ISSUER,
                                     SC_CERT_WRONG_HOST, SC_CERT_EXPIRED, SC_CERT_NOT_YET_VALID};
  struct scenario sc;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    base(&sc, "bad-cert");
    snprintf(sc.name, sizeof(sc.name), "cert-%s", sc_cert_name(bad[i]));
    sc.cert = bad[i];
    expect_caught(&sc, SC_FLAW_ACCEPT_BAD_CERT, SC_V_CERT);
  }
  base(&sc, "cert-other-host");
  snprintf(sc.cert_host, sizeof(sc.cert_host), "other.example.net");
  expect_caught(&sc, SC_FLAW_ACCEPT_BAD_CERT, SC_V_CERT);
  /* Verification off by configuration: not the client's fault. */
  base(&sc, "cert-verify-off");
  sc.cert = SC_CERT_SELF_SIGNED;
  sc.cfg.verify = 0;
  CHECK(run_flawed(&sc, SC_FLAW_ACCEPT_BAD_CERT) == 0);
  CHECK(run_engine(&sc) == 0);
}

static void test_outcome(void)
{
  struct scenario sc;
  base(&sc, "starttls-454-expect-refused");
  send_rule(&sc, SC_VERB_STARTTLS, SC_CHAN_PLAIN, "454 4.7.0 TLS not available\r\n");
  sc.expect_result = SC_RESULT_FAILED;
  sc.expect_error = SF_ERR_STARTTLS_REFUSED;
  sc.expect_error_set = 1;
  CHECKF(run_engine(&sc) == 0, "verdicts %#x", rep.verdicts);
  if (rep.verdicts)
    show(&sc, "engine");
  /* The wrong error stated: OUTCOME, with a reason. */
  sc.expect_error = SF_ERR_STARTTLS_MISSING;
  unsigned got = run_engine(&sc);
  CHECKF(got == ORACLE_BIT(SC_V_OUTCOME), "verdicts %#x", got);
  CHECK(rep.reason[SC_V_OUTCOME][0] != '\0');
  /* The wrong result stated. */
  sc.expect_error_set = 0;
  sc.expect_result = SC_RESULT_DONE;
  CHECK(run_engine(&sc) == ORACLE_BIT(SC_V_OUTCOME));
  /* A client that reports no errors is held to the result only. */
  sc.expect_result = SC_RESULT_FAILED;
  sc.expect_error_set = 1;
  CHECK(run_flawed(&sc, SC_FLAW_NONE) == 0);
}

/* ---- the baseline on ordinary scenarios ------------------------------------------ */

static void test_baseline(void)
{
  struct scenario sc;
  static const struct {
    const char *name;
    enum sc_personality pers;
    enum sf_mode mode;
    enum sf_tls_policy tls;
    enum sf_auth auth;
    uint16_t port;
  } cases[] = {
      {"submission-plain-auth", SC_PERS_SUBMISSION, SF_MODE_STARTTLS, SF_TLS_REQUIRED,
       SF_AUTH_PLAIN, 587},
      {"submission-login-auth", SC_PERS_SUBMISSION, SF_MODE_STARTTLS, SF_TLS_REQUIRED,
       SF_AUTH_LOGIN, 587},
      {"submission-no-auth", SC_PERS_SUBMISSION, SF_MODE_STARTTLS, SF_TLS_REQUIRED, SF_AUTH_NONE,
       587},
      {"implicit", SC_PERS_IMPLICIT, SF_MODE_IMPLICIT, SF_TLS_REQUIRED, SF_AUTH_PLAIN, 465},
      {"relay-opportunistic", SC_PERS_RELAY, SF_MODE_STARTTLS, SF_TLS_OPPORTUNISTIC, SF_AUTH_NONE,
       25},
      {"legacy-opportunistic", SC_PERS_LEGACY, SF_MODE_STARTTLS, SF_TLS_OPPORTUNISTIC, SF_AUTH_NONE,
       25},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    scenario_init(&sc);
    snprintf(sc.name, sizeof(sc.name), "%s", cases[i].name);
    sc.personality = cases[i].pers;
    sc.cfg.mode = cases[i].mode;
    sc.cfg.tls = cases[i].tls;
    sc.cfg.auth = cases[i].auth;
    sc.cfg.port = cases[i].port;
    unsigned got = run_flawed(&sc, SC_FLAW_NONE);
    CHECKF(got == 0, "flawless client vs %s: verdicts %#x", sc.name, got);
    int legacy = cases[i].pers == SC_PERS_LEGACY; /* EHLO 502: the simple client gives up */
    CHECKF(legacy || res.status == SC_CLIENT_DONE, "flawless client vs %s: %s", sc.name,
           res.diagnosis);
    if (got || (!legacy && res.status != SC_CLIENT_DONE))
      show(&sc, "flawless client");
    got = run_engine(&sc);
    CHECKF(got == 0, "engine vs %s: verdicts %#x", sc.name, got);
    if (got)
      show(&sc, "engine");
  }
  /* Each flaw stays silent where nothing provokes it. */
  for (int f = SC_FLAW_FALLBACK_ON_454; f < SC_FLAW_COUNT; f++) {
    if (f == SC_FLAW_REUSE_PRETLS_CAPS)
      continue; /* its flaw fires on every STARTTLS session */
    scenario_init(&sc);
    snprintf(sc.name, sizeof(sc.name), "ordinary-delivery");
    unsigned got = run_flawed(&sc, (enum sc_flaw)f);
    CHECKF(got == 0, "%s vs ordinary delivery: verdicts %#x", sc_flaw_name((enum sc_flaw)f), got);
    if (got)
      show(&sc, sc_flaw_name((enum sc_flaw)f));
  }
}

int main(void)
{
  test_downgrade_on_454();
  test_downgrade_not_offered();
  test_injection();
  test_stale_caps();
  test_hang();
  test_hang_past_timeout();
  test_plaintext_auth();
  test_cert();
  test_outcome();
  test_baseline();
  return check_report("test_oracles");
}
