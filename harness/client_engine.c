#include "client_engine.h"

#include "adapter.h"

#include "scenario.h"
#include "sim.h"
#include "tls_peer.h"

#include <openssl/ssl.h>

#include <stdio.h>
#include <string.h>

static struct sc_engine_client *self(struct sc_client *c)
{
  return (struct sc_engine_client *)c;
}

static const struct sc_engine_client *cself(const struct sc_client *c)
{
  return (const struct sc_engine_client *)c;
}

static void ec_start(struct sc_client *c, uint64_t now)
{
  sf_session_start(&self(c)->session, now);
}

static size_t ec_take(struct sc_client *c, uint8_t *out, size_t cap, uint64_t now)
{
  return sf_session_take(&self(c)->session, out, cap, now);
}

static size_t ec_feed(struct sc_client *c, const uint8_t *in, size_t len, uint64_t now)
{
  return sf_session_feed(&self(c)->session, in, len, now);
}

static void ec_eof(struct sc_client *c, uint64_t now)
{
  sf_session_eof(&self(c)->session, now);
}

static void ec_tick(struct sc_client *c, uint64_t now)
{
  sf_session_tick(&self(c)->session, now);
}

static uint64_t ec_deadline(const struct sc_client *c)
{
  uint64_t d = sf_session_deadline(&cself(c)->session);
  return d == SF_NO_DEADLINE ? SC_NO_DEADLINE : d;
}

static enum sc_client_status ec_status(const struct sc_client *c)
{
  unsigned st = sf_session_status(&cself(c)->session);
  if (st & SF_DONE)
    return SC_CLIENT_DONE;
  if (st & SF_FAILED)
    return SC_CLIENT_FAILED;
  return SC_CLIENT_RUNNING;
}

static enum sf_err ec_error(const struct sc_client *c)
{
  return sf_session_error(&cself(c)->session);
}

static const char *ec_diagnosis(const struct sc_client *c)
{
  return sf_session_diagnosis(&cself(c)->session);
}

static const struct sc_client_ops engine_ops = {
    .name = "smtpfuzz-engine",
    .reports_errors = 1,
    .start = ec_start,
    .take = ec_take,
    .feed = ec_feed,
    .eof = ec_eof,
    .tick = ec_tick,
    .deadline = ec_deadline,
    .status = ec_status,
    .error = ec_error,
    .diagnosis = ec_diagnosis,
};

void sc_engine_client_init(struct sc_engine_client *c, const struct sf_config *cfg)
{
  c->base.ops = &engine_ops;
  c->openssl = 0;
  sf_tls_passthrough_init(&c->pt);
  /* mode=plain gets no TLS layer, as the session's contract asks. */
  sf_session_init(&c->session, cfg, cfg->mode == SF_MODE_PLAIN ? NULL : &c->pt.base);
}

void sc_engine_client_init_openssl(struct sc_engine_client *c, const struct sf_config *cfg,
                                   struct ssl_ctx_st *ctx, int64_t verify_time,
                                   struct ssl_session_st *resume)
{
  c->base.ops = &engine_ops;
  c->openssl = 1;
  sf_tls_openssl_init(&c->ossl, ctx, verify_time);
  /* A copy: a run that ends badly makes the session it used unresumable. */
  c->resume = resume ? SSL_SESSION_dup(resume) : NULL;
  sf_tls_openssl_set_session(&c->ossl, c->resume);
  sf_session_init(&c->session, cfg, cfg->mode == SF_MODE_PLAIN ? NULL : &c->ossl.base);
}

void sc_engine_client_init_peer(struct sc_engine_client *c, const struct scenario *sc,
                                struct tls_peer *peer, struct sim_options *opt)
{
  enum tls_peer_version v = sc_adapter_tls_version(sc);
  tls_peer_reseed(peer, TLS_PEER_SEED);
  /* The server speaks TLS 1.2 only for this input, and so does the client
   * (tls_peer_client_ctx_for()). */
  sc_engine_client_init_openssl(c, &sc->cfg, tls_peer_client_ctx_for(peer, v), TLS_PEER_TIME,
                                tls_peer_resumable(peer, sc, v));
  *opt = (struct sim_options){SIM_TLS_OPENSSL, peer, v};
}

static int is_cert_error(enum sf_err e)
{
  return e >= SF_ERR_TLS_CERT_SELF_SIGNED && e <= SF_ERR_TLS_CERT_OTHER;
}

int sc_engine_client_tls_consistent(const struct sc_engine_client *c, const struct wire *w,
                                    const struct sim_result *res, char *why, size_t cap)
{
  const struct sf_tls_openssl *t = &c->ossl;
  if (!c->openssl)
    return 1;
  const char *version = sf_tls_openssl_version(t);
  for (size_t i = 0; i < w->nev && version[0]; i++) {
    const struct wire_event *e = &w->ev[i];
    if (e->kind != WIRE_TLS_UP)
      continue;
    /* The server's own words: "<cert> <name> (<version>[, resumed])". */
    char up[160];
    snprintf(up, sizeof up, "%.*s", (int)e->len, (const char *)w->bytes + e->off);
    int reused = sf_tls_openssl_session_reused(t);
    if (!strstr(up, version)) {
      snprintf(why, cap, "the server says '%s', the engine's TLS says %s", up, version);
      return 0;
    }
    if ((strstr(up, "resumed") != NULL) != reused) {
      snprintf(why, cap, "the server says '%s', the engine's TLS says %sresumed", up,
               reused ? "" : "not ");
      return 0;
    }
    break;
  }
  if (is_cert_error(res->error)) {
    SSL_SESSION *kept = sf_tls_openssl_get1_session(t);
    SSL_SESSION_free(kept);
    if (kept) {
      snprintf(why, cap,
               "the engine rejected the certificate (%s) and kept the session for "
               "resumption",
               sf_err_name(res->error));
      return 0;
    }
  }
  return 1;
}

void sc_engine_client_offer_resume(struct sc_engine_client *c, int offer)
{
  sf_tls_passthrough_offer_resume(&c->pt, offer);
}

void sc_engine_client_cleanup(struct sc_engine_client *c)
{
  if (c->openssl) {
    sf_tls_openssl_cleanup(&c->ossl);
    SSL_SESSION_free(c->resume);
  }
  c->resume = NULL;
  c->openssl = 0;
}

const char *sc_client_status_name(enum sc_client_status st)
{
  switch (st) {
  case SC_CLIENT_RUNNING:
    return "running";
  case SC_CLIENT_DONE:
    return "done";
  case SC_CLIENT_FAILED:
    return "failed";
  }
  return "?";
}
