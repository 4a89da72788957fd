#include "live/live_drive.h"

#include "live/live_conn.h"
#include "session.h"
#include "tls_openssl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK 4096

int live_drive(const struct sf_config *cfg, const struct live_addr *a, uint32_t cap_ms,
               struct live_drive_result *r)
{
  static struct sf_session s;
  static struct sf_tls_openssl t;
  memset(r, 0, sizeof(*r));
  uint64_t t0 = live_now_ms(), hard = t0 + cap_ms;
  struct ssl_ctx_st *ctx = sf_tls_openssl_ctx_new(NULL, cfg->cafile, NULL);
  if (!ctx) {
    snprintf(r->diagnosis, sizeof(r->diagnosis), "cannot make a TLS client context (cafile %s)",
             cfg->cafile ? cfg->cafile : "default");
    return -1;
  }
  int fd = live_connect(a, 3000);
  if (fd < 0) {
    snprintf(r->diagnosis, sizeof(r->diagnosis), "cannot connect to %s port %u: %s", a->text,
             a->port, strerror(errno));
    sf_tls_openssl_ctx_free(ctx);
    return -1;
  }
  sf_tls_openssl_init(&t, ctx, 0);
  sf_session_init(&s, cfg, &t.base);
  sf_session_start(&s, 0);
  uint8_t buf[CHUNK];
  int eof = 0;
  for (int guard = 0; guard < 100000; guard++) {
    uint64_t now = live_now_ms();
    if (now >= hard)
      break;
    uint64_t rel = now - t0;
    size_t n;
    while ((n = sf_session_take(&s, buf, sizeof(buf), rel)) > 0) {
      if (send(fd, buf, n, MSG_NOSIGNAL) != (ssize_t)n)
        break;
      r->bytes_out += n;
    }
    unsigned st = sf_session_status(&s);
    if (st & (SF_DONE | SF_FAILED))
      break;
    uint64_t d = sf_session_deadline(&s);
    uint64_t wait = hard - now;
    if (d > rel && d - rel < wait)
      wait = d - rel;
    if (d <= rel)
      wait = 0;
    struct pollfd pfd = {fd, POLLIN, 0};
    int k = eof ? 0 : poll(&pfd, 1, (int)(wait > 1000 ? 1000 : wait));
    rel = live_now_ms() - t0;
    if (k == 1) {
      ssize_t got = recv(fd, buf, sizeof(buf), 0);
      if (got > 0) {
        r->bytes_in += (size_t)got;
        size_t used = 0;
        for (int g = 0; g < 64 && used < (size_t)got; g++) {
          size_t u = sf_session_feed(&s, buf + used, (size_t)got - used, rel);
          if (u == 0)
            break;
          used += u;
        }
      } else {
        eof = 1;
        sf_session_eof(&s, rel);
      }
    }
    sf_session_tick(&s, rel);
    if (eof && !(sf_session_status(&s) & (SF_DONE | SF_FAILED)) && wait == 0)
      break;
  }
  unsigned st = sf_session_status(&s);
  r->done = (st & SF_DONE) != 0;
  r->err = sf_session_error(&s);
  snprintf(r->diagnosis, sizeof(r->diagnosis), "%s",
           st & (SF_DONE | SF_FAILED) ? sf_session_diagnosis(&s)
                                      : "still running at the driver's cap");
  snprintf(r->tls_version, sizeof(r->tls_version), "%s", sf_tls_openssl_version(&t));
  r->ms = live_now_ms() - t0;
  close(fd);
  sf_tls_openssl_cleanup(&t);
  sf_tls_openssl_ctx_free(ctx);
  return 0;
}
