/* Scenario model: defaults, personalities, answers, the text form (.scn),
 * the binary form for fuzz targets, and the structure-aware mutator.
 *
 * A scenario's cfg strings point either at static literals (scenario_init,
 * scenario_decode) or into cfg.strings (values parsed from text), so a
 * scenario must not be copied by value once text has been parsed into it.
 */
#include "scenario.h"

#include "reply_parser.h"

#include <string.h>

/* Fail fast: return the error with its one-line reason. */
#define FAIL(err, why)                                                                             \
  do {                                                                                             \
    *reason = (why);                                                                               \
    return SF_ERR_##err;                                                                           \
  } while (0)
#define TRY(expr)                                                                                  \
  do {                                                                                             \
    enum sf_err try_err_ = (expr);                                                                 \
    if (try_err_ != SF_ERR_OK)                                                                     \
      return try_err_;                                                                             \
  } while (0)

#define STR(x)  #x
#define XSTR(x) STR(x)

/* Six bits of the rule record's channel byte in the binary form. */
#define NTH_MAX 63
/* The engine's own ceiling for a per-phase timeout (config.c). */
#define TIMEOUT_MAX_MS 86400000u

/* ------------------------------------------------------------------ */
/* Names                                                               */

static const char *const verb_names[SC_VERB_COUNT] = {
#define SC_VERB_NAME(id, name) name,
    SC_VERB_LIST(SC_VERB_NAME)
#undef SC_VERB_NAME
};

static const char *const cert_names[SC_CERT_COUNT] = {
#define SC_CERT_NAME(id, name) name,
    SC_CERT_LIST(SC_CERT_NAME)
#undef SC_CERT_NAME
};

static const char *const personality_names[SC_PERS_COUNT] = {
#define SC_PERS_NAME(id, name) name,
    SC_PERSONALITY_LIST(SC_PERS_NAME)
#undef SC_PERS_NAME
};

static const char *const verdict_names[SC_V_COUNT] = {
#define SC_VERDICT_NAME(id, desc) #id,
    SC_VERDICT_LIST(SC_VERDICT_NAME)
#undef SC_VERDICT_NAME
};

static const char *const verdict_descs[SC_V_COUNT] = {
#define SC_VERDICT_DESC(id, desc) desc,
    SC_VERDICT_LIST(SC_VERDICT_DESC)
#undef SC_VERDICT_DESC
};

static const char *const chan_names[] = {"any", "plain", "tls"};
static const char *const result_names[] = {"any", "done", "failed"};
static const char *const act_names[] = {"send", "stall", "close", "tls", "hang"};

const char *sc_verb_name(enum sc_verb v)
{
  return (unsigned)v < SC_VERB_COUNT ? verb_names[v] : "?";
}

const char *sc_verdict_name(enum sc_verdict v)
{
  return (unsigned)v < SC_V_COUNT ? verdict_names[v] : "?";
}

const char *sc_verdict_desc(enum sc_verdict v)
{
  return (unsigned)v < SC_V_COUNT ? verdict_descs[v] : "?";
}

const char *sc_cert_name(enum sc_cert c)
{
  return (unsigned)c < SC_CERT_COUNT ? cert_names[c] : "?";
}

const char *sc_personality_name(enum sc_personality p)
{
  return (unsigned)p < SC_PERS_COUNT ? personality_names[p] : "?";
}

/* ------------------------------------------------------------------ */
/* Defaults                                                            */

#define DEFAULT_HOST      "mx.example.com"
#define DEFAULT_HELO_NAME "client.example.org"
#define DEFAULT_FROM      "alice@example.org"
#define DEFAULT_TO        "bob@example.com"
#define DEFAULT_USER      "alice"
#define DEFAULT_PASSWORD  "s3cret-Pa55"
/* Credentials are set even without AUTH so a scenario turns AUTH on with one
 * key, and the oracles always know which bytes would be a leak. */
#define DEFAULT_MESSAGE                                                                            \
  "From: alice@example.org\nTo: bob@example.com\nSubject: smtpfuzz\n\nHello from smtpfuzz.\n"

/* RFC 5321 4.5.3.2 values, as sf_config_defaults sets them. */
static const uint32_t phase_default_ms[SF_PHASE_COUNT] = {
#define SF_PHASE_MS(id, name, ms) ms,
    SF_PHASE_LIST(SF_PHASE_MS)
#undef SF_PHASE_MS
};

static void default_envelope(struct sf_config *cfg)
{
  cfg->mail_from = DEFAULT_FROM;
  memset(cfg->rcpt, 0, sizeof cfg->rcpt);
  cfg->rcpt[0] = DEFAULT_TO;
  cfg->nrcpt = 1;
  cfg->message = DEFAULT_MESSAGE;
  cfg->message_len = sizeof DEFAULT_MESSAGE - 1;
}

static void init_config(struct sf_config *cfg)
{
  sf_config_defaults(cfg);
  cfg->host = DEFAULT_HOST;
  cfg->helo_name = DEFAULT_HELO_NAME;
  cfg->user = DEFAULT_USER;
  cfg->password = DEFAULT_PASSWORD;
  default_envelope(cfg);
}

void scenario_init(struct scenario *sc)
{
  memset(sc, 0, sizeof *sc);
  init_config(&sc->cfg);
  sc->personality = SC_PERS_SUBMISSION;
  sc->cert = SC_CERT_VALID;
  sc->expect_verdicts = 0;
  sc->expect_result = SC_RESULT_ANY;
  sc->expect_error = SF_ERR_OK;
}

/* No envelope: the client negotiates and says QUIT (text: deliver = no). */
static void clear_envelope(struct sf_config *cfg)
{
  cfg->mail_from = NULL;
  cfg->nrcpt = 0;
  memset(cfg->rcpt, 0, sizeof cfg->rcpt);
  cfg->message = NULL;
  cfg->message_len = 0;
}

/* ------------------------------------------------------------------ */
/* Equality                                                            */

static int str_eq(const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

static int config_equal(const struct sf_config *a, const struct sf_config *b)
{
  if (a->mode != b->mode || a->tls != b->tls || a->verify != b->verify || a->port != b->port ||
      a->auth != b->auth || a->allow_plaintext_auth != b->allow_plaintext_auth ||
      a->allow_helo != b->allow_helo || a->lenient != b->lenient || a->nrcpt != b->nrcpt ||
      a->message_len != b->message_len)
    return 0;
  if (!str_eq(a->host, b->host) || !str_eq(a->cafile, b->cafile) || !str_eq(a->user, b->user) ||
      !str_eq(a->password, b->password) || !str_eq(a->helo_name, b->helo_name) ||
      !str_eq(a->mail_from, b->mail_from))
    return 0;
  for (size_t i = 0; i < a->nrcpt && i < SF_CONFIG_MAX_RCPT; i++)
    if (!str_eq(a->rcpt[i], b->rcpt[i]))
      return 0;
  if ((a->message == NULL) != (b->message == NULL))
    return 0;
  if (a->message != NULL && memcmp(a->message, b->message, a->message_len) != 0)
    return 0;
  return memcmp(a->timeout_ms, b->timeout_ms, sizeof a->timeout_ms) == 0;
}

/* The bytes of a SEND action, clamped to the pool. */
static const uint8_t *send_bytes(const struct scenario *sc, const struct sc_action *a, size_t *len)
{
  size_t off = a->off < sc->pool_len ? a->off : sc->pool_len;
  size_t n = a->len < sc->pool_len - off ? a->len : sc->pool_len - off;
  *len = n;
  return sc->pool + off;
}

/* The actions of rule `r`, clamped to the action array. */
static size_t rule_actions(const struct scenario *sc, const struct sc_rule *r,
                           const struct sc_action **first)
{
  size_t n = sc->nactions < SC_MAX_ACTIONS ? sc->nactions : SC_MAX_ACTIONS;
  size_t lo = r->first_action < n ? r->first_action : n;
  size_t cnt = r->nactions < n - lo ? r->nactions : n - lo;
  *first = sc->actions + lo;
  return cnt;
}

static int action_equal(const struct scenario *sa, const struct sc_action *a,
                        const struct scenario *sb, const struct sc_action *b)
{
  if (a->kind != b->kind)
    return 0;
  if (a->kind == SC_ACT_STALL)
    return a->ms == b->ms;
  if (a->kind != SC_ACT_SEND)
    return 1;
  size_t la, lb;
  const uint8_t *pa = send_bytes(sa, a, &la), *pb = send_bytes(sb, b, &lb);
  return la == lb && (la == 0 || memcmp(pa, pb, la) == 0);
}

void scenario_as_portmode(struct scenario *sc)
{
  static const uint16_t ports[] = {25, 465, 587, 2525};
  sc->cfg.port = ports[sc->cfg.port % 4];
  sc->time_bound_ms = 0;
}

int scenario_equal(const struct scenario *a, const struct scenario *b)
{
  if (strncmp(a->name, b->name, SC_NAME_MAX) != 0 ||
      strncmp(a->cert_host, b->cert_host, sizeof a->cert_host) != 0)
    return 0;
  if (a->personality != b->personality || a->cert != b->cert || a->nrules != b->nrules ||
      a->expect_verdicts != b->expect_verdicts || a->expect_result != b->expect_result ||
      a->expect_error != b->expect_error || a->expect_error_set != b->expect_error_set ||
      a->time_bound_ms != b->time_bound_ms)
    return 0;
  if (!config_equal(&a->cfg, &b->cfg))
    return 0;
  for (size_t i = 0; i < a->nrules && i < SC_MAX_RULES; i++) {
    const struct sc_rule *ra = &a->rules[i], *rb = &b->rules[i];
    if (ra->verb != rb->verb || ra->chan != rb->chan || ra->nth != rb->nth)
      return 0;
    const struct sc_action *aa, *ab;
    size_t na = rule_actions(a, ra, &aa), nb = rule_actions(b, rb, &ab);
    if (na != nb)
      return 0;
    for (size_t k = 0; k < na; k++)
      if (!action_equal(a, &aa[k], b, &ab[k]))
        return 0;
  }
  return 1;
}

/* ------------------------------------------------------------------ */
/* Personalities: the default answer to every command                  */

#define SEND(s)                                                                                    \
  {                                                                                                \
    SC_ACT_SEND, (const uint8_t *)(s), sizeof(s) - 1, 0                                            \
  }
#define DO(kind)                                                                                   \
  {                                                                                                \
    SC_ACT_##kind, NULL, 0, 0                                                                      \
  }

#define GREETING_ESMTP  "220 mx.example.com ESMTP smtpfuzz\r\n"
#define GREETING_LEGACY "220 mx.example.com SMTP service ready\r\n"

static const struct sc_step a_hang[] = {DO(HANG)};
static const struct sc_step a_greeting[] = {SEND(GREETING_ESMTP)};
static const struct sc_step a_greeting_legacy[] = {SEND(GREETING_LEGACY)};
/* RFC 8314 3: TLS from the first byte, then the greeting inside it. */
static const struct sc_step a_greeting_implicit[] = {DO(TLS), SEND(GREETING_ESMTP)};
/* RFC 3207 4: no AUTH before TLS, so nothing worth stealing is offered. */
static const struct sc_step a_ehlo_submission_plain[] = {SEND("250-mx.example.com\r\n"
                                                              "250-PIPELINING\r\n"
                                                              "250-SIZE 35882577\r\n"
                                                              "250-STARTTLS\r\n"
                                                              "250-8BITMIME\r\n"
                                                              "250 ENHANCEDSTATUSCODES\r\n")};
/* RFC 3207 4.2: STARTTLS is not offered again once TLS is up. */
static const struct sc_step a_ehlo_auth[] = {SEND("250-mx.example.com\r\n"
                                                  "250-PIPELINING\r\n"
                                                  "250-SIZE 35882577\r\n"
                                                  "250-AUTH PLAIN LOGIN\r\n"
                                                  "250-8BITMIME\r\n"
                                                  "250 ENHANCEDSTATUSCODES\r\n")};
static const struct sc_step a_ehlo_relay_tls[] = {SEND("250-mx.example.com\r\n"
                                                       "250-PIPELINING\r\n"
                                                       "250-SIZE 35882577\r\n"
                                                       "250-8BITMIME\r\n"
                                                       "250 ENHANCEDSTATUSCODES\r\n")};
static const struct sc_step a_ehlo_legacy[] = {SEND("502 5.5.2 Error: command not recognized\r\n")};
static const struct sc_step a_helo[] = {SEND("250 mx.example.com\r\n")};
static const struct sc_step a_starttls[] = {SEND("220 2.0.0 Ready to start TLS\r\n"), DO(TLS)};
static const struct sc_step a_starttls_again[] = {SEND("503 5.5.1 Error: TLS already active\r\n")};
static const struct sc_step a_not_implemented[] = {
    SEND("502 5.5.1 Error: command not implemented\r\n")};
/* RFC 3207 4: the reply for a command that needs TLS first. */
static const struct sc_step a_auth_needs_tls[] = {
    SEND("530 5.7.0 Must issue a STARTTLS command first\r\n")};
static const struct sc_step a_auth_disabled[] = {
    SEND("503 5.5.1 Error: authentication not enabled\r\n")};
static const struct sc_step a_auth_ok[] = {SEND("235 2.7.0 Authentication successful\r\n")};
/* draft-murchison-sasl-login: "Username:" and "Password:" in base64. */
static const struct sc_step a_auth_login_user[] = {SEND("334 VXNlcm5hbWU6\r\n")};
static const struct sc_step a_auth_login_password[] = {SEND("334 UGFzc3dvcmQ6\r\n")};
static const struct sc_step a_mail[] = {SEND("250 2.1.0 Ok\r\n")};
static const struct sc_step a_rcpt[] = {SEND("250 2.1.5 Ok\r\n")};
static const struct sc_step a_data[] = {SEND("354 End data with <CR><LF>.<CR><LF>\r\n")};
static const struct sc_step a_body[] = {SEND("250 2.0.0 Ok: queued as 4F1A2B3C\r\n")};
static const struct sc_step a_ok[] = {SEND("250 2.0.0 Ok\r\n")};
static const struct sc_step a_quit[] = {SEND("221 2.0.0 Bye\r\n"), DO(CLOSE)};
static const struct sc_step a_other[] = {SEND("500 5.5.2 Error: command not recognized\r\n")};

/* The AUTH flow follows the configured mechanism: scenario_answer sees the
 * verb, not the line, so "AUTH LOGIN" and "AUTH PLAIN <ir>" look alike. */
enum answer_cond {
  IF_ALWAYS,
  IF_LOGIN,     /* cfg.auth is LOGIN */
  IF_LOGIN_ODD, /* cfg.auth is LOGIN and the occurrence is odd (user name) */
};

struct default_row {
  unsigned pers; /* bit per personality */
  unsigned verb; /* SC_VERB_COUNT: every verb */
  enum sc_chan chan;
  enum answer_cond cond;
  const struct sc_step *steps;
  size_t nsteps;
};

#define P(x)     (1u << SC_PERS_##x)
#define SPEAKING (P(SUBMISSION) | P(IMPLICIT) | P(RELAY) | P(LEGACY))
#define ANY_VERB SC_VERB_COUNT
#define ROW(pers, verb, chan, cond, steps)                                                         \
  {                                                                                                \
    pers, verb, SC_CHAN_##chan, cond, steps, sizeof steps / sizeof steps[0]                        \
  }

/* First match wins: specific rows come before general ones. */
static const struct default_row default_rows[] = {
    ROW(P(SILENT), ANY_VERB, ANY, IF_ALWAYS, a_hang),

    ROW(P(SUBMISSION) | P(RELAY), SC_VERB_CONNECT, ANY, IF_ALWAYS, a_greeting),
    ROW(P(IMPLICIT), SC_VERB_CONNECT, ANY, IF_ALWAYS, a_greeting_implicit),
    ROW(P(LEGACY), SC_VERB_CONNECT, ANY, IF_ALWAYS, a_greeting_legacy),

    ROW(P(SUBMISSION) | P(RELAY), SC_VERB_EHLO, PLAIN, IF_ALWAYS, a_ehlo_submission_plain),
    ROW(P(SUBMISSION) | P(IMPLICIT), SC_VERB_EHLO, ANY, IF_ALWAYS, a_ehlo_auth),
    ROW(P(RELAY), SC_VERB_EHLO, ANY, IF_ALWAYS, a_ehlo_relay_tls),
    ROW(P(LEGACY), SC_VERB_EHLO, ANY, IF_ALWAYS, a_ehlo_legacy),

    ROW(SPEAKING, SC_VERB_HELO, ANY, IF_ALWAYS, a_helo),

    ROW(P(SUBMISSION) | P(RELAY), SC_VERB_STARTTLS, PLAIN, IF_ALWAYS, a_starttls),
    ROW(P(SUBMISSION) | P(RELAY) | P(IMPLICIT), SC_VERB_STARTTLS, ANY, IF_ALWAYS, a_starttls_again),
    ROW(P(LEGACY), SC_VERB_STARTTLS, ANY, IF_ALWAYS, a_not_implemented),

    ROW(P(SUBMISSION), SC_VERB_AUTH, PLAIN, IF_ALWAYS, a_auth_needs_tls),
    ROW(P(SUBMISSION) | P(IMPLICIT), SC_VERB_AUTH, ANY, IF_LOGIN, a_auth_login_user),
    ROW(P(SUBMISSION) | P(IMPLICIT), SC_VERB_AUTH, ANY, IF_ALWAYS, a_auth_ok),
    ROW(P(RELAY), SC_VERB_AUTH, ANY, IF_ALWAYS, a_auth_disabled),
    ROW(P(LEGACY), SC_VERB_AUTH, ANY, IF_ALWAYS, a_not_implemented),

    /* AUTH data only arrives after a 334, so whoever sent the 334 (a
     * default or a rule) chose to go on: carry the exchange to its end. */
    ROW(SPEAKING, SC_VERB_AUTH_DATA, ANY, IF_LOGIN_ODD, a_auth_login_password),
    ROW(SPEAKING, SC_VERB_AUTH_DATA, ANY, IF_ALWAYS, a_auth_ok),

    ROW(SPEAKING, SC_VERB_MAIL, ANY, IF_ALWAYS, a_mail),
    ROW(SPEAKING, SC_VERB_RCPT, ANY, IF_ALWAYS, a_rcpt),
    ROW(SPEAKING, SC_VERB_DATA, ANY, IF_ALWAYS, a_data),
    ROW(SPEAKING, SC_VERB_BODY, ANY, IF_ALWAYS, a_body),
    ROW(SPEAKING, SC_VERB_RSET, ANY, IF_ALWAYS, a_ok),
    ROW(SPEAKING, SC_VERB_NOOP, ANY, IF_ALWAYS, a_ok),
    ROW(SPEAKING, SC_VERB_QUIT, ANY, IF_ALWAYS, a_quit),
    ROW(SPEAKING, SC_VERB_OTHER, ANY, IF_ALWAYS, a_other),
};

#define NDEFAULT_ROWS (sizeof default_rows / sizeof default_rows[0])

static const struct default_row *default_answer(const struct scenario *sc, enum sc_verb verb,
                                                int tls, unsigned occurrence)
{
  enum sc_chan here = tls ? SC_CHAN_TLS : SC_CHAN_PLAIN;
  unsigned pers = (unsigned)sc->personality < SC_PERS_COUNT ? 1u << sc->personality : 0;
  int login = sc->cfg.auth == SF_AUTH_LOGIN;
  for (size_t i = 0; i < NDEFAULT_ROWS; i++) {
    const struct default_row *row = &default_rows[i];
    if ((row->pers & pers) == 0 || (row->verb != ANY_VERB && row->verb != (unsigned)verb))
      continue;
    if (row->chan != SC_CHAN_ANY && row->chan != here)
      continue;
    if (row->cond == IF_LOGIN && !login)
      continue;
    if (row->cond == IF_LOGIN_ODD && !(login && occurrence % 2 == 1))
      continue;
    return row;
  }
  return NULL;
}

size_t scenario_answer(const struct scenario *sc, enum sc_verb verb, int tls, unsigned occurrence,
                       struct sc_step *out, size_t cap)
{
  enum sc_chan here = tls ? SC_CHAN_TLS : SC_CHAN_PLAIN;
  const struct sc_rule *best = NULL;
  int best_score = -1;
  size_t nrules = sc->nrules < SC_MAX_RULES ? sc->nrules : SC_MAX_RULES;
  for (size_t i = 0; i < nrules; i++) {
    const struct sc_rule *r = &sc->rules[i];
    if (r->verb != verb || (r->chan != SC_CHAN_ANY && r->chan != here))
      continue;
    if (r->nth != 0 && r->nth != occurrence)
      continue;
    /* The occurrence is the stronger qualifier, then the channel. */
    int score = (r->nth != 0) * 2 + (r->chan != SC_CHAN_ANY);
    if (score > best_score) {
      best = r;
      best_score = score;
    }
  }

  size_t n = 0;
  if (best != NULL) {
    const struct sc_action *a;
    size_t na = rule_actions(sc, best, &a);
    for (size_t k = 0; k < na && n < cap; k++, n++) {
      out[n] = (struct sc_step){a[k].kind, NULL, 0, 0};
      if (a[k].kind == SC_ACT_SEND)
        out[n].bytes = send_bytes(sc, &a[k], &out[n].len);
      if (a[k].kind == SC_ACT_STALL)
        out[n].ms = a[k].ms;
    }
    return n;
  }
  const struct default_row *row = default_answer(sc, verb, tls, occurrence);
  if (row == NULL)
    return 0;
  for (; n < row->nsteps && n < cap; n++)
    out[n] = row->steps[n];
  return n;
}

/* ------------------------------------------------------------------ */
/* Classifying client commands                                         */

static int ascii_lower(int c)
{
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive equality of `n` bytes with a lowercase word. */
static int word_is(const char *p, size_t n, const char *word)
{
  if (strlen(word) != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (ascii_lower((unsigned char)p[i]) != word[i])
      return 0;
  return 1;
}

enum sc_verb sc_classify(const char *line, size_t len)
{
  static const enum sc_verb commands[] = {
      SC_VERB_EHLO, SC_VERB_HELO, SC_VERB_STARTTLS, SC_VERB_AUTH, SC_VERB_MAIL,
      SC_VERB_RCPT, SC_VERB_DATA, SC_VERB_RSET,     SC_VERB_NOOP, SC_VERB_QUIT,
  };
  /* RFC 5321 4.1.1: the verb is the first word, ended by a space. A longer
   * word ("STARTTLSX") is another command. */
  size_t n = 0;
  while (n < len && line[n] != ' ')
    n++;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (word_is(line, n, verb_names[commands[i]]))
      return commands[i];
  return SC_VERB_OTHER;
}

/* ------------------------------------------------------------------ */
/* Text form: parsing                                                  */

#define VALUE_MAX 4096

struct text {
  const char *p;
  size_t n;
};

static int is_blank(char c)
{
  return c == ' ' || c == '\t';
}

static struct text trim(struct text t)
{
  while (t.n > 0 && is_blank(t.p[0])) {
    t.p++;
    t.n--;
  }
  while (t.n > 0 && is_blank(t.p[t.n - 1]))
    t.n--;
  return t;
}

static void skip_blanks(struct text *t)
{
  while (t->n > 0 && is_blank(t->p[0])) {
    t->p++;
    t->n--;
  }
}

static int text_is(struct text t, const char *word)
{
  size_t n = strlen(word);
  return t.n == n && memcmp(t.p, word, n) == 0;
}

/* Index of `t` in names[0..count), or -1. */
static int text_pick(struct text t, const char *const *names, size_t count)
{
  for (size_t i = 0; i < count; i++)
    if (text_is(t, names[i]))
      return (int)i;
  return -1;
}

/* Decimal digits only, in [min, max]. */
static int parse_number(struct text t, uint64_t min, uint64_t max, uint64_t *out)
{
  uint64_t v = 0;
  if (t.n == 0 || t.n > 20)
    return 0;
  for (size_t i = 0; i < t.n; i++) {
    unsigned d = (unsigned)(t.p[i] - '0');
    if (d > 9 || v > (max - d) / 10)
      return 0;
    v = v * 10 + d;
  }
  if (v < min)
    return 0;
  *out = v;
  return 1;
}

static int hex_digit(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)ascii_lower((unsigned char)c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A C-escaped string starting at t->p[0] == '"': decodes it into
 * out[0..cap), advances *t past the closing quote. */
static enum sf_err parse_string(struct text *t, uint8_t *out, size_t cap, size_t *outlen,
                                const char *full, const char **reason)
{
  size_t o = 0, i = 1;
  for (;;) {
    if (i >= t->n)
      FAIL(CONFIG_SYNTAX, "unterminated string: it needs a closing '\"' on the same line");
    char c = t->p[i++];
    if (c == '"')
      break;
    if (c == '\\') {
      if (i >= t->n)
        FAIL(CONFIG_SYNTAX, "unterminated string: it ends in a backslash");
      char e = t->p[i++];
      switch (e) {
      case 'r':
        c = '\r';
        break;
      case 'n':
        c = '\n';
        break;
      case 't':
        c = '\t';
        break;
      case '\\':
      case '"':
        c = e;
        break;
      case 'x': {
        int hi = i < t->n ? hex_digit(t->p[i]) : -1;
        int lo = i + 1 < t->n ? hex_digit(t->p[i + 1]) : -1;
        if (hi < 0 || lo < 0)
          FAIL(CONFIG_SYNTAX, "bad escape: \\x takes exactly two hex digits");
        c = (char)(hi * 16 + lo);
        i += 2;
        break;
      }
      default:
        FAIL(CONFIG_SYNTAX, "bad escape: strings know \\r \\n \\t \\\\ \\\" and \\xHH");
      }
    }
    if (o >= cap)
      FAIL(CONFIG_TOO_LONG, full);
    out[o++] = (uint8_t)c;
  }
  t->p += i;
  t->n -= i;
  *outlen = o;
  return SF_ERR_OK;
}

/* After the last item of a line: blanks, then nothing or a comment. */
static int at_line_end(struct text t)
{
  skip_blanks(&t);
  return t.n == 0 || t.p[0] == '#';
}

/* The value after '=': a quoted string (decoded into buf) or bare text up
 * to a '#' that follows a blank. */
static enum sf_err read_value(struct text rest, uint8_t *buf, struct text *value, int *quoted,
                              const char **reason)
{
  skip_blanks(&rest);
  *quoted = rest.n > 0 && rest.p[0] == '"';
  if (*quoted) {
    size_t len;
    TRY(parse_string(&rest, buf, VALUE_MAX, &len, "value longer than " XSTR(VALUE_MAX) " bytes",
                     reason));
    if (!at_line_end(rest))
      FAIL(CONFIG_SYNTAX, "text after the closing quote: only a '# comment' may follow");
    *value = (struct text){(const char *)buf, len};
    return SF_ERR_OK;
  }
  size_t n = 0;
  while (n < rest.n && !(rest.p[n] == '#' && (n == 0 || is_blank(rest.p[n - 1]))))
    n++;
  *value = trim((struct text){rest.p, n});
  return SF_ERR_OK;
}

/* Scenario-level keys; the bit in the parser's `seen` mask. */
#define SCN_KEY_LIST(X)                                                                            \
  X(NAME, "name")                                                                                  \
  X(SERVER, "server")                                                                              \
  X(CERT, "cert")                                                                                  \
  X(CERT_HOST, "cert.host")                                                                        \
  X(DELIVER, "deliver")                                                                            \
  X(EXPECT, "expect")                                                                              \
  X(EXPECT_RESULT, "expect.result")                                                                \
  X(EXPECT_ERROR, "expect.error")                                                                  \
  X(TIME_BOUND, "time_bound")

enum scn_key {
#define SCN_KEY_ENUM(id, name) K_##id,
  SCN_KEY_LIST(SCN_KEY_ENUM)
#undef SCN_KEY_ENUM
      K_COUNT
};

static const char *const scn_key_names[K_COUNT] = {
#define SCN_KEY_NAME(id, name) name,
    SCN_KEY_LIST(SCN_KEY_NAME)
#undef SCN_KEY_NAME
};

#define CLIENT_PREFIX "client."

struct parser {
  struct scenario *sc;
  unsigned seen;      /* scenario keys given */
  int rcpt_given;     /* a client.to replaced the default recipient */
  int envelope_given; /* client.from, client.to or client.message */
  size_t envelope_line;
  size_t deliver_line;
  int deliver;
};

static int name_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '+';
}

static int host_char(char c)
{
  return name_char(c) && c != '_' && c != '+';
}

/* A message value given as a quoted string: its decoded bytes re-escaped
 * into the config's own message escapes (\n, \r, \\). */
static enum sf_err set_message_bytes(struct sf_config *cfg, struct text v, const char **reason)
{
  char esc[2 * VALUE_MAX];
  size_t n = 0;
  for (size_t i = 0; i < v.n; i++) {
    char c = v.p[i];
    if (c == '\n' || c == '\r' || c == '\\') {
      esc[n++] = '\\';
      c = c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
    }
    esc[n++] = c;
  }
  return sf_config_set(cfg, "message", 7, esc, n, reason);
}

static enum sf_err set_client_key(struct parser *ps, struct text key, struct text v, int quoted,
                                  size_t line, const char **reason)
{
  struct sf_config *cfg = &ps->sc->cfg;
  int is_to = text_is(key, "to"), is_message = text_is(key, "message");
  if (is_to || is_message || text_is(key, "from")) {
    ps->envelope_given = 1;
    ps->envelope_line = line;
  }
  /* The first client.to replaces scenario_init's recipient; later ones add. */
  if (is_to && !ps->rcpt_given) {
    cfg->nrcpt = 0;
    memset(cfg->rcpt, 0, sizeof cfg->rcpt);
    ps->rcpt_given = 1;
  }
  if (is_message && quoted)
    return set_message_bytes(cfg, v, reason);
  return sf_config_set(cfg, key.p, key.n, v.p, v.n, reason);
}

/* expect = none | VERDICT[, VERDICT...] */
static enum sf_err parse_verdicts(struct text v, unsigned *bits, const char **reason)
{
  *bits = 0;
  if (text_is(v, "none"))
    return SF_ERR_OK;
  for (;;) {
    size_t n = 0;
    while (n < v.n && v.p[n] != ',')
      n++;
    struct text item = trim((struct text){v.p, n});
    int i = text_pick(item, verdict_names, SC_V_COUNT);
    if (i < 0)
      FAIL(CONFIG_BAD_VALUE, "unknown verdict: expect is none or a comma list of LEAK_AUTH, "
                             "LEAK_MAIL, DOWNGRADE, INJECTION, STALE_CAPS, HANG, CERT, CRASH, "
                             "OUTCOME");
    if (*bits & (1u << i))
      FAIL(CONFIG_DUPLICATE_KEY, "verdict listed twice in expect");
    *bits |= 1u << i;
    if (n == v.n)
      return SF_ERR_OK;
    v.p += n + 1;
    v.n -= n + 1;
  }
}

static enum sf_err set_scenario_key(struct parser *ps, enum scn_key key, struct text v, size_t line,
                                    const char **reason)
{
  struct scenario *sc = ps->sc;
  int i;
  uint64_t n;
  switch (key) {
  case K_NAME:
    if (v.n == 0 || v.n >= SC_NAME_MAX)
      FAIL(CONFIG_BAD_VALUE, "name must be 1 to 63 characters");
    for (size_t k = 0; k < v.n; k++)
      if (!name_char(v.p[k]))
        FAIL(CONFIG_BAD_VALUE, "name may hold letters, digits and - _ . + only");
    memcpy(sc->name, v.p, v.n);
    sc->name[v.n] = '\0';
    return SF_ERR_OK;
  case K_SERVER:
    if ((i = text_pick(v, personality_names, SC_PERS_COUNT)) < 0)
      FAIL(CONFIG_BAD_VALUE,
           "unknown personality: server is submission, implicit, relay, legacy or silent");
    sc->personality = (enum sc_personality)i;
    return SF_ERR_OK;
  case K_CERT:
    if ((i = text_pick(v, cert_names, SC_CERT_COUNT)) < 0)
      FAIL(CONFIG_BAD_VALUE, "unknown cert kind: cert is valid, self-signed, unknown-issuer, "
                             "wrong-host, expired or not-yet-valid");
    sc->cert = (enum sc_cert)i;
    return SF_ERR_OK;
  case K_CERT_HOST:
    if (v.n == 0 || v.n >= sizeof sc->cert_host)
      FAIL(CONFIG_BAD_VALUE, "cert.host must be 1 to 63 characters");
    for (size_t k = 0; k < v.n; k++)
      if (!host_char(v.p[k]) && v.p[k] != '*')
        FAIL(CONFIG_BAD_VALUE, "cert.host may hold letters, digits, '-', '.' and '*' only");
    memcpy(sc->cert_host, v.p, v.n);
    sc->cert_host[v.n] = '\0';
    return SF_ERR_OK;
  case K_DELIVER:
    if (text_is(v, "yes"))
      ps->deliver = 1;
    else if (text_is(v, "no"))
      ps->deliver = 0;
    else
      FAIL(CONFIG_BAD_VALUE, "deliver must be yes or no");
    ps->deliver_line = line;
    return SF_ERR_OK;
  case K_EXPECT:
    return parse_verdicts(v, &sc->expect_verdicts, reason);
  case K_EXPECT_RESULT:
    if ((i = text_pick(v, result_names, 3)) < 0)
      FAIL(CONFIG_BAD_VALUE, "expect.result must be done, failed or any");
    sc->expect_result = (enum sc_result)i;
    return SF_ERR_OK;
  case K_EXPECT_ERROR:
    for (i = 0; i < SF_ERR_COUNT; i++)
      if (text_is(v, sf_err_name((enum sf_err)i))) {
        sc->expect_error = (enum sf_err)i;
        sc->expect_error_set = 1;
        return SF_ERR_OK;
      }
    FAIL(CONFIG_BAD_VALUE, "unknown error name: expect.error takes a name from src/errors.h "
                           "without SF_ERR_, e.g. STARTTLS_INJECTION or OK");
  case K_TIME_BOUND:
    if (!parse_number(v, 0, UINT32_MAX, &n))
      FAIL(CONFIG_BAD_VALUE, "time_bound is milliseconds, a decimal number from 0 to 4294967295");
    sc->time_bound_ms = n;
    return SF_ERR_OK;
  case K_COUNT:
    break;
  }
  FAIL(CONFIG_UNKNOWN_KEY, "unknown key");
}

static enum sf_err parse_assignment(struct parser *ps, struct text t, size_t line,
                                    const char **reason)
{
  const char *eq = memchr(t.p, '=', t.n);
  if (eq == NULL)
    FAIL(CONFIG_SYNTAX, "lines are 'key = value', 'on VERB [plain|tls|any] [#N]: actions', "
                        "'# comment' or blank");
  struct text key = trim((struct text){t.p, (size_t)(eq - t.p)});
  struct text rest = {eq + 1, t.n - (size_t)(eq + 1 - t.p)};
  if (key.n == 0)
    FAIL(CONFIG_SYNTAX, "empty key: lines are 'key = value'");
  for (size_t k = 0; k < key.n; k++)
    if (is_blank(key.p[k]))
      FAIL(CONFIG_SYNTAX, "a key is one word: lines are 'key = value'");

  uint8_t buf[VALUE_MAX];
  struct text v;
  int quoted;
  TRY(read_value(rest, buf, &v, &quoted, reason));

  size_t plen = sizeof CLIENT_PREFIX - 1;
  if (key.n > plen && memcmp(key.p, CLIENT_PREFIX, plen) == 0)
    return set_client_key(ps, (struct text){key.p + plen, key.n - plen}, v, quoted, line, reason);

  int k = text_pick(key, scn_key_names, K_COUNT);
  if (k < 0)
    FAIL(CONFIG_UNKNOWN_KEY, "unknown key: keys are name, server, cert, cert.host, deliver, "
                             "expect, expect.result, expect.error, time_bound and client.<key>");
  if (ps->seen & (1u << k))
    FAIL(CONFIG_DUPLICATE_KEY, "key given twice");
  if (quoted && memchr(v.p, '\0', v.n) != NULL)
    FAIL(CONFIG_BAD_VALUE, "values cannot contain NUL");
  TRY(set_scenario_key(ps, (enum scn_key)k, v, line, reason));
  ps->seen |= 1u << k;
  return SF_ERR_OK;
}

/* A word of letters, digits and '-' (verbs, channels, action names). */
static struct text take_word(struct text *t)
{
  size_t n = 0;
  while (n < t->n && (name_char(t->p[n]) && t->p[n] != '.' && t->p[n] != '+'))
    n++;
  struct text w = {t->p, n};
  t->p += n;
  t->n -= n;
  return w;
}

static enum sf_err parse_action(struct scenario *sc, struct text *t, const char **reason)
{
  struct text w = take_word(t);
  int kind = text_pick(w, act_names, sizeof act_names / sizeof act_names[0]);
  if (kind < 0)
    FAIL(CONFIG_SYNTAX, "unknown action: actions are send \"...\", stall MS, close, tls, hang");
  if (sc->nactions >= SC_MAX_ACTIONS)
    FAIL(CONFIG_TOO_LONG, "too many actions: at most " XSTR(SC_MAX_ACTIONS) " in all rules");
  struct sc_action a = {(enum sc_act)kind, 0, 0, 0};
  skip_blanks(t);
  if (kind == SC_ACT_SEND) {
    if (t->n == 0 || t->p[0] != '"')
      FAIL(CONFIG_SYNTAX, "send takes a quoted string: send \"250 ok\\r\\n\"");
    size_t len;
    TRY(parse_string(t, sc->pool + sc->pool_len, SC_POOL - sc->pool_len, &len,
                     "pool full: the send strings exceed " XSTR(SC_POOL) " bytes in all", reason));
    a.off = (uint32_t)sc->pool_len;
    a.len = (uint32_t)len;
    sc->pool_len += len;
  }
  if (kind == SC_ACT_STALL) {
    size_t n = 0;
    while (n < t->n && t->p[n] >= '0' && t->p[n] <= '9')
      n++;
    uint64_t ms;
    if (n == 0)
      FAIL(CONFIG_SYNTAX, "stall takes milliseconds: stall 30000");
    if (!parse_number((struct text){t->p, n}, 0, UINT32_MAX, &ms))
      FAIL(CONFIG_BAD_VALUE, "number out of range: stall takes 0 to 4294967295 ms");
    a.ms = (uint32_t)ms;
    t->p += n;
    t->n -= n;
  }
  sc->actions[sc->nactions++] = a;
  return SF_ERR_OK;
}

static int rule_exists(const struct scenario *sc, const struct sc_rule *r)
{
  for (size_t i = 0; i < sc->nrules; i++)
    if (sc->rules[i].verb == r->verb && sc->rules[i].chan == r->chan && sc->rules[i].nth == r->nth)
      return 1;
  return 0;
}

/* on VERB [plain|tls|any] [#N]: ACTION[; ACTION...] | nothing */
static enum sf_err parse_rule(struct scenario *sc, struct text t, const char **reason)
{
  struct sc_rule r = {SC_VERB_CONNECT, SC_CHAN_ANY, 0, 0, 0};
  t.p += 2;
  t.n -= 2;
  skip_blanks(&t);
  struct text w = take_word(&t);
  int v = text_pick(w, verb_names, SC_VERB_COUNT);
  if (v < 0)
    FAIL(CONFIG_BAD_VALUE, "bad verb: rules are 'on VERB' with VERB one of connect, ehlo, helo, "
                           "starttls, auth, auth-data, mail, rcpt, data, body, rset, noop, quit, "
                           "other");
  r.verb = (enum sc_verb)v;
  int have_chan = 0, have_nth = 0;
  for (;;) {
    skip_blanks(&t);
    if (t.n == 0 || (t.p[0] == '#' && (t.n < 2 || t.p[1] < '0' || t.p[1] > '9')))
      FAIL(CONFIG_SYNTAX, "the rule head needs ':' before its actions");
    if (t.p[0] == ':')
      break;
    if (t.p[0] == '#') {
      if (have_nth)
        FAIL(CONFIG_SYNTAX, "#N given twice: on VERB [plain|tls|any] [#N]: actions");
      size_t n = 1;
      while (n < t.n && t.p[n] >= '0' && t.p[n] <= '9')
        n++;
      uint64_t nth;
      if (!parse_number((struct text){t.p + 1, n - 1}, 1, NTH_MAX, &nth))
        FAIL(CONFIG_BAD_VALUE, "number out of range: #N counts occurrences from 1 to " XSTR(
                                   NTH_MAX) "; leave it out for every occurrence");
      r.nth = (uint8_t)nth;
      have_nth = 1;
      t.p += n;
      t.n -= n;
      continue;
    }
    w = take_word(&t);
    int c = text_pick(w, chan_names, 3);
    if (c < 0 || have_chan || have_nth)
      FAIL(CONFIG_SYNTAX, "bad rule head: on VERB [plain|tls|any] [#N]: actions");
    r.chan = (enum sc_chan)c;
    have_chan = 1;
  }
  t.p++;
  t.n--;
  if (sc->nrules >= SC_MAX_RULES)
    FAIL(CONFIG_TOO_LONG, "too many rules: at most " XSTR(SC_MAX_RULES));
  if (rule_exists(sc, &r))
    FAIL(CONFIG_DUPLICATE_KEY, "a rule with this verb, channel and #N is already given");
  r.first_action = (uint16_t)sc->nactions;

  skip_blanks(&t);
  struct text look = t;
  if (text_is(take_word(&look), "nothing")) {
    if (!at_line_end(look))
      FAIL(CONFIG_SYNTAX, "'nothing' stands alone: it means the rule sends no answer");
    sc->rules[sc->nrules++] = r;
    return SF_ERR_OK;
  }
  for (;;) {
    skip_blanks(&t);
    if (t.n == 0 || t.p[0] == '#' || t.p[0] == ';')
      FAIL(CONFIG_SYNTAX, "empty action: actions are send \"...\", stall MS, close, tls, hang "
                          "separated by ';' (or 'nothing')");
    TRY(parse_action(sc, &t, reason));
    r.nactions++;
    skip_blanks(&t);
    if (t.n == 0 || t.p[0] == '#')
      break;
    if (t.p[0] != ';')
      FAIL(CONFIG_SYNTAX, "expected ';' between actions");
    t.p++;
    t.n--;
  }
  sc->rules[sc->nrules++] = r;
  return SF_ERR_OK;
}

static int is_rule_line(struct text t)
{
  return t.n >= 2 && t.p[0] == 'o' && t.p[1] == 'n' &&
         (t.n == 2 || is_blank(t.p[2]) || t.p[2] == ':');
}

enum sf_err scenario_parse_text(struct scenario *sc, const char *text, size_t len, size_t *line,
                                const char **reason)
{
  struct parser ps = {sc, 0, 0, 0, 0, 0, 1};
  size_t pos = 0;
  scenario_init(sc);
  *line = 0;
  *reason = NULL;
  while (pos < len) {
    const char *start = text + pos;
    const char *nl = memchr(start, '\n', len - pos);
    size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;
    pos += n + (nl != NULL);
    ++*line;
    if (n > 0 && start[n - 1] == '\r')
      n--;
    struct text t = trim((struct text){start, n});
    if (t.n == 0 || t.p[0] == '#')
      continue;
    if (memchr(t.p, '\0', t.n) != NULL)
      FAIL(CONFIG_SYNTAX, "NUL byte in the file: write it as \\x00 inside a string");
    enum sf_err err =
        is_rule_line(t) ? parse_rule(sc, t, reason) : parse_assignment(&ps, t, *line, reason);
    if (err != SF_ERR_OK)
      return err;
  }
  if (!ps.deliver) {
    if (ps.envelope_given) {
      *line = ps.envelope_line > ps.deliver_line ? ps.envelope_line : ps.deliver_line;
      FAIL(CONFIG_INCONSISTENT, "deliver = no sends no mail: drop client.from, client.to and "
                                "client.message");
    }
    clear_envelope(&sc->cfg);
  }
  *line = 0;
  return SF_ERR_OK;
}

/* ------------------------------------------------------------------ */
/* Text form: the canonical writer                                     */

struct writer {
  char *out;
  size_t cap, len;
};

static void put_mem(struct writer *w, const void *p, size_t n)
{
  if (w->len < w->cap) {
    size_t room = w->cap - w->len;
    memcpy(w->out + w->len, p, n < room ? n : room);
  }
  w->len += n;
}

static void put_str(struct writer *w, const char *s)
{
  put_mem(w, s, strlen(s));
}

static void put_char(struct writer *w, char c)
{
  put_mem(w, &c, 1);
}

static void put_u64(struct writer *w, uint64_t v)
{
  char buf[24];
  size_t i = sizeof buf;
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  put_mem(w, buf + i, sizeof buf - i);
}

static void put_quoted(struct writer *w, const uint8_t *p, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  put_char(w, '"');
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c == '\r')
      put_str(w, "\\r");
    else if (c == '\n')
      put_str(w, "\\n");
    else if (c == '\t')
      put_str(w, "\\t");
    else if (c == '\\' || c == '"') {
      put_char(w, '\\');
      put_char(w, (char)c);
    } else if (c < 0x20 || c >= 0x7f) {
      char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
      put_mem(w, esc, 4);
    } else
      put_char(w, (char)c);
  }
  put_char(w, '"');
}

/* Bare values are printable ASCII without '#' or '"' and without blanks at
 * either end; anything else is written as a quoted string. */
static int bare_ok(const char *p, size_t n)
{
  if (n == 0 || is_blank(p[0]) || is_blank(p[n - 1]))
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c < 0x20 || c >= 0x7f || c == '#' || c == '"')
      return 0;
  }
  return 1;
}

static void put_key(struct writer *w, const char *key)
{
  put_str(w, key);
  put_str(w, " = ");
}

static void put_client_string(struct writer *w, const char *key, const char *value)
{
  put_str(w, CLIENT_PREFIX);
  put_key(w, key);
  size_t n = strlen(value);
  if (bare_ok(value, n))
    put_str(w, value);
  else
    put_quoted(w, (const uint8_t *)value, n);
  put_char(w, '\n');
}

static void put_message(struct writer *w, const char *msg, size_t n)
{
  char esc[2 * SF_CONFIG_STRINGS];
  size_t e = 0;
  for (size_t i = 0; i < n && e + 2 <= sizeof esc; i++) {
    char c = msg[i];
    if (c == '\n' || c == '\r' || c == '\\') {
      esc[e++] = '\\';
      c = c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
    }
    esc[e++] = c;
  }
  put_str(w, CLIENT_PREFIX);
  put_key(w, "message");
  if (bare_ok(esc, e))
    put_mem(w, esc, e);
  else
    put_quoted(w, (const uint8_t *)msg, n);
  put_char(w, '\n');
}

static void put_client_line(struct writer *w, const char *key, const char *value)
{
  put_str(w, CLIENT_PREFIX);
  put_key(w, key);
  put_str(w, value);
  put_char(w, '\n');
}

static void put_client_number(struct writer *w, const char *key, uint64_t v)
{
  put_str(w, CLIENT_PREFIX);
  put_key(w, key);
  put_u64(w, v);
  put_char(w, '\n');
}

static void format_client(struct writer *w, const struct sf_config *c)
{
  struct sf_config d;
  init_config(&d);
  if (c->mode != d.mode)
    put_client_line(w, "mode", sf_mode_name(c->mode));
  if (c->tls != d.tls)
    put_client_line(w, "tls", sf_tls_policy_name(c->tls));
  if (c->verify != d.verify)
    put_client_line(w, "verify", c->verify ? "yes" : "no");
  if (c->host != NULL && !str_eq(c->host, d.host))
    put_client_string(w, "host", c->host);
  if (c->cafile != NULL && !str_eq(c->cafile, d.cafile))
    put_client_string(w, "cafile", c->cafile);
  if (c->port != d.port)
    put_client_number(w, "port", c->port);
  if (c->auth != d.auth)
    put_client_line(w, "auth", sf_auth_name(c->auth));
  if (c->user != NULL && !str_eq(c->user, d.user))
    put_client_string(w, "user", c->user);
  if (c->password != NULL && !str_eq(c->password, d.password))
    put_client_string(w, "password", c->password);
  if (c->allow_plaintext_auth != d.allow_plaintext_auth)
    put_client_line(w, "allow_plaintext_auth", c->allow_plaintext_auth ? "yes" : "no");
  if (c->allow_helo != d.allow_helo)
    put_client_line(w, "allow_helo", c->allow_helo ? "yes" : "no");
  if (c->helo_name != NULL && !str_eq(c->helo_name, d.helo_name))
    put_client_string(w, "helo_name", c->helo_name);
  if (c->mail_from != NULL) {
    if (!str_eq(c->mail_from, d.mail_from))
      put_client_string(w, "from", c->mail_from);
    int same = c->nrcpt == d.nrcpt;
    for (size_t i = 0; same && i < c->nrcpt; i++)
      same = str_eq(c->rcpt[i], d.rcpt[i]);
    for (size_t i = 0; !same && i < c->nrcpt && i < SF_CONFIG_MAX_RCPT; i++)
      if (c->rcpt[i] != NULL)
        put_client_string(w, "to", c->rcpt[i]);
    if (c->message != NULL &&
        (c->message_len != d.message_len || memcmp(c->message, d.message, d.message_len) != 0))
      put_message(w, c->message, c->message_len);
  }
  if (c->lenient != d.lenient)
    put_client_line(w, "lenient", (c->lenient & SF_LENIENT_BARE_LF) ? "bare-lf" : "none");
  for (int p = 0; p < SF_PHASE_COUNT; p++) {
    if (c->timeout_ms[p] == d.timeout_ms[p])
      continue;
    put_str(w, CLIENT_PREFIX "timeout.");
    put_str(w, sf_phase_name((enum sf_phase)p));
    put_str(w, " = ");
    put_u64(w, c->timeout_ms[p]);
    put_char(w, '\n');
  }
}

static void format_rule(struct writer *w, const struct scenario *sc, const struct sc_rule *r)
{
  put_str(w, "on ");
  put_str(w, sc_verb_name(r->verb));
  if (r->chan == SC_CHAN_PLAIN || r->chan == SC_CHAN_TLS) {
    put_char(w, ' ');
    put_str(w, chan_names[r->chan]);
  }
  if (r->nth != 0) {
    put_str(w, " #");
    put_u64(w, r->nth);
  }
  put_char(w, ':');
  const struct sc_action *a;
  size_t na = rule_actions(sc, r, &a);
  if (na == 0)
    put_str(w, " nothing");
  for (size_t k = 0; k < na; k++) {
    put_str(w, k == 0 ? " " : "; ");
    put_str(w, (unsigned)a[k].kind <= SC_ACT_HANG ? act_names[a[k].kind] : "hang");
    if (a[k].kind == SC_ACT_SEND) {
      size_t n;
      const uint8_t *p = send_bytes(sc, &a[k], &n);
      put_char(w, ' ');
      put_quoted(w, p, n);
    }
    if (a[k].kind == SC_ACT_STALL) {
      put_char(w, ' ');
      put_u64(w, a[k].ms);
    }
  }
  put_char(w, '\n');
}

size_t scenario_format_text(const struct scenario *sc, char *out, size_t cap)
{
  struct writer w = {out, cap, 0};
  if (sc->name[0] != '\0') {
    put_key(&w, "name");
    put_mem(&w, sc->name, strnlen(sc->name, SC_NAME_MAX - 1));
    put_char(&w, '\n');
  }
  put_key(&w, "server");
  put_str(&w, sc_personality_name(sc->personality));
  put_char(&w, '\n');
  put_key(&w, "cert");
  put_str(&w, sc_cert_name(sc->cert));
  put_char(&w, '\n');
  if (sc->cert_host[0] != '\0') {
    put_key(&w, "cert.host");
    put_mem(&w, sc->cert_host, strnlen(sc->cert_host, sizeof sc->cert_host - 1));
    put_char(&w, '\n');
  }
  format_client(&w, &sc->cfg);
  if (sc->cfg.mail_from == NULL)
    put_str(&w, "deliver = no\n");
  put_key(&w, "expect");
  if ((sc->expect_verdicts & ((1u << SC_V_COUNT) - 1)) == 0)
    put_str(&w, "none");
  for (int v = 0, first = 1; v < SC_V_COUNT; v++) {
    if ((sc->expect_verdicts & (1u << v)) == 0)
      continue;
    put_str(&w, first ? "" : ", ");
    put_str(&w, verdict_names[v]);
    first = 0;
  }
  put_char(&w, '\n');
  put_key(&w, "expect.result");
  put_str(&w, (unsigned)sc->expect_result <= SC_RESULT_FAILED ? result_names[sc->expect_result]
                                                              : "any");
  put_char(&w, '\n');
  if (sc->expect_error_set) {
    put_key(&w, "expect.error");
    put_str(&w, sf_err_name(sc->expect_error));
    put_char(&w, '\n');
  }
  if (sc->time_bound_ms != 0) {
    put_key(&w, "time_bound");
    put_u64(&w, sc->time_bound_ms);
    put_char(&w, '\n');
  }
  for (size_t i = 0; i < sc->nrules && i < SC_MAX_RULES; i++)
    format_rule(&w, sc, &sc->rules[i]);
  if (cap > 0)
    out[w.len < cap ? w.len : cap - 1] = '\0';
  return w.len;
}

/* ------------------------------------------------------------------ */
/* Binary form                                                         */
/*
 * Every byte string is a scenario. A fixed header, then a stream of
 * self-delimiting records; each field has its own byte(s), so one changed
 * byte changes one field, and a record can be inserted or dropped anywhere.
 *
 * Header (HDR_LEN bytes; bytes past the end of a short input take the
 * values of scenario_init):
 *    0  mode          b % 3: plain, starttls, implicit
 *    1  tls           b % 3: none, opportunistic, required. Kept when it
 *                     agrees with the mode (plain/none, starttls/opportunistic,
 *                     starttls/required, implicit/required) or when flag 0x10
 *                     asks for a contradiction; else the mode's own policy
 *                     (none for plain, required otherwise).
 *    2  port index    b % 5: 25, 465, 587, 2525, or the port at 3-4
 *    3  port          u16 little-endian, used by index 4 (0 reads as 1)
 *    5  auth          b % 3: none, plain, login
 *    6  flags         0x01 verify, 0x02 allow_helo, 0x04 allow_plaintext_auth,
 *                     0x08 lenient bare-lf, 0x10 contradicting tls allowed,
 *                     0x20 no delivery (deliver = no); other bits ignored
 *    7  personality   b % 5 (SC_PERSONALITY_LIST order)
 *    8  cert          b % 6 (SC_CERT_LIST order)
 *    9  cert host     b % 4: "" (cfg.host), other.example.net,
 *                     mx.example.com.attacker.test, *.example.com
 *   10  expect.result b % 3: any, done, failed
 *   11  expect.error  0: not stated; else error (b - 1) % SF_ERR_COUNT
 *   12  expect        u16 LE, verdict bits (1 << sc_verdict), masked
 *   14  time_bound    u32 LE, ms
 *
 * Records, by their first byte k:
 *   k < 0x40   rule: verb k % SC_VERB_COUNT; one more byte c: channel
 *              c & 3 (any, plain, tls; 3 reads as any), nth c >> 2. A rule
 *              whose head repeats an earlier one, or past SC_MAX_RULES, is
 *              dropped with its actions.
 *   k < 0x80   action of the latest rule: kind (k & 0x3f) % 5 (send, stall,
 *              close, tls, hang). send: length byte b0 (< 0x80: the length;
 *              else (b0 & 0x7f) | next byte << 7), then the bytes (as many
 *              as remain; past SC_POOL they are dropped). stall: u32 LE ms.
 *              Actions without a rule or past SC_MAX_ACTIONS are dropped.
 *   else       timeout of phase (k & 0x7f) % SF_PHASE_COUNT: u32 LE ms,
 *              0 = the default, clamped to one day. The last one wins.
 * A record cut short by the end of the input is dropped, except a send,
 * which keeps the bytes that are there.
 *
 * Names, host, credentials, envelope and message are scenario_init's; the
 * text form is the place for them. encode writes the canonical form:
 * header, timeouts that differ from the defaults, then each rule followed by
 * its actions.
 */

#define HDR_LEN 18

enum {
  FLAG_VERIFY = 0x01,
  FLAG_ALLOW_HELO = 0x02,
  FLAG_ALLOW_PLAINTEXT_AUTH = 0x04,
  FLAG_LENIENT_BARE_LF = 0x08,
  FLAG_CONTRADICT = 0x10,
  FLAG_NO_DELIVERY = 0x20,
};

#define REC_RULE    0x00
#define REC_ACTION  0x40
#define REC_TIMEOUT 0x80

static const uint16_t port_table[] = {25, 465, 587, 2525};
static const char *const cert_hosts[] = {"", "other.example.net", "mx.example.com.attacker.test",
                                         "*.example.com"};
#define NCERT_HOSTS (sizeof cert_hosts / sizeof cert_hosts[0])

static int profile_consistent(enum sf_mode mode, enum sf_tls_policy tls)
{
  switch (mode) {
  case SF_MODE_PLAIN:
    return tls == SF_TLS_NONE;
  case SF_MODE_STARTTLS:
    return tls != SF_TLS_NONE;
  case SF_MODE_IMPLICIT:
    return tls == SF_TLS_REQUIRED;
  }
  return 0;
}

static uint32_t le32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t encode_header(const struct scenario *sc, uint8_t *h)
{
  const struct sf_config *c = &sc->cfg;
  memset(h, 0, HDR_LEN);
  h[0] = (uint8_t)c->mode;
  h[1] = (uint8_t)c->tls;
  h[2] = 4;
  for (uint8_t i = 0; i < 4; i++)
    if (c->port == port_table[i])
      h[2] = i;
  if (h[2] == 4) {
    h[3] = (uint8_t)c->port;
    h[4] = (uint8_t)(c->port >> 8);
  }
  h[5] = (uint8_t)c->auth;
  h[6] = (uint8_t)((c->verify ? FLAG_VERIFY : 0) | (c->allow_helo ? FLAG_ALLOW_HELO : 0) |
                   (c->allow_plaintext_auth ? FLAG_ALLOW_PLAINTEXT_AUTH : 0) |
                   ((c->lenient & SF_LENIENT_BARE_LF) ? FLAG_LENIENT_BARE_LF : 0) |
                   (profile_consistent(c->mode, c->tls) ? 0 : FLAG_CONTRADICT) |
                   (c->mail_from == NULL ? FLAG_NO_DELIVERY : 0));
  h[7] = (uint8_t)sc->personality;
  h[8] = (uint8_t)sc->cert;
  for (uint8_t i = 0; i < NCERT_HOSTS; i++)
    if (strcmp(sc->cert_host, cert_hosts[i]) == 0)
      h[9] = i;
  h[10] = (uint8_t)sc->expect_result;
  h[11] = sc->expect_error_set ? (uint8_t)(sc->expect_error + 1) : 0;
  unsigned v = sc->expect_verdicts & ((1u << SC_V_COUNT) - 1);
  h[12] = (uint8_t)v;
  h[13] = (uint8_t)(v >> 8);
  uint32_t tb = sc->time_bound_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)sc->time_bound_ms;
  for (int i = 0; i < 4; i++)
    h[14 + i] = (uint8_t)(tb >> (8 * i));
  return HDR_LEN;
}

static void decode_header(struct scenario *sc, const uint8_t *h)
{
  struct sf_config *c = &sc->cfg;
  c->mode = (enum sf_mode)(h[0] % 3);
  c->tls = (enum sf_tls_policy)(h[1] % 3);
  if (!profile_consistent(c->mode, c->tls) && !(h[6] & FLAG_CONTRADICT))
    c->tls = c->mode == SF_MODE_PLAIN ? SF_TLS_NONE : SF_TLS_REQUIRED;
  unsigned pi = h[2] % 5u;
  uint16_t port = (uint16_t)(h[3] | h[4] << 8);
  c->port = pi < 4 ? port_table[pi] : port != 0 ? port : 1;
  c->auth = (enum sf_auth)(h[5] % 3);
  c->verify = (h[6] & FLAG_VERIFY) != 0;
  c->allow_helo = (h[6] & FLAG_ALLOW_HELO) != 0;
  c->allow_plaintext_auth = (h[6] & FLAG_ALLOW_PLAINTEXT_AUTH) != 0;
  c->lenient = (h[6] & FLAG_LENIENT_BARE_LF) ? SF_LENIENT_BARE_LF : 0;
  if (h[6] & FLAG_NO_DELIVERY)
    clear_envelope(c);
  sc->personality = (enum sc_personality)(h[7] % SC_PERS_COUNT);
  sc->cert = (enum sc_cert)(h[8] % SC_CERT_COUNT);
  strcpy(sc->cert_host, cert_hosts[h[9] % NCERT_HOSTS]);
  sc->expect_result = (enum sc_result)(h[10] % 3);
  sc->expect_error_set = h[11] != 0;
  sc->expect_error = h[11] != 0 ? (enum sf_err)((h[11] - 1) % SF_ERR_COUNT) : SF_ERR_OK;
  sc->expect_verdicts = (unsigned)(h[12] | h[13] << 8) & ((1u << SC_V_COUNT) - 1);
  sc->time_bound_ms = le32(h + 14);
}

void scenario_decode(struct scenario *sc, const uint8_t *data, size_t len)
{
  uint8_t h[HDR_LEN];
  scenario_init(sc);
  encode_header(sc, h);
  if (len > 0)
    memcpy(h, data, len < HDR_LEN ? len : HDR_LEN);
  decode_header(sc, h);

  struct sc_rule *cur = NULL; /* where actions go; NULL drops them */
  size_t pos = HDR_LEN;
  while (pos < len) {
    uint8_t k = data[pos++];
    if (k < REC_ACTION) {
      if (pos >= len)
        break;
      uint8_t c = data[pos++];
      struct sc_rule r = {(enum sc_verb)(k % SC_VERB_COUNT),
                          (c & 3) == 3 ? SC_CHAN_ANY : (enum sc_chan)(c & 3), (uint8_t)(c >> 2),
                          (uint16_t)sc->nactions, 0};
      cur = NULL;
      if (sc->nrules < SC_MAX_RULES && !rule_exists(sc, &r)) {
        sc->rules[sc->nrules] = r;
        cur = &sc->rules[sc->nrules++];
      }
      continue;
    }
    if (k >= REC_TIMEOUT) {
      if (len - pos < 4)
        break;
      uint32_t ms = le32(data + pos);
      pos += 4;
      int phase = (k & 0x7f) % SF_PHASE_COUNT;
      sc->cfg.timeout_ms[phase] = ms == 0               ? phase_default_ms[phase]
                                  : ms > TIMEOUT_MAX_MS ? TIMEOUT_MAX_MS
                                                        : ms;
      continue;
    }
    struct sc_action a = {(enum sc_act)((k & 0x3f) % 5), 0, 0, 0};
    if (a.kind == SC_ACT_SEND) {
      if (pos >= len)
        break;
      size_t n = data[pos++];
      if (n & 0x80) {
        if (pos >= len)
          break;
        n = (n & 0x7f) | (size_t)data[pos++] << 7;
      }
      size_t take = n < len - pos ? n : len - pos;
      size_t keep = take < SC_POOL - sc->pool_len ? take : SC_POOL - sc->pool_len;
      if (cur != NULL && sc->nactions < SC_MAX_ACTIONS) {
        memcpy(sc->pool + sc->pool_len, data + pos, keep);
        a.off = (uint32_t)sc->pool_len;
        a.len = (uint32_t)keep;
        sc->pool_len += keep;
      }
      pos += take;
    }
    if (a.kind == SC_ACT_STALL) {
      if (len - pos < 4)
        break;
      a.ms = le32(data + pos);
      pos += 4;
    }
    if (cur != NULL && sc->nactions < SC_MAX_ACTIONS) {
      sc->actions[sc->nactions++] = a;
      cur->nactions++;
    }
  }
}

struct out {
  uint8_t *p;
  size_t cap, len;
};

static void out_bytes(struct out *o, const void *p, size_t n)
{
  if (n <= o->cap - o->len && o->len <= o->cap)
    memcpy(o->p + o->len, p, n);
  o->len += n;
}

static void out_byte(struct out *o, uint8_t b)
{
  out_bytes(o, &b, 1);
}

static void out_u32(struct out *o, uint32_t v)
{
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  out_bytes(o, b, 4);
}

size_t scenario_encode(const struct scenario *sc, uint8_t *out, size_t cap)
{
  struct out o = {out, cap, 0};
  uint8_t h[HDR_LEN];
  encode_header(sc, h);
  out_bytes(&o, h, HDR_LEN);
  for (int p = 0; p < SF_PHASE_COUNT; p++) {
    if (sc->cfg.timeout_ms[p] == phase_default_ms[p])
      continue;
    out_byte(&o, (uint8_t)(REC_TIMEOUT | p));
    out_u32(&o, sc->cfg.timeout_ms[p]);
  }
  for (size_t i = 0; i < sc->nrules && i < SC_MAX_RULES; i++) {
    const struct sc_rule *r = &sc->rules[i];
    out_byte(&o, (uint8_t)(REC_RULE | r->verb));
    out_byte(&o, (uint8_t)((unsigned)r->chan | (unsigned)(r->nth & NTH_MAX) << 2));
    const struct sc_action *a;
    size_t na = rule_actions(sc, r, &a);
    for (size_t k = 0; k < na; k++) {
      out_byte(&o, (uint8_t)(REC_ACTION | a[k].kind));
      if (a[k].kind == SC_ACT_SEND) {
        size_t n;
        const uint8_t *p = send_bytes(sc, &a[k], &n);
        if (n < 0x80) {
          out_byte(&o, (uint8_t)n);
        } else {
          out_byte(&o, (uint8_t)(0x80 | (n & 0x7f)));
          out_byte(&o, (uint8_t)(n >> 7));
        }
        out_bytes(&o, p, n);
      }
      if (a[k].kind == SC_ACT_STALL)
        out_u32(&o, a[k].ms);
    }
  }
  return o.len <= cap ? o.len : 0;
}

/* ------------------------------------------------------------------ */
/* Fuzzing helpers: a structure-aware mutator and crossover            */

struct prng {
  uint64_t s;
};

/* splitmix64 wraps on purpose. Unsigned wrap-around is defined behaviour,
 * but OSS-Fuzz's undefined build adds -fsanitize=unsigned-integer-overflow,
 * which would report it on every mutation. */
#if defined(__clang__)
#define SC_WRAPS __attribute__((no_sanitize("unsigned-integer-overflow")))
#else
#define SC_WRAPS
#endif

static SC_WRAPS struct prng prng_seeded(unsigned seed, unsigned salt)
{
  return (struct prng){(uint64_t)seed * 0x2545f4914f6cdd1du + salt};
}

/* splitmix64: tiny, stateless apart from the caller's seed. */
static SC_WRAPS uint32_t prng_next(struct prng *r)
{
  uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static uint32_t below(struct prng *r, uint32_t n)
{
  return n == 0 ? 0 : prng_next(r) % n;
}

/* Replies worth injecting: the dictionary of the STARTTLS attack classes. */
static const char *const interesting_replies[] = {
    "220 mx.example.com ESMTP\r\n",
    "220 2.0.0 Ready to start TLS\r\n",
    "250 OK\r\n",
    "250-mx.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n",
    "250-mx.example.com\r\n250 AUTH PLAIN LOGIN\r\n",
    "250-mx.example.com\r\n250 PIPELINING\r\n",
    "250 STARTTLS\r\n",
    "334 VXNlcm5hbWU6\r\n",
    "334 \r\n",
    "235 2.7.0 Authentication successful\r\n",
    "354 go ahead\r\n",
    "421 4.3.2 Service shutting down\r\n",
    "454 4.7.0 TLS not available due to local problem\r\n",
    "502 5.5.1 Command not implemented\r\n",
    "503 5.5.1 Bad sequence of commands\r\n",
    "530 5.7.0 Must issue a STARTTLS command first\r\n",
    "554 5.7.3 Unable to initialize security subsystem\r\n",
    "220-mx.example.com first\r\n220 second\r\n",
    "250-SIZE 99999999999999999999999\r\n250 8BITMIME\r\n",
    "\x16\x03\x01\x00\x05hello",
    "250\r\n",
    "250 ok\n",
};
#define NREPLIES (sizeof interesting_replies / sizeof interesting_replies[0])

static const uint32_t interesting_ms[] = {0,      1,      999,    1000,   29999,  30000,  60000,
                                          119999, 120001, 299999, 300000, 300001, 600001, 3600000};
#define NMS (sizeof interesting_ms / sizeof interesting_ms[0])

/* Rebuilds the action array and the pool in rule order, so actions and bytes
 * that no rule uses any more give their room back. */
static void compact(struct scenario *sc)
{
  static const struct sc_action none = {SC_ACT_HANG, 0, 0, 0};
  struct sc_action acts[SC_MAX_ACTIONS];
  uint8_t pool[SC_POOL];
  size_t na = 0, np = 0;
  for (size_t i = 0; i < sc->nrules; i++) {
    struct sc_rule *r = &sc->rules[i];
    const struct sc_action *a;
    size_t n = rule_actions(sc, r, &a);
    r->first_action = (uint16_t)na;
    for (size_t k = 0; k < n && na < SC_MAX_ACTIONS; k++) {
      acts[na] = a[k];
      if (a[k].kind == SC_ACT_SEND) {
        size_t len;
        const uint8_t *p = send_bytes(sc, &a[k], &len);
        len = len < SC_POOL - np ? len : SC_POOL - np;
        memcpy(pool + np, p, len);
        acts[na].off = (uint32_t)np;
        acts[na].len = (uint32_t)len;
        np += len;
      }
      na++;
    }
    r->nactions = (uint16_t)(na - r->first_action);
  }
  for (size_t k = na; k < SC_MAX_ACTIONS; k++)
    acts[k] = none;
  memcpy(sc->actions, acts, sizeof acts);
  memcpy(sc->pool, pool, np);
  sc->nactions = na;
  sc->pool_len = np;
}

/* Puts `n` bytes at the end of the pool (compacting first if needed);
 * returns how many fit. */
static size_t pool_put(struct scenario *sc, const uint8_t *p, size_t n, uint32_t *off)
{
  if (n > SC_POOL - sc->pool_len)
    compact(sc);
  if (n > SC_POOL - sc->pool_len)
    n = SC_POOL - sc->pool_len;
  memmove(sc->pool + sc->pool_len, p, n);
  *off = (uint32_t)sc->pool_len;
  sc->pool_len += n;
  return n;
}

/* Inserts action `a` into rule `ri` at index `at`, keeping every rule's
 * actions contiguous. Returns 0 when the action array is full. */
static int insert_action(struct scenario *sc, size_t ri, size_t at, struct sc_action a)
{
  compact(sc);
  if (sc->nactions >= SC_MAX_ACTIONS)
    return 0;
  struct sc_rule *r = &sc->rules[ri];
  size_t pos = r->first_action + (at < r->nactions ? at : r->nactions);
  memmove(&sc->actions[pos + 1], &sc->actions[pos], (sc->nactions - pos) * sizeof sc->actions[0]);
  sc->actions[pos] = a;
  sc->nactions++;
  r->nactions++;
  for (size_t i = 0; i < sc->nrules; i++)
    if (i != ri && sc->rules[i].first_action >= pos)
      sc->rules[i].first_action++;
  return 1;
}

/* Gives action `k` of rule `ri` the bytes p[0..n). */
static void set_send(struct scenario *sc, size_t ri, size_t k, const uint8_t *p, size_t n)
{
  sc->actions[sc->rules[ri].first_action + k].len = 0;
  uint32_t off;
  n = pool_put(sc, p, n, &off);
  /* pool_put may compact, which moves actions: find ours again. */
  struct sc_action *a = &sc->actions[sc->rules[ri].first_action + k];
  a->off = off;
  a->len = (uint32_t)n;
}

static void add_send(struct scenario *sc, size_t ri, size_t at, const char *s)
{
  struct sc_action a = {SC_ACT_SEND, 0, 0, 0};
  if (!insert_action(sc, ri, at, a))
    return;
  size_t k = at < sc->rules[ri].nactions ? at : (size_t)sc->rules[ri].nactions - 1;
  set_send(sc, ri, k, (const uint8_t *)s, strlen(s));
}

/* A new rule with one of the attack-shaped action lists. */
static void add_rule(struct scenario *sc, struct prng *r)
{
  static const enum sc_verb favourite[] = {SC_VERB_CONNECT, SC_VERB_EHLO, SC_VERB_STARTTLS,
                                           SC_VERB_AUTH, SC_VERB_AUTH_DATA};
  compact(sc);
  if (sc->nrules >= SC_MAX_RULES)
    return;
  struct sc_rule rule = {below(r, 2) ? favourite[below(r, 5)]
                                     : (enum sc_verb)below(r, SC_VERB_COUNT),
                         (enum sc_chan)below(r, 3), (uint8_t)(below(r, 3) ? 0 : 1 + below(r, 3)),
                         (uint16_t)sc->nactions, 0};
  size_t ri = sc->nrules++;
  sc->rules[ri] = rule;
  const char *reply = interesting_replies[below(r, NREPLIES)];
  struct sc_action stall = {SC_ACT_STALL, 0, 0, interesting_ms[below(r, NMS)]};
  switch (below(r, 6)) {
  case 0:
    add_send(sc, ri, 0, reply);
    break;
  case 1:
    add_send(sc, ri, 0, reply);
    insert_action(sc, ri, 1, (struct sc_action){SC_ACT_TLS, 0, 0, 0});
    break;
  case 2:
    insert_action(sc, ri, 0, stall);
    add_send(sc, ri, 1, reply);
    break;
  case 3:
    add_send(sc, ri, 0, reply);
    insert_action(sc, ri, 1, (struct sc_action){SC_ACT_CLOSE, 0, 0, 0});
    break;
  case 4:
    insert_action(sc, ri, 0, (struct sc_action){SC_ACT_HANG, 0, 0, 0});
    break;
  default:
    add_send(sc, ri, 0, reply);
    add_send(sc, ri, 1, interesting_replies[below(r, NREPLIES)]);
    break;
  }
}

static void remove_rule(struct scenario *sc, size_t ri)
{
  memmove(&sc->rules[ri], &sc->rules[ri + 1], (sc->nrules - ri - 1) * sizeof sc->rules[0]);
  sc->nrules--;
  compact(sc);
}

/* Positions just after a line end (and 0): where reply codes start. */
static size_t line_starts(const uint8_t *b, size_t n, size_t *at, size_t cap)
{
  size_t k = 0;
  for (size_t i = 0; i < n && k < cap; i++)
    if (i == 0 || b[i - 1] == '\n')
      at[k++] = i;
  return k;
}

static size_t insert_bytes(uint8_t *b, size_t n, size_t cap, size_t at, const void *p, size_t m)
{
  if (m > cap - n)
    m = cap - n;
  memmove(b + at + m, b + at, n - at);
  memcpy(b + at, p, m);
  return n + m;
}

/* One SMTP-aware edit of a reply flight. */
static size_t edit_bytes(uint8_t *b, size_t n, size_t cap, struct prng *r)
{
  size_t starts[64];
  size_t ns = line_starts(b, n, starts, 64);
  size_t at = below(r, (uint32_t)n + 1);
  switch (below(r, 9)) {
  case 0: /* a reply code digit */
    if (ns > 0) {
      size_t s = starts[below(r, (uint32_t)ns)];
      size_t d = below(r, 3);
      if (s + d < n) {
        b[s + d] = d == 0 ? (uint8_t) "2345"[below(r, 4)] : (uint8_t)('0' + below(r, 10));
        return n;
      }
    }
    return insert_bytes(b, n, cap, 0, "250 ", 4);
  case 1: /* continuation '-' against final ' ' (RFC 5321 4.2.1) */
    for (size_t i = 0; i < ns; i++) {
      size_t s = starts[(i + below(r, (uint32_t)ns)) % ns];
      if (s + 3 < n && (b[s + 3] == '-' || b[s + 3] == ' ')) {
        b[s + 3] = b[s + 3] == '-' ? ' ' : '-';
        return n;
      }
    }
    return insert_bytes(b, n, cap, at, "-", 1);
  case 2: { /* a line end, bare LF, bare CR or NUL */
    static const char *const ends[] = {"\r\n", "\n", "\r", "\0"};
    size_t e = below(r, 4);
    return insert_bytes(b, n, cap, at, ends[e], e == 0 ? 2 : 1);
  }
  case 3: { /* an injected reply after the flight */
    const char *s = interesting_replies[below(r, NREPLIES)];
    return insert_bytes(b, n, cap, n, s, strlen(s));
  }
  case 4: /* CRLF to bare LF, or drop a byte */
    for (size_t i = 0; i + 1 < n; i++)
      if (b[i] == '\r' && b[i + 1] == '\n' && below(r, 2)) {
        memmove(b + i, b + i + 1, n - i - 1);
        return n - 1;
      }
    if (n > 0 && at < n) {
      memmove(b + at, b + at + 1, n - at - 1);
      return n - 1;
    }
    return n;
  case 5: /* cut the flight short */
    return at;
  case 6: { /* an over-long line (RFC 5321 4.5.3.1.5: 512 octets) */
    uint8_t fill[1100];
    size_t m = 400 + below(r, 700);
    memset(fill, 'A', m);
    return insert_bytes(b, n, cap, at, fill, m);
  }
  case 7: /* the same line twice */
    if (ns > 0) {
      size_t i = below(r, (uint32_t)ns);
      size_t s = starts[i], e = i + 1 < ns ? starts[i + 1] : n;
      uint8_t line[SC_POOL];
      memcpy(line, b + s, e - s);
      return insert_bytes(b, n, cap, e, line, e - s);
    }
    return n;
  default: { /* another reply altogether */
    const char *s = interesting_replies[below(r, NREPLIES)];
    size_t m = strlen(s);
    memcpy(b, s, m);
    return m;
  }
  }
}

static void mutate_header(struct scenario *sc, struct prng *r)
{
  struct sf_config *c = &sc->cfg;
  switch (below(r, 8)) {
  case 0:
    c->mode = (enum sf_mode)((c->mode + 1 + below(r, 2)) % 3);
    /* Mostly a consistent profile: contradictions are the rarer case. */
    if (below(r, 5) != 0)
      c->tls = c->mode == SF_MODE_PLAIN      ? SF_TLS_NONE
               : c->mode == SF_MODE_IMPLICIT ? SF_TLS_REQUIRED
                                             : (enum sf_tls_policy)(1 + below(r, 2));
    break;
  case 1:
    c->tls = (enum sf_tls_policy)((c->tls + 1 + below(r, 2)) % 3);
    break;
  case 2:
    c->port = below(r, 6) ? port_table[below(r, 4)] : (uint16_t)(1 + below(r, 65535));
    break;
  case 3:
    c->auth = (enum sf_auth)((c->auth + 1 + below(r, 2)) % 3);
    break;
  case 4:
    switch (below(r, 5)) {
    case 0:
      c->verify = !c->verify;
      break;
    case 1:
      c->allow_helo = !c->allow_helo;
      break;
    case 2:
      c->allow_plaintext_auth = !c->allow_plaintext_auth;
      break;
    case 3:
      c->lenient ^= SF_LENIENT_BARE_LF;
      break;
    default:
      if (c->mail_from == NULL)
        default_envelope(c);
      else
        clear_envelope(c);
    }
    break;
  case 5:
    sc->personality =
        (enum sc_personality)((sc->personality + 1 + below(r, SC_PERS_COUNT - 1)) % SC_PERS_COUNT);
    break;
  case 6:
    sc->cert = (enum sc_cert)((sc->cert + 1 + below(r, SC_CERT_COUNT - 1)) % SC_CERT_COUNT);
    break;
  default:
    strcpy(sc->cert_host, cert_hosts[below(r, NCERT_HOSTS)]);
    break;
  }
}

static void mutate_once(struct scenario *sc, struct prng *r)
{
  unsigned op = below(r, 10);
  if (sc->nrules == 0 && op >= 3)
    op = 2;
  size_t ri = below(r, (uint32_t)sc->nrules);
  struct sc_rule *rule = &sc->rules[ri];
  switch (op) {
  case 0:
    mutate_header(sc, r);
    return;
  case 1: {
    int p = (int)below(r, SF_PHASE_COUNT);
    uint32_t ms = interesting_ms[below(r, NMS)];
    sc->cfg.timeout_ms[p] = below(r, 4) == 0 || ms == 0 ? phase_default_ms[p] : ms;
    return;
  }
  case 2:
    add_rule(sc, r);
    return;
  case 3:
    remove_rule(sc, ri);
    return;
  case 4: /* replace a rule: same head, new actions */
  {
    struct sc_rule head = *rule;
    remove_rule(sc, ri);
    add_rule(sc, r);
    sc->rules[sc->nrules - 1].verb = head.verb;
    sc->rules[sc->nrules - 1].chan = head.chan;
    sc->rules[sc->nrules - 1].nth = head.nth;
    return;
  }
  case 5: /* the rule head */
    switch (below(r, 3)) {
    case 0:
      rule->verb = (enum sc_verb)below(r, SC_VERB_COUNT);
      break;
    case 1:
      rule->chan = (enum sc_chan)((rule->chan + 1 + below(r, 2)) % 3);
      break;
    default:
      if (rule->nth == 0)
        rule->nth = (uint8_t)(1 + below(r, 3));
      else
        rule->nth = below(r, 2) ? 0 : (uint8_t)((rule->nth % NTH_MAX) + 1);
      break;
    }
    return;
  default:
    break;
  }

  /* Action-level edits (6 to 9). */
  if (rule->nactions == 0 || op == 8) {
    static const enum sc_act kinds[] = {SC_ACT_SEND, SC_ACT_STALL, SC_ACT_CLOSE, SC_ACT_TLS,
                                        SC_ACT_HANG};
    enum sc_act kind = kinds[below(r, 5)];
    size_t at = below(r, (uint32_t)rule->nactions + 1);
    if (kind == SC_ACT_SEND)
      add_send(sc, ri, at, interesting_replies[below(r, NREPLIES)]);
    else
      insert_action(sc, ri, at, (struct sc_action){kind, 0, 0, interesting_ms[below(r, NMS)]});
    return;
  }
  size_t ai = rule->first_action + below(r, rule->nactions);
  struct sc_action *a = &sc->actions[ai];
  if (op == 9) {
    memmove(a, a + 1, (sc->nactions - ai - 1) * sizeof *a);
    sc->nactions--;
    rule->nactions--;
    for (size_t i = 0; i < sc->nrules; i++)
      if (sc->rules[i].first_action > ai)
        sc->rules[i].first_action--;
    return;
  }
  if (a->kind == SC_ACT_STALL) {
    a->ms = below(r, 2) ? interesting_ms[below(r, NMS)] : a->ms + below(r, 2001) - 1000;
    return;
  }
  if (a->kind != SC_ACT_SEND) {
    a->kind = (enum sc_act)((a->kind + 1 + below(r, 2)) % 3 + 2); /* close, tls, hang */
    return;
  }
  uint8_t buf[SC_POOL];
  size_t n;
  const uint8_t *p = send_bytes(sc, a, &n);
  memcpy(buf, p, n);
  n = edit_bytes(buf, n, sizeof buf, r);
  set_send(sc, ri, ai - rule->first_action, buf, n);
}

/* Replaces data with the bytes of a changed scenario if they fit. */
static size_t emit(const struct scenario *sc, uint8_t *data, size_t size, size_t max_size)
{
  uint8_t buf[SC_BINARY_MAX];
  size_t n = scenario_encode(sc, buf, sizeof buf);
  if (n == 0 || n > max_size || (n == size && memcmp(buf, data, n) == 0))
    return 0;
  memcpy(data, buf, n);
  return n;
}

size_t scenario_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
  struct prng r = prng_seeded(seed, 1);
  struct scenario sc;
  for (int attempt = 0; attempt < 8; attempt++) {
    scenario_decode(&sc, data, size);
    mutate_once(&sc, &r);
    size_t n = emit(&sc, data, size, max_size);
    if (n != 0)
      return n;
  }
  /* Too big to re-encode into max_size: any byte string is a scenario, so a
   * plain bit flip still gives one. */
  if (size > 0) {
    data[below(&r, (uint32_t)size)] ^= (uint8_t)(1u << below(&r, 8));
    return size;
  }
  if (max_size > 0) {
    data[0] = (uint8_t)prng_next(&r);
    return 1;
  }
  return 0;
}

/* Appends rule `ri` of `src` (with its actions and bytes) to `dst`. */
static void append_rule(struct scenario *dst, const struct scenario *src, size_t ri)
{
  const struct sc_rule *from = &src->rules[ri];
  if (dst->nrules >= SC_MAX_RULES || rule_exists(dst, from))
    return;
  struct sc_rule *to = &dst->rules[dst->nrules++];
  *to = *from;
  to->first_action = (uint16_t)dst->nactions;
  to->nactions = 0;
  const struct sc_action *a;
  size_t n = rule_actions(src, from, &a);
  for (size_t k = 0; k < n && dst->nactions < SC_MAX_ACTIONS; k++) {
    struct sc_action c = a[k];
    if (c.kind == SC_ACT_SEND) {
      size_t len;
      const uint8_t *p = send_bytes(src, &a[k], &len);
      len = len < SC_POOL - dst->pool_len ? len : SC_POOL - dst->pool_len;
      memcpy(dst->pool + dst->pool_len, p, len);
      c.off = (uint32_t)dst->pool_len;
      c.len = (uint32_t)len;
      dst->pool_len += len;
    }
    dst->actions[dst->nactions++] = c;
    to->nactions++;
  }
}

size_t scenario_crossover(const uint8_t *a, size_t asz, const uint8_t *b, size_t bsz, uint8_t *out,
                          size_t max, unsigned seed)
{
  struct prng r = prng_seeded(seed, 7);
  struct scenario sa, sb;
  scenario_decode(&sa, a, asz);
  scenario_decode(&sb, b, bsz);
  /* Both are decoded, so their cfg strings are static: copying the
   * header's fields between them is safe. */
  if (below(&r, 4) == 0) {
    sa.cfg = sb.cfg;
    sa.personality = sb.personality;
    sa.cert = sb.cert;
    memcpy(sa.cert_host, sb.cert_host, sizeof sa.cert_host);
  }
  size_t i = below(&r, (uint32_t)sa.nrules + 1), j = below(&r, (uint32_t)sb.nrules + 1);
  sa.nrules = i;
  compact(&sa);
  for (size_t k = j; k < sb.nrules; k++)
    append_rule(&sa, &sb, k);
  uint8_t buf[SC_BINARY_MAX];
  size_t n = scenario_encode(&sa, buf, sizeof buf);
  if (n == 0 || n > max) {
    n = asz < max ? asz : max;
    memcpy(out, a, n);
    return n;
  }
  memcpy(out, buf, n);
  return n;
}
