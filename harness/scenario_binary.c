/* The binary form of a scenario, for fuzz targets (scenario_binary.h).
 *
 * Every byte string is a scenario, and every scenario has a binary form that
 * decodes back to it (the form is lossless: a test converts the whole
 * library text -> binary -> text). A fixed header, then a stream of
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
 *                     0x20 no delivery (deliver = no), 0x40 no recipient
 *                     (unless "to" records name some), 0x80 resume
 *    7  personality   b % 5 (SC_PERSONALITY_LIST order)
 *    8  cert          b % SC_CERT_COUNT (SC_CERT_LIST order)
 *    9  cert host     b % SC_BINARY_CERT_HOSTS, sc_binary_cert_hosts[]
 *   10  host          b % SC_BINARY_HOSTS, sc_binary_hosts[]
 *   11  message       b % SC_BINARY_MESSAGES, sc_binary_messages[]
 *   12  expect.result b % 3: any, done, failed
 *   13  expect.error  0: not stated; else error (b - 1) % SF_ERR_COUNT
 *   14  expect        u16 LE, verdict bits (1 << sc_verdict), masked
 *   16  time_bound    u32 LE, ms
 *   20  tls.server    b % 3 (SC_TLS_SERVER_LIST order)
 * The tables give one byte's reach to the values that matter (no host, an
 * address literal, a certificate for another name or address, a message
 * with a bare CR next to a dot); a string record overrides its table.
 *
 * Records, by their first byte k:
 *   k < 0x40   rule: verb k % SC_VERB_COUNT; one more byte c: channel
 *              c & 3 (any, plain, tls; 3 reads as any), nth c >> 2. A rule
 *              whose head repeats an earlier one, or past SC_MAX_RULES, is
 *              dropped with its actions.
 *   k < 0x80   action of the latest rule: kind (k & 0x3f) % 8: send, stall,
 *              close, tls, hang, deaf, raw, send-repeated. A send or raw: a length (one
 *              byte below 0x80, else (b0 & 0x7f) | b1 << 7), then the bytes
 *              (as many as remain; past SC_POOL they are dropped); a
 *              repeated send then u32 LE, the count (clamped to 1 ..
 *              SC_REPEAT_MAX). stall: u32 LE ms. Actions without a rule or
 *              past SC_MAX_ACTIONS are dropped.
 *   k < 0xc0   timeout of phase (k & 0x3f) % SF_PHASE_COUNT: u32 LE ms,
 *              0 = the default, clamped to one day. The last one wins.
 *   else       string field (k & 0x3f) % FIELD_COUNT (FIELD_LIST below): a
 *              length as for a send, then the bytes. A value the
 *              configuration refuses (CR or LF in a command argument, NUL,
 *              an empty helo_name, more than SF_CONFIG_MAX_RCPT recipients,
 *              a full string arena) is dropped; characters a name, a
 *              certificate name or a diagnosis may not hold are left out;
 *              the first of a field wins, except "to", which adds.
 * A record cut short by the end of the input is dropped, except a send,
 * which keeps the bytes that are there.
 *
 * encode writes the canonical form: header, timeouts that differ from the
 * defaults, string records for what the tables do not hold, then each rule
 * followed by its actions.
 */
#include "scenario_binary.h"

#include "judge_cmp.h"
#include "reply_parser.h"

#include <string.h>

/* The engine's own ceiling for a per-phase timeout (config.c). */
#define TIMEOUT_MAX_MS 86400000u

#define HDR_LEN SC_BINARY_HEADER

enum {
  FLAG_VERIFY = 0x01,
  FLAG_ALLOW_HELO = 0x02,
  FLAG_ALLOW_PLAINTEXT_AUTH = 0x04,
  FLAG_LENIENT_BARE_LF = 0x08,
  FLAG_CONTRADICT = 0x10,
  FLAG_NO_DELIVERY = 0x20,
  FLAG_NO_RCPT = 0x40,
  FLAG_RESUME = 0x80,
};

#define REC_RULE    0x00
#define REC_ACTION  0x40
#define REC_TIMEOUT 0x80
#define REC_STRING  0xc0

/* The action kinds of a record; the last is a send with a repeat count. */
#define ACT_SEND_REPEAT SC_ACT_COUNT
#define ACT_KINDS       (SC_ACT_COUNT + 1)

/* String fields, in record order. */
#define FIELD_LIST(X)                                                                              \
  X(NAME)                                                                                          \
  X(HOST)                                                                                          \
  X(USER)                                                                                          \
  X(PASSWORD)                                                                                      \
  X(HELO_NAME)                                                                                     \
  X(FROM)                                                                                          \
  X(TO)                                                                                            \
  X(MESSAGE)                                                                                       \
  X(CAFILE)                                                                                        \
  X(CERT_HOST)                                                                                     \
  X(EXPECT_DIAG)

enum field {
#define FIELD_ENUM(id) F_##id,
  FIELD_LIST(FIELD_ENUM)
#undef FIELD_ENUM
      FIELD_COUNT
};

/* A string record's payload is at most this long (a two-byte length). */
#define STRING_MAX 32767

const uint16_t sc_binary_ports[4] = {25, 465, 587, 2525};
/* "" is the client's own host name. */
const char *const sc_binary_cert_hosts[SC_BINARY_CERT_HOSTS] = {
    "",
    "other.example.net",
    "mx.example.com.attacker.test",
    "*.example.com",
    "mx.example.com",
    "192.0.2.10",
    "2001:db8::10",
    "192.0.2.11",
};
/* The first is scenario_init's. */
const char *const sc_binary_hosts[SC_BINARY_HOSTS] = {
    "mx.example.com", "",           "MX.Example.COM", "wrong.example.net",
    "192.0.2.10",     "192.0.2.11", "2001:db8::10",   "2001:DB8:0::11",
};
/* The first is scenario_init's (NULL: the default message). */
const char *const sc_binary_messages[SC_BINARY_MESSAGES] = {
    NULL,
    "Subject: dots\n\n.one leading dot\n..two\n.\nend\n",
    /* The SMTP smuggling shapes (RFC 5321 2.3.8): a bare CR or LF next to a dot. */
    "Subject: cr\n\nx\r.\r\nMAIL FROM:<mallory@example.net>\r\n",
    "Subject: lf\r\n\r\nx\n.\nRCPT TO:<victim@example.com>\r\n",
    "Subject: =?UTF-8?B?w6lsw6h2ZQ==?=\n\n\xc3\xa9l\xc3\xa8ve \xe2\x80\x94 8-bit\n",
    "",
};

int sc_binary_profile_consistent(enum sf_mode mode, enum sf_tls_policy tls)
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

/* Index of `s` in table[0..n), or -1. A NULL entry matches NULL only. */
static int table_index(const char *const *table, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (scenario_str_eq(table[i], s))
      return (int)i;
  return -1;
}

/* scenario_default_config's values, made once per thread: a configuration
 * is 8 KB, too much to build on the stack for every input. */
static const struct sf_config *defaults(void)
{
  static _Thread_local struct sf_config d;
  static _Thread_local int made;
  if (!made) {
    scenario_default_config(&d);
    made = 1;
  }
  return &d;
}

static int message_index(const struct sf_config *c)
{
  const struct sf_config *d = defaults();
  for (size_t i = 0; i < SC_BINARY_MESSAGES; i++) {
    const char *m = sc_binary_messages[i] ? sc_binary_messages[i] : d->message;
    size_t n = sc_binary_messages[i] ? strlen(m) : d->message_len;
    if (c->message && c->message_len == n && jc_same(c->message, m, n))
      return (int)i;
  }
  return -1;
}

/* The recipients are scenario_init's own. */
static int default_rcpt(const struct sf_config *c)
{
  const struct sf_config *d = defaults();
  return c->nrcpt == d->nrcpt && scenario_str_eq(c->rcpt[0], d->rcpt[0]);
}

/* ---- encoding ------------------------------------------------------------ */

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

static void out_len(struct out *o, size_t n)
{
  if (n < 0x80) {
    out_byte(o, (uint8_t)n);
    return;
  }
  out_byte(o, (uint8_t)(0x80 | (n & 0x7f)));
  out_byte(o, (uint8_t)(n >> 7));
}

static void out_string(struct out *o, enum field f, const void *p, size_t n)
{
  out_byte(o, (uint8_t)(REC_STRING | f));
  out_len(o, n);
  out_bytes(o, p, n);
}

static void out_cstring(struct out *o, enum field f, const char *s)
{
  out_string(o, f, s, strlen(s));
}

static void encode_header(const struct scenario *sc, uint8_t *h)
{
  const struct sf_config *c = &sc->cfg;
  memset(h, 0, HDR_LEN);
  h[0] = (uint8_t)c->mode;
  h[1] = (uint8_t)c->tls;
  h[2] = 4;
  for (uint8_t i = 0; i < 4; i++)
    if (c->port == sc_binary_ports[i])
      h[2] = i;
  if (h[2] == 4) {
    h[3] = (uint8_t)c->port;
    h[4] = (uint8_t)(c->port >> 8);
  }
  h[5] = (uint8_t)c->auth;
  int deliver = c->mail_from != NULL;
  h[6] = (uint8_t)((c->verify ? FLAG_VERIFY : 0) | (c->allow_helo ? FLAG_ALLOW_HELO : 0) |
                   (c->allow_plaintext_auth ? FLAG_ALLOW_PLAINTEXT_AUTH : 0) |
                   ((c->lenient & SF_LENIENT_BARE_LF) ? FLAG_LENIENT_BARE_LF : 0) |
                   (sc_binary_profile_consistent(c->mode, c->tls) ? 0 : FLAG_CONTRADICT) |
                   (deliver ? 0 : FLAG_NO_DELIVERY) |
                   (deliver && c->nrcpt == 0 ? FLAG_NO_RCPT : 0) | (sc->resume ? FLAG_RESUME : 0));
  h[7] = (uint8_t)sc->personality;
  h[8] = (uint8_t)sc->cert;
  int ch = table_index(sc_binary_cert_hosts, SC_BINARY_CERT_HOSTS, sc->cert_host);
  h[9] = (uint8_t)(ch < 0 ? 0 : ch);
  int hi = table_index(sc_binary_hosts, SC_BINARY_HOSTS, c->host ? c->host : "");
  h[10] = (uint8_t)(hi < 0 ? 0 : hi);
  int mi = deliver ? message_index(c) : 0;
  h[11] = (uint8_t)(mi < 0 ? 0 : mi);
  h[12] = (uint8_t)sc->expect_result;
  h[13] = sc->expect_error_set ? (uint8_t)(sc->expect_error + 1) : 0;
  unsigned v = sc->expect_verdicts & ((1u << SC_V_COUNT) - 1);
  h[14] = (uint8_t)v;
  h[15] = (uint8_t)(v >> 8);
  uint32_t tb = sc->time_bound_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)sc->time_bound_ms;
  for (int i = 0; i < 4; i++)
    h[16 + i] = (uint8_t)(tb >> (8 * i));
  h[20] = (uint8_t)sc->tls_server;
}

/* String records for what the header's tables and the defaults do not say. */
static void encode_strings(const struct scenario *sc, struct out *o)
{
  const struct sf_config *c = &sc->cfg, *d = defaults();
  size_t n = strnlen(sc->name, SC_NAME_MAX - 1);
  if (n > 0)
    out_string(o, F_NAME, sc->name, n);
  if (table_index(sc_binary_hosts, SC_BINARY_HOSTS, c->host ? c->host : "") < 0)
    out_cstring(o, F_HOST, c->host);
  if (!scenario_str_eq(c->user, d->user) && c->user)
    out_cstring(o, F_USER, c->user);
  if (!scenario_str_eq(c->password, d->password) && c->password)
    out_cstring(o, F_PASSWORD, c->password);
  if (!scenario_str_eq(c->helo_name, d->helo_name) && c->helo_name)
    out_cstring(o, F_HELO_NAME, c->helo_name);
  if (c->cafile)
    out_cstring(o, F_CAFILE, c->cafile);
  if (c->mail_from) {
    if (!scenario_str_eq(c->mail_from, d->mail_from))
      out_cstring(o, F_FROM, c->mail_from);
    for (size_t i = 0; !default_rcpt(c) && i < c->nrcpt && i < SF_CONFIG_MAX_RCPT; i++)
      if (c->rcpt[i])
        out_cstring(o, F_TO, c->rcpt[i]);
    if (message_index(c) < 0 && c->message)
      out_string(o, F_MESSAGE, c->message, c->message_len);
  }
  if (table_index(sc_binary_cert_hosts, SC_BINARY_CERT_HOSTS, sc->cert_host) < 0)
    out_cstring(o, F_CERT_HOST, sc->cert_host);
  n = strnlen(sc->expect_diag, SC_DIAG_MAX - 1);
  if (n > 0)
    out_string(o, F_EXPECT_DIAG, sc->expect_diag, n);
}

size_t scenario_encode(const struct scenario *sc, uint8_t *out, size_t cap)
{
  struct out o = {out, cap, 0};
  uint8_t h[HDR_LEN];
  encode_header(sc, h);
  out_bytes(&o, h, HDR_LEN);
  for (int p = 0; p < SF_PHASE_COUNT; p++) {
    if (sc->cfg.timeout_ms[p] == sc_phase_default_ms[p])
      continue;
    out_byte(&o, (uint8_t)(REC_TIMEOUT | p));
    out_u32(&o, sc->cfg.timeout_ms[p]);
  }
  encode_strings(sc, &o);
  for (size_t i = 0; i < sc->nrules && i < SC_MAX_RULES; i++) {
    const struct sc_rule *r = &sc->rules[i];
    out_byte(&o, (uint8_t)(REC_RULE | r->verb));
    out_byte(&o, (uint8_t)((unsigned)r->chan | (unsigned)(r->nth & SC_NTH_MAX) << 2));
    const struct sc_action *a;
    size_t na = scenario_rule_actions(sc, r, &a);
    for (size_t k = 0; k < na; k++) {
      int repeated = a[k].kind == SC_ACT_SEND && a[k].repeat > 1;
      out_byte(&o, (uint8_t)(REC_ACTION | (repeated ? ACT_SEND_REPEAT : a[k].kind)));
      if (sc_act_has_bytes(a[k].kind)) {
        size_t n;
        const uint8_t *p = scenario_send_bytes(sc, &a[k], &n);
        out_len(&o, n);
        out_bytes(&o, p, n);
        if (repeated)
          out_u32(&o, a[k].repeat);
      }
      if (a[k].kind == SC_ACT_STALL)
        out_u32(&o, a[k].ms);
    }
  }
  return o.len <= cap ? o.len : 0;
}

/* ---- decoding ------------------------------------------------------------ */

struct in {
  const uint8_t *p;
  size_t len, pos;
};

/* A length as out_len writes it; 0 at the end of the input. */
static int in_len(struct in *in, size_t *n)
{
  if (in->pos >= in->len)
    return 0;
  size_t v = in->p[in->pos++];
  if (v & 0x80) {
    if (in->pos >= in->len)
      return 0;
    v = (v & 0x7f) | (size_t)in->p[in->pos++] << 7;
  }
  *n = v;
  return 1;
}

static void decode_header(struct scenario *sc, const uint8_t *h)
{
  struct sf_config *c = &sc->cfg;
  c->mode = (enum sf_mode)(h[0] % 3);
  c->tls = (enum sf_tls_policy)(h[1] % 3);
  if (!sc_binary_profile_consistent(c->mode, c->tls) && !(h[6] & FLAG_CONTRADICT))
    c->tls = c->mode == SF_MODE_PLAIN ? SF_TLS_NONE : SF_TLS_REQUIRED;
  unsigned pi = h[2] % 5u;
  uint16_t port = (uint16_t)(h[3] | h[4] << 8);
  c->port = pi < 4 ? sc_binary_ports[pi] : port != 0 ? port : 1;
  c->auth = (enum sf_auth)(h[5] % 3);
  c->verify = (h[6] & FLAG_VERIFY) != 0;
  c->allow_helo = (h[6] & FLAG_ALLOW_HELO) != 0;
  c->allow_plaintext_auth = (h[6] & FLAG_ALLOW_PLAINTEXT_AUTH) != 0;
  c->lenient = (h[6] & FLAG_LENIENT_BARE_LF) ? SF_LENIENT_BARE_LF : 0;
  sc->resume = (h[6] & FLAG_RESUME) != 0;
  sc->personality = (enum sc_personality)(h[7] % SC_PERS_COUNT);
  sc->cert = (enum sc_cert)(h[8] % SC_CERT_COUNT);
  strcpy(sc->cert_host, sc_binary_cert_hosts[h[9] % SC_BINARY_CERT_HOSTS]);
  c->host = sc_binary_hosts[h[10] % SC_BINARY_HOSTS];
  const char *m = sc_binary_messages[h[11] % SC_BINARY_MESSAGES];
  if (m) {
    c->message = m;
    c->message_len = strlen(m);
  }
  if (h[6] & FLAG_NO_DELIVERY)
    scenario_clear_envelope(c);
  else if (h[6] & FLAG_NO_RCPT)
    c->nrcpt = 0;
  sc->expect_result = (enum sc_result)(h[12] % 3);
  sc->expect_error_set = h[13] != 0;
  sc->expect_error = h[13] != 0 ? (enum sf_err)((h[13] - 1) % SF_ERR_COUNT) : SF_ERR_OK;
  sc->expect_verdicts = (unsigned)(h[14] | h[15] << 8) & ((1u << SC_V_COUNT) - 1);
  sc->time_bound_ms = le32(h + 16);
  sc->tls_server = (enum sc_tls_server)(h[20] % SC_TLSS_COUNT);
}

/* Copies the characters `keep` accepts, at most cap - 1 of them. */
static void keep_chars(char *dst, size_t cap, const uint8_t *p, size_t n, int (*keep)(int))
{
  size_t o = 0;
  for (size_t i = 0; i < n && o + 1 < cap; i++)
    if (keep(p[i]))
      dst[o++] = (char)p[i];
  dst[o] = '\0';
}

/* The bytes without CR, LF and NUL, which no command argument may hold. */
static size_t strip_line_ends(char *dst, const uint8_t *p, size_t n)
{
  size_t o = 0;
  for (size_t i = 0; i < n; i++)
    if (p[i] != '\r' && p[i] != '\n' && p[i] != '\0')
      dst[o++] = (char)p[i];
  return o;
}

struct decoder {
  struct scenario *sc;
  unsigned seen; /* fields already set, bit per field */
  int rcpt_given;
};

static void decode_string(struct decoder *d, enum field f, const uint8_t *p, size_t n)
{
  static const char *const keys[FIELD_COUNT] = {
      [F_HOST] = "host", [F_USER] = "user", [F_PASSWORD] = "password", [F_HELO_NAME] = "helo_name",
      [F_FROM] = "from", [F_TO] = "to",     [F_CAFILE] = "cafile",
  };
  struct scenario *sc = d->sc;
  struct sf_config *c = &sc->cfg;
  if ((d->seen & (1u << f)) && f != F_TO)
    return;
  const char *reason;
  /* Off the stack: ASan poisons a frame's arrays on every call, 4 KB of
   * shadow for this one. */
  static _Thread_local char v[STRING_MAX + 1];
  switch (f) {
  case F_NAME:
    keep_chars(sc->name, sizeof sc->name, p, n, sc_name_char);
    break;
  case F_CERT_HOST:
    keep_chars(sc->cert_host, sizeof sc->cert_host, p, n, sc_cert_host_char);
    break;
  case F_EXPECT_DIAG:
    keep_chars(sc->expect_diag, sizeof sc->expect_diag, p, n, sc_diag_char);
    break;
  case F_MESSAGE:
    if (c->mail_from == NULL)
      return; /* deliver = no: there is no message */
    {
      /* Every byte but NUL: bare CR and LF are what the message is for. */
      size_t k = 0;
      for (size_t i = 0; i < n; i++)
        if (p[i] != '\0')
          v[k++] = (char)p[i];
      if (sf_config_set_message(c, v, k, &reason) != SF_ERR_OK)
        return;
    }
    break;
  case F_FROM:
  case F_TO:
    if (c->mail_from == NULL)
      return;
    if (f == F_TO && !d->rcpt_given) {
      c->nrcpt = 0;
      memset(c->rcpt, 0, sizeof c->rcpt);
      d->rcpt_given = 1;
    }
    /* fall through */
  case F_HOST:
  case F_USER:
  case F_PASSWORD:
  case F_HELO_NAME:
  case F_CAFILE: {
    size_t k = strip_line_ends(v, p, n);
    if (sf_config_set(c, keys[f], strlen(keys[f]), v, k, &reason) != SF_ERR_OK)
      return;
    break;
  }
  case FIELD_COUNT:
    return;
  }
  d->seen |= 1u << f;
}

void scenario_decode(struct scenario *sc, const uint8_t *data, size_t len)
{
  uint8_t h[HDR_LEN];
  scenario_init(sc);
  encode_header(sc, h);
  if (len > 0)
    memcpy(h, data, len < HDR_LEN ? len : HDR_LEN);
  decode_header(sc, h);

  struct decoder d = {sc, 0, 0};
  struct in in = {data, len, HDR_LEN};
  struct sc_rule *cur = NULL; /* where actions go; NULL drops them */
  while (in.pos < len) {
    uint8_t k = data[in.pos++];
    if (k < REC_ACTION) {
      if (in.pos >= len)
        break;
      uint8_t c = data[in.pos++];
      struct sc_rule r = {(enum sc_verb)(k % SC_VERB_COUNT),
                          (c & 3) == 3 ? SC_CHAN_ANY : (enum sc_chan)(c & 3), (uint8_t)(c >> 2),
                          (uint16_t)sc->nactions, 0};
      cur = NULL;
      if (sc->nrules < SC_MAX_RULES && !scenario_rule_exists(sc, &r)) {
        sc->rules[sc->nrules] = r;
        cur = &sc->rules[sc->nrules++];
      }
      continue;
    }
    if (k >= REC_STRING) {
      size_t n;
      if (!in_len(&in, &n) || len - in.pos < n)
        break;
      decode_string(&d, (enum field)((k & 0x3f) % FIELD_COUNT), data + in.pos, n);
      in.pos += n;
      continue;
    }
    if (k >= REC_TIMEOUT) {
      if (len - in.pos < 4)
        break;
      uint32_t ms = le32(data + in.pos);
      in.pos += 4;
      int phase = (k & 0x3f) % SF_PHASE_COUNT;
      sc->cfg.timeout_ms[phase] = ms == 0               ? sc_phase_default_ms[phase]
                                  : ms > TIMEOUT_MAX_MS ? TIMEOUT_MAX_MS
                                                        : ms;
      continue;
    }
    unsigned kind = (k & 0x3f) % ACT_KINDS;
    struct sc_action a = {.kind = kind == ACT_SEND_REPEAT ? SC_ACT_SEND : (enum sc_act)kind};
    int room = cur != NULL && sc->nactions < SC_MAX_ACTIONS;
    if (sc_act_has_bytes(a.kind)) {
      size_t n;
      if (!in_len(&in, &n))
        break;
      size_t take = n < len - in.pos ? n : len - in.pos;
      size_t keep = take < SC_POOL - sc->pool_len ? take : SC_POOL - sc->pool_len;
      if (room) {
        memcpy(sc->pool + sc->pool_len, data + in.pos, keep);
        a.off = (uint32_t)sc->pool_len;
        a.len = (uint32_t)keep;
        sc->pool_len += keep;
      }
      in.pos += take;
      if (kind == ACT_SEND_REPEAT) {
        if (len - in.pos < 4)
          break;
        uint32_t times = le32(data + in.pos);
        in.pos += 4;
        a.repeat = times < 1 ? 1 : times > SC_REPEAT_MAX ? SC_REPEAT_MAX : times;
      }
    }
    if (a.kind == SC_ACT_STALL) {
      if (len - in.pos < 4)
        break;
      a.ms = le32(data + in.pos);
      in.pos += 4;
    }
    if (room) {
      sc->actions[sc->nactions++] = a;
      cur->nactions++;
    }
  }
}
