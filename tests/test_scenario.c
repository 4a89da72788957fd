#include "check.h"
#include "personality.h"
#include "reply_parser.h"
#include "scenario.h"
#include "scenario_binary.h"
#include "scenario_mutator.h"
#include "scenario_text.h"
#include "verbs.h"

#include <stdlib.h>
#include <string.h>

static const char *const examples[] = {
    "corpus/scenarios/submission-ok.scn",
    "corpus/scenarios/starttls-injection.scn",
    "corpus/scenarios/starttls-stripped.scn",
    "corpus/scenarios/silent-465.scn",
};
#define NEXAMPLES (sizeof examples / sizeof examples[0])

/* Big enough for any canonical text of a scenario (pool bytes as \xHH). */
#define TEXT_MAX (4 * SC_POOL + 64 * 1024)

static char text_buf[TEXT_MAX];
static struct scenario sc_a, sc_b, sc_c;

static size_t read_file(const char *path, char *buf, size_t cap)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return 0;
  size_t n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = '\0';
  return n;
}

static enum sf_err parse(struct scenario *sc, const char *text, size_t *line, const char **reason)
{
  return scenario_parse_text(sc, text, strlen(text), line, reason);
}

static int parse_ok(struct scenario *sc, const char *text)
{
  size_t line;
  const char *reason;
  enum sf_err err = parse(sc, text, &line, &reason);
  CHECKF(err == SF_ERR_OK, "%s at line %zu: %s\n%s", sf_err_name(err), line, reason ? reason : "",
         text);
  return err == SF_ERR_OK;
}

/* The steps of an answer as one string, e.g. "send:220 ...|tls|". */
static const char *answer_hint(const struct scenario *sc, enum sc_verb verb, int tls, unsigned occ,
                               enum sc_hint hint)
{
  static char out[4096];
  struct sc_step steps[SC_MAX_STEPS];
  size_t n = scenario_answer(sc, verb, tls, occ, hint, steps, SC_MAX_STEPS);
  size_t o = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && o < sizeof out - 600; i++) {
    static const char *const kinds[] = {"send", "stall", "close", "tls", "hang"};
    o += (size_t)snprintf(out + o, sizeof out - o, "%s", kinds[steps[i].kind]);
    if (steps[i].kind == SC_ACT_SEND)
      o += (size_t)snprintf(out + o, sizeof out - o, ":%.*s", (int)steps[i].len,
                            (const char *)steps[i].bytes);
    if (steps[i].kind == SC_ACT_STALL)
      o += (size_t)snprintf(out + o, sizeof out - o, ":%u", (unsigned)steps[i].ms);
    o += (size_t)snprintf(out + o, sizeof out - o, "|");
  }
  return out;
}

static const char *answer_str(const struct scenario *sc, enum sc_verb verb, int tls, unsigned occ)
{
  return answer_hint(sc, verb, tls, occ, SC_HINT_NONE);
}

/* ------------------------------------------------------------------ */

static void test_init(void)
{
  scenario_init(&sc_a);
  CHECK(sc_a.personality == SC_PERS_SUBMISSION);
  CHECK(sc_a.cert == SC_CERT_VALID);
  CHECK(strcmp(sc_a.cfg.host, "mx.example.com") == 0);
  CHECK(strcmp(sc_a.cfg.helo_name, "client.example.org") == 0);
  CHECK(strcmp(sc_a.cfg.mail_from, "alice@example.org") == 0);
  CHECK(sc_a.cfg.nrcpt == 1 && strcmp(sc_a.cfg.rcpt[0], "bob@example.com") == 0);
  CHECK(sc_a.cfg.message != NULL && sc_a.cfg.message_len > 0);
  CHECK(sc_a.cfg.mode == SF_MODE_STARTTLS && sc_a.cfg.tls == SF_TLS_REQUIRED);
  CHECK(sc_a.expect_verdicts == 0 && sc_a.expect_result == SC_RESULT_ANY);
  CHECK(!sc_a.expect_error_set && sc_a.nrules == 0 && sc_a.nactions == 0);
  const char *reason;
  CHECK(sf_config_validate(&sc_a.cfg, &reason) == SF_ERR_OK);

  /* The default scenario formats to the scenario-level keys only. */
  scenario_format_text(&sc_a, text_buf, sizeof text_buf);
  CHECKF(strstr(text_buf, "client.") == NULL, "%s", text_buf);
  CHECK(parse_ok(&sc_b, text_buf) && scenario_equal(&sc_a, &sc_b));
  CHECK(parse_ok(&sc_b, "") && scenario_equal(&sc_a, &sc_b));
}

static void test_examples(void)
{
  static char file[65536];
  for (size_t i = 0; i < NEXAMPLES; i++) {
    size_t n = read_file(examples[i], file, sizeof file);
    CHECKF(n > 0, "cannot read %s (run from the project root)", examples[i]);
    size_t line;
    const char *reason;
    enum sf_err err = scenario_parse_text(&sc_a, file, n, &line, &reason);
    CHECKF(err == SF_ERR_OK, "%s:%zu: %s: %s", examples[i], line, sf_err_name(err),
           reason ? reason : "");
    if (err != SF_ERR_OK)
      continue;
    CHECKF(sc_a.name[0] != '\0' && strstr(examples[i], sc_a.name) != NULL, "%s", sc_a.name);
    CHECK(sc_a.expect_error_set && sc_a.expect_result != SC_RESULT_ANY);
    CHECK(sf_config_validate(&sc_a.cfg, &reason) == SF_ERR_OK);

    /* Text round trip, and the canonical form is a fixed point. */
    size_t tlen = scenario_format_text(&sc_a, text_buf, sizeof text_buf);
    CHECK(tlen < sizeof text_buf);
    CHECKF(parse_ok(&sc_b, text_buf) && scenario_equal(&sc_a, &sc_b), "%s:\n%s", examples[i],
           text_buf);
    static char again[TEXT_MAX];
    scenario_format_text(&sc_b, again, sizeof again);
    CHECK(strcmp(again, text_buf) == 0);

    /* Binary round trip: the binary form holds everything. */
    uint8_t bin[SC_BINARY_MAX];
    size_t blen = scenario_encode(&sc_a, bin, sizeof bin);
    CHECK(blen > 0);
    scenario_decode(&sc_b, bin, blen);
    CHECKF(scenario_equal(&sc_a, &sc_b), "%s binary round trip", examples[i]);
  }

  parse_ok(&sc_a, "name = x\non starttls plain: send \"220 2.0.0 Ready to start TLS\\r\\n250-evil"
                  "\\r\\n250 AUTH PLAIN\\r\\n\"; tls\non ehlo tls #2: stall 400000; send \"250 "
                  "ok\\r\\n\"\non connect: hang\n");
  CHECK(sc_a.nrules == 3 && sc_a.nactions == 5);
  CHECK(sc_a.rules[0].verb == SC_VERB_STARTTLS && sc_a.rules[0].chan == SC_CHAN_PLAIN);
  CHECK(sc_a.rules[0].nth == 0 && sc_a.rules[0].nactions == 2);
  CHECK(sc_a.rules[1].verb == SC_VERB_EHLO && sc_a.rules[1].chan == SC_CHAN_TLS);
  CHECK(sc_a.rules[1].nth == 2 && sc_a.actions[2].kind == SC_ACT_STALL);
  CHECK(sc_a.actions[2].ms == 400000);
  CHECK(sc_a.rules[2].verb == SC_VERB_CONNECT && sc_a.actions[4].kind == SC_ACT_HANG);
}

struct bad {
  const char *text;
  enum sf_err err;
  size_t line;
};

static void test_syntax_errors(void)
{
  static const struct bad bad[] = {
      {"name = a\nbogus = 1\n", SF_ERR_CONFIG_UNKNOWN_KEY, 2},
      {"client.bogus = 1\n", SF_ERR_CONFIG_UNKNOWN_KEY, 1},
      {"client.timeout.bogus = 1\n", SF_ERR_CONFIG_UNKNOWN_KEY, 1},
      {"just words\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"= x\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"two words = x\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"name = a\nname = b\n", SF_ERR_CONFIG_DUPLICATE_KEY, 2},
      {"server = submission\nserver = relay\n", SF_ERR_CONFIG_DUPLICATE_KEY, 2},
      {"client.mode = plain\n\nclient.mode = starttls\n", SF_ERR_CONFIG_DUPLICATE_KEY, 3},
      {"name = \n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"name = a b\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"name = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
       SF_ERR_CONFIG_BAD_VALUE, 1},
      {"server = postfix\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"cert = bogus\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"cert.host = a b\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"expect = LEAK_AUTH, BOGUS\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"expect = LEAK_AUTH,\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"expect = leak_auth\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"expect = HANG, HANG\n", SF_ERR_CONFIG_DUPLICATE_KEY, 1},
      {"expect.result = maybe\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"expect.error = NOPE\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"time_bound = -1\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"time_bound = 4294967296\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"deliver = maybe\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"deliver = no\nclient.to = x@y\n", SF_ERR_CONFIG_INCONSISTENT, 2},
      {"client.from = x@y\n# c\ndeliver = no\n", SF_ERR_CONFIG_INCONSISTENT, 3},
      {"client.mode = sideways\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"client.port = 70000\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"client.message = a\\qb\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"client.user = \"a\\x00b\"\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"client.user = \"a\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"client.user = \"a\" b\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"client.host = \"a\\nb\"\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"on bogus: close\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"on: close\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"on ehlo close\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo plain tls: close\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo #1 plain: close\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo #1 #2: close\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo #0: close\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"on ehlo #64: close\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"on ehlo # comment: close\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo:\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: close;\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: close;; tls\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: close tls\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: explode\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: send 250\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: send \"250\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: send \"250\\\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: send \"\\q\"\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: send \"\\x4\"\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: send \"\\xg0\"\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: stall\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: stall x\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: stall 4294967296\n", SF_ERR_CONFIG_BAD_VALUE, 1},
      {"on ehlo: nothing; close\n", SF_ERR_CONFIG_SYNTAX, 1},
      {"on ehlo: close\non ehlo any: tls\n", SF_ERR_CONFIG_DUPLICATE_KEY, 2},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t line = 99;
    const char *reason = NULL;
    enum sf_err err = scenario_parse_text(&sc_a, bad[i].text, strlen(bad[i].text), &line, &reason);
    CHECKF(err == bad[i].err, "%s: got %s, want %s (%s)", bad[i].text, sf_err_name(err),
           sf_err_name(bad[i].err), reason ? reason : "");
    CHECKF(line == bad[i].line, "%s: line %zu, want %zu", bad[i].text, line, bad[i].line);
    CHECKF(reason != NULL && reason[0] != '\0' && strchr(reason, '\n') == NULL, "%s: reason",
           bad[i].text);
  }

  /* A key that takes one of a list of names: the refusal lists them all, so
   * a name added to the table and not to the message fails here. */
  static const struct {
    const char *key;
    const char *const *names;
    size_t n;
  } listed[] = {
      {"server", sc_personality_names, SC_PERS_COUNT},
      {"cert", sc_cert_names, SC_CERT_COUNT},
      {"tls.server", sc_tls_server_names, SC_TLSS_COUNT},
  };
  for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++) {
    char text[64];
    snprintf(text, sizeof text, "%s = no-such-value\n", listed[i].key);
    size_t line;
    const char *reason = NULL;
    CHECK(parse(&sc_a, text, &line, &reason) == SF_ERR_CONFIG_BAD_VALUE && reason != NULL);
    for (size_t k = 0; reason != NULL && k < listed[i].n; k++) {
      /* As a word of the list: "valid" must not be found inside "invalid". */
      int found = 0;
      size_t len = strlen(listed[i].names[k]);
      for (const char *at = strstr(reason, listed[i].names[k]); at && !found;
           at = strstr(at + 1, listed[i].names[k]))
        found = (at == reason || at[-1] == ' ') && strchr(" ,", at[len]) != NULL;
      CHECKF(found, "%s: the refusal does not name '%s': %s", listed[i].key, listed[i].names[k],
             reason);
    }
  }

  /* A NUL outside a string. */
  static const char nul[] = "# ok\nname = a\0b\n";
  size_t nline;
  const char *nreason;
  CHECK(scenario_parse_text(&sc_a, nul, sizeof nul - 1, &nline, &nreason) == SF_ERR_CONFIG_SYNTAX &&
        nline == 2);

  /* Limits: rules, actions, pool. */
  static char big[256 * 1024];
  size_t o = 0;
  for (int i = 0; i <= SC_MAX_RULES; i++)
    o += (size_t)snprintf(big + o, sizeof big - o, "on ehlo #%d: close\n", i + 1);
  size_t line;
  const char *reason;
  CHECK(parse(&sc_a, big, &line, &reason) == SF_ERR_CONFIG_TOO_LONG && line == SC_MAX_RULES + 1);
  o = 0;
  for (int i = 0; i < 3; i++) {
    o += (size_t)snprintf(big + o, sizeof big - o, "on ehlo #%d: close", i + 1);
    for (int k = 1; k < 30; k++)
      o += (size_t)snprintf(big + o, sizeof big - o, "; close");
    o += (size_t)snprintf(big + o, sizeof big - o, "\n");
  }
  CHECK(parse(&sc_a, big, &line, &reason) == SF_ERR_CONFIG_TOO_LONG && line == 3);
  o = 0;
  for (int i = 0; i < 5; i++) {
    o += (size_t)snprintf(big + o, sizeof big - o, "on ehlo #%d: send \"", i + 1);
    for (int k = 0; k < 2000; k++)
      big[o++] = 'x';
    o += (size_t)snprintf(big + o, sizeof big - o, "\"\n");
  }
  CHECK(parse(&sc_a, big, &line, &reason) == SF_ERR_CONFIG_TOO_LONG && line == 5);
  CHECK(reason != NULL && strstr(reason, "pool") != NULL);
}

static void test_text_details(void)
{
  /* Comments, CRLF files, quoted values, '#' inside values and strings. */
  CHECK(parse_ok(&sc_a, "# head\r\n  name = x-1   # trailing\r\n\r\nclient.password = "
                        "\"p #w\\\"d\"  # c\r\nclient.user = u#1\r\n"
                        "on data any #3: send \"#;\\\"\"; close # done\r\n"));
  CHECK(strcmp(sc_a.name, "x-1") == 0);
  CHECK(strcmp(sc_a.cfg.password, "p #w\"d") == 0);
  CHECK(strcmp(sc_a.cfg.user, "u#1") == 0);
  CHECK(sc_a.nrules == 1 && sc_a.rules[0].chan == SC_CHAN_ANY && sc_a.rules[0].nth == 3);
  CHECK(sc_a.actions[0].len == 3 && memcmp(sc_a.pool + sc_a.actions[0].off, "#;\"", 3) == 0);
  CHECK(sc_a.actions[1].kind == SC_ACT_CLOSE);

  /* Escapes, NUL included. */
  CHECK(parse_ok(&sc_a, "on other: send \"\\r\\n\\t\\\\\\\"\\x00\\xFF\\x7f\"\n"));
  CHECK(sc_a.actions[0].len == 8 &&
        memcmp(sc_a.pool + sc_a.actions[0].off, "\r\n\t\\\"\0\xff\x7f", 8) == 0);
  CHECK(parse_ok(&sc_a, "on other: send \"\"\non quit: nothing\n"));
  CHECK(sc_a.actions[0].len == 0 && sc_a.rules[1].nactions == 0);

  /* The first client.to replaces the default recipient. */
  CHECK(parse_ok(&sc_a, "client.to = a@x\nclient.to = b@x\n"));
  CHECK(sc_a.cfg.nrcpt == 2 && strcmp(sc_a.cfg.rcpt[1], "b@x") == 0);
  CHECK(parse_ok(&sc_a, "deliver = no\n"));
  CHECK(sc_a.cfg.mail_from == NULL && sc_a.cfg.nrcpt == 0 && sc_a.cfg.message == NULL);

  /* Messages: bare with config escapes, or quoted with string escapes. */
  CHECK(parse_ok(&sc_a, "client.message = Subject: a\\r\\n\\r\\nx \\\\ y\\n\n"));
  CHECK(sc_a.cfg.message_len == 20 &&
        memcmp(sc_a.cfg.message, "Subject: a\r\n\r\nx \\ y\n", 20) == 0);
  CHECK(parse_ok(&sc_b, "client.message = \"Subject: a\\r\\n\\r\\nx \\\\ y\\n\"\n"));
  CHECK(scenario_equal(&sc_a, &sc_b));

  /* Every field set away from its default survives format/parse. */
  CHECK(parse_ok(&sc_a, "name = all\nserver = legacy\ncert = wrong-host\ncert.host = "
                        "*.example.net\nclient.mode = implicit\nclient.tls = opportunistic\n"
                        "client.verify = no\nclient.host = smtp.example.net\nclient.cafile = "
                        "/etc/ca #1.pem\nclient.port = 2525\nclient.auth = login\nclient.user "
                        "= \" sp \"\nclient.password = \"tab\\there\"\n"
                        "client.allow_plaintext_auth = yes\nclient.allow_helo = yes\n"
                        "client.helo_name = h.example\nclient.from = \"\"\nclient.to = a@b\n"
                        "client.message = \"x\\ty #z\\n\"\nclient.lenient = bare-lf\n"
                        "client.timeout.greeting = 1\nclient.timeout.quit = 86400000\n"
                        "expect = CRASH, LEAK_AUTH\nexpect.result = failed\nexpect.error = "
                        "TLS_CERT_WRONG_HOST\ntime_bound = 4294967295\n"
                        "on auth-data tls #63: stall 0; send \"\\x00\"; tls; close; hang\n"));
  CHECK(sc_a.cfg.cafile != NULL && strcmp(sc_a.cfg.cafile, "/etc/ca") == 0);
  CHECK(strcmp(sc_a.cfg.user, "sp") == 0); /* sf_config_set trims */
  CHECK(strcmp(sc_a.cfg.mail_from, "") == 0);
  CHECK(sc_a.expect_verdicts == ((1u << SC_V_CRASH) | (1u << SC_V_LEAK_AUTH)));
  size_t tlen = scenario_format_text(&sc_a, text_buf, sizeof text_buf);
  CHECKF(parse_ok(&sc_b, text_buf) && scenario_equal(&sc_a, &sc_b), "%s", text_buf);

  /* A short buffer gets a NUL-terminated prefix and the needed length. */
  char small[16];
  CHECK(scenario_format_text(&sc_a, small, sizeof small) == tlen);
  CHECK(strlen(small) == sizeof small - 1 && memcmp(small, text_buf, sizeof small - 1) == 0);
  CHECK(scenario_format_text(&sc_a, NULL, 0) == tlen);

  /* The newer fields survive too: repeats, deaf, resume, an expected
   * diagnosis, no recipient, no host, an address as the certificate's name. */
  size_t line;
  const char *reason;
  CHECK(parse_ok(&sc_a, "resume = yes\ncert.host = 2001:db8::10\nclient.host = \"\"\n"
                        "client.to =\nexpect.diagnosis = \"try mode = implicit #1\"\n"
                        "on connect: send \"220-\" * 3; send \"A\" *1000000; deaf\n"));
  CHECK(sc_a.resume && strcmp(sc_a.cert_host, "2001:db8::10") == 0);
  CHECK(sc_a.cfg.host != NULL && sc_a.cfg.host[0] == '\0');
  CHECK(sc_a.cfg.mail_from != NULL && sc_a.cfg.nrcpt == 0);
  CHECK(strcmp(sc_a.expect_diag, "try mode = implicit #1") == 0);
  CHECK(sc_a.actions[0].repeat == 3 && sc_a.actions[1].repeat == 1000000);
  CHECK(sc_a.actions[2].kind == SC_ACT_DEAF);
  scenario_format_text(&sc_a, text_buf, sizeof text_buf);
  CHECKF(parse_ok(&sc_b, text_buf) && scenario_equal(&sc_a, &sc_b), "%s", text_buf);
  CHECK(strstr(text_buf, "send \"A\" * 1000000") != NULL);
  CHECK(strstr(text_buf, "client.to =\n") != NULL);
  /* A repeat is a count from 1 to SC_REPEAT_MAX, and stands after a send only. */
  CHECK(parse(&sc_a, "on ehlo: send \"x\" * 0\n", &line, &reason) == SF_ERR_CONFIG_BAD_VALUE);
  CHECK(parse(&sc_a, "on ehlo: send \"x\" * 1048577\n", &line, &reason) == SF_ERR_CONFIG_BAD_VALUE);
  CHECK(parse(&sc_a, "on ehlo: send \"x\" *\n", &line, &reason) == SF_ERR_CONFIG_SYNTAX);
  CHECK(parse(&sc_a, "on ehlo: close * 2\n", &line, &reason) == SF_ERR_CONFIG_SYNTAX);
  /* An empty client.to stands alone. */
  CHECK(parse(&sc_a, "client.to =\nclient.to = a@b\n", &line, &reason) ==
            SF_ERR_CONFIG_INCONSISTENT &&
        line == 2);
  CHECK(parse(&sc_a, "resume = maybe\n", &line, &reason) == SF_ERR_CONFIG_BAD_VALUE);

  /* A message as long as the configuration holds is written as text the
   * parser reads back (4,100 bytes once went out quoted and came back refused). */
  static char longmsg[4200];
  memset(longmsg, 'x', sizeof longmsg - 1);
  longmsg[10] = '#';
  scenario_init(&sc_a);
  sc_a.cfg.message = longmsg;
  sc_a.cfg.message_len = sizeof longmsg - 1;
  scenario_format_text(&sc_a, text_buf, sizeof text_buf);
  CHECKF(parse_ok(&sc_b, text_buf) && scenario_equal(&sc_a, &sc_b), "long message");
}

/* ------------------------------------------------------------------ */

static uint64_t rng_state = 0x1234567;

static uint32_t rnd(void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 11);
}

/* Random bytes biased toward the record kinds and small lengths. */
static size_t random_input(uint8_t *buf, size_t cap)
{
  size_t n = rnd() % (rnd() % 4 == 0 ? cap : 200);
  for (size_t i = 0; i < n; i++)
    buf[i] = (uint8_t)(rnd() % 3 == 0 ? rnd() % 0x50 : rnd());
  return n;
}

static void test_binary(void)
{
  static uint8_t in[12000], enc[SC_BINARY_MAX], enc2[SC_BINARY_MAX];
  unsigned with_rules = 0;
  for (int iter = 0; iter < 10000; iter++) {
    size_t n = random_input(in, sizeof in);
    /* Exactly sized heap copy: ASan catches any read past len. */
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, in, n);
    scenario_decode(&sc_a, exact, n);
    free(exact);
    with_rules += sc_a.nrules > 0;

    size_t e = scenario_encode(&sc_a, enc, sizeof enc);
    CHECK(e >= SC_BINARY_HEADER && e <= SC_BINARY_MAX);
    scenario_decode(&sc_b, enc, e);
    if (!scenario_equal(&sc_a, &sc_b)) {
      CHECKF(0, "decode(encode(decode(x))) differs at iteration %d", iter);
      break;
    }
    size_t e2 = scenario_encode(&sc_b, enc2, sizeof enc2);
    CHECK(e2 == e && memcmp(enc, enc2, e) == 0);
    CHECK(scenario_encode(&sc_a, enc2, e - 1) == 0);

    /* Every decoded scenario also has a text form that parses back. */
    if (iter % 4 == 0) {
      size_t tlen = scenario_format_text(&sc_a, text_buf, sizeof text_buf);
      CHECK(tlen < sizeof text_buf);
      size_t line;
      const char *reason;
      enum sf_err err = scenario_parse_text(&sc_c, text_buf, tlen, &line, &reason);
      if (err != SF_ERR_OK || !scenario_equal(&sc_a, &sc_c)) {
        CHECKF(0, "text of decoded input %d: %s line %zu %s\n%s", iter, sf_err_name(err), line,
               reason ? reason : "", text_buf);
        break;
      }
    }
  }
  CHECK(with_rules > 1000);

  /* Empty and short inputs are scenario_init's values. */
  scenario_init(&sc_b);
  scenario_decode(&sc_a, NULL, 0);
  CHECK(scenario_equal(&sc_a, &sc_b));
  scenario_decode(&sc_a, (const uint8_t *)"\x02", 1); /* implicit, the rest default */
  CHECK(sc_a.cfg.mode == SF_MODE_IMPLICIT && sc_a.cfg.tls == SF_TLS_REQUIRED);
  CHECK(sc_a.cfg.port == 587 && sc_a.cfg.verify);

  /* The profile stays consistent unless flag 0x10 asks otherwise. */
  uint8_t h[SC_BINARY_HEADER];
  scenario_init(&sc_b);
  scenario_encode(&sc_b, h, sizeof h);
  h[0] = 0; /* plain */
  h[1] = 2; /* required */
  scenario_decode(&sc_a, h, sizeof h);
  CHECK(sc_a.cfg.mode == SF_MODE_PLAIN && sc_a.cfg.tls == SF_TLS_NONE);
  h[6] |= 0x10;
  scenario_decode(&sc_a, h, sizeof h);
  CHECK(sc_a.cfg.mode == SF_MODE_PLAIN && sc_a.cfg.tls == SF_TLS_REQUIRED);
  h[6] &= (uint8_t)~0x10;
  h[2] = 4;
  h[3] = 0x39;
  h[4] = 0x30;
  scenario_decode(&sc_a, h, sizeof h);
  CHECK(sc_a.cfg.port == 12345);

  /* Locality: one header byte, one field. */
  static const uint8_t rule[] = {SC_VERB_STARTTLS, 1, 0x40, 4, '2', '2', '0', ' ', 0x43};
  uint8_t buf[64];
  memcpy(buf, h, SC_BINARY_HEADER);
  memcpy(buf + SC_BINARY_HEADER, rule, sizeof rule);
  scenario_decode(&sc_a, buf, SC_BINARY_HEADER + sizeof rule);
  CHECK(sc_a.nrules == 1 && sc_a.rules[0].verb == SC_VERB_STARTTLS);
  CHECK(sc_a.rules[0].chan == SC_CHAN_PLAIN && sc_a.rules[0].nactions == 2);
  CHECK(sc_a.actions[0].len == 4 && sc_a.actions[1].kind == SC_ACT_TLS);
  buf[7] = SC_PERS_RELAY;
  scenario_decode(&sc_b, buf, SC_BINARY_HEADER + sizeof rule);
  CHECK(sc_b.personality == SC_PERS_RELAY && sc_b.nrules == 1 && sc_b.actions[0].len == 4);
  /* A send cut short keeps what is there. */
  scenario_decode(&sc_b, buf, SC_BINARY_HEADER + 6);
  CHECK(sc_b.nrules == 1 && sc_b.nactions == 1 && sc_b.actions[0].len == 2);
}

/* ------------------------------------------------------------------ */

static void test_classify(void)
{
  static const struct {
    const char *line;
    enum sc_verb verb;
  } cases[] = {
      {"EHLO client.example.org", SC_VERB_EHLO},
      {"ehlo x", SC_VERB_EHLO},
      {"EHLO", SC_VERB_EHLO},
      {"HELO x", SC_VERB_HELO},
      {"STARTTLS", SC_VERB_STARTTLS},
      {"StartTLS", SC_VERB_STARTTLS},
      {"STARTTLSX", SC_VERB_OTHER},
      {"STARTTLS x", SC_VERB_STARTTLS},
      {"AUTH PLAIN AGFsaWNl", SC_VERB_AUTH},
      {"AUTH LOGIN", SC_VERB_AUTH},
      {"MAIL FROM:<a@b>", SC_VERB_MAIL},
      {"MAIL", SC_VERB_MAIL},
      {"MAILX FROM:<a@b>", SC_VERB_OTHER},
      {"RCPT TO:<b@c>", SC_VERB_RCPT},
      {"DATA", SC_VERB_DATA},
      {"RSET", SC_VERB_RSET},
      {"NOOP", SC_VERB_NOOP},
      {"QUIT", SC_VERB_QUIT},
      {"QUITX", SC_VERB_OTHER},
      {"QUI", SC_VERB_OTHER},
      {" QUIT", SC_VERB_OTHER},
      {"VRFY x", SC_VERB_OTHER},
      {"CONNECT", SC_VERB_OTHER},
      {"BODY", SC_VERB_OTHER},
      {"AUTH-DATA", SC_VERB_OTHER},
      {"", SC_VERB_OTHER},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    enum sc_verb v = sc_classify(cases[i].line, strlen(cases[i].line));
    CHECKF(v == cases[i].verb, "'%s': %s", cases[i].line, sc_verb_name(v));
  }
  /* The length bounds the line: no terminator needed. */
  CHECK(sc_classify("QUITTER", 4) == SC_VERB_QUIT);
  CHECK(sc_classify("DATA", 3) == SC_VERB_OTHER);
}

static int has(const char *s, const char *sub)
{
  return strstr(s, sub) != NULL;
}

static void test_personalities(void)
{
  /* Every personality answers every verb on both channels. */
  for (int p = 0; p < SC_PERS_COUNT; p++) {
    scenario_init(&sc_a);
    sc_a.personality = (enum sc_personality)p;
    for (int hint = SC_HINT_NONE; hint <= SC_HINT_CHUNK_BAD; hint++) {
      for (int v = 0; v < SC_VERB_COUNT; v++)
        for (int tls = 0; tls < 2; tls++)
          for (unsigned occ = 1; occ <= 3; occ++) {
            struct sc_step steps[SC_MAX_STEPS];
            size_t n = scenario_answer(&sc_a, (enum sc_verb)v, tls, occ, (enum sc_hint)hint, steps,
                                       SC_MAX_STEPS);
            CHECKF(n > 0, "%s %s tls=%d", sc_personality_name((enum sc_personality)p),
                   sc_verb_name((enum sc_verb)v), tls);
            for (size_t i = 0; i < n; i++)
              if (steps[i].kind == SC_ACT_SEND)
                CHECK(steps[i].len >= 5 && steps[i].bytes[steps[i].len - 1] == '\n');
          }
    }
  }
  CHECK(scenario_answer(&sc_a, SC_VERB_CONNECT, 0, 1, SC_HINT_NONE, NULL, 0) == 0);

  struct scenario *s = &sc_a;
  scenario_init(s);
  /* submission, port 587 */
  CHECK(has(answer_str(s, SC_VERB_CONNECT, 0, 1), "send:220 "));
  const char *e = answer_str(s, SC_VERB_EHLO, 0, 1);
  CHECK(has(e, "STARTTLS") && has(e, "PIPELINING") && has(e, "SIZE") && has(e, "8BITMIME") &&
        has(e, "ENHANCEDSTATUSCODES") && !has(e, "AUTH"));
  e = answer_str(s, SC_VERB_EHLO, 1, 1);
  CHECK(has(e, "AUTH PLAIN LOGIN") && !has(e, "STARTTLS"));
  CHECK(strcmp(answer_str(s, SC_VERB_STARTTLS, 0, 1),
               "send:220 2.0.0 Ready to start TLS\r\n|tls|") == 0);
  CHECK(has(answer_str(s, SC_VERB_STARTTLS, 1, 1), "send:503 "));
  CHECK(has(answer_str(s, SC_VERB_AUTH, 0, 1), "send:530 5.7.0"));
  CHECK(has(answer_hint(s, SC_VERB_AUTH, 0, 1, SC_HINT_AUTH_OK), "send:530 5.7.0"));
  /* Over TLS, AUTH is answered as the server core read it (RFC 4954 4). */
  CHECK(has(answer_hint(s, SC_VERB_AUTH, 1, 1, SC_HINT_AUTH_OK), "send:235 "));
  CHECK(has(answer_hint(s, SC_VERB_AUTH, 1, 1, SC_HINT_AUTH_BAD), "send:535 5.7.8"));
  CHECK(strcmp(answer_hint(s, SC_VERB_AUTH, 1, 1, SC_HINT_AUTH_ASK), "send:334 \r\n|") == 0);
  CHECK(
      has(answer_hint(s, SC_VERB_AUTH, 1, 1, SC_HINT_AUTH_ASK_USER), "send:334 VXNlcm5hbWU6\r\n"));
  CHECK(has(answer_hint(s, SC_VERB_AUTH_DATA, 1, 1, SC_HINT_AUTH_ASK_PASSWORD),
            "send:334 UGFzc3dvcmQ6\r\n"));
  CHECK(has(answer_hint(s, SC_VERB_AUTH_DATA, 1, 2, SC_HINT_AUTH_OK), "send:235 "));
  CHECK(has(answer_hint(s, SC_VERB_AUTH_DATA, 1, 2, SC_HINT_AUTH_ABORTED), "send:501 "));
  CHECK(has(answer_hint(s, SC_VERB_AUTH, 1, 1, SC_HINT_AUTH_UNKNOWN), "send:504 "));
  CHECK(has(answer_hint(s, SC_VERB_BDAT, 1, 1, SC_HINT_NONE), "send:250 2.0.0 Ok: chunk"));
  CHECK(has(answer_hint(s, SC_VERB_BDAT, 1, 2, SC_HINT_CHUNK_LAST), "send:250 2.0.0 Ok: queued"));
  CHECK(has(answer_hint(s, SC_VERB_BDAT, 0, 1, SC_HINT_CHUNK_BAD), "send:501 "));
  CHECK(has(answer_str(s, SC_VERB_MAIL, 1, 1), "send:250 "));
  CHECK(has(answer_str(s, SC_VERB_RCPT, 1, 2), "send:250 "));
  CHECK(has(answer_str(s, SC_VERB_DATA, 1, 1), "send:354 "));
  CHECK(has(answer_str(s, SC_VERB_BODY, 1, 1), "send:250 "));
  CHECK(has(answer_str(s, SC_VERB_RSET, 1, 1), "send:250 "));
  CHECK(has(answer_str(s, SC_VERB_NOOP, 0, 1), "send:250 "));
  CHECK(has(answer_str(s, SC_VERB_QUIT, 0, 1), "send:221 ") &&
        has(answer_str(s, SC_VERB_QUIT, 0, 1), "|close|"));
  CHECK(has(answer_str(s, SC_VERB_OTHER, 1, 1), "send:500 "));

  /* implicit, port 465 */
  s->personality = SC_PERS_IMPLICIT;
  CHECK(strncmp(answer_str(s, SC_VERB_CONNECT, 0, 1), "tls|send:220 ", 13) == 0);
  e = answer_str(s, SC_VERB_EHLO, 1, 1);
  CHECK(has(e, "AUTH") && !has(e, "STARTTLS"));
  e = answer_str(s, SC_VERB_STARTTLS, 1, 1);
  CHECK(has(e, "send:503 ") || has(e, "send:502 "));
  CHECK(!has(e, "tls|"));

  /* relay, port 25 */
  s->personality = SC_PERS_RELAY;
  CHECK(has(answer_str(s, SC_VERB_EHLO, 0, 1), "STARTTLS"));
  CHECK(!has(answer_str(s, SC_VERB_EHLO, 0, 1), "AUTH"));
  CHECK(!has(answer_str(s, SC_VERB_EHLO, 1, 1), "AUTH"));
  CHECK(!has(answer_str(s, SC_VERB_EHLO, 1, 1), "STARTTLS"));
  CHECK(has(answer_str(s, SC_VERB_AUTH, 0, 1), "send:503 5.5.1"));
  CHECK(has(answer_str(s, SC_VERB_AUTH, 1, 1), "send:503 5.5.1"));
  CHECK(has(answer_str(s, SC_VERB_STARTTLS, 0, 1), "|tls|"));

  /* legacy: plaintext, no ESMTP */
  s->personality = SC_PERS_LEGACY;
  CHECK(!has(answer_str(s, SC_VERB_CONNECT, 0, 1), "ESMTP"));
  CHECK(has(answer_str(s, SC_VERB_EHLO, 0, 1), "send:502 5.5.2"));
  CHECK(has(answer_str(s, SC_VERB_HELO, 0, 1), "send:250 "));
  CHECK(has(answer_str(s, SC_VERB_STARTTLS, 0, 1), "send:502 "));
  CHECK(has(answer_str(s, SC_VERB_AUTH, 0, 1), "send:502 "));

  /* silent */
  s->personality = SC_PERS_SILENT;
  CHECK(strcmp(answer_str(s, SC_VERB_CONNECT, 0, 1), "hang|") == 0);
}

static void test_answer_precedence(void)
{
  CHECK(parse_ok(&sc_a, "on ehlo: send \"A\\r\\n\"\n"
                        "on ehlo tls: send \"B\\r\\n\"\n"
                        "on ehlo #2: send \"C\\r\\n\"\n"
                        "on ehlo tls #2: send \"D\\r\\n\"\n"
                        "on ehlo plain #3: send \"E\\r\\n\"\n"
                        "on starttls #2: stall 5; close\n"
                        "on quit: nothing\n"));
  for (int p = 0; p < SC_PERS_COUNT; p++) {
    sc_a.personality = (enum sc_personality)p;
    CHECK(strcmp(answer_str(&sc_a, SC_VERB_EHLO, 0, 1), "send:A\r\n|") == 0);
    CHECK(strcmp(answer_str(&sc_a, SC_VERB_EHLO, 1, 1), "send:B\r\n|") == 0);
    CHECK(strcmp(answer_str(&sc_a, SC_VERB_EHLO, 0, 2), "send:C\r\n|") == 0);
    CHECK(strcmp(answer_str(&sc_a, SC_VERB_EHLO, 1, 2), "send:D\r\n|") == 0);
    CHECK(strcmp(answer_str(&sc_a, SC_VERB_EHLO, 0, 3), "send:E\r\n|") == 0);
    CHECK(strcmp(answer_str(&sc_a, SC_VERB_EHLO, 1, 3), "send:B\r\n|") == 0);
    CHECK(strcmp(answer_str(&sc_a, SC_VERB_STARTTLS, 1, 2), "stall:5|close|") == 0);
    CHECK(strcmp(answer_str(&sc_a, SC_VERB_QUIT, 1, 1), "") == 0);
    /* No rule: the personality's default. */
    scenario_init(&sc_b);
    sc_b.personality = (enum sc_personality)p;
    for (int v = 0; v < SC_VERB_COUNT; v++) {
      if (v == SC_VERB_EHLO || v == SC_VERB_QUIT)
        continue;
      for (int tls = 0; tls < 2; tls++) {
        /* "on starttls #2" does not touch the first STARTTLS. */
        static char want[4096];
        snprintf(want, sizeof want, "%s", answer_str(&sc_b, (enum sc_verb)v, tls, 1));
        CHECK(strcmp(answer_str(&sc_a, (enum sc_verb)v, tls, 1), want) == 0);
      }
    }
  }
  /* A file-order tie: the first rule of the same rank wins. */
  sc_a.rules[1].chan = SC_CHAN_ANY; /* now two "on ehlo" rules */
  CHECK(strcmp(answer_str(&sc_a, SC_VERB_EHLO, 1, 1), "send:A\r\n|") == 0);
  /* The step cap is respected. */
  struct sc_step one[1];
  CHECK(scenario_answer(&sc_a, SC_VERB_STARTTLS, 0, 2, SC_HINT_NONE, one, 1) == 1 &&
        one[0].kind == SC_ACT_STALL);
}

/* ------------------------------------------------------------------ */

static void test_mutator(void)
{
  static uint8_t data[SC_BINARY_MAX], before[SC_BINARY_MAX], other[SC_BINARY_MAX];
  static uint8_t out[SC_BINARY_MAX], again[SC_BINARY_MAX];
  unsigned changed = 0, total = 0;
  size_t size = 0;
  rng_state = 99;
  for (unsigned iter = 0; iter < 5000; iter++) {
    if (iter % 50 == 0) {
      size = random_input(data, 300);
      if (iter % 100 == 0) {
        /* Start from an example sometimes, so edits meet real replies. */
        static char file[65536];
        size_t n = read_file(examples[(iter / 100) % NEXAMPLES], file, sizeof file);
        size_t line;
        const char *reason;
        if (scenario_parse_text(&sc_a, file, n, &line, &reason) == SF_ERR_OK)
          size = scenario_encode(&sc_a, data, sizeof data);
      }
    }
    memcpy(before, data, size);
    size_t max = iter % 7 == 0 ? size + 10 : sizeof data;
    size_t n = scenario_mutate(data, size, max, iter);
    CHECK(n <= max);
    total++;
    changed += n != size || memcmp(before, data, n) != 0;

    /* Deterministic given the seed. */
    memcpy(again, before, size);
    size_t n2 = scenario_mutate(again, size, max, iter);
    CHECK(n2 == n && memcmp(again, data, n) == 0);

    /* The output decodes, and round-trips. */
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, data, n);
    scenario_decode(&sc_a, exact, n);
    free(exact);
    size_t e = scenario_encode(&sc_a, out, sizeof out);
    scenario_decode(&sc_b, out, e);
    CHECK(scenario_equal(&sc_a, &sc_b));
    size = n;

    if (iter % 5 == 0) {
      size_t osz = random_input(other, 300);
      size_t c = scenario_crossover(data, size, other, osz, out, sizeof out, iter);
      CHECK(c > 0 && c <= sizeof out);
      scenario_decode(&sc_a, out, c);
      size_t c2 = scenario_crossover(data, size, other, osz, again, sizeof again, iter);
      CHECK(c2 == c && memcmp(out, again, c) == 0);
      CHECK(scenario_crossover(data, size, other, osz, out, 5, iter) <= 5);
    }
  }
  CHECKF(changed * 10 >= total * 9, "mutator changed %u of %u inputs", changed, total);

  /* From scenario_init's form alone, a few thousand mutations reach every
   * field the issue named: no host, an address literal, a certificate for an
   * address, other credentials, no and several recipients, a message with a
   * bare CR or LF, resumption, a deaf server and a repeated send. */
  enum {
    NO_HOST,
    IP_HOST,
    IP_CERT,
    CREDS,
    NO_RCPT,
    MANY_RCPT,
    BARE_CR,
    RESUME,
    DEAF,
    REPEAT,
    GOALS
  };
  unsigned seen = 0;
  scenario_init(&sc_a);
  size = scenario_encode(&sc_a, data, sizeof data);
  for (unsigned iter = 0; iter < 20000 && seen != (1u << GOALS) - 1; iter++) {
    if (iter % 40 == 0) {
      scenario_init(&sc_a);
      size = scenario_encode(&sc_a, data, sizeof data);
    }
    size = scenario_mutate(data, size, sizeof data, iter + 7);
    scenario_decode(&sc_a, data, size);
    const struct sf_config *c = &sc_a.cfg;
    seen |= (c->host[0] == '\0') << NO_HOST;
    seen |= (strchr(c->host, ':') != NULL || (c->host[0] >= '0' && c->host[0] <= '9')) << IP_HOST;
    seen |= (strchr(sc_a.cert_host, ':') != NULL ||
             (sc_a.cert_host[0] >= '0' && sc_a.cert_host[0] <= '9'))
            << IP_CERT;
    seen |= (strcmp(c->password, "s3cret-Pa55") != 0 || strcmp(c->user, "alice") != 0) << CREDS;
    seen |= (c->mail_from && c->nrcpt == 0) << NO_RCPT;
    seen |= (c->nrcpt > 1) << MANY_RCPT;
    for (size_t i = 0; c->message && i + 1 < c->message_len; i++)
      if (c->message[i] == '\r' && c->message[i + 1] != '\n')
        seen |= 1u << BARE_CR;
    seen |= (sc_a.resume != 0) << RESUME;
    for (size_t i = 0; i < sc_a.nactions; i++) {
      seen |= (sc_a.actions[i].kind == SC_ACT_DEAF) << DEAF;
      seen |= (sc_a.actions[i].kind == SC_ACT_SEND && sc_a.actions[i].repeat > 1) << REPEAT;
    }
  }
  CHECKF(seen == (1u << GOALS) - 1, "fields never reached: %#x", ~seen & ((1u << GOALS) - 1));

  /* Degenerate sizes. */
  CHECK(scenario_mutate(data, 0, 0, 1) == 0);
  CHECK(scenario_mutate(data, 0, 1, 1) == 1);
}

int main(void)
{
  test_init();
  test_examples();
  test_syntax_errors();
  test_text_details();
  test_binary();
  test_classify();
  test_personalities();
  test_answer_precedence();
  test_mutator();
  return check_report("test_scenario");
}
