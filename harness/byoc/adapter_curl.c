/* libcurl's SMTP client under smtpfuzz: a scenario's client configuration
 * as curl options, one transfer driven by the multi interface through the
 * shim (byoc.h), real TLS against the simulated server's OpenSSL peer.
 *
 * The mapping (src/config.h -> curl):
 *   mode plain / starttls / implicit   smtp:// / smtp:// / smtps://
 *   tls none / opportunistic / required  CURLOPT_USE_SSL NONE / TRY / ALL
 *   verify                             CURLOPT_SSL_VERIFYPEER and VERIFYHOST
 *   host, port                         the URL's host (an IPv6 literal in
 *                                      brackets) and port
 *   helo_name                          the URL's path (curl's EHLO domain)
 *   auth plain / login, user, password CURLOPT_LOGIN_OPTIONS AUTH=PLAIN /
 *                                      AUTH=LOGIN, USERNAME, PASSWORD
 *   from, every to                     CURLOPT_MAIL_FROM, CURLOPT_MAIL_RCPT
 *   message                            the upload, its LF line ends made CRLF
 *                                      as an application must (curl sends
 *                                      upload bytes as they are)
 *   no envelope (deliver = no)         CURLOPT_CONNECT_ONLY: greeting, EHLO,
 *                                      STARTTLS, AUTH, then QUIT
 * The trust anchor is the harness's test CA (CURLOPT_CAINFO_BLOB), and
 * certificates are judged at TLS_PEER_TIME through CURLOPT_SSL_CTX_FUNCTION
 * (libssl reads the real clock; only the client's own calls are wrapped).
 * Like fuzz_starttls for our engine, curl is offered the session the server
 * resumes (tls_peer_resumable(): at TLS 1.2 or 1.3, for all inputs but the
 * quarter that make a full TLS 1.3 handshake), as a warm session cache
 * would: no certificate to verify and no signature then. The session is set as the handshake
 * starts, from an info callback, since curl makes its SSL object after the context callback.
 * Timeouts are curl's defaults: curl has one response timeout for every
 * phase, and the point is to see what it does when nobody sets one.
 *
 * The multi interface: each step runs curl_multi_perform and then waits as
 * long as curl_multi_timeout says, or for the connection to change when it
 * says -1 (what an event-driven application does). Ending: the handle is
 * removed and the multi handle cleaned up on the client's stack, so the
 * QUIT curl sends when it closes its connection, and its wait for the
 * answer, reach the server.
 */
#include "adapter.h"
#include "adapter_util.h"
#include "byoc.h"
#include "oracle.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A message of SF_CONFIG_STRINGS bytes, every LF made CRLF. */
#define CURL_MSG_MAX (2 * SF_CONFIG_STRINGS + 1)

struct curl_client {
  struct sc_byoc b; /* first */
  CURLM *multi;
  CURL *easy;
  struct curl_slist *rcpt;
  CURLcode result;
  int finished;
  char url[320];
  char err[CURL_ERROR_SIZE];
  char msg[CURL_MSG_MAX];
  size_t msg_len, msg_pos;
  SSL_SESSION *resume; /* our copy of the session offered, or NULL */
};

/* The run in progress (one per process, as the shim's): the TLS callbacks
 * find their session here. */
static struct curl_client *current_run;

static struct curl_client *cc(struct sc_byoc *b)
{
  return (struct curl_client *)b;
}

static size_t read_message(char *buf, size_t size, size_t n, void *arg)
{
  struct curl_client *c = arg;
  size_t want = size * n, left = c->msg_len - c->msg_pos;
  size_t k = want < left ? want : left;
  memcpy(buf, c->msg + c->msg_pos, k);
  c->msg_pos += k;
  return k;
}

/* Offers the session as the handshake starts (curl sets up the SSL object
 * itself, after the context callback below). */
static void offer_session(const SSL *ssl, int where, int ret)
{
  (void)ret;
  if ((where & SSL_CB_HANDSHAKE_START) && current_run && current_run->resume)
    SSL_set_session((SSL *)ssl, current_run->resume);
}

static CURLcode tls_context(CURL *easy, void *ssl_ctx, void *arg)
{
  (void)easy;
  (void)arg;
  X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ssl_ctx), (time_t)TLS_PEER_TIME);
  SSL_CTX_set_info_callback(ssl_ctx, offer_session);
  return CURLE_OK;
}

static enum sc_client_status step(struct sc_byoc *b, int64_t *wait_ms)
{
  struct curl_client *c = cc(b);
  int running = 1;
  long timeout = -1;
  /* curl asks to be called again at once while it has work: a few rounds
   * here, then a millisecond at a time (byoc's step loop). */
  for (int round = 0; round < 16 && running; round++) {
    curl_multi_perform(c->multi, &running);
    if (curl_multi_timeout(c->multi, &timeout) != CURLM_OK || timeout != 0)
      break;
  }
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(c->multi, &left)) != NULL)
    if (m->msg == CURLMSG_DONE) {
      c->finished = 1;
      c->result = m->data.result;
    }
  if (c->finished || !running) {
    if (!c->finished)
      c->result = CURLE_GOT_NOTHING;
    sc_byoc_diagnose(b, "curl: %s%s%s", curl_easy_strerror(c->result), c->err[0] ? ": " : "",
                     c->err);
    return c->result == CURLE_OK ? SC_CLIENT_DONE : SC_CLIENT_FAILED;
  }
  *wait_ms = timeout;
  return SC_CLIENT_RUNNING;
}

/* On the client's stack: closing the connection is where curl says QUIT. */
static void finish(struct sc_byoc *b)
{
  struct curl_client *c = cc(b);
  if (c->multi && c->easy)
    curl_multi_remove_handle(c->multi, c->easy);
  curl_easy_cleanup(c->easy);
  curl_multi_cleanup(c->multi);
  c->easy = NULL;
  c->multi = NULL;
}

static const struct sc_byoc_ops curl_ops = {.step = step, .cleanup = finish};

/* The EHLO domain goes in the URL's path: only characters a URL path holds
 * as they are. */
static const char *helo_name(const struct sf_config *cfg)
{
  const char *h = cfg->helo_name;
  if (!h || !*h ||
      strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != strlen(h))
    return "localhost";
  return h;
}

static int configure(struct curl_client *c, const struct sf_config *cfg, const char *ca_pem)
{
  CURL *e = c->easy;
  const char *host = cfg->host && *cfg->host ? cfg->host : "localhost";
  int v6 = strchr(host, ':') != NULL;
  snprintf(c->url, sizeof c->url, "%s://%s%s%s:%u/%s",
           cfg->mode == SF_MODE_IMPLICIT ? "smtps" : "smtp", v6 ? "[" : "", host, v6 ? "]" : "",
           cfg->port, helo_name(cfg));
  long use_ssl = CURLUSESSL_NONE;
  if (cfg->mode == SF_MODE_IMPLICIT)
    use_ssl = CURLUSESSL_ALL;
  else if (cfg->mode == SF_MODE_STARTTLS)
    use_ssl = cfg->tls == SF_TLS_REQUIRED        ? CURLUSESSL_ALL
              : cfg->tls == SF_TLS_OPPORTUNISTIC ? CURLUSESSL_TRY
                                                 : CURLUSESSL_NONE;
  struct curl_blob ca = {(void *)ca_pem, strlen(ca_pem), CURL_BLOB_COPY};
  int bad = 0;
  bad |= curl_easy_setopt(e, CURLOPT_URL, c->url) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->err) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_USE_SSL, use_ssl) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_CAINFO, NULL) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, cfg->verify ? 1L : 0L) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, cfg->verify ? 2L : 0L) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, tls_context) != CURLE_OK;
  if (cfg->auth != SF_AUTH_NONE) {
    bad |= curl_easy_setopt(e, CURLOPT_USERNAME, cfg->user ? cfg->user : "") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PASSWORD, cfg->password ? cfg->password : "") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_LOGIN_OPTIONS,
                            cfg->auth == SF_AUTH_PLAIN ? "AUTH=PLAIN" : "AUTH=LOGIN") != CURLE_OK;
  }
  if (!cfg->mail_from && !cfg->message)
    return bad | (curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK);
  for (size_t i = 0; i < cfg->nrcpt; i++) {
    struct curl_slist *l = curl_slist_append(c->rcpt, cfg->rcpt[i] ? cfg->rcpt[i] : "");
    if (!l)
      return 1;
    c->rcpt = l;
  }
  c->msg_len = sc_adapter_crlf(c->msg, sizeof c->msg, cfg->message, cfg->message_len);
  bad |= curl_easy_setopt(e, CURLOPT_MAIL_FROM, cfg->mail_from ? cfg->mail_from : "") != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_MAIL_RCPT, c->rcpt) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_UPLOAD, 1L) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_READFUNCTION, read_message) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_READDATA, c) != CURLE_OK;
  bad |= curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->msg_len) != CURLE_OK;
  return bad;
}

static void destroy(struct sc_client *client)
{
  struct curl_client *c = (struct curl_client *)client;
  sc_byoc_cleanup(&c->b);
  finish(&c->b); /* if the client never started, its handles are freed here */
  curl_slist_free_all(c->rcpt);
  SSL_SESSION_free(c->resume);
  if (current_run == c)
    current_run = NULL;
  free(c);
}

static struct sc_client *create(const struct scenario *sc, const struct sc_adapter_env *env)
{
  struct curl_client *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  if (sc_byoc_init(&c->b, "curl", &curl_ops, &sc->cfg) != 0) {
    free(c);
    return NULL;
  }
  /* As fuzz_starttls offers our engine: the session the server resumes
   * (TLS 1.2, certificates that verify anyway), as a warm session cache
   * would; a copy, since a run that ends badly spoils the one it used. */
  SSL_SESSION *s = tls_peer_resumable(env->peer, sc, sc_adapter_tls_version(sc));
  c->resume = s ? SSL_SESSION_dup(s) : NULL;
  current_run = c;
  c->multi = curl_multi_init();
  c->easy = curl_easy_init();
  if (!c->multi || !c->easy || configure(c, &sc->cfg, tls_peer_ca_pem(env->peer)) != 0 ||
      curl_multi_add_handle(c->multi, c->easy) != CURLM_OK) {
    destroy(&c->b.base);
    return NULL;
  }
  return &c->b.base;
}

static int global_init(void)
{
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* Whether the server sends a line of four bytes and a bare LF that starts
 * with three digits ("250-" LF): curl takes any line of five bytes for a
 * code alone ("250" CRLF) and ends the reply there (smtp.c,
 * smtp_endofresp), whatever its fourth byte. A send's first bytes are taken
 * to start a line. */
static int five_byte_line(const struct scenario *sc)
{
  for (size_t a = 0; a < sc->nactions; a++) {
    const struct sc_action *act = &sc->actions[a];
    const uint8_t *p = sc->pool + act->off;
    if (!sc_act_has_bytes(act->kind))
      continue;
    for (size_t i = 0; i + 5 <= act->len; i++)
      if ((i == 0 || p[i - 1] == '\n') && isdigit(p[i]) && isdigit(p[i + 1]) && isdigit(p[i + 2]) &&
          p[i + 3] != ' ' && p[i + 3] != '\r' && p[i + 4] == '\n')
        return 1;
  }
  return 0;
}

/* What libcurl 7.88.1 is known to do, each written up in README.md
 * ("libcurl under smtpfuzz") with a regression scenario. */
static unsigned known(const struct scenario *sc, const struct oracle_report *rep)
{
  const struct sf_config *cfg = &sc->cfg;
  /* curl_multi_timeout reports no timer while curl waits for a reply
   * (curl's response timeout is checked only when the application calls
   * it anyway): silent-465.scn and every silent or stalled server. A wait
   * for an answer it is not owed (a deadlock) is another matter. */
  unsigned k = sc_adapter_deadlock(rep) ? 0 : ORACLE_BIT(SC_V_HANG);
  /* SIZE (and SMTPUTF8) learned before TLS are never forgotten:
   * curl-stale-size-helo-fallback.scn. */
  if (sc_adapter_reason_has(rep->reason[SC_V_STALE_CAPS], "an ESMTP parameter"))
    k |= ORACLE_BIT(SC_V_STALE_CAPS);
  /* curl never pipelines: "PIPELINING" means it took lines the server sent
   * ahead, before its command, for the command's answer (inside TLS, the
   * server's own doing): fuzz_curl. */
  if (sc_adapter_reason_has(rep->reason[SC_V_STALE_CAPS], "used PIPELINING"))
    k |= ORACLE_BIT(SC_V_STALE_CAPS);
  /* CURLUSESSL_TRY, and no TLS at all, authenticate in plaintext; TRY also
   * takes a 421 to STARTTLS for a refusal and goes on:
   * curl-try-stripped-starttls-password.scn, starttls-421-opportunistic.scn. */
  if (cfg->tls != SF_TLS_REQUIRED || cfg->mode == SF_MODE_PLAIN)
    k |= ORACLE_BIT(SC_V_LEAK_AUTH) | ORACLE_BIT(SC_V_IGNORED_421);
  /* A 421 is just a failure code of the reply curl waits for: after a
   * failed EHLO it sends HELO and goes on (curl-421-ehlo-tls-helo.scn).
   * Found by fuzz_curl. (A 421 right behind another reply is read only
   * after curl has answered that reply; the oracle allows that one answer,
   * so the first command it calls ignoring the 421 may be the one after
   * HELO: hence the commands sent after the 421, not the reason.) */
  if (rep->after_421 & (1u << SC_VERB_HELO))
    k |= ORACLE_BIT(SC_V_IGNORED_421);
  /* curl takes a reply's code from the line that ends it ("DDD ") and
   * passes over every line before: a "421-" line in a reply that ends
   * "250 " reads as 250 (malformed-multiline-code-mismatch-421.scn, found
   * by fuzz_curl). */
  if (sc_adapter_reason_has(rep->reason[SC_V_IGNORED_421], "421 on no line that ends a reply"))
    k |= ORACLE_BIT(SC_V_IGNORED_421);
  /* ... and a continuation line "250-" with a bare LF ends a reply to it,
   * so its next command follows the 421 behind it
   * (malformed-continuation-bare-lf-421.scn, found by fuzz_curl). */
  if (five_byte_line(sc))
    k |= ORACLE_BIT(SC_V_IGNORED_421);
  /* Under CURLUSESSL_TRY a line the server sent before STARTTLS is taken
   * for its answer (a refusal: curl goes on in plaintext behind it):
   * curl-starttls-answer-sent-ahead.scn, found by fuzz_curl. */
  /* Under any policy the same read-ahead takes a 220 sent ahead for the
   * answer and starts TLS before the server's own 220 (fuzz_curl). */
  const char *inj = rep->reason[SC_V_INJECTION];
  if ((cfg->tls == SF_TLS_OPPORTUNISTIC && sc_adapter_reason_has(inj, "before its answer")) ||
      sc_adapter_reason_has(inj, "sent ahead of STARTTLS"))
    k |= ORACLE_BIT(SC_V_INJECTION);
  /* Upload bytes go as they are: a bare CR in the message stays bare. */
  if (sc_adapter_bare_cr(cfg->message, cfg->message_len))
    k |= ORACLE_BIT(SC_V_SMUGGLING);
  return k;
}

const struct sc_adapter sc_adapter_curl = {
    .name = "curl",
    .about = "libcurl's SMTP client (multi interface, OpenSSL)",
    .global_init = global_init,
    .create = create,
    .destroy = destroy,
    .known = known,
};
