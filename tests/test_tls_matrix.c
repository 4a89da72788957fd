/* The port/mode mismatch matrix, end to end with real TLS: our engine with
 * the OpenSSL layer against the simulated server with an OpenSSL server side
 * (harness/tls_peer.c), on the virtual clock.
 *
 * 1. Every pairing of port (25, 465, 587, 2525), client profile (plain,
 *    opportunistic STARTTLS, required STARTTLS, implicit TLS) and server
 *    personality (submission, implicit, relay, legacy, silent) runs with a
 *    stated expected result and error; no oracle verdict is allowed, and
 *    the port never changes the outcome, only the diagnosis.
 * 2. The mismatch diagnoses: a STARTTLS client against an implicit-TLS peer
 *    ends at the greeting deadline (virtual time, no real wait) naming
 *    implicit TLS; an implicit-TLS client against a STARTTLS peer fails at
 *    the first record, at time 0, naming plaintext SMTP.
 * 3. Stripped STARTTLS and a 454 answer: an opportunistic client may go on
 *    in plaintext but never sends AUTH there; a required-TLS client aborts
 *    before any AUTH, MAIL or message byte.
 * 4. The whole scenario library (corpus/scenarios) again, with real TLS, in
 *    TLS 1.2 (resumed), TLS 1.3 full and TLS 1.3 resumed: the same expected
 *    outcome as with pass-through TLS (a resumed session's certificate is
 *    checked as a new one's).
 *
 * Runs with the repository root as working directory (ctest sets it).
 */
#include "check.h"
#include "client_engine.h"
#include "oracle.h"
#include "scenario.h"
#include "scenario_text.h"
#include "sim.h"
#include "tls_peer.h"
#include "wire.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tls_peer *peer;
static struct scenario sc;
static struct wire wire;
static struct sim_result res;
static struct oracle_report rep;
static struct sc_engine_client engine;

enum profile { PLAIN, OPP, REQ, IMPL, NPROFILES };
static const char *const profile_names[NPROFILES] = {"plain/none", "starttls/opportunistic",
                                                     "starttls/required", "implicit/required"};

/* Runs `sc` with real TLS; returns the verdicts (OUTCOME judged against the
 * scenario's own expectation). Resumes when the certificate would verify
 * anyway or the client does not verify (resuming skips verification). */
static unsigned run(enum tls_peer_version v)
{
  tls_peer_reseed(peer, TLS_PEER_SEED);
  sc_engine_client_init_openssl(&engine, &sc.cfg, tls_peer_client_ctx(peer), TLS_PEER_TIME,
                                tls_peer_resumable(peer, &sc, v));
  struct sim_options opt = {SIM_TLS_OPENSSL, peer, v};
  sim_run_with(&sc, &engine.base, &wire, &res, &opt);
  unsigned verdicts = oracle_judge(&sc, &wire, &res, &rep);
  sc_engine_client_cleanup(&engine);
  return verdicts;
}

static void print_verdicts(const char *what, unsigned verdicts)
{
  for (int i = 0; i < SC_V_COUNT; i++)
    if (verdicts & ORACLE_BIT(i))
      fprintf(stderr, "  %s: verdict %s: %s\n", what, sc_verdict_name((enum sc_verdict)i),
              rep.reason[i]);
}

static void configure(enum profile pr, uint16_t port, enum sc_personality pers, int auth)
{
  scenario_init(&sc);
  static const enum sf_mode modes[NPROFILES] = {SF_MODE_PLAIN, SF_MODE_STARTTLS, SF_MODE_STARTTLS,
                                                SF_MODE_IMPLICIT};
  static const enum sf_tls_policy pols[NPROFILES] = {SF_TLS_NONE, SF_TLS_OPPORTUNISTIC,
                                                     SF_TLS_REQUIRED, SF_TLS_REQUIRED};
  sc.cfg.mode = modes[pr];
  sc.cfg.tls = pols[pr];
  sc.cfg.port = port;
  sc.personality = pers;
  if (auth) {
    sc.cfg.auth = SF_AUTH_PLAIN;
    sc.cfg.user = "alice";
    sc.cfg.password = "s3cret";
  }
  snprintf(sc.name, sizeof(sc.name), "p%u-%s-vs-%s", port, profile_names[pr],
           sc_personality_name(pers));
}

/* ---- 1 and 2: the matrix --------------------------------------------------- */

struct expect {
  enum sc_result result;
  enum sf_err err;
};

/* The stated outcome of each (profile, personality); TLS profiles carry AUTH
 * PLAIN credentials, the plain profile none. */
static struct expect expected(enum profile pr, enum sc_personality pers)
{
  const struct expect done = {SC_RESULT_DONE, SF_ERR_OK};
  const struct expect timeout = {SC_RESULT_FAILED, SF_ERR_SESSION_TIMEOUT};
  const struct expect plaintext = {SC_RESULT_FAILED, SF_ERR_TLS_PEER_PLAINTEXT};
  const struct expect ehlo_rejected = {SC_RESULT_FAILED, SF_ERR_SESSION_EHLO_REJECTED};
  if (pers == SC_PERS_SILENT)
    return timeout; /* every client gives up at its first deadline */
  switch (pr) {
  case PLAIN:
    if (pers == SC_PERS_IMPLICIT)
      return timeout; /* the server waits for a ClientHello, the client for a greeting */
    return pers == SC_PERS_LEGACY ? ehlo_rejected : done;
  case OPP:
  case REQ:
    if (pers == SC_PERS_IMPLICIT)
      return timeout;
    if (pers == SC_PERS_LEGACY)
      return ehlo_rejected;
    /* The relay offers no AUTH after TLS. */
    return pers == SC_PERS_RELAY ? (struct expect){SC_RESULT_FAILED, SF_ERR_AUTH_UNSUPPORTED}
                                 : done;
  case IMPL:
    return pers == SC_PERS_IMPLICIT ? done : plaintext;
  case NPROFILES:
    break;
  }
  return done;
}

/* The server's TLS_UP event text ("valid mx.example.com (TLSv1.2, resumed)"). */
static const char *tls_up_text(void)
{
  static char out[160];
  out[0] = '\0';
  for (size_t i = 0; i < wire.nev; i++)
    if (wire.ev[i].kind == WIRE_TLS_UP) {
      size_t n = wire.ev[i].len < sizeof(out) - 1 ? wire.ev[i].len : sizeof(out) - 1;
      memcpy(out, wire.bytes + wire.ev[i].off, n);
      out[n] = '\0';
    }
  return out;
}

static int diag_has(const char *needle)
{
  return strstr(res.diagnosis, needle) != NULL;
}

static void test_matrix(void)
{
  static const uint16_t ports[] = {25, 465, 587, 2525};
  unsigned cases = 0;
  for (size_t pi = 0; pi < sizeof(ports) / sizeof(ports[0]); pi++)
    for (int pr = 0; pr < NPROFILES; pr++)
      for (int pe = 0; pe < SC_PERS_COUNT; pe++)
        for (int v = TLS_PEER_TLS12; v <= TLS_PEER_TLS13_RESUMED; v++) {
          configure((enum profile)pr, ports[pi], (enum sc_personality)pe, pr != PLAIN);
          struct expect want = expected((enum profile)pr, (enum sc_personality)pe);
          sc.expect_result = want.result;
          sc.expect_error = want.err;
          sc.expect_error_set = 1;
          unsigned verdicts = run((enum tls_peer_version)v);
          cases++;
          CHECKF(verdicts == 0, "%s (TLS v%d): %s %s: %s", sc.name, v,
                 sc_client_status_name(res.status), sf_err_name(res.error), res.diagnosis);
          if (verdicts)
            print_verdicts(sc.name, verdicts);
          /* Real TLS came up where it should, resumed where it may. */
          static const char *const up[] = {"(TLSv1.2, resumed)", "(TLSv1.3)", "(TLSv1.3, resumed)"};
          if ((pr == IMPL && pe == SC_PERS_IMPLICIT) ||
              ((pr == OPP || pr == REQ) && (pe == SC_PERS_SUBMISSION || pe == SC_PERS_RELAY)))
            CHECKF(strstr(tls_up_text(), up[v]), "%s (TLS v%d): TLS up as '%s'", sc.name, v,
                   tls_up_text());
          /* 2: the mismatch diagnoses, at the right virtual time. */
          int starttls_client = pr == OPP || pr == REQ;
          if (starttls_client && pe == SC_PERS_IMPLICIT) {
            CHECKF(res.end_ms == sc.cfg.timeout_ms[SF_PHASE_GREETING], "%s: ended at %llu ms",
                   sc.name, (unsigned long long)res.end_ms);
            CHECKF(diag_has("implicit TLS"), "%s: diagnosis '%s'", sc.name, res.diagnosis);
            CHECKF(ports[pi] != 465 || diag_has("port 465 expects implicit TLS"),
                   "%s: diagnosis '%s'", sc.name, res.diagnosis);
          }
          if (pr == IMPL && pe != SC_PERS_IMPLICIT && pe != SC_PERS_SILENT) {
            CHECKF(res.end_ms == 0, "%s: ended at %llu ms", sc.name,
                   (unsigned long long)res.end_ms);
            CHECKF(diag_has("the peer speaks plaintext SMTP"), "%s: diagnosis '%s'", sc.name,
                   res.diagnosis);
          }
        }
  CHECK(cases == 4 * NPROFILES * SC_PERS_COUNT * 3);
}

/* ---- 3: stripped STARTTLS and 454 ----------------------------------------- */

struct plain_use {
  int auth, mail; /* AUTH / MAIL-RCPT-DATA-message lines sent in plaintext */
  int tls_up;
};

static void scan_plain(void *ctx, const struct wire_item *it)
{
  struct plain_use *u = ctx;
  if (it->kind == WIRE_TLS_UP)
    u->tls_up = 1;
  if (it->kind != WIRE_C_DATA || it->tls)
    return;
  if (it->verb == SC_VERB_AUTH || it->verb == SC_VERB_AUTH_DATA)
    u->auth++;
  if (it->verb == SC_VERB_MAIL || it->verb == SC_VERB_RCPT || it->verb == SC_VERB_DATA ||
      it->verb == SC_VERB_BODY)
    u->mail++;
}

static void parse(const char *text)
{
  size_t line = 0;
  const char *reason = "";
  enum sf_err e = scenario_parse_text(&sc, text, strlen(text), &line, &reason);
  CHECKF(e == SF_ERR_OK, "line %zu: %s", line, reason);
}

static void test_downgrades(void)
{
  static const char *const refusals[] = {
      /* STARTTLS stripped from the EHLO answer (AUTH still offered). */
      "on ehlo plain: send \"250-mx.example.com\\r\\n250-AUTH PLAIN\\r\\n250 PIPELINING\\r\\n\"\n",
      /* STARTTLS offered, then refused. */
      "on starttls plain: send \"454 4.7.0 TLS not available due to temporary reason\\r\\n\"\n",
  };
  for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
    for (int pr = OPP; pr <= REQ; pr++)
      for (int auth = 0; auth <= 1; auth++) {
        char text[1024];
        snprintf(text, sizeof(text),
                 "name = downgrade-%zu\nserver = submission\nclient.mode = starttls\n"
                 "client.tls = %s\n%s%s",
                 i, pr == OPP ? "opportunistic" : "required", auth ? "client.auth = plain\n" : "",
                 refusals[i]);
        parse(text);
        if (pr == OPP) {
          /* May go on in plaintext: delivers without AUTH, refuses to AUTH. */
          sc.expect_result = auth ? SC_RESULT_FAILED : SC_RESULT_DONE;
          sc.expect_error = auth ? SF_ERR_PLAINTEXT_AUTH_REFUSED : SF_ERR_OK;
        } else {
          sc.expect_result = SC_RESULT_FAILED;
          sc.expect_error = i == 0 ? SF_ERR_STARTTLS_MISSING : SF_ERR_STARTTLS_REFUSED;
        }
        sc.expect_error_set = 1;
        unsigned verdicts = run(TLS_PEER_TLS12);
        CHECKF(verdicts == 0, "downgrade %zu %s auth %d: %s %s: %s", i, profile_names[pr], auth,
               sc_client_status_name(res.status), sf_err_name(res.error), res.diagnosis);
        if (verdicts)
          print_verdicts(sc.name, verdicts);
        struct plain_use use = {0, 0, 0};
        wire_each_item(&wire, scan_plain, &use);
        CHECK(!use.tls_up);
        CHECKF(use.auth == 0, "downgrade %zu: AUTH sent in plaintext", i);
        if (pr == REQ)
          CHECKF(use.mail == 0, "downgrade %zu: envelope or message sent in plaintext", i);
        else
          CHECK(auth || use.mail > 0); /* the opportunistic client did deliver */
      }
}

/* A reply repeated far past the engine's line limit inside TLS: the engine
 * gives up after the first record's worth, and the server's send stops
 * there (the rest of it and the step after it are never written), as over
 * pass-through TLS (test_sim). */
static void test_hang_up_mid_send(void)
{
  parse("name = long-line-over-tls\nserver = submission\nclient.mode = starttls\n"
        "client.tls = required\n"
        "on ehlo tls: send \"250-\"; send \"A\" * 100000; send \"\\r\\n\"\n");
  run(TLS_PEER_TLS13);
  CHECKF(res.error == SF_ERR_REPLY_LINE_TOO_LONG, "%s: %s", sf_err_name(res.error), res.diagnosis);
  CHECK(res.stop == SIM_STOP_CLIENT_END);
  size_t tls_bytes = 0, crlf_sends = 0;
  for (size_t i = 0; i < wire.nev; i++) {
    const struct wire_event *e = &wire.ev[i];
    if (e->kind != WIRE_S_DATA || !e->tls)
      continue;
    tls_bytes += e->len;
    crlf_sends += e->len == 2 && memcmp(wire.bytes + e->off, "\r\n", 2) == 0;
  }
  /* The greeting's successor over TLS is the EHLO answer: "250-" and one
   * chunk of the repeated send, at most. */
  CHECKF(tls_bytes > 4 && tls_bytes <= 4 + 4096, "%zu bytes over TLS", tls_bytes);
  CHECK(crlf_sends == 0);
}

/* ---- 4: the scenario library with real TLS --------------------------------- */

static int by_name(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpus(void)
{
  DIR *d = opendir("corpus/scenarios");
  CHECK(d != NULL);
  if (!d)
    return;
  static char names[1024][256];
  static char *order[1024];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 1024) {
    size_t len = strlen(e->d_name);
    if (len < 5 || len >= 256 || strcmp(e->d_name + len - 4, ".scn") != 0)
      continue;
    memcpy(names[n], e->d_name, len + 1);
    order[n] = names[n];
    n++;
  }
  closedir(d);
  qsort(order, n, sizeof(order[0]), by_name);
  static char text[65536];
  unsigned failed = 0;
  for (size_t i = 0; i < n; i++) {
    char path[512];
    snprintf(path, sizeof(path), "corpus/scenarios/%s", order[i]);
    FILE *f = fopen(path, "rb");
    if (!f)
      continue;
    size_t len = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[len] = '\0';
    size_t line = 0;
    const char *reason = "";
    if (scenario_parse_text(&sc, text, len, &line, &reason) != SF_ERR_OK)
      continue; /* test_corpus_scenarios reports it */
    for (int v = TLS_PEER_TLS12; v <= TLS_PEER_TLS13_RESUMED; v++) {
      unsigned verdicts = run((enum tls_peer_version)v);
      int ok = verdicts == (sc.expect_verdicts & ~ORACLE_BIT(SC_V_OUTCOME));
      CHECKF(ok, "%s (TLS v%d): %s %s: %s", order[i], v, sc_client_status_name(res.status),
             sf_err_name(res.error), res.diagnosis);
      if (!ok) {
        print_verdicts(order[i], verdicts);
        failed++;
      }
    }
  }
  CHECK(n > 0);
  printf("test_tls_matrix: %zu library scenarios with real TLS, %u runs failed\n", n, failed);
}

int main(void)
{
  peer = tls_peer_new();
  CHECK(peer != NULL);
  if (!peer)
    return check_report("test_tls_matrix");
  test_matrix();
  test_downgrades();
  test_hang_up_mid_send();
  test_corpus();
  tls_peer_free(peer);
  return check_report("test_tls_matrix");
}
