/* The binary form of a scenario, for fuzz targets (scenario_binary.h). */
#include "scenario_binary.h"

#include "reply_parser.h"

#include <string.h>

/* The engine's own ceiling for a per-phase timeout (config.c). */
#define TIMEOUT_MAX_MS 86400000u

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

const uint16_t sc_binary_ports[4] = {25, 465, 587, 2525};
const char *const sc_binary_cert_hosts[SC_BINARY_CERT_HOSTS] = {
    "", "other.example.net", "mx.example.com.attacker.test", "*.example.com"};

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

static size_t encode_header(const struct scenario *sc, uint8_t *h)
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
  h[6] = (uint8_t)((c->verify ? FLAG_VERIFY : 0) | (c->allow_helo ? FLAG_ALLOW_HELO : 0) |
                   (c->allow_plaintext_auth ? FLAG_ALLOW_PLAINTEXT_AUTH : 0) |
                   ((c->lenient & SF_LENIENT_BARE_LF) ? FLAG_LENIENT_BARE_LF : 0) |
                   (sc_binary_profile_consistent(c->mode, c->tls) ? 0 : FLAG_CONTRADICT) |
                   (c->mail_from == NULL ? FLAG_NO_DELIVERY : 0));
  h[7] = (uint8_t)sc->personality;
  h[8] = (uint8_t)sc->cert;
  for (uint8_t i = 0; i < SC_BINARY_CERT_HOSTS; i++)
    if (strcmp(sc->cert_host, sc_binary_cert_hosts[i]) == 0)
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
  if (h[6] & FLAG_NO_DELIVERY)
    scenario_clear_envelope(c);
  sc->personality = (enum sc_personality)(h[7] % SC_PERS_COUNT);
  sc->cert = (enum sc_cert)(h[8] % SC_CERT_COUNT);
  strcpy(sc->cert_host, sc_binary_cert_hosts[h[9] % SC_BINARY_CERT_HOSTS]);
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
      if (sc->nrules < SC_MAX_RULES && !scenario_rule_exists(sc, &r)) {
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
      sc->cfg.timeout_ms[phase] = ms == 0               ? sc_phase_default_ms[phase]
                                  : ms > TIMEOUT_MAX_MS ? TIMEOUT_MAX_MS
                                                        : ms;
      continue;
    }
    struct sc_action a = {.kind = (enum sc_act)((k & 0x3f) % 5)};
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
    if (sc->cfg.timeout_ms[p] == sc_phase_default_ms[p])
      continue;
    out_byte(&o, (uint8_t)(REC_TIMEOUT | p));
    out_u32(&o, sc->cfg.timeout_ms[p]);
  }
  for (size_t i = 0; i < sc->nrules && i < SC_MAX_RULES; i++) {
    const struct sc_rule *r = &sc->rules[i];
    out_byte(&o, (uint8_t)(REC_RULE | r->verb));
    out_byte(&o, (uint8_t)((unsigned)r->chan | (unsigned)(r->nth & SC_NTH_MAX) << 2));
    const struct sc_action *a;
    size_t na = scenario_rule_actions(sc, r, &a);
    for (size_t k = 0; k < na; k++) {
      out_byte(&o, (uint8_t)(REC_ACTION | a[k].kind));
      if (a[k].kind == SC_ACT_SEND) {
        size_t n;
        const uint8_t *p = scenario_send_bytes(sc, &a[k], &n);
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
