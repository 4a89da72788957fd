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
/* After the session ends, how long its last words (a QUIT, a close_notify)
 * may wait for a peer that does not read: it has no deadline of its own. */
#define LINGER_MS 2000

static int transient(int e)
{
  return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

int live_drive(const struct sf_config *cfg, const struct live_addr *a, uint32_t cap_ms,
               struct live_drive_result *r)
{
  static struct sf_session s;
  static struct sf_tls_openssl t;
  /* The socket is non-blocking, so either direction can stall: `out` holds
   * bytes taken from the session but not yet sent, `in` bytes received but
   * not yet consumed. Both survive across rounds; nothing is dropped. */
  static uint8_t out[CHUNK], in[CHUNK];
  size_t out_off = 0, out_len = 0, in_len = 0;
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
  int eof = 0, eof_told = 0;
  for (int guard = 0; guard < 1000000; guard++) {
    uint64_t now = live_now_ms(), rel = now - t0;
    if (now >= hard)
      break;
    int moved = 0;
    size_t taken = 0;
    if (out_len == 0) {
      taken = out_len = sf_session_take(&s, out, sizeof(out), rel);
      out_off = 0;
    }
    if (out_off < out_len) {
      ssize_t k = send(fd, out + out_off, out_len - out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (k > 0) {
        out_off += (size_t)k;
        r->bytes_out += (size_t)k;
        moved = 1;
      } else if (k < 0 && !transient(errno)) {
        out_off = out_len; /* the peer is gone: these bytes cannot be delivered */
        eof = 1;
      }
      if (out_off == out_len)
        out_off = out_len = 0;
    }
    /* Replies are fed only once everything taken has left, so the session's
     * "bytes arrived before our command was sent" rule sees the truth. */
    if (out_len == 0 && in_len > 0) {
      size_t used = sf_session_feed(&s, in, in_len, rel);
      memmove(in, in + used, in_len - used);
      in_len -= used;
      moved |= used > 0;
    }
    /* The end of the stream follows every byte before it, unless the
     * session no longer takes them. */
    if (eof && !eof_told && out_len == 0 && (in_len == 0 || !moved)) {
      sf_session_eof(&s, rel);
      eof_told = moved = 1;
    }
    unsigned st = sf_session_status(&s);
    int over = (st & (SF_DONE | SF_FAILED)) != 0;
    if (over && out_len == 0 && taken == 0 && !moved)
      break;
    if (over && hard > now + LINGER_MS)
      hard = now + LINGER_MS;
    if (moved)
      continue; /* progress: another round before any wait */
    uint64_t d = sf_session_deadline(&s), wait = hard - now;
    if (d <= rel)
      wait = 0;
    else if (d - rel < wait)
      wait = d - rel;
    short ev = (short)((out_len ? POLLOUT : 0) | (!eof && in_len < sizeof(in) ? POLLIN : 0));
    /* With nothing to wait for on the socket (input full and refused), only
     * time can help: fd -1 makes poll() a plain sleep, not a POLLHUP spin. */
    struct pollfd pfd = {ev ? fd : -1, ev, 0};
    int ready = poll(&pfd, 1, (int)(wait > 1000 ? 1000 : wait));
    if (ready == 1 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) && !eof && in_len < sizeof(in)) {
      ssize_t got = recv(fd, in + in_len, sizeof(in) - in_len, MSG_DONTWAIT);
      if (got > 0) {
        in_len += (size_t)got;
        r->bytes_in += (size_t)got;
      } else if (got == 0 || !transient(errno)) {
        eof = 1;
      }
    }
    sf_session_tick(&s, live_now_ms() - t0);
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
