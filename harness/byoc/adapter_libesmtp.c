/* libESMTP 1.1.0, blocking, on its own stack (byoc.h); why: README.md. */
#include "adapter.h"
#include "adapter_util.h"
#include "byoc.h"
#include <openssl/ssl.h>
/* after OpenSSL: declares smtp_starttls_set_ctx */
#include <auth-client.h>
#include <libesmtp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct esmtp_client {
  struct sc_byoc b; /* first */
  smtp_session_t session;
  smtp_message_t message;
  auth_context_t auth;
  SSL_CTX *ctx;
  char server[300], msg[2 * SF_CONFIG_STRINGS + 1];
};

static void on_event(smtp_session_t s, int event, void *arg, ...)
{ /* certificate events: go on only when told not to verify */
  va_list ap;
  va_start(ap, arg);
  if (s && event == SMTP_EV_INVALID_PEER_CERTIFICATE)
    (void)va_arg(ap, long);
  if (event >= SMTP_EV_INVALID_PEER_CERTIFICATE && event <= SMTP_EV_WRONG_PEER_CERTIFICATE)
    *va_arg(ap, int *) = !((const struct sf_config *)arg)->verify;
  va_end(ap);
}

static int interact(auth_client_request_t req, char **result, int fields, void *arg)
{ /* within each field's size: the PLAIN plugin copies it unchecked */
  const struct sf_config *cfg = arg;
  for (int i = 0; i < fields; i++) {
    result[i] = (char *)((req[i].flags & AUTH_PASS) ? cfg->password : cfg->user);
    if (!result[i] || (req[i].size && strlen(result[i]) > req[i].size))
      return 0;
  }
  return 1;
}

static enum sc_client_status run(struct sc_byoc *b)
{
  struct esmtp_client *e = (struct esmtp_client *)b;
  if (!smtp_start_session(e->session)) {
    char why[128];
    sc_byoc_diagnose(b, "libESMTP: %s", smtp_strerror(smtp_errno(), why, sizeof why));
    return SC_CLIENT_FAILED;
  }
  const smtp_status_t *st = e->message ? smtp_message_transfer_status(e->message) : NULL;
  sc_byoc_diagnose(b, "libESMTP: %d %.60s", st ? st->code : 0, st && st->text ? st->text : "");
  return !st || st->code / 100 == 2 ? SC_CLIENT_DONE : SC_CLIENT_FAILED;
}

static void cleanup(struct sc_byoc *b)
{
  smtp_session_t *session = &((struct esmtp_client *)b)->session;
  smtp_destroy_session(*session); /* NULL: refused, nothing done */
  *session = NULL;
}
static const struct sc_byoc_ops ops = {.run = run, .cleanup = cleanup};

static int global_init(void)
{
  auth_client_init();
  return 0;
}

static void destroy(struct sc_client *c)
{
  struct esmtp_client *e = (struct esmtp_client *)c;
  sc_byoc_cleanup(&e->b);
  cleanup(&e->b);
  auth_destroy_context(e->auth);
  SSL_CTX_free(e->ctx);
  free(e);
}

static struct sc_client *create(const struct scenario *sc, const struct sc_adapter_env *env)
{
  const struct sf_config *cfg = &sc->cfg;
  struct esmtp_client *e = cfg->mode == SF_MODE_IMPLICIT ? NULL : calloc(1, sizeof *e);
  if (!e || sc_byoc_init(&e->b, "libesmtp", &ops, cfg) != 0) {
    free(e);
    return NULL;
  }
  snprintf(e->server, sizeof e->server, "%s:%u", cfg->host ? cfg->host : "localhost", cfg->port);
  e->session = smtp_create_session();
  e->ctx = sc_adapter_client_ctx(tls_peer_ca_pem(env->peer));
  int tls = cfg->mode == SF_MODE_PLAIN || cfg->tls == SF_TLS_NONE ? Starttls_DISABLED
            : cfg->tls == SF_TLS_REQUIRED                         ? Starttls_REQUIRED
                                                                  : Starttls_ENABLED;
  const long timeouts[][2] = {
      {Timeout_GREETING, sc_adapter_min_timeout(cfg, SF_PHASE_GREETING, SF_PHASE_AUTH)},
      {Timeout_ENVELOPE, sc_adapter_min_timeout(cfg, SF_PHASE_MAIL, SF_PHASE_RCPT)},
      {Timeout_DATA, cfg->timeout_ms[SF_PHASE_DATA]},
      {Timeout_TRANSFER, cfg->timeout_ms[SF_PHASE_BLOCK]},
      {Timeout_DATA2, cfg->timeout_ms[SF_PHASE_BODY]}};
  int ok = e->session && e->ctx && smtp_set_server(e->session, e->server) &&
           smtp_set_hostname(e->session, cfg->helo_name ? cfg->helo_name : "localhost") &&
           smtp_starttls_enable(e->session, tls) && smtp_starttls_set_ctx(e->session, e->ctx) &&
           smtp_set_eventcb(e->session, on_event, (void *)cfg);
  for (size_t i = 0; ok && i < sizeof timeouts / sizeof timeouts[0]; i++)
    ok = smtp_set_timeout(e->session, (int)timeouts[i][0] | Timeout_OVERRIDE_RFC2822_MINIMUM,
                          timeouts[i][1] > 0 ? timeouts[i][1] : 1) > 0;
  if (ok && cfg->auth != SF_AUTH_NONE)
    ok = (e->auth = auth_create_context()) != NULL &&
         auth_set_mechanism_flags(e->auth, AUTH_PLUGIN_PLAIN, 0) &&
         auth_set_interact_cb(e->auth, interact, (void *)cfg) &&
         auth_set_mechanism(e->auth, cfg->auth == SF_AUTH_PLAIN ? "PLAIN" : "LOGIN") &&
         smtp_auth_set_context(e->session, e->auth);
  if (ok && (cfg->mail_from || cfg->message)) {
    sc_adapter_crlf(e->msg, sizeof e->msg, cfg->message, cfg->message_len);
    ok = (e->message = smtp_add_message(e->session)) != NULL &&
         smtp_set_reverse_path(e->message, cfg->mail_from ? cfg->mail_from : "") &&
         smtp_set_message_str(e->message, e->msg) &&
         smtp_set_header(e->message, "Message-Id", "smtpfuzz@example.org");
    for (size_t i = 0; ok && i < cfg->nrcpt; i++)
      ok = smtp_add_recipient(e->message, cfg->rcpt[i] ? cfg->rcpt[i] : "") != NULL;
  }
  if (!ok)
    destroy(&e->b.base);
  return ok ? &e->b.base : NULL;
}

static unsigned known(const struct scenario *sc, const struct oracle_report *rep)
{                                          /* written up in README.md */
  unsigned k = ORACLE_BIT(SC_V_INJECTION); /* replies injected after the 220, and what they shift */
  k |= rep->verdicts & k ? SC_ADAPTER_AFTER_INJECTION : 0;
  if (sc->cfg.tls != SF_TLS_REQUIRED || sc->cfg.mode == SF_MODE_PLAIN)
    k |= ORACLE_BIT(SC_V_LEAK_AUTH);         /* Starttls_ENABLED authenticates in plaintext */
  const char *hang = rep->reason[SC_V_HANG]; /* timeouts per state and read; spins on */
  if (sc_adapter_timeout_per_read(&sc->cfg, hang) || sc_adapter_server_deaf(sc) ||
      sc_adapter_spins_behind_220(sc, hang, 1023) ||            /* sio_gets() into 1024 bytes */
      sc_adapter_reason_has(hang, "after its TLS hello, owed")) /* bytes; TLS 1.3 ticket first */
    k |= ORACLE_BIT(SC_V_HANG);
  k |= sc_adapter_421_as_failure(rep) ? ORACLE_BIT(SC_V_IGNORED_421) : 0; /* as any 4xx */
  const char *fs = rep->reason[SC_V_FALSE_SUCCESS]; /* any answer to DATA is its status, */
  if (sc_adapter_reason_has(fs, "ended done without") || sc_adapter_reason_has(fs, "no line end"))
    k |= ORACLE_BIT(SC_V_FALSE_SUCCESS); /* and a 250 cut short is a reply to it */
  k |= sc_adapter_bare_cr(sc->cfg.message, sc->cfg.message_len) ? ORACLE_BIT(SC_V_SMUGGLING) : 0;
  return k;
}

const struct sc_adapter sc_adapter_libesmtp = {
    "libesmtp", "libESMTP's SMTP client (blocking, OpenSSL)", global_init, create, destroy, known};
