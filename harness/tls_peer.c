#include "tls_peer.h"

#include "host.h"

#include "certs.h"
#include "judge_cmp.h"
#include "tls_openssl.h"

#include <openssl/bio.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long enough that no fuzzing campaign outlives a session. */
#define SESSION_LIFETIME (10L * 365 * 24 * 60 * 60)
#define SID_CTX          "smtpfuzz"
#define PEM_MAX          4096

/* ---- the seeded random source ---------------------------------------------
 *
 * xoshiro256** seeded by splitmix64: not cryptographic, and it need not be;
 * what matters is that the same seed gives the same bytes. One stream per
 * process (the provider's algorithm contexts cannot reach the peer), used by
 * the primary, public and private generators of the peer's library context
 * alike, in the order OpenSSL asks. */

static uint64_t rng_s[4];

static uint64_t splitmix(uint64_t *x)
{
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
  uint64_t r = rotl(rng_s[1] * 5, 7) * 9;
  uint64_t t = rng_s[1] << 17;
  rng_s[2] ^= rng_s[0];
  rng_s[3] ^= rng_s[1];
  rng_s[1] ^= rng_s[2];
  rng_s[0] ^= rng_s[3];
  rng_s[2] ^= t;
  rng_s[3] = rotl(rng_s[3], 45);
  return r;
}

static void rng_seed(uint64_t seed)
{
  for (int i = 0; i < 4; i++)
    rng_s[i] = splitmix(&seed);
}

struct det_rand {
  int state;
};

static void *det_newctx(void *provctx, void *parent, const OSSL_DISPATCH *parent_dispatch)
{
  (void)provctx;
  (void)parent;
  (void)parent_dispatch;
  struct det_rand *r = OPENSSL_zalloc(sizeof(*r));
  if (r)
    r->state = EVP_RAND_STATE_UNINITIALISED;
  return r;
}

static void det_freectx(void *vrng)
{
  OPENSSL_free(vrng);
}

static int det_instantiate(void *vrng, unsigned int strength, int prediction_resistance,
                           const unsigned char *pstr, size_t pstr_len, const OSSL_PARAM params[])
{
  (void)strength;
  (void)prediction_resistance;
  (void)pstr;
  (void)pstr_len;
  (void)params;
  ((struct det_rand *)vrng)->state = EVP_RAND_STATE_READY;
  return 1;
}

static int det_uninstantiate(void *vrng)
{
  ((struct det_rand *)vrng)->state = EVP_RAND_STATE_UNINITIALISED;
  return 1;
}

static int det_generate(void *vrng, unsigned char *out, size_t outlen, unsigned int strength,
                        int prediction_resistance, const unsigned char *adin, size_t adinlen)
{
  (void)vrng;
  (void)strength;
  (void)prediction_resistance;
  (void)adin;
  (void)adinlen;
  while (outlen > 0) {
    uint64_t r = rng_next();
    size_t n = outlen < sizeof(r) ? outlen : sizeof(r);
    memcpy(out, &r, n);
    out += n;
    outlen -= n;
  }
  return 1;
}

static int det_reseed(void *vrng, int prediction_resistance, const unsigned char *ent,
                      size_t ent_len, const unsigned char *adin, size_t adin_len)
{
  (void)vrng;
  (void)prediction_resistance;
  (void)ent;
  (void)ent_len;
  (void)adin;
  (void)adin_len;
  return 1;
}

static int det_enable_locking(void *vrng)
{
  (void)vrng;
  return 1;
}

static int det_get_ctx_params(void *vrng, OSSL_PARAM params[])
{
  struct det_rand *r = vrng;
  OSSL_PARAM *p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE);
  if (p && !OSSL_PARAM_set_int(p, r->state))
    return 0;
  p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH);
  if (p && !OSSL_PARAM_set_uint(p, 256))
    return 0;
  p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST);
  if (p && !OSSL_PARAM_set_size_t(p, INT_MAX))
    return 0;
  return 1;
}

static const OSSL_PARAM *det_gettable_ctx_params(void *vrng, void *provctx)
{
  (void)vrng;
  (void)provctx;
  static const OSSL_PARAM known[] = {
      OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, NULL),
      OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, NULL),
      OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, NULL),
      OSSL_PARAM_END,
  };
  return known;
}

/* OpenSSL's dispatch tables hold functions as void (*)(void). */
#define FN(f) ((void (*)(void))(f))

static const OSSL_DISPATCH det_rand_functions[] = {
    {OSSL_FUNC_RAND_NEWCTX, FN(det_newctx)},
    {OSSL_FUNC_RAND_FREECTX, FN(det_freectx)},
    {OSSL_FUNC_RAND_INSTANTIATE, FN(det_instantiate)},
    {OSSL_FUNC_RAND_UNINSTANTIATE, FN(det_uninstantiate)},
    {OSSL_FUNC_RAND_GENERATE, FN(det_generate)},
    {OSSL_FUNC_RAND_RESEED, FN(det_reseed)},
    {OSSL_FUNC_RAND_ENABLE_LOCKING, FN(det_enable_locking)},
    {OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, FN(det_gettable_ctx_params)},
    {OSSL_FUNC_RAND_GET_CTX_PARAMS, FN(det_get_ctx_params)},
    {0, NULL},
};

static const OSSL_ALGORITHM det_rand_algs[] = {
    {"SF-DET", "provider=sf-det", det_rand_functions, "seeded deterministic random (tests)"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *det_query(void *provctx, int operation_id, int *no_cache)
{
  (void)provctx;
  *no_cache = 0;
  return operation_id == OSSL_OP_RAND ? det_rand_algs : NULL;
}

static const OSSL_DISPATCH det_provider_functions[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, FN(det_query)},
    {0, NULL},
};

static int det_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                             const OSSL_DISPATCH **out, void **provctx)
{
  (void)handle;
  (void)in;
  *out = det_provider_functions;
  *provctx = rng_s;
  return 1;
}

/* ---- the peer ------------------------------------------------------------- */

/* One server context per certificate kind, with its resumable sessions,
 * one per version. */
struct server_slot {
  SSL_CTX *ctx;
  /* [0]: the TLS 1.2 session, [1]: the TLS 1.3 one. */
  SSL_SESSION *sess[2];        /* server side, the cache's entries */
  SSL_SESSION *client_sess[2]; /* the same sessions, client side */
  int capturing;               /* 1 + the index being made, or 0 */
};

struct tls_peer {
  OSSL_LIB_CTX *libctx;
  OSSL_PROVIDER *det, *deflt;
  struct certs certs;
  struct server_slot slot[SC_CERT_COUNT];
  struct server_slot ip_slot[2];      /* certs.ipv4, certs.ipv6: no session */
  SSL_CTX *client_ctx, *client_ctx12; /* the second: TLS 1.2 at most */
  char ca_pem[PEM_MAX];
};

struct tls_peer_conn {
  SSL *ssl;
  enum tls_peer_hs hs;
  char err[200];
};

static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
  struct server_slot *slot = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
  if (!slot || !slot->capturing || slot->sess[slot->capturing - 1])
    return 0; /* not kept: the cache never changes after start-up */
  /* A copy: OpenSSL marks a connection's session unresumable when the
   * connection ends without close_notify or with a fatal alert. */
  SSL_SESSION *kept = SSL_SESSION_dup(sess);
  if (kept)
    SSL_SESSION_set_timeout(kept, SESSION_LIFETIME);
  slot->sess[slot->capturing - 1] = kept;
  return 0;
}

static SSL_SESSION *get_session_cb(SSL *ssl, const unsigned char *id, int len, int *copy)
{
  struct server_slot *slot = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
  *copy = 0;
  /* A TLS 1.3 client names its session in its PSK identity (with tickets
   * off, the session's ID), a TLS 1.2 one in its legacy session ID: each
   * version looks only at its own session. */
  SSL_SESSION *own = slot ? slot->sess[SSL_version(ssl) == TLS1_3_VERSION] : NULL;
  if (!own)
    return NULL;
  unsigned int sid_len = 0;
  const unsigned char *sid = SSL_SESSION_get_id(own, &sid_len);
  if (len < 0 || (unsigned)len != sid_len || !jc_same(sid, id, sid_len))
    return NULL;
  /* Each connection gets its own copy, so nothing a connection does (a
   * fatal alert, an unclean end) can change what the next one resumes. */
  return SSL_SESSION_dup(own);
}

/* A server context presenting `cert`, with `chain` behind it if not NULL. */
static SSL_CTX *server_ctx_for(struct tls_peer *p, X509 *cert, X509 *chain,
                               struct server_slot *slot)
{
  SSL_CTX *ctx = SSL_CTX_new_ex(p->libctx, NULL, TLS_server_method());
  if (!ctx)
    return NULL;
  int ok =
      SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) && SSL_CTX_use_certificate(ctx, cert) &&
      (!chain || SSL_CTX_add1_chain_cert(ctx, chain)) &&
      SSL_CTX_use_PrivateKey(ctx, p->certs.leaf_key) && SSL_CTX_check_private_key(ctx) &&
      SSL_CTX_set_session_id_context(ctx, (const unsigned char *)SID_CTX, sizeof(SID_CTX) - 1) &&
      SSL_CTX_set_num_tickets(ctx, 0) && SSL_CTX_set_app_data(ctx, slot);
  if (!ok) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_timeout(ctx, SESSION_LIFETIME);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
  SSL_CTX_sess_set_get_cb(ctx, get_session_cb);
  return ctx;
}

static SSL_CTX *server_ctx(struct tls_peer *p, enum sc_cert kind, struct server_slot *slot)
{
  return server_ctx_for(p, p->certs.leaf[kind], certs_chain_of(&p->certs, kind), slot);
}

/* A full handshake in memory at TLS 1.2 (tls13 0) or 1.3 (1), without
 * verification, to fill the slot's cache and get the client's copy of the
 * session. */
static int make_session(struct tls_peer *p, enum sc_cert kind, int tls13)
{
  struct server_slot *slot = &p->slot[kind];
  struct sf_tls_openssl cl;
  sf_tls_openssl_init(&cl, p->client_ctx, TLS_PEER_TIME);
  struct tls_peer_conn *sv = tls_peer_accept(p, kind, tls13 ? TLS_PEER_TLS13 : TLS_PEER_TLS12);
  int ok = 0;
  /* At TLS 1.3 a session is resumable only through a ticket, sent after
   * the handshake; with tickets off (SSL_OP_NO_TICKET) it carries just
   * the session's ID, which the server looks up in its cache. One ticket,
   * on this connection only. */
  if (!sv || !sf_tls_openssl_ssl(&cl) || (tls13 && !SSL_set_num_tickets(sv->ssl, 1)))
    goto out;
  slot->capturing = 1 + tls13;
  cl.base.vt->start(&cl.base, TLS_PEER_HOST, 0);
  uint8_t buf[8192];
  for (int round = 0; round < 16; round++) {
    size_t n, moved = 0;
    while ((n = cl.base.vt->take_net(&cl.base, buf, sizeof(buf))) > 0) {
      tls_peer_conn_feed(sv, buf, n);
      moved += n;
    }
    while ((n = tls_peer_conn_take(sv, buf, sizeof(buf))) > 0) {
      moved += n;
      for (size_t used = 0; used < n;) {
        size_t k = cl.base.vt->feed_net(&cl.base, buf + used, n - used);
        if (k == 0)
          break;
        used += k;
      }
    }
    /* Until nothing moves: at TLS 1.3 the ticket comes after both ends
     * are done. */
    if (cl.st == SF_TLS_ESTABLISHED && sv->hs == TLS_PEER_HS_DONE && moved == 0)
      break;
  }
  if (cl.st != SF_TLS_ESTABLISHED || !slot->sess[tls13])
    goto out;
  SSL_SESSION *live = sf_tls_openssl_get1_session(&cl);
  SSL_SESSION *mine = live ? SSL_SESSION_dup(live) : NULL; /* see new_session_cb() */
  SSL_SESSION_free(live);
  slot->client_sess[tls13] = mine;
  if (!mine || (tls13 && !SSL_SESSION_is_resumable(mine)))
    goto out;
  SSL_SESSION_set_timeout(mine, SESSION_LIFETIME);
  if (tls13) {
    ok = 1;
    goto out;
  }
  /* An ID of our own on both copies. The server drew its ID from the
   * random stream, which every run starts again (tls_peer_reseed()). A
   * client that offers no session still sends a random legacy session ID
   * (RFC 8446 D.4); drawn at the place in the stream where the server drew
   * this one, it is the same bytes, and the server resumes a session
   * nobody offered. (At TLS 1.3 the ID is the ticket the client holds, and
   * only a PSK identity is looked up: it stays as drawn.) */
  unsigned char id[SSL_MAX_SSL_SESSION_ID_LENGTH];
  memset(id, 0, sizeof id);
  snprintf((char *)id, sizeof id, "smtpfuzz session %d", (int)kind);
  ok =
      SSL_SESSION_set1_id(slot->sess[0], id, sizeof id) && SSL_SESSION_set1_id(mine, id, sizeof id);
out:
  slot->capturing = 0;
  tls_peer_conn_free(sv);
  sf_tls_openssl_cleanup(&cl);
  return ok;
}

/* Server contexts and start-up sessions for the kinds [from, to). */
static int make_slots(struct tls_peer *p, int from, int to)
{
  for (int k = from; k < to; k++) {
    p->slot[k].ctx = server_ctx(p, (enum sc_cert)k, &p->slot[k]);
    if (!p->slot[k].ctx || !make_session(p, (enum sc_cert)k, 0))
      return 0;
  }
  return 1;
}

struct tls_peer *tls_peer_new(void)
{
  struct tls_peer *p = calloc(1, sizeof(*p));
  if (!p)
    return NULL;
  rng_seed(TLS_PEER_SEED);
  p->libctx = OSSL_LIB_CTX_new();
  if (!p->libctx || !OSSL_PROVIDER_add_builtin(p->libctx, "sf-det", det_provider_init) ||
      !RAND_set_DRBG_type(p->libctx, "SF-DET", "provider=sf-det", NULL, NULL))
    goto fail;
  p->det = OSSL_PROVIDER_load(p->libctx, "sf-det");
  p->deflt = OSSL_PROVIDER_load(p->libctx, "default");
  if (!p->det || !p->deflt)
    goto fail;
  if (certs_make(&p->certs, p->libctx, TLS_PEER_HOST, TLS_PEER_WRONG_HOST, TLS_PEER_TIME) != 0)
    goto fail;
  if (certs_ca_pem(&p->certs, p->ca_pem, sizeof(p->ca_pem)) == 0)
    goto fail;
  /* The engine's context, trusting the test CA only. */
  p->client_ctx = sf_tls_openssl_ctx_new_pem(p->libctx, p->ca_pem, strlen(p->ca_pem));
  if (!p->client_ctx)
    goto fail;
  if (!make_slots(p, 0, SC_CERT_NAME_FIRST))
    goto fail;
  /* After the sessions: signing these certificates draws on the random
   * stream, so made earlier they would change every session made after
   * them (and the name kinds, with their sessions, come later still). */
  if (certs_make_ip(&p->certs, p->libctx, TLS_PEER_TIME) != 0)
    goto fail;
  p->ip_slot[0].ctx = server_ctx_for(p, p->certs.ipv4, NULL, &p->ip_slot[0]);
  p->ip_slot[1].ctx = server_ctx_for(p, p->certs.ipv6, NULL, &p->ip_slot[1]);
  if (!p->ip_slot[0].ctx || !p->ip_slot[1].ctx)
    goto fail;
  int names =
      certs_make_names(&p->certs, p->libctx, TLS_PEER_HOST, TLS_PEER_WRONG_HOST, TLS_PEER_TIME);
  if (names != 0 || !make_slots(p, SC_CERT_NAME_FIRST, SC_CERT_CHAIN_FIRST))
    goto fail;
  /* The engine's context for a run against a TLS 1.2 server: the client's
   * hello then carries no TLS 1.3 key share, a key pair made for nothing.
   * A context of its own, rather than a limit set on each connection,
   * leaves the engine to make its connection only when TLS starts. Made
   * last, as it draws on the random stream too. */
  p->client_ctx12 = sf_tls_openssl_ctx_new_pem(p->libctx, p->ca_pem, strlen(p->ca_pem));
  if (!p->client_ctx12 || !SSL_CTX_set_max_proto_version(p->client_ctx12, TLS1_2_VERSION))
    goto fail;
  /* The chain kinds, with their sessions, after all of that. */
  if (certs_make_chain(&p->certs, p->libctx, TLS_PEER_HOST, TLS_PEER_TIME) != 0 ||
      !make_slots(p, SC_CERT_CHAIN_FIRST, SC_CERT_COUNT))
    goto fail;
  /* The TLS 1.3 sessions last of all, so that every draw before them is
   * what it was before they existed. */
  for (int k = 0; k < SC_CERT_COUNT; k++)
    if (!make_session(p, (enum sc_cert)k, 1))
      goto fail;
  rng_seed(TLS_PEER_SEED);
  return p;
fail:
  ERR_print_errors_fp(stderr);
  tls_peer_free(p);
  return NULL;
}

void tls_peer_free(struct tls_peer *p)
{
  if (!p)
    return;
  for (int k = 0; k < SC_CERT_COUNT; k++) {
    for (int v = 0; v < 2; v++) {
      SSL_SESSION_free(p->slot[k].sess[v]);
      SSL_SESSION_free(p->slot[k].client_sess[v]);
    }
    SSL_CTX_free(p->slot[k].ctx);
  }
  for (int k = 0; k < 2; k++)
    SSL_CTX_free(p->ip_slot[k].ctx);
  SSL_CTX_free(p->client_ctx);
  SSL_CTX_free(p->client_ctx12);
  certs_free(&p->certs);
  if (p->deflt)
    OSSL_PROVIDER_unload(p->deflt);
  if (p->det)
    OSSL_PROVIDER_unload(p->det);
  OSSL_LIB_CTX_free(p->libctx);
  sf_tls_openssl_clear_errors();
  free(p);
}

void tls_peer_reseed(struct tls_peer *p, uint64_t seed)
{
  (void)p;
  rng_seed(seed);
}

OSSL_LIB_CTX *tls_peer_libctx(struct tls_peer *p)
{
  return p->libctx;
}

SSL_CTX *tls_peer_client_ctx(struct tls_peer *p)
{
  return p->client_ctx;
}

SSL_CTX *tls_peer_client_ctx_for(struct tls_peer *p, enum tls_peer_version v)
{
  return v == TLS_PEER_TLS12 ? p->client_ctx12 : p->client_ctx;
}

SSL_SESSION *tls_peer_client_session(struct tls_peer *p, enum sc_cert cert, enum tls_peer_version v)
{
  if ((unsigned)cert >= SC_CERT_COUNT || v == TLS_PEER_TLS13)
    return NULL;
  return p->slot[cert].client_sess[v == TLS_PEER_TLS13_RESUMED];
}

/* The scenario's kind, but for the name kinds: each is made to pass for
 * TLS_PEER_HOST, and judged as such; for a client that expects another
 * name (for which the certificate may well be good: name-in-cn-only's
 * DNS-ID is TLS_PEER_WRONG_HOST), or a scenario that names another, the
 * certificate is chosen as for `valid`. */
static enum sc_cert kind_of(const struct scenario *sc)
{
  if ((unsigned)sc->cert >= SC_CERT_COUNT)
    return SC_CERT_VALID;
  if (sc->cert < SC_CERT_NAME_FIRST || sc->cert >= SC_CERT_CHAIN_FIRST)
    return sc->cert;
  int ours = sf_host_equal(sc->cfg.host ? sc->cfg.host : "", TLS_PEER_HOST) &&
             (!sc->cert_host[0] || sf_host_equal(sc->cert_host, TLS_PEER_HOST));
  return ours ? sc->cert : SC_CERT_VALID;
}

enum sc_cert tls_peer_cert_for(const struct scenario *sc)
{
  const char *host = sc->cfg.host ? sc->cfg.host : "";
  enum sc_cert kind = kind_of(sc);
  if (kind == SC_CERT_VALID && sc->cert_host[0] && !jc_istreq(sc->cert_host, host))
    return SC_CERT_WRONG_HOST;
  return kind;
}

int tls_peer_pick(const struct scenario *sc)
{
  const char *name = sc->cert_host[0] ? sc->cert_host : sc->cfg.host ? sc->cfg.host : "";
  enum sc_cert kind = kind_of(sc);
  if (kind != SC_CERT_VALID)
    return kind;
  if (sf_host_equal(name, TLS_PEER_HOST))
    return SC_CERT_VALID;
  if (sf_host_equal(name, TLS_PEER_IPV4))
    return TLS_PEER_CERT_IPV4;
  if (sf_host_equal(name, TLS_PEER_IPV6))
    return TLS_PEER_CERT_IPV6;
  return SC_CERT_WRONG_HOST;
}

const char *tls_peer_cert_desc(int cert, char *buf, size_t cap)
{
  /* The wrong-host certificate is a good one, for another name: what makes
   * it wrong is that name, which the description gives. */
  const char *kind = cert < SC_CERT_COUNT && cert != SC_CERT_WRONG_HOST
                         ? sc_cert_name((enum sc_cert)cert)
                         : "valid";
  const char *name = cert == TLS_PEER_CERT_IPV4   ? TLS_PEER_IPV4
                     : cert == TLS_PEER_CERT_IPV6 ? TLS_PEER_IPV6
                     : cert == SC_CERT_WRONG_HOST ? TLS_PEER_WRONG_HOST
                                                  : TLS_PEER_HOST;
  snprintf(buf, cap, "%s %s", kind, name);
  return buf;
}

SSL_SESSION *tls_peer_resumable(struct tls_peer *p, const struct scenario *sc,
                                enum tls_peer_version v)
{
  int cert = tls_peer_pick(sc);
  return cert < SC_CERT_COUNT ? tls_peer_client_session(p, (enum sc_cert)cert, v) : NULL;
}

const char *tls_peer_ca_pem(struct tls_peer *p)
{
  return p->ca_pem;
}

/* ---- one server connection ------------------------------------------------ */

static struct tls_peer_conn *accept_on(SSL_CTX *ctx, enum tls_peer_version v)
{
  struct tls_peer_conn *c = calloc(1, sizeof(*c));
  if (!c)
    return NULL;
  c->ssl = SSL_new(ctx);
  BIO *rbio = BIO_new(BIO_s_mem());
  BIO *wbio = BIO_new(BIO_s_mem());
  if (!c->ssl || !rbio || !wbio ||
      !SSL_set_max_proto_version(c->ssl, v == TLS_PEER_TLS12 ? TLS1_2_VERSION : TLS1_3_VERSION)) {
    BIO_free(rbio);
    BIO_free(wbio);
    SSL_free(c->ssl);
    free(c);
    sf_tls_openssl_clear_errors();
    return NULL;
  }
  BIO_set_mem_eof_return(rbio, -1);
  BIO_set_mem_eof_return(wbio, -1);
  SSL_set_bio(c->ssl, rbio, wbio);
  SSL_set_accept_state(c->ssl);
  /* At TLS 1.3 a session ticket right after the handshake, as servers send
   * by default (OpenSSL sends two, Postfix one): post-handshake bytes a
   * client must read past before the answer to its first command. One
   * that waits on them for a reply deadlocks (esmtp on libESMTP, live).
   * With tickets off the ticket holds only the session's ID, and no
   * server cache keeps it (new_session_cb()). */
  if (v != TLS_PEER_TLS12)
    SSL_set_num_tickets(c->ssl, 1);
  c->hs = TLS_PEER_HS_WANT;
  return c;
}

struct tls_peer_conn *tls_peer_accept(struct tls_peer *p, enum sc_cert cert,
                                      enum tls_peer_version v)
{
  if ((unsigned)cert >= SC_CERT_COUNT)
    cert = SC_CERT_VALID;
  return accept_on(p->slot[cert].ctx, v);
}

struct tls_peer_conn *tls_peer_accept_ip(struct tls_peer *p, int ipv6, enum tls_peer_version v)
{
  return accept_on(p->ip_slot[ipv6 ? 1 : 0].ctx, v);
}

X509 *tls_peer_make_cert(struct tls_peer *p, const char *san, EVP_PKEY **key)
{
  *key = p->certs.leaf_key;
  return certs_make_leaf(&p->certs, p->libctx, san, TLS_PEER_TIME);
}

struct tls_peer_conn *tls_peer_accept_cert(struct tls_peer *p, int cert, enum tls_peer_version v)
{
  if (cert == TLS_PEER_CERT_IPV4 || cert == TLS_PEER_CERT_IPV6)
    return tls_peer_accept_ip(p, cert == TLS_PEER_CERT_IPV6, v);
  return tls_peer_accept(p, (enum sc_cert)cert, v);
}

void tls_peer_conn_free(struct tls_peer_conn *c)
{
  if (!c)
    return;
  SSL_free(c->ssl);
  free(c);
  sf_tls_openssl_clear_errors();
}

static void conn_fail(struct tls_peer_conn *c)
{
  unsigned long e = ERR_peek_last_error();
  int reason = ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
  if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
    snprintf(c->err, sizeof(c->err), "the client sent alert %s",
             SSL_alert_desc_string_long(reason - SSL_AD_REASON_OFFSET));
  else
    snprintf(c->err, sizeof(c->err), "handshake failed: %s",
             e && ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unknown error");
  c->hs = TLS_PEER_HS_FAILED;
  sf_tls_openssl_clear_errors();
}

enum tls_peer_hs tls_peer_conn_feed(struct tls_peer_conn *c, const uint8_t *data, size_t len)
{
  if (c->hs == TLS_PEER_HS_FAILED)
    return c->hs;
  if (len > 0 && BIO_write(SSL_get_rbio(c->ssl), data, (int)len) != (int)len) {
    snprintf(c->err, sizeof(c->err), "memory BIO write failed");
    c->hs = TLS_PEER_HS_FAILED;
    return c->hs;
  }
  if (c->hs == TLS_PEER_HS_WANT) {
    sf_tls_openssl_clear_errors();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
      c->hs = TLS_PEER_HS_DONE;
    } else {
      int e = SSL_get_error(c->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        conn_fail(c);
    }
  }
  return c->hs;
}

size_t tls_peer_conn_take(struct tls_peer_conn *c, uint8_t *out, size_t cap)
{
  BIO *w = SSL_get_wbio(c->ssl);
  size_t pending = BIO_ctrl_pending(w), got = 0;
  if (pending == 0 || cap == 0)
    return 0;
  if (BIO_read_ex(w, out, pending < cap ? pending : cap, &got) != 1)
    return 0;
  return got;
}

size_t tls_peer_conn_read(struct tls_peer_conn *c, uint8_t *out, size_t cap, int *close_notify)
{
  size_t total = 0;
  *close_notify = 0;
  while (c->hs == TLS_PEER_HS_DONE && total < cap) {
    size_t got = 0;
    sf_tls_openssl_clear_errors();
    if (SSL_read_ex(c->ssl, out + total, cap - total, &got) == 1) {
      total += got;
      continue;
    }
    int e = SSL_get_error(c->ssl, 0);
    if (e == SSL_ERROR_ZERO_RETURN)
      *close_notify = 1;
    else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
      conn_fail(c);
    break;
  }
  return total;
}

int tls_peer_conn_write(struct tls_peer_conn *c, const uint8_t *data, size_t len)
{
  size_t written = 0;
  if (c->hs != TLS_PEER_HS_DONE)
    return -1;
  if (len == 0)
    return 0;
  sf_tls_openssl_clear_errors();
  if (SSL_write_ex(c->ssl, data, len, &written) != 1 || written != len) {
    sf_tls_openssl_clear_errors();
    return -1;
  }
  return 0;
}

/* A client certificate is asked for and none will do: the client has none. */
static int refuse_any(int ok, X509_STORE_CTX *store)
{
  (void)ok;
  (void)store;
  return 0;
}

int tls_peer_ssl_server_mode(SSL *ssl, enum sc_tls_server mode)
{
  switch (mode) {
  case SC_TLSS_OLD:
    /* What servers from before RFC 8996 speak; a correct client has 1.2 as
     * its floor and must end the handshake. */
    SSL_set_security_level(ssl, 0);
    return SSL_set_min_proto_version(ssl, TLS1_VERSION) &&
                   SSL_set_max_proto_version(ssl, TLS1_1_VERSION)
               ? 0
               : -1;
  case SC_TLSS_CLIENT_CERT:
    SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, refuse_any);
    /* A session made without a client certificate is not resumed: another
     * session context, so every handshake is a full one and asks for it. */
    return SSL_set_session_id_context(ssl, (const unsigned char *)"client-cert", 11) ? 0 : -1;
  case SC_TLSS_MODERN:
  case SC_TLSS_COUNT:
    break;
  }
  return 0;
}

void tls_peer_conn_server_mode(struct tls_peer_conn *c, enum sc_tls_server mode)
{
  if (c && c->ssl && tls_peer_ssl_server_mode(c->ssl, mode) != 0)
    sf_tls_openssl_clear_errors();
}

void tls_peer_conn_shutdown(struct tls_peer_conn *c)
{
  if (c && c->ssl && c->hs == TLS_PEER_HS_DONE)
    (void)SSL_shutdown(c->ssl);
  sf_tls_openssl_clear_errors();
}

const char *tls_peer_conn_error(const struct tls_peer_conn *c)
{
  return c->err;
}

int tls_peer_conn_reused(const struct tls_peer_conn *c)
{
  return SSL_session_reused(c->ssl);
}

const char *tls_peer_conn_sni(const struct tls_peer_conn *c)
{
  const char *sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
  return sni ? sni : "";
}

const char *tls_peer_conn_version(const struct tls_peer_conn *c)
{
  return SSL_get_version(c->ssl);
}
