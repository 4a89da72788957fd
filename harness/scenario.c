/* Scenario model: names, defaults and equality (scenario.h). The forms
 * live beside it: scenario_text.c, scenario_binary.c; the default answers in
 * personality.c; the mutator in fuzz/scenario_mutator.c.
 *
 * A scenario's cfg strings point either at static literals (scenario_init,
 * scenario_decode) or into cfg.strings (values parsed from text), so a
 * scenario must not be copied by value once text has been parsed into it.
 */
#include "scenario.h"

#include "judge_cmp.h"

#include <stddef.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Names                                                               */

const char *const sc_verb_names[SC_VERB_COUNT] = {
#define SC_VERB_NAME(id, name) name,
    SC_VERB_LIST(SC_VERB_NAME)
#undef SC_VERB_NAME
};

const char *const sc_cert_names[SC_CERT_COUNT] = {
#define SC_CERT_NAME(id, name) name,
    SC_CERT_LIST(SC_CERT_NAME)
#undef SC_CERT_NAME
};

const char *const sc_tls_server_names[SC_TLSS_COUNT] = {
#define SC_TLSS_NAME(id, name) name,
    SC_TLS_SERVER_LIST(SC_TLSS_NAME)
#undef SC_TLSS_NAME
};

const char *const sc_personality_names[SC_PERS_COUNT] = {
#define SC_PERS_NAME(id, name) name,
    SC_PERSONALITY_LIST(SC_PERS_NAME)
#undef SC_PERS_NAME
};

const char *const sc_verdict_names[SC_V_COUNT] = {
#define SC_VERDICT_NAME(id, desc) #id,
    SC_VERDICT_LIST(SC_VERDICT_NAME)
#undef SC_VERDICT_NAME
};

static const char *const verdict_descs[SC_V_COUNT] = {
#define SC_VERDICT_DESC(id, desc) desc,
    SC_VERDICT_LIST(SC_VERDICT_DESC)
#undef SC_VERDICT_DESC
};

const char *const sc_chan_names[3] = {"any", "plain", "tls"};
const char *const sc_result_names[3] = {"any", "done", "failed"};
const char *const sc_act_names[SC_ACT_COUNT] = {"send", "stall", "close", "tls",
                                                "hang", "deaf",  "raw"};

const char *sc_verb_name(enum sc_verb v)
{
  return (unsigned)v < SC_VERB_COUNT ? sc_verb_names[v] : "?";
}

const char *sc_verdict_name(enum sc_verdict v)
{
  return (unsigned)v < SC_V_COUNT ? sc_verdict_names[v] : "?";
}

const char *sc_verdict_desc(enum sc_verdict v)
{
  return (unsigned)v < SC_V_COUNT ? verdict_descs[v] : "?";
}

const char *sc_cert_name(enum sc_cert c)
{
  return (unsigned)c < SC_CERT_COUNT ? sc_cert_names[c] : "?";
}

const char *sc_personality_name(enum sc_personality p)
{
  return (unsigned)p < SC_PERS_COUNT ? sc_personality_names[p] : "?";
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
const uint32_t sc_phase_default_ms[SF_PHASE_COUNT] = {
#define SF_PHASE_MS(id, name, ms) ms,
    SF_PHASE_LIST(SF_PHASE_MS)
#undef SF_PHASE_MS
};

void scenario_default_envelope(struct sf_config *cfg)
{
  cfg->mail_from = DEFAULT_FROM;
  memset(cfg->rcpt, 0, sizeof cfg->rcpt);
  cfg->rcpt[0] = DEFAULT_TO;
  cfg->nrcpt = 1;
  cfg->message = DEFAULT_MESSAGE;
  cfg->message_len = sizeof DEFAULT_MESSAGE - 1;
}

void scenario_default_config(struct sf_config *cfg)
{
  sf_config_defaults(cfg);
  cfg->host = DEFAULT_HOST;
  cfg->helo_name = DEFAULT_HELO_NAME;
  cfg->user = DEFAULT_USER;
  cfg->password = DEFAULT_PASSWORD;
  scenario_default_envelope(cfg);
}

void scenario_init(struct scenario *sc)
{
  memset(sc, 0, offsetof(struct scenario, cfg));
  scenario_default_config(&sc->cfg);
  sc->personality = SC_PERS_SUBMISSION;
  sc->cert = SC_CERT_VALID;
  sc->expect_verdicts = 0;
  sc->expect_result = SC_RESULT_ANY;
  sc->expect_error = SF_ERR_OK;
}

/* No envelope: the client negotiates and says QUIT (text: deliver = no). */
void scenario_clear_envelope(struct sf_config *cfg)
{
  cfg->mail_from = NULL;
  cfg->nrcpt = 0;
  memset(cfg->rcpt, 0, sizeof cfg->rcpt);
  cfg->message = NULL;
  cfg->message_len = 0;
}

/* ------------------------------------------------------------------ */
/* Equality                                                            */

int scenario_str_eq(const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return jc_streq(a, b);
}

static int config_equal(const struct sf_config *a, const struct sf_config *b)
{
  if (a->mode != b->mode || a->tls != b->tls || a->verify != b->verify || a->port != b->port ||
      a->auth != b->auth || a->allow_plaintext_auth != b->allow_plaintext_auth ||
      a->allow_helo != b->allow_helo || a->lenient != b->lenient || a->nrcpt != b->nrcpt ||
      a->message_len != b->message_len)
    return 0;
  if (!scenario_str_eq(a->host, b->host) || !scenario_str_eq(a->cafile, b->cafile) ||
      !scenario_str_eq(a->user, b->user) || !scenario_str_eq(a->password, b->password) ||
      !scenario_str_eq(a->helo_name, b->helo_name) || !scenario_str_eq(a->mail_from, b->mail_from))
    return 0;
  for (size_t i = 0; i < a->nrcpt && i < SF_CONFIG_MAX_RCPT; i++)
    if (!scenario_str_eq(a->rcpt[i], b->rcpt[i]))
      return 0;
  if ((a->message == NULL) != (b->message == NULL))
    return 0;
  if (a->message != NULL && memcmp(a->message, b->message, a->message_len) != 0)
    return 0;
  return memcmp(a->timeout_ms, b->timeout_ms, sizeof a->timeout_ms) == 0;
}

/* The bytes of a SEND action, clamped to the pool. */
const uint8_t *scenario_send_bytes(const struct scenario *sc, const struct sc_action *a,
                                   size_t *len)
{
  size_t off = a->off < sc->pool_len ? a->off : sc->pool_len;
  size_t n = a->len < sc->pool_len - off ? a->len : sc->pool_len - off;
  *len = n;
  return sc->pool + off;
}

/* The actions of rule `r`, clamped to the action array. */
size_t scenario_rule_actions(const struct scenario *sc, const struct sc_rule *r,
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
  if (!sc_act_has_bytes(a->kind))
    return 1;
  if ((a->repeat > 1 ? a->repeat : 1) != (b->repeat > 1 ? b->repeat : 1))
    return 0;
  size_t la, lb;
  const uint8_t *pa = scenario_send_bytes(sa, a, &la), *pb = scenario_send_bytes(sb, b, &lb);
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
      a->time_bound_ms != b->time_bound_ms || a->resume != b->resume ||
      a->tls_server != b->tls_server ||
      strncmp(a->expect_diag, b->expect_diag, sizeof a->expect_diag) != 0)
    return 0;
  if (!config_equal(&a->cfg, &b->cfg))
    return 0;
  for (size_t i = 0; i < a->nrules && i < SC_MAX_RULES; i++) {
    const struct sc_rule *ra = &a->rules[i], *rb = &b->rules[i];
    if (ra->verb != rb->verb || ra->chan != rb->chan || ra->nth != rb->nth)
      return 0;
    const struct sc_action *aa, *ab;
    size_t na = scenario_rule_actions(a, ra, &aa), nb = scenario_rule_actions(b, rb, &ab);
    if (na != nb)
      return 0;
    for (size_t k = 0; k < na; k++)
      if (!action_equal(a, &aa[k], b, &ab[k]))
        return 0;
  }
  return 1;
}

int scenario_rule_exists(const struct scenario *sc, const struct sc_rule *r)
{
  for (size_t i = 0; i < sc->nrules; i++)
    if (sc->rules[i].verb == r->verb && sc->rules[i].chan == r->chan && sc->rules[i].nth == r->nth)
      return 1;
  return 0;
}

int sc_name_char(int c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '+';
}

/* DNS names, a wildcard label, and address literals (RFC 4291 2.2). */
int sc_cert_host_char(int c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '*' || c == ':';
}

int sc_diag_char(int c)
{
  return c >= 0x20 && c < 0x7f;
}

/* A pointer into src's arena, moved to the same place in dst's. */
static const char *rebase(const char *p, const struct sf_config *src, struct sf_config *dst)
{
  if (p >= src->strings && p < src->strings + sizeof src->strings)
    return dst->strings + (p - src->strings);
  return p;
}

void scenario_copy_config(struct sf_config *dst, const struct sf_config *src)
{
  *dst = *src;
  dst->host = rebase(src->host, src, dst);
  dst->cafile = rebase(src->cafile, src, dst);
  dst->user = rebase(src->user, src, dst);
  dst->password = rebase(src->password, src, dst);
  dst->helo_name = rebase(src->helo_name, src, dst);
  dst->mail_from = rebase(src->mail_from, src, dst);
  dst->message = rebase(src->message, src, dst);
  for (size_t i = 0; i < SF_CONFIG_MAX_RCPT; i++)
    dst->rcpt[i] = rebase(src->rcpt[i], src, dst);
}
