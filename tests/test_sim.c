/* The simulated server and virtual clock: deadlines are jumped to in zero
 * real time, flights arrive whole, stalls move the clock, hangs and bounds
 * end a run, and the transcript reads as S:/C: lines. */
#include "check.h"
#include "client_engine.h"
#include "flawed_client.h"
#include "oracle.h"
#include "scenario.h"
#include "scenario_text.h"
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

static void act(struct scenario *sc, enum sc_act kind, const char *bytes, uint32_t ms)
{
  struct sc_action *a = &sc->actions[sc->nactions++];
  memset(a, 0, sizeof(*a));
  a->kind = kind;
  a->ms = ms;
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
  act(sc, SC_ACT_SEND, bytes, 0);
}

/* ---- running --------------------------------------------------------------- */

static struct wire wire;
static struct sim_result res;
static struct oracle_report rep;
static char text[65536];

static void show(const struct scenario *sc)
{
  oracle_transcript(sc, &wire, &rep, text, sizeof(text));
  fprintf(stderr, "%s", text);
}

static void run_engine(const struct scenario *sc)
{
  struct sc_engine_client ec;
  sc_engine_client_init(&ec, &sc->cfg);
  sc_engine_client_offer_resume(&ec, sc->resume);
  sim_run(sc, &ec.base, &wire, &res);
  oracle_judge(sc, &wire, &res, &rep);
}

static void run_flawed(const struct scenario *sc, enum sc_flaw flaw)
{
  struct sc_flawed_client fc;
  sc_flawed_client_init(&fc, &sc->cfg, flaw);
  sc_flawed_client_offer_resume(&fc, sc->resume);
  sim_run(sc, &fc.base, &wire, &res);
  oracle_judge(sc, &wire, &res, &rep);
}

static const struct wire_event *find_event(enum wire_kind kind, const char *prefix)
{
  for (size_t i = 0; i < wire.nev; i++) {
    const struct wire_event *e = &wire.ev[i];
    if (e->kind != kind)
      continue;
    size_t n = prefix ? strlen(prefix) : 0;
    if (!prefix || (e->len >= n && memcmp(wire.bytes + e->off, prefix, n) == 0))
      return e;
  }
  return NULL;
}

/* ---- virtual clock ---------------------------------------------------------- */

static void test_silent_465_ends_at_greeting_timeout(void)
{
  struct scenario sc;
  scenario_init(&sc);
  sc.personality = SC_PERS_SILENT;
  sc.cfg.port = 465; /* a STARTTLS client on the implicit-TLS port */
  run_engine(&sc);
  uint64_t want = sc.cfg.timeout_ms[SF_PHASE_GREETING];
  CHECKF(res.end_ms == want, "ended at %llu ms, want %llu", (unsigned long long)res.end_ms,
         (unsigned long long)want);
  CHECK(res.status == SC_CLIENT_FAILED);
  CHECK(res.error == SF_ERR_SESSION_TIMEOUT);
  CHECK(strstr(res.diagnosis, "465") != NULL);
  CHECK(res.stop == SIM_STOP_CLIENT_END);
  CHECK(!res.hung);
  CHECK(res.iterations < 10); /* one jump, not a crawl */
  CHECKF(rep.verdicts == 0, "verdicts %#x", rep.verdicts);

  /* Another timeout: the clock jumps exactly there. */
  sc.cfg.timeout_ms[SF_PHASE_GREETING] = 1234;
  run_engine(&sc);
  CHECK(res.end_ms == 1234);
}

static void test_starttls_client_vs_implicit_server(void)
{
  /* The server waits for a TLS hello, the client for a greeting. */
  struct scenario sc;
  scenario_init(&sc);
  sc.personality = SC_PERS_IMPLICIT;
  sc.cfg.port = 465;
  sc.cfg.timeout_ms[SF_PHASE_GREETING] = 30000;
  run_engine(&sc);
  CHECK(res.end_ms == 30000);
  CHECK(res.error == SF_ERR_SESSION_TIMEOUT);
  CHECKF(rep.verdicts == 0, "verdicts %#x", rep.verdicts);
}

static void test_stall_advances_time(void)
{
  struct scenario sc;
  scenario_init(&sc);
  rule(&sc, SC_VERB_EHLO, SC_CHAN_PLAIN, 1);
  act(&sc, SC_ACT_STALL, NULL, 5000);
  act(&sc, SC_ACT_SEND, "250-mx.example.com\r\n250 STARTTLS\r\n", 0);
  run_engine(&sc);
  const struct wire_event *ehlo = find_event(WIRE_C_DATA, "EHLO");
  const struct wire_event *reply = find_event(WIRE_S_DATA, "250-mx.example.com");
  CHECK(ehlo && reply);
  if (ehlo && reply)
    CHECKF(reply->t == ehlo->t + 5000, "EHLO at %llu, reply at %llu", (unsigned long long)ehlo->t,
           (unsigned long long)reply->t);
  CHECK(find_event(WIRE_STALL, NULL) != NULL);
  CHECKF(res.status == SC_CLIENT_DONE, "%s", res.diagnosis);
  CHECKF(rep.verdicts == 0, "verdicts %#x", rep.verdicts);
  if (rep.verdicts)
    show(&sc);

  /* A stall longer than the client's timeout: it gives up inside it. */
  sc.cfg.timeout_ms[SF_PHASE_EHLO] = 2000;
  run_engine(&sc);
  CHECK(res.status == SC_CLIENT_FAILED);
  CHECK(res.error == SF_ERR_SESSION_TIMEOUT);
  ehlo = find_event(WIRE_C_DATA, "EHLO");
  CHECK(ehlo && res.end_ms == ehlo->t + 2000);
  CHECKF(rep.verdicts == 0, "verdicts %#x", rep.verdicts);
}

/* ---- flights arrive as they were sent ------------------------------------------ */

struct spy {
  struct sc_client base;
  struct sc_engine_client inner;
  size_t nfeeds;
  int injected_whole; /* one feed held both the 220 and the injected reply */
};

static struct sc_client *inner(struct sc_client *c)
{
  return &((struct spy *)c)->inner.base;
}

static const struct sc_client *cinner(const struct sc_client *c)
{
  return &((const struct spy *)c)->inner.base;
}

static void spy_start(struct sc_client *c, uint64_t now)
{
  inner(c)->ops->start(inner(c), now);
}

static size_t spy_take(struct sc_client *c, uint8_t *out, size_t cap, uint64_t now)
{
  return inner(c)->ops->take(inner(c), out, cap, now);
}

static size_t spy_feed(struct sc_client *c, const uint8_t *in, size_t len, uint64_t now)
{
  struct spy *s = (struct spy *)c;
  s->nfeeds++;
  static const char flight[] = "220 go ahead\r\n250-mx.example.com\r\n250 AUTH PLAIN\r\n";
  if (len == sizeof(flight) - 1 && memcmp(in, flight, len) == 0)
    s->injected_whole = 1;
  return inner(c)->ops->feed(inner(c), in, len, now);
}

static void spy_eof(struct sc_client *c, uint64_t now)
{
  inner(c)->ops->eof(inner(c), now);
}

static void spy_tick(struct sc_client *c, uint64_t now)
{
  inner(c)->ops->tick(inner(c), now);
}

static uint64_t spy_deadline(const struct sc_client *c)
{
  return cinner(c)->ops->deadline(cinner(c));
}

static enum sc_client_status spy_status(const struct sc_client *c)
{
  return cinner(c)->ops->status(cinner(c));
}

static enum sf_err spy_error(const struct sc_client *c)
{
  return cinner(c)->ops->error(cinner(c));
}

static const char *spy_diagnosis(const struct sc_client *c)
{
  return cinner(c)->ops->diagnosis(cinner(c));
}

static const struct sc_client_ops spy_ops = {
    .name = "spy",
    .reports_errors = 1,
    .start = spy_start,
    .take = spy_take,
    .feed = spy_feed,
    .eof = spy_eof,
    .tick = spy_tick,
    .deadline = spy_deadline,
    .status = spy_status,
    .error = spy_error,
    .diagnosis = spy_diagnosis,
};

static void test_injected_flight_in_one_feed(void)
{
  struct scenario sc;
  scenario_init(&sc);
  rule(&sc, SC_VERB_STARTTLS, SC_CHAN_PLAIN, 0);
  act(&sc, SC_ACT_SEND, "220 go ahead\r\n250-mx.example.com\r\n250 AUTH PLAIN\r\n", 0);
  act(&sc, SC_ACT_TLS, NULL, 0);
  struct spy spy;
  memset(&spy, 0, sizeof(spy));
  spy.base.ops = &spy_ops;
  sc_engine_client_init(&spy.inner, &sc.cfg);
  sim_run(&sc, &spy.base, &wire, &res);
  CHECK(spy.injected_whole);
  CHECK(res.error == SF_ERR_STARTTLS_INJECTION);
  /* The server started TLS but the client never sent its hello. */
  CHECK(find_event(WIRE_C_HELLO, NULL) == NULL);
  CHECK(find_event(WIRE_TLS_UP, NULL) == NULL);
  oracle_judge(&sc, &wire, &res, &rep);
  CHECKF(rep.verdicts == 0, "verdicts %#x", rep.verdicts);
}

/* ---- hangs and bounds -------------------------------------------------------- */

static void test_hang_without_deadline(void)
{
  struct scenario sc;
  scenario_init(&sc);
  sc.personality = SC_PERS_SILENT;
  sc.cfg.port = 465;
  run_flawed(&sc, SC_FLAW_NO_GREETING_TIMEOUT);
  CHECK(res.hung);
  CHECK(res.stop == SIM_STOP_HANG);
  CHECK(res.end_ms == 0); /* found at once, not after the time bound */
  CHECK(res.status == SC_CLIENT_RUNNING);
  CHECK(res.hang_reason[0] != '\0');
  CHECK(find_event(WIRE_HANG, NULL) != NULL);
  CHECK(rep.verdicts & ORACLE_BIT(SC_V_HANG));
}

static void test_time_bound(void)
{
  struct scenario sc;
  scenario_init(&sc);
  sc.personality = SC_PERS_SILENT;
  sc.time_bound_ms = 1000; /* shorter than the greeting timeout */
  run_engine(&sc);
  CHECK(res.time_bound_ms == 1000);
  CHECK(res.stop == SIM_STOP_TIME_BOUND);
  CHECK(res.end_ms == 1000);
  /* The client still has a deadline within its own timeout: reaching the
   * scenario's tighter bound is an unexpected outcome, not a hang. */
  CHECK(!res.hung);
  CHECK(!(rep.verdicts & ORACLE_BIT(SC_V_HANG)));
  CHECK(rep.verdicts & ORACLE_BIT(SC_V_OUTCOME));

  /* Without a bound of its own: the client's timeouts plus a margin. */
  scenario_init(&sc);
  uint64_t sum = SIM_TIME_MARGIN_MS;
  for (int i = 0; i < SF_PHASE_COUNT; i++)
    sum += sc.cfg.timeout_ms[i];
  CHECK(sim_time_bound(&sc) >= sum);
  CHECK(sim_time_bound(&sc) < 10 * sum);

  /* A stall past the bound while the client waits forever. */
  scenario_init(&sc);
  sc.time_bound_ms = 50000;
  rule(&sc, SC_VERB_CONNECT, SC_CHAN_ANY, 0);
  act(&sc, SC_ACT_STALL, NULL, 4000000000u);
  act(&sc, SC_ACT_SEND, "220 late\r\n", 0);
  run_flawed(&sc, SC_FLAW_NO_GREETING_TIMEOUT);
  CHECK(res.stop == SIM_STOP_TIME_BOUND);
  CHECK(res.end_ms == 50000);
  CHECK(rep.verdicts & ORACLE_BIT(SC_V_HANG));
}

/* A server that answers every command just inside the client's timeout is
 * slow, not a hang: no verdict, and the run fits the default bound. */
static void test_patient_server_is_no_hang(void)
{
  static const struct {
    enum sc_verb verb;
    enum sc_chan chan;
    const char *answer;
  } slow[] = {
      {SC_VERB_CONNECT, SC_CHAN_ANY, "220 mx.example.com ESMTP\r\n"},
      {SC_VERB_EHLO, SC_CHAN_PLAIN, "250-mx.example.com\r\n250 STARTTLS\r\n"},
      {SC_VERB_EHLO, SC_CHAN_TLS, "250-mx.example.com\r\n250 AUTH PLAIN\r\n"},
      {SC_VERB_AUTH, SC_CHAN_TLS, "235 ok\r\n"},
      {SC_VERB_MAIL, SC_CHAN_TLS, "250 ok\r\n"},
      {SC_VERB_RCPT, SC_CHAN_TLS, "250 ok\r\n"},
      {SC_VERB_DATA, SC_CHAN_TLS, "354 go\r\n"},
      {SC_VERB_BODY, SC_CHAN_TLS, "250 queued\r\n"},
      {SC_VERB_QUIT, SC_CHAN_TLS, "221 bye\r\n"},
  };
  struct scenario sc;
  scenario_init(&sc);
  sc.cfg.auth = SF_AUTH_PLAIN;
  for (size_t i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
    rule(&sc, slow[i].verb, slow[i].chan, 0);
    act(&sc, SC_ACT_STALL, NULL, 119000); /* DATA, the shortest, is 120 s */
    act(&sc, SC_ACT_SEND, slow[i].answer, 0);
  }
  rule(&sc, SC_VERB_STARTTLS, SC_CHAN_PLAIN, 0);
  act(&sc, SC_ACT_STALL, NULL, 119000);
  act(&sc, SC_ACT_SEND, "220 go\r\n", 0);
  act(&sc, SC_ACT_TLS, NULL, 0);
  run_engine(&sc);
  CHECKF(res.status == SC_CLIENT_DONE, "%s", res.diagnosis);
  CHECK(res.end_ms == 10 * 119000);
  CHECKF(rep.verdicts == 0, "verdicts %#x", rep.verdicts);
  if (rep.verdicts)
    show(&sc);
  run_flawed(&sc, SC_FLAW_NONE);
  CHECK(res.status == SC_CLIENT_DONE);
  CHECKF(rep.verdicts == 0, "verdicts %#x", rep.verdicts);
}

static void test_wire_bounds(void)
{
  static struct wire w;
  wire_init(&w);
  uint8_t chunk[100];
  memset(chunk, 'x', sizeof(chunk));
  int all = 1;
  for (int i = 0; i < WIRE_MAX_EVENTS + 10; i++)
    all &= wire_add(&w, WIRE_C_DATA, 0, (uint64_t)i, chunk, sizeof(chunk), 0, SF_ERR_OK);
  CHECK(!all);
  CHECK(w.truncated);
  CHECK(w.nev == WIRE_MAX_EVENTS);
  CHECK(w.nbytes <= WIRE_MAX_BYTES);
  wire_init(&w);
  static uint8_t big[WIRE_MAX_BYTES + 10];
  CHECK(!wire_add(&w, WIRE_S_DATA, 0, 0, big, sizeof(big), 0, SF_ERR_OK));
  CHECK(w.nbytes == WIRE_MAX_BYTES && w.truncated);
}

/* ---- TLS edges ----------------------------------------------------------------- */

static void test_implicit_client_vs_plaintext_server(void)
{
  struct scenario sc;
  scenario_init(&sc);
  sc.cfg.mode = SF_MODE_IMPLICIT;
  sc.cfg.port = 465;
  run_engine(&sc);
  CHECK(res.status == SC_CLIENT_FAILED);
  CHECK(res.error == SF_ERR_TLS_PEER_PLAINTEXT);
  CHECK(res.end_ms == 0);
  CHECKF(rep.verdicts == 0, "verdicts %#x", rep.verdicts);
}

static void test_implicit_delivery(void)
{
  struct scenario sc;
  scenario_init(&sc);
  sc.personality = SC_PERS_IMPLICIT;
  sc.cfg.mode = SF_MODE_IMPLICIT;
  sc.cfg.port = 465;
  run_engine(&sc);
  CHECKF(res.status == SC_CLIENT_DONE, "%s %s", sf_err_name(res.error), res.diagnosis);
  const struct wire_event *up = find_event(WIRE_TLS_UP, NULL);
  const struct wire_event *greet = find_event(WIRE_S_DATA, "220");
  CHECK(up && greet && greet->tls && greet > up);
  CHECKF(rep.verdicts == 0, "verdicts %#x", rep.verdicts);
  if (rep.verdicts || res.status != SC_CLIENT_DONE)
    show(&sc);
}

static void test_hello_to_plaintext_server_is_marked(void)
{
  /* An implicit-TLS client against a server that stays silent in plaintext:
   * the hello reaches it as bytes, marked as a TLS hello on the wire. */
  struct scenario sc;
  scenario_init(&sc);
  sc.personality = SC_PERS_SILENT;
  sc.cfg.mode = SF_MODE_IMPLICIT;
  sc.cfg.port = 465;
  run_engine(&sc);
  const struct wire_event *hello = find_event(WIRE_C_HELLO, NULL);
  CHECK(hello && !hello->tls);
  CHECK(res.error == SF_ERR_SESSION_TIMEOUT);
  CHECK(res.end_ms == sc.cfg.timeout_ms[SF_PHASE_TLS]);
  CHECKF(rep.verdicts == 0, "verdicts %#x", rep.verdicts);
}

/* ---- transcript ------------------------------------------------------------------ */

static void test_transcript(void)
{
  struct scenario sc;
  scenario_init(&sc);
  run_engine(&sc);
  CHECKF(res.status == SC_CLIENT_DONE, "%s", res.diagnosis);
  size_t n = oracle_transcript(&sc, &wire, &rep, text, sizeof(text));
  CHECK(n > 0 && n < sizeof(text));
  static const char *const want[] = {
      "[plain] S: 220",    "[plain] C: EHLO ",       "[plain] C: STARTTLS", "TLS up",
      "[tls]   C: EHLO ",  "[tls]   C: MAIL FROM:<", "[tls]   C: .",        "[tls]   C: QUIT",
      "client ends: done", "verdict: none",
  };
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
    CHECKF(strstr(text, want[i]) != NULL, "transcript lacks '%s'", want[i]);
  /* the plaintext STARTTLS comes before TLS, the tls EHLO after */
  const char *st = strstr(text, "C: STARTTLS"), *up = strstr(text, "TLS up");
  CHECK(st && up && st < up);
  /* A small buffer: cut, terminated, and the needed length returned. */
  char small[32];
  size_t need = oracle_transcript(&sc, &wire, &rep, small, sizeof(small));
  CHECK(need == n);
  CHECK(strlen(small) == sizeof(small) - 1);
  /* Non-printables are escaped. */
  scenario_init(&sc);
  send_rule(&sc, SC_VERB_CONNECT, SC_CHAN_ANY,
            "220 a\x01\x7f"
            "b\r\n");
  run_engine(&sc);
  oracle_transcript(&sc, &wire, NULL, text, sizeof(text));
  CHECK(strstr(text, "S: 220 a\\x01\\x7fb") != NULL);
  FILE *f = tmpfile();
  CHECK(f != NULL);
  if (f) {
    CHECK(oracle_transcript_file(&sc, &wire, &rep, f) == 0);
    CHECK(ftell(f) > 0);
    fclose(f);
  }
}

static void load(struct scenario *sc, const char *scn)
{
  size_t line;
  const char *reason;
  enum sf_err err = scenario_parse_text(sc, scn, strlen(scn), &line, &reason);
  CHECKF(err == SF_ERR_OK, "line %zu: %s", line, reason ? reason : "");
}

/* A deaf server reads nothing: the client's EHLO never leaves, and the
 * engine's data-block timer (RFC 5321 4.5.3.2.5) ends the wait. */
static void test_deaf_server(void)
{
  static struct scenario sc;
  load(&sc, "name = deaf\non connect: send \"220 mx ESMTP\\r\\n\"; deaf\n");
  run_engine(&sc);
  CHECKF(res.status == SC_CLIENT_FAILED && res.error == SF_ERR_SESSION_TIMEOUT &&
             res.end_ms == sc.cfg.timeout_ms[SF_PHASE_BLOCK],
         "%s at %llu ms: %s", sf_err_name(res.error), (unsigned long long)res.end_ms,
         res.diagnosis);
  CHECK(strstr(res.diagnosis, "does not read") != NULL);
  CHECK(find_event(WIRE_SERVER_DEAF, NULL) != NULL);
  CHECK(find_event(WIRE_C_DATA, NULL) == NULL); /* nothing of the client's left */
}

/* What the server sent before the client said anything. */
static size_t greeting_bytes(void)
{
  size_t total = 0;
  for (size_t i = 0; i < wire.nev && wire.ev[i].kind != WIRE_C_DATA; i++)
    if (wire.ev[i].kind == WIRE_S_DATA)
      total += wire.ev[i].len;
  return total;
}

/* A repeated send streams as far as the client reads it: a 100 KB reply line
 * ends the engine at its 512-octet limit, and the rest never overflows. */
static void test_repeated_send(void)
{
  static struct scenario sc;
  load(&sc, "name = long-line\non connect: send \"220-\"; send \"A\" * 100000; send \"\\r\\n\"\n");
  run_engine(&sc);
  CHECKF(res.error == SF_ERR_REPLY_LINE_TOO_LONG, "%s", sf_err_name(res.error));
  CHECK(res.stop == SIM_STOP_CLIENT_END);
  /* The engine hung up at byte 512: what it never read was never sent,
   * beyond the chunk in flight, nor was the step after it. */
  CHECKF(greeting_bytes() <= 4 + 4096, "%zu bytes", greeting_bytes());
  CHECK(find_event(WIRE_S_DATA, "\r\n") == NULL);
  /* A client that reads on sees every byte, in order, over several chunks
   * (the flawed client holds a reply of up to 8 KB). */
  load(&sc, "name = long-greeting\nclient.mode = plain\nclient.tls = none\n"
            "on connect: send \"220-x\\r\\n\" * 1000; send \"220 ok\\r\\n\"\n");
  run_flawed(&sc, SC_FLAW_NONE);
  CHECKF(greeting_bytes() == 1000 * 7 + 8, "%zu bytes", greeting_bytes());
  CHECK(find_event(WIRE_S_DATA, "220 ok\r\n") != NULL);
  CHECK(!wire.truncated);
  /* One that stops reading (a reply larger than its buffer) holds the rest
   * back until its timeout ends it; then the send stops there. */
  load(&sc, "name = longer-greeting\nclient.mode = plain\nclient.tls = none\n"
            "on connect: send \"220-x\\r\\n\" * 20000; send \"220 ok\\r\\n\"\n");
  run_flawed(&sc, SC_FLAW_NONE);
  CHECKF(res.stop == SIM_STOP_CLIENT_END && res.status == SC_CLIENT_FAILED, "%s",
         sim_stop_name(res.stop));
  CHECKF(greeting_bytes() > 8192 && greeting_bytes() < 20000 * 7, "%zu bytes", greeting_bytes());
  CHECK(find_event(WIRE_S_DATA, "220 ok\r\n") == NULL);
  CHECK(!wire.truncated);
}

static int has_bytes(const uint8_t *p, size_t n, const char *needle)
{
  size_t m = strlen(needle);
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(p + i, needle, m) == 0)
      return 1;
  return 0;
}

/* resume = yes: the client offers a session and the server resumes it; the
 * certificate of that session is checked all the same. */
static void test_resumption_passthrough(void)
{
  static struct scenario sc;
  load(&sc, "name = resume\nresume = yes\n");
  run_engine(&sc);
  const struct wire_event *up = find_event(WIRE_TLS_UP, NULL);
  CHECK(up && has_bytes(wire.bytes + up->off, up->len, "resumed"));
  CHECK(res.status == SC_CLIENT_DONE);
  load(&sc, "name = resume-bad\nresume = yes\ncert = self-signed\n");
  run_engine(&sc);
  CHECK(res.error == SF_ERR_TLS_CERT_SELF_SIGNED);
  /* Not offered: not resumed. */
  load(&sc, "name = no-resume\n");
  run_engine(&sc);
  up = find_event(WIRE_TLS_UP, NULL);
  CHECK(up && !has_bytes(wire.bytes + up->off, up->len, "resumed"));
}

int main(void)
{
  test_silent_465_ends_at_greeting_timeout();
  test_starttls_client_vs_implicit_server();
  test_stall_advances_time();
  test_injected_flight_in_one_feed();
  test_hang_without_deadline();
  test_time_bound();
  test_patient_server_is_no_hang();
  test_wire_bounds();
  test_implicit_client_vs_plaintext_server();
  test_implicit_delivery();
  test_hello_to_plaintext_server_is_marked();
  test_transcript();
  test_deaf_server();
  test_repeated_send();
  test_resumption_passthrough();
  return check_report("test_sim");
}
