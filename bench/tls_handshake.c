/* Handshakes per second of the harness's TLS peer (harness/tls_peer.c)
 * against our OpenSSL client layer (src/tls_openssl.c), in memory, one core:
 * full TLS 1.2, full TLS 1.3, and TLS 1.2 and 1.3 resumed from the peer's
 * sessions. The last case makes the client a new context per handshake, its
 * CA read from PEM, as libcurl 7.88 does per connection: what a fuzz_curl
 * input that starts TLS pays at least.
 * Each handshake counts both sides (the fuzz target pays for both) and the
 * client verifies the certificate chain and name, as in fuzz_starttls.
 *
 *   tls_handshake [SECONDS_PER_CASE]   (default 2)
 */
#include "tls_openssl.h"
#include "tls_peer.h"

#include <openssl/ssl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One handshake; returns 1 if both sides finished (and resumed if asked). */
static int handshake(struct tls_peer *peer, enum tls_peer_version v, SSL_SESSION *resume,
                     int new_ctx)
{
  const char *ca = tls_peer_ca_pem(peer);
  SSL_CTX *ctx = new_ctx ? sf_tls_openssl_ctx_new_pem(tls_peer_libctx(peer), ca, strlen(ca))
                         : tls_peer_client_ctx(peer);
  if (!ctx)
    return 0;
  struct sf_tls_openssl cl;
  sf_tls_openssl_init(&cl, ctx, TLS_PEER_TIME);
  SSL_SESSION *copy = resume ? SSL_SESSION_dup(resume) : NULL;
  sf_tls_openssl_set_session(&cl, copy);
  struct tls_peer_conn *sv = tls_peer_accept(peer, SC_CERT_VALID, v);
  struct sf_tls *t = &cl.base;
  t->vt->start(t, TLS_PEER_HOST, 1);
  uint8_t buf[8192];
  enum tls_peer_hs hs = TLS_PEER_HS_WANT;
  for (int round = 0; round < 8 && hs != TLS_PEER_HS_FAILED; round++) {
    size_t n;
    while ((n = t->vt->take_net(t, buf, sizeof(buf))) > 0)
      hs = tls_peer_conn_feed(sv, buf, n);
    while ((n = tls_peer_conn_take(sv, buf, sizeof(buf))) > 0)
      for (size_t used = 0; used < n;) {
        size_t k = t->vt->feed_net(t, buf + used, n - used);
        if (k == 0)
          break;
        used += k;
      }
    if (hs == TLS_PEER_HS_DONE && cl.st == SF_TLS_ESTABLISHED)
      break;
  }
  int ok = hs == TLS_PEER_HS_DONE && cl.st == SF_TLS_ESTABLISHED &&
           (!resume || sf_tls_openssl_session_reused(&cl));
  tls_peer_conn_free(sv);
  sf_tls_openssl_cleanup(&cl);
  SSL_SESSION_free(copy);
  if (new_ctx)
    SSL_CTX_free(ctx);
  return ok;
}

int main(int argc, char **argv)
{
  double per_case = argc > 1 ? atof(argv[1]) : 2.0;
  if (per_case <= 0)
    per_case = 2.0;
  struct tls_peer *peer = tls_peer_new();
  if (!peer) {
    fprintf(stderr, "tls_handshake: the TLS peer could not be set up\n");
    return 1;
  }
  static const struct {
    const char *name;
    enum tls_peer_version v;
    int resume, new_ctx;
  } cases[] = {
      {"TLS 1.2 full", TLS_PEER_TLS12, 0, 0},
      {"TLS 1.3 full", TLS_PEER_TLS13, 0, 0},
      {"TLS 1.2 resumed", TLS_PEER_TLS12, 1, 0},
      {"TLS 1.3 resumed", TLS_PEER_TLS13_RESUMED, 1, 0},
      {"TLS 1.3 full, new client context", TLS_PEER_TLS13, 0, 1},
  };
  int status = 0;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    SSL_SESSION *resume =
        cases[i].resume ? tls_peer_client_session(peer, SC_CERT_VALID, cases[i].v) : NULL;
    unsigned long n = 0, bad = 0;
    double start = now_s(), elapsed = 0;
    while (elapsed < per_case) {
      for (int k = 0; k < 16; k++, n++) {
        tls_peer_reseed(peer, TLS_PEER_SEED);
        bad += !handshake(peer, cases[i].v, resume, cases[i].new_ctx);
      }
      elapsed = now_s() - start;
    }
    printf("%-32s %9.0f handshakes/s  %7.1f us each  (%lu in %.2f s%s)\n", cases[i].name,
           (double)n / elapsed, elapsed / (double)n * 1e6, n, elapsed, bad ? ", FAILURES" : "");
    if (bad)
      status = 1;
  }
  tls_peer_free(peer);
  return status;
}
