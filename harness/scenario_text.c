/* The text form of a scenario (.scn): the parser and the canonical writer
 * (scenario_text.h; the format is in corpus/scenarios/README.md). */
#include "scenario_text.h"

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

/* The names an error message lists, made from scenario.h's lists at compile
 * time so that none is ever left out: each item is " NAME," and the message
 * goes on after the last comma (", or none"). */
#define NAME_ITEM(id, name)  " " name ","
#define IDENT_ITEM(id, desc) " " #id ","

/* How each action is written, in enum sc_act's order (scenario.h has no
 * list of them to build on): a new action fails to compile until it is
 * added here, and so to the messages. */
#define SCN_ACTION_LIST(X)                                                                         \
  X(SEND, "send \"...\" [* N]")                                                                    \
  X(STALL, "stall MS")                                                                             \
  X(CLOSE, "close")                                                                                \
  X(TLS, "tls")                                                                                    \
  X(HANG, "hang")                                                                                  \
  X(DEAF, "deaf")                                                                                  \
  X(RAW, "raw \"...\"")

enum scn_action_form {
#define SCN_ACTION_ENUM(id, form) F_##id,
  SCN_ACTION_LIST(SCN_ACTION_ENUM)
#undef SCN_ACTION_ENUM
      F_COUNT
};
_Static_assert(F_COUNT == SC_ACT_COUNT, "SCN_ACTION_LIST writes every action");
#define SCN_ACTION_ORDER(id, form)                                                                 \
  _Static_assert((int)F_##id == (int)SC_ACT_##id, "SCN_ACTION_LIST follows enum sc_act");
SCN_ACTION_LIST(SCN_ACTION_ORDER)
#undef SCN_ACTION_ORDER

/* "actions are send "..." [* N], stall MS, ..., raw "...", separated by ';'" */
#define ACTIONS_ARE "actions are" SCN_ACTION_LIST(NAME_ITEM) " separated by ';'"

static int ascii_lower(int c)
{
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* ------------------------------------------------------------------ */
/* Text form: parsing                                                  */

/* The longest value: a message as long as the configuration can hold. */
#define VALUE_MAX SF_CONFIG_STRINGS

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
  X(TIME_BOUND, "time_bound")                                                                      \
  X(RESUME, "resume")                                                                              \
  X(TLS_SERVER, "tls.server")                                                                      \
  X(EXPECT_DIAGNOSIS, "expect.diagnosis")

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
  int no_rcpt;        /* an empty client.to: no recipient */
  int envelope_given; /* client.from, client.to or client.message */
  size_t envelope_line;
  size_t deliver_line;
  int deliver;
};

static enum sf_err set_client_key(struct parser *ps, struct text key, struct text v, int quoted,
                                  size_t line, const char **reason)
{
  struct sf_config *cfg = &ps->sc->cfg;
  int is_to = text_is(key, "to"), is_message = text_is(key, "message");
  if (is_to || is_message || text_is(key, "from")) {
    ps->envelope_given = 1;
    ps->envelope_line = line;
  }
  /* The first client.to replaces scenario_init's recipient; later ones add.
   * An empty bare one says there is none (the engine must refuse MAIL
   * without a recipient, RFC 5321 3.3). */
  if (is_to && !ps->rcpt_given) {
    cfg->nrcpt = 0;
    memset(cfg->rcpt, 0, sizeof cfg->rcpt);
    ps->rcpt_given = 1;
  }
  if (is_to && v.n == 0 && !quoted) {
    if (cfg->nrcpt > 0 || ps->no_rcpt)
      FAIL(CONFIG_INCONSISTENT, "an empty client.to means no recipient at all: it stands alone");
    ps->no_rcpt = 1;
    return SF_ERR_OK;
  }
  if (is_to && ps->no_rcpt)
    FAIL(CONFIG_INCONSISTENT, "an empty client.to means no recipient at all: it stands alone");
  /* A quoted message is its bytes, exactly (blanks at either end kept). */
  if (is_message && quoted)
    return sf_config_set_message(cfg, v.p, v.n, reason);
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
    int i = text_pick(item, sc_verdict_names, SC_V_COUNT);
    if (i < 0)
      FAIL(CONFIG_BAD_VALUE,
           "unknown verdict: expect is a comma list of" SC_VERDICT_LIST(IDENT_ITEM) " or none");
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
      if (!sc_name_char(v.p[k]))
        FAIL(CONFIG_BAD_VALUE, "name may hold letters, digits and - _ . + only");
    memcpy(sc->name, v.p, v.n);
    sc->name[v.n] = '\0';
    return SF_ERR_OK;
  case K_SERVER:
    if ((i = text_pick(v, sc_personality_names, SC_PERS_COUNT)) < 0)
      FAIL(CONFIG_BAD_VALUE,
           "unknown personality: server is submission, implicit, relay, legacy or silent");
    sc->personality = (enum sc_personality)i;
    return SF_ERR_OK;
  case K_CERT:
    if ((i = text_pick(v, sc_cert_names, SC_CERT_COUNT)) < 0)
      FAIL(CONFIG_BAD_VALUE, "unknown cert kind: cert is valid, self-signed, unknown-issuer, "
                             "wrong-host, expired, not-yet-valid, name-in-cn-only, nul-in-name, "
                             "wildcard-too-wide, forged-signature, issuer-not-ca or "
                             "client-auth-only");
    sc->cert = (enum sc_cert)i;
    return SF_ERR_OK;
  case K_CERT_HOST:
    if (v.n == 0 || v.n >= sizeof sc->cert_host)
      FAIL(CONFIG_BAD_VALUE, "cert.host must be 1 to 63 characters");
    for (size_t k = 0; k < v.n; k++)
      if (!sc_cert_host_char(v.p[k]))
        FAIL(CONFIG_BAD_VALUE, "cert.host may hold letters, digits, '-', '.', '*' and ':' only");
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
    if ((i = text_pick(v, sc_result_names, 3)) < 0)
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
  case K_TLS_SERVER:
    if ((i = text_pick(v, sc_tls_server_names, SC_TLSS_COUNT)) < 0)
      FAIL(CONFIG_BAD_VALUE, "tls.server is modern, old or client-cert");
    sc->tls_server = (enum sc_tls_server)i;
    return SF_ERR_OK;
  case K_RESUME:
    if (text_is(v, "yes"))
      sc->resume = 1;
    else if (text_is(v, "no"))
      sc->resume = 0;
    else
      FAIL(CONFIG_BAD_VALUE, "resume must be yes or no");
    return SF_ERR_OK;
  case K_EXPECT_DIAGNOSIS:
    if (v.n == 0 || v.n >= sizeof sc->expect_diag)
      FAIL(CONFIG_BAD_VALUE,
           "expect.diagnosis must be 1 to " XSTR(SC_DIAG_MAX) " characters less one");
    for (size_t k = 0; k < v.n; k++)
      if (!sc_diag_char(v.p[k]))
        FAIL(CONFIG_BAD_VALUE, "expect.diagnosis holds printable ASCII only");
    memcpy(sc->expect_diag, v.p, v.n);
    sc->expect_diag[v.n] = '\0';
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
    FAIL(CONFIG_UNKNOWN_KEY,
         "unknown key: keys are name, server, cert, cert.host, tls.server, resume, "
         "deliver, expect, expect.result, expect.error, expect.diagnosis, "
         "time_bound and client.<key>");
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
  while (n < t->n && (sc_name_char(t->p[n]) && t->p[n] != '.' && t->p[n] != '+'))
    n++;
  struct text w = {t->p, n};
  t->p += n;
  t->n -= n;
  return w;
}

/* Digits at the start of t, as a number in [min, max]; advances t. */
static enum sf_err take_number(struct text *t, uint64_t min, uint64_t max, uint64_t *out,
                               const char *missing, const char *range, const char **reason)
{
  size_t n = 0;
  while (n < t->n && t->p[n] >= '0' && t->p[n] <= '9')
    n++;
  if (n == 0)
    FAIL(CONFIG_SYNTAX, missing);
  if (!parse_number((struct text){t->p, n}, min, max, out))
    FAIL(CONFIG_BAD_VALUE, range);
  t->p += n;
  t->n -= n;
  return SF_ERR_OK;
}

static enum sf_err parse_action(struct scenario *sc, struct text *t, const char **reason)
{
  struct text w = take_word(t);
  int kind = text_pick(w, sc_act_names, SC_ACT_COUNT);
  if (kind < 0)
    FAIL(CONFIG_SYNTAX, "unknown action: " ACTIONS_ARE);
  if (sc->nactions >= SC_MAX_ACTIONS)
    FAIL(CONFIG_TOO_LONG, "too many actions: at most " XSTR(SC_MAX_ACTIONS) " in all rules");
  struct sc_action a = {.kind = (enum sc_act)kind};
  skip_blanks(t);
  if (sc_act_has_bytes(a.kind)) {
    if (t->n == 0 || t->p[0] != '"')
      FAIL(CONFIG_SYNTAX, "send and raw take a quoted string: send \"250 ok\\r\\n\"");
    size_t len;
    TRY(parse_string(t, sc->pool + sc->pool_len, SC_POOL - sc->pool_len, &len,
                     "pool full: the send strings exceed " XSTR(SC_POOL) " bytes in all", reason));
    a.off = (uint32_t)sc->pool_len;
    a.len = (uint32_t)len;
    sc->pool_len += len;
    /* send "A" * 100000: the bytes that many times, so a reply line far
     * beyond any limit fits on one line of the file. */
    skip_blanks(t);
    if (kind == SC_ACT_SEND && t->n > 0 && t->p[0] == '*') {
      t->p++;
      t->n--;
      skip_blanks(t);
      uint64_t k;
      TRY(take_number(t, 1, SC_REPEAT_MAX, &k, "* takes a count: send \"A\" * 1000",
                      "count out of range: send \"...\" * N takes N from 1 to " XSTR(SC_REPEAT_MAX),
                      reason));
      a.repeat = (uint32_t)k;
    }
  }
  if (kind == SC_ACT_STALL) {
    uint64_t ms;
    TRY(take_number(t, 0, UINT32_MAX, &ms, "stall takes milliseconds: stall 30000",
                    "number out of range: stall takes 0 to 4294967295 ms", reason));
    a.ms = (uint32_t)ms;
  }
  sc->actions[sc->nactions++] = a;
  return SF_ERR_OK;
}

/* on VERB [plain|tls|any] [#N]: ACTION[; ACTION...] | nothing */
static enum sf_err parse_rule(struct scenario *sc, struct text t, const char **reason)
{
  struct sc_rule r = {SC_VERB_CONNECT, SC_CHAN_ANY, 0, 0, 0};
  t.p += 2;
  t.n -= 2;
  skip_blanks(&t);
  struct text w = take_word(&t);
  int v = text_pick(w, sc_verb_names, SC_VERB_COUNT);
  if (v < 0)
    FAIL(CONFIG_BAD_VALUE,
         "bad verb: rules are 'on VERB' with VERB one of" SC_VERB_LIST(NAME_ITEM) " in lower case");
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
      if (!parse_number((struct text){t.p + 1, n - 1}, 1, SC_NTH_MAX, &nth))
        FAIL(CONFIG_BAD_VALUE, "number out of range: #N counts occurrences from 1 to " XSTR(
                                   SC_NTH_MAX) "; leave it out for every occurrence");
      r.nth = (uint8_t)nth;
      have_nth = 1;
      t.p += n;
      t.n -= n;
      continue;
    }
    w = take_word(&t);
    int c = text_pick(w, sc_chan_names, 3);
    if (c < 0 || have_chan || have_nth)
      FAIL(CONFIG_SYNTAX, "bad rule head: on VERB [plain|tls|any] [#N]: actions");
    r.chan = (enum sc_chan)c;
    have_chan = 1;
  }
  t.p++;
  t.n--;
  if (sc->nrules >= SC_MAX_RULES)
    FAIL(CONFIG_TOO_LONG, "too many rules: at most " XSTR(SC_MAX_RULES));
  if (scenario_rule_exists(sc, &r))
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
      FAIL(CONFIG_SYNTAX, "empty action: " ACTIONS_ARE " (or 'nothing')");
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
  struct parser ps = {sc, 0, 0, 0, 0, 0, 0, 1};
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
    scenario_clear_envelope(&sc->cfg);
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
  put_str(w, key);
  put_str(w, value[0] ? " = " : " =");
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
  scenario_default_config(&d);
  if (c->mode != d.mode)
    put_client_line(w, "mode", sf_mode_name(c->mode));
  if (c->tls != d.tls)
    put_client_line(w, "tls", sf_tls_policy_name(c->tls));
  if (c->verify != d.verify)
    put_client_line(w, "verify", c->verify ? "yes" : "no");
  /* No host (NULL or empty) is written as the empty string. */
  if (!scenario_str_eq(c->host, d.host))
    put_client_string(w, "host", c->host ? c->host : "");
  if (c->cafile != NULL && !scenario_str_eq(c->cafile, d.cafile))
    put_client_string(w, "cafile", c->cafile);
  if (c->port != d.port)
    put_client_number(w, "port", c->port);
  if (c->auth != d.auth)
    put_client_line(w, "auth", sf_auth_name(c->auth));
  if (c->user != NULL && !scenario_str_eq(c->user, d.user))
    put_client_string(w, "user", c->user);
  if (c->password != NULL && !scenario_str_eq(c->password, d.password))
    put_client_string(w, "password", c->password);
  if (c->allow_plaintext_auth != d.allow_plaintext_auth)
    put_client_line(w, "allow_plaintext_auth", c->allow_plaintext_auth ? "yes" : "no");
  if (c->allow_helo != d.allow_helo)
    put_client_line(w, "allow_helo", c->allow_helo ? "yes" : "no");
  if (c->helo_name != NULL && !scenario_str_eq(c->helo_name, d.helo_name))
    put_client_string(w, "helo_name", c->helo_name);
  if (c->mail_from != NULL) {
    if (!scenario_str_eq(c->mail_from, d.mail_from))
      put_client_string(w, "from", c->mail_from);
    int same = c->nrcpt == d.nrcpt;
    for (size_t i = 0; same && i < c->nrcpt; i++)
      same = scenario_str_eq(c->rcpt[i], d.rcpt[i]);
    for (size_t i = 0; !same && i < c->nrcpt && i < SF_CONFIG_MAX_RCPT; i++)
      if (c->rcpt[i] != NULL)
        put_client_string(w, "to", c->rcpt[i]);
    if (c->nrcpt == 0)
      put_client_line(w, "to", "");
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
    put_str(w, sc_chan_names[r->chan]);
  }
  if (r->nth != 0) {
    put_str(w, " #");
    put_u64(w, r->nth);
  }
  put_char(w, ':');
  const struct sc_action *a;
  size_t na = scenario_rule_actions(sc, r, &a);
  if (na == 0)
    put_str(w, " nothing");
  for (size_t k = 0; k < na; k++) {
    put_str(w, k == 0 ? " " : "; ");
    put_str(w, (unsigned)a[k].kind < SC_ACT_COUNT ? sc_act_names[a[k].kind] : "hang");
    if (sc_act_has_bytes(a[k].kind)) {
      size_t n;
      const uint8_t *p = scenario_send_bytes(sc, &a[k], &n);
      put_char(w, ' ');
      put_quoted(w, p, n);
      if (a[k].repeat > 1) {
        put_str(w, " * ");
        put_u64(w, a[k].repeat);
      }
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
  if (sc->tls_server != SC_TLSS_MODERN) {
    put_key(&w, "tls.server");
    put_str(&w, sc_tls_server_names[(unsigned)sc->tls_server < SC_TLSS_COUNT ? sc->tls_server : 0]);
    put_char(&w, '\n');
  }
  if (sc->resume)
    put_str(&w, "resume = yes\n");
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
    put_str(&w, sc_verdict_names[v]);
    first = 0;
  }
  put_char(&w, '\n');
  put_key(&w, "expect.result");
  put_str(&w, (unsigned)sc->expect_result <= SC_RESULT_FAILED ? sc_result_names[sc->expect_result]
                                                              : "any");
  put_char(&w, '\n');
  if (sc->expect_error_set) {
    put_key(&w, "expect.error");
    put_str(&w, sf_err_name(sc->expect_error));
    put_char(&w, '\n');
  }
  size_t dn = strnlen(sc->expect_diag, sizeof sc->expect_diag - 1);
  if (dn > 0) {
    put_key(&w, "expect.diagnosis");
    if (bare_ok(sc->expect_diag, dn))
      put_mem(&w, sc->expect_diag, dn);
    else
      put_quoted(&w, (const uint8_t *)sc->expect_diag, dn);
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
