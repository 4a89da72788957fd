#include "adapter_util.h"

#include "judge_cmp.h"

#include "oracle.h"
#include "scenario.h"
#include "tls_peer.h"
#include "wire.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <stdio.h>
#include <string.h>

/* How the oracle words a wait for what is not due (oracle.c, activity()). */
#define DEADLOCK       "owed nothing"
#define PART_OF_A_LINE "a server line begun and not ended"

size_t sc_adapter_crlf(char *dst, size_t cap, const char *msg, size_t len)
{
  size_t k = 0;
  for (size_t i = 0; msg && i < len && k + 3 <= cap; i++) {
    if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
      dst[k++] = '\r';
    dst[k++] = msg[i];
  }
  if (cap > 0)
    dst[k < cap ? k : cap - 1] = '\0';
  return k;
}

int sc_adapter_bare_cr(const char *msg, size_t len)
{
  for (size_t i = 0; msg && i < len; i++)
    if (msg[i] == '\r' && (i + 1 == len || msg[i + 1] != '\n'))
      return 1;
  return 0;
}

SSL_CTX *sc_adapter_client_ctx(const char *ca_pem)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  BIO *bio = BIO_new_mem_buf(ca_pem, -1);
  X509 *ca = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  int ok = ctx && ca && X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
  X509_free(ca);
  BIO_free(bio);
  if (!ok) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx), (time_t)TLS_PEER_TIME);
  return ctx;
}

uint32_t sc_adapter_min_timeout(const struct sf_config *cfg, enum sf_phase first,
                                enum sf_phase last)
{
  uint32_t m = UINT32_MAX;
  for (int p = first; p <= (int)last; p++)
    m = cfg->timeout_ms[p] < m ? cfg->timeout_ms[p] : m;
  return m;
}

int sc_adapter_server_deaf(const struct scenario *sc)
{
  for (size_t i = 0; i < sc->nactions && i < SC_MAX_ACTIONS; i++)
    if (sc->actions[i].kind == SC_ACT_DEAF)
      return 1;
  return 0;
}

uint64_t sc_adapter_wait_limit(const struct sf_config *cfg)
{
  uint32_t longest = 0;
  for (int p = 0; p < SF_PHASE_COUNT; p++)
    longest = cfg->timeout_ms[p] > longest ? cfg->timeout_ms[p] : longest;
  return (uint64_t)longest + ORACLE_TIMEOUT_SLACK_MS;
}

int sc_adapter_wait_within_timeouts(const struct sf_config *cfg, const char *hang_reason)
{
  unsigned long long waited;
  if (sscanf(hang_reason, "waited %llu ms", &waited) != 1 ||
      sc_adapter_reason_has(hang_reason, DEADLOCK))
    return 0;
  return waited <= sc_adapter_wait_limit(cfg);
}

int sc_adapter_timeout_per_read(const struct sf_config *cfg, const char *hang_reason)
{
  unsigned long long waited;
  if (sc_adapter_wait_within_timeouts(cfg, hang_reason) ||
      sc_adapter_reason_has(hang_reason, "trickled in"))
    return 1;
  return sc_adapter_reason_has(hang_reason, PART_OF_A_LINE) &&
         sscanf(hang_reason, "waited %llu ms", &waited) == 1 &&
         waited <= 2 * sc_adapter_wait_limit(cfg) - ORACLE_TIMEOUT_SLACK_MS;
}

int sc_adapter_spins_behind_220(const struct scenario *sc, const char *hang_reason, size_t line_max)
{
  if (!sc_adapter_reason_has(hang_reason, "time bound") &&
      !sc_adapter_reason_has(hang_reason, "after its TLS hello"))
    return 0;
  for (size_t i = 0; i < sc->nrules && i < SC_MAX_RULES; i++) {
    const struct sc_rule *r = &sc->rules[i];
    if (r->verb != SC_VERB_STARTTLS || r->chan == SC_CHAN_TLS)
      continue;
    const struct sc_action *a;
    size_t n = scenario_rule_actions(sc, r, &a);
    int sent = 0; /* an earlier send or raw step of the rule */
    for (size_t k = 0; k < n && a[k].kind != SC_ACT_TLS; k++) {
      if (a[k].kind != SC_ACT_SEND && a[k].kind != SC_ACT_RAW)
        continue;
      const uint8_t *p = sc->pool + a[k].off;
      const uint8_t *lf = memchr(p, '\n', a[k].len);
      size_t line = lf ? (size_t)(lf - p) + 1 : a[k].len;
      int behind_220 = wire_reply_code(p, a[k].len) / 100 == 2 &&
                       ((lf && lf + 1 < p + a[k].len) || line > line_max);
      if (sent || behind_220)
        return 1;
      sent = 1;
    }
  }
  return 0;
}

int sc_adapter_deadlock(const struct oracle_report *rep)
{
  return (rep->verdicts & ORACLE_BIT(SC_V_HANG)) &&
         sc_adapter_reason_has(rep->reason[SC_V_HANG], DEADLOCK);
}

int sc_adapter_421_as_failure(const struct oracle_report *rep)
{
  enum sc_verb v = rep->answered_421;
  return v == SC_VERB_AUTH || v == SC_VERB_AUTH_DATA || v == SC_VERB_RCPT;
}

int sc_adapter_reason_has(const char *reason, const char *what)
{
  return jc_find(reason, strlen(reason), what, strlen(what)) != NULL;
}

int sc_adapter_reason_starts(const char *reason, const char *prefix)
{
  size_t n = strlen(prefix);
  return strlen(reason) >= n && jc_same(reason, prefix, n);
}
