#include "live/live_conn.h"

#include "server.h"
#include "tls_peer.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OUT_BUF    32768 /* scripted bytes not yet written */
#define READ_CHUNK 4096

enum srv_tls { SRV_PLAIN, SRV_WAIT_HELLO, SRV_TLS, SRV_TLS_FAILED };

struct conn {
  int fd;
  const struct scenario *sc;
  const struct live_conn_opts *o;
  struct wire *w;
  struct live_conn_result *r;
  struct live_tls_conn tls_conn;
  int have_tls;
  enum srv_tls tls;
  int closed, eof, stopped;
  int corked;           /* TCP_CORK is set: see cork() */
  int queued;           /* something was written under the cork since the last push() */
  int stall_over;       /* the watcher ended the current stall */
  uint64_t last_watch;  /* when the watcher was last asked */
  int hello_seen;       /* the client's TLS hello began */
  int refeed;           /* client bytes already recorded go to the handshake again */
  struct sc_server srv; /* the scripted server: what to do next */
  uint8_t out[OUT_BUF];
  size_t out_len;
};

uint64_t live_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *live_end_desc(enum live_end e)
{
  static const char *const d[] = {
#define LIVE_END_DESC(id, desc) desc,
      LIVE_END_LIST(LIVE_END_DESC)
#undef LIVE_END_DESC
  };
  return (unsigned)e < LIVE_END_COUNT ? d[e] : "?";
}

static uint64_t wire_t(const struct conn *c)
{
  uint64_t now = live_now_ms();
  return now > c->o->t0_ms ? now - c->o->t0_ms : 0;
}

static void rec(struct conn *c, enum wire_kind kind, int tls, const void *p, size_t n)
{
  if (c->refeed && (kind == WIRE_C_HELLO || kind == WIRE_C_DATA))
    return; /* already on the wire */
  wire_add(c->w, kind, tls, wire_t(c), p, n, 0, SF_ERR_OK);
}

static void stop(struct conn *c, enum live_end why)
{
  if (c->stopped)
    return;
  c->stopped = 1;
  c->r->end = why;
}

static int remaining_ms(struct conn *c)
{
  uint64_t now = live_now_ms();
  if (now >= c->o->deadline_ms) {
    stop(c, LIVE_END_DEADLINE);
    return 0;
  }
  uint64_t left = c->o->deadline_ms - now;
  return left > 60000 ? 60000 : (int)left;
}

/* The socket is corked while the script acts: what one turn of the script
 * sends leaves together when the server next waits, and a close tacks its
 * FIN onto the bytes before it. A "send; close" then reaches the client as
 * one segment, so whether the client sees the reply before the end of the
 * stream does not depend on how the two processes happen to be scheduled
 * (Linux sends corked bytes after 200 ms all the same: a server descheduled
 * that long between its write and its close still sends two segments).
 * A socket that cannot be corked (not TCP) sends as it goes. */
static void cork(struct conn *c, int on)
{
  if (!c->corked && !on)
    return;
  c->corked = setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0 && on;
}

/* Sends what the current turn has queued, and corks again for the next. */
static void push(struct conn *c)
{
  if (!c->corked || !c->queued)
    return;
  cork(c, 0);
  cork(c, 1);
  c->queued = 0;
}

/* Waits at most ms for `events` on the socket (0: for nothing but time),
 * draining the client's output meanwhile and asking the watcher, at its
 * pace, whenever the socket stays quiet. `stall_until` is the end of the
 * stall under way (STALLS). Returns the socket's revents, 0 on time-out. */
static short conn_wait(struct conn *c, short events, int ms, enum live_srv_wait what,
                       uint64_t stall_until)
{
  const struct live_conn_opts *o = c->o;
  uint64_t until = live_now_ms() + (uint64_t)(ms > 0 ? ms : 0);
  push(c);
  for (int guard = 0; guard < 1000000 && !c->stopped; guard++) {
    uint64_t now = live_now_ms();
    int slice = now >= until ? 0 : (int)(until - now);
    if (o->watch) {
      uint64_t next = c->last_watch + o->watch_ms;
      int to_watch = next > now ? (int)(next - now) : 0;
      slice = slice < to_watch ? slice : to_watch;
    }
    struct pollfd pfd[2] = {{events ? c->fd : -1, events, 0},
                            {o->drain ? o->drain_fd : -1, POLLIN, 0}};
    int k = poll(pfd, 2, slice);
    if (k > 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
      o->drain(o->drain_ctx);
    if (k > 0 && pfd[0].revents)
      return pfd[0].revents;
    now = live_now_ms();
    if (o->watch && now >= c->last_watch + o->watch_ms) {
      c->last_watch = now;
      enum live_watch a = o->watch(o->watch_ctx, what, stall_until > now ? stall_until - now : 0);
      if (a == LIVE_WATCH_STOP) {
        stop(c, LIVE_END_JUDGED);
        return 0;
      }
      if (a == LIVE_WATCH_END_STALL && what == LIVE_SRV_STALLS) {
        c->stall_over = 1;
        return 0;
      }
    }
    if (now >= until)
      return 0;
  }
  return 0;
}

/* Writes all of p to the socket before the deadline. */
static void sock_write(struct conn *c, const uint8_t *p, size_t n)
{
  while (n > 0 && !c->stopped && !c->closed) {
    if (c->r->bytes_in + c->r->bytes_out + n > LIVE_MAX_BYTES) {
      stop(c, LIVE_END_BYTES);
      return;
    }
    ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k > 0) {
      c->queued = 1;
      p += k;
      n -= (size_t)k;
      c->r->bytes_out += (size_t)k;
      continue;
    }
    if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      stop(c, errno == EPIPE || errno == ECONNRESET ? LIVE_END_CLIENT_CLOSED : LIVE_END_IO_ERROR);
      return;
    }
    int ms = remaining_ms(c);
    if (ms == 0)
      return;
    (void)conn_wait(c, POLLOUT, ms, LIVE_SRV_WRITES, 0);
  }
}

static void flush_out(struct conn *c)
{
  if (c->out_len == 0)
    return;
  sock_write(c, c->out, c->out_len);
  c->out_len = 0;
}

/* Moves the TLS server's records to the client. */
static void flush_records(struct conn *c, int hello)
{
  uint8_t buf[READ_CHUNK];
  size_t n;
  for (int guard = 0; guard < 256 && c->have_tls && !c->stopped &&
                      (n = live_tls_take(&c->tls_conn, buf, sizeof(buf))) > 0;
       guard++) {
    if (hello)
      rec(c, WIRE_S_HELLO, 1, buf, n);
    sock_write(c, buf, n);
  }
}

/* Scripted bytes to the client, recorded. */
static void server_send_once(struct conn *c, const uint8_t *p, size_t n)
{
  rec(c, WIRE_S_DATA, c->tls == SRV_TLS, p, n);
  if (c->tls == SRV_TLS) {
    if (live_tls_write(&c->tls_conn, p, n) == 0)
      flush_records(c, 0);
    return;
  }
  if (n > sizeof(c->out) - c->out_len)
    flush_out(c);
  if (n > sizeof(c->out)) {
    sock_write(c, p, n);
    return;
  }
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
}

/* A send `repeat` times over, in chunks of the repeated bytes; the byte cap
 * ends one that would not fit. */
static void server_send(struct conn *c, const uint8_t *p, size_t n, uint32_t repeat)
{
  if (repeat <= 1 || n == 0) {
    server_send_once(c, p, n);
    return;
  }
  uint8_t chunk[READ_CHUNK];
  uint64_t left = (uint64_t)n * repeat;
  size_t pos = 0;
  while (left > 0 && !c->stopped && !c->closed) {
    size_t k = 0;
    while (k < sizeof(chunk) && left > 0) {
      size_t m = n - pos < sizeof(chunk) - k ? n - pos : sizeof(chunk) - k;
      m = m < left ? m : (size_t)left;
      memcpy(chunk + k, p + pos, m);
      k += m;
      left -= m;
      pos = pos + m == n ? 0 : pos + m;
    }
    server_send_once(c, chunk, k);
  }
}

static void server_close(struct conn *c)
{
  if (c->closed)
    return;
  flush_out(c);
  rec(c, WIRE_S_CLOSE, c->tls == SRV_TLS, NULL, 0);
  shutdown(c->fd, SHUT_RDWR);
  c->closed = 1;
  sc_server_close(&c->srv);
  stop(c, LIVE_END_SERVER_CLOSED);
}

static void tls_fail(struct conn *c, const char *why)
{
  flush_records(c, 1); /* our alert, if any */
  rec(c, WIRE_TLS_FAIL, 0, why, strlen(why));
  c->tls = SRV_TLS_FAILED;
  server_close(c);
}

static void tls_read(struct conn *c)
{
  uint8_t buf[READ_CHUNK];
  for (int guard = 0; guard < 64 && !c->stopped; guard++) {
    int close_notify = 0;
    long n = live_tls_read(&c->tls_conn, buf, sizeof(buf), &close_notify);
    if (n < 0) {
      rec(c, WIRE_TLS_FAIL, 1, c->tls_conn.error, strlen(c->tls_conn.error));
      server_close(c);
      return;
    }
    if (n > 0) {
      rec(c, WIRE_C_DATA, 1, buf, (size_t)n);
      sc_server_input(&c->srv, buf, (size_t)n);
    }
    if (close_notify) {
      /* The client ended TLS: answer with ours and close, as a server
       * does; a client waiting for that must not be taken for a hang. */
      rec(c, WIRE_C_CLOSE_NOTIFY, 1, NULL, 0);
      live_tls_shutdown(&c->tls_conn);
      flush_records(c, 0);
      server_close(c);
      return;
    }
    if (n == 0)
      return;
  }
}

static void hello_input(struct conn *c, const uint8_t *p, size_t n)
{
  rec(c, WIRE_C_HELLO, 1, p, n);
  enum live_hs hs = live_tls_feed(&c->tls_conn, p, n);
  if (hs == LIVE_HS_FAILED) {
    tls_fail(c, c->tls_conn.error);
    return;
  }
  flush_records(c, 1);
  if (hs != LIVE_HS_DONE)
    return;
  enum sc_cert cert = tls_peer_cert_for(c->sc);
  char what[128];
  const char *version = live_tls_version(&c->tls_conn);
  snprintf(c->r->tls_version, sizeof(c->r->tls_version), "%s", version);
  /* As tls_peer_cert_desc(): the wrong-host certificate is a good one for
   * another name. */
  int k = snprintf(what, sizeof(what), "%s %s (%s)",
                   cert == SC_CERT_WRONG_HOST ? "valid" : sc_cert_name(cert),
                   cert == SC_CERT_WRONG_HOST ? TLS_PEER_WRONG_HOST : TLS_PEER_HOST, version);
  c->tls = SRV_TLS;
  sc_server_tls_up(&c->srv);
  rec(c, WIRE_TLS_UP, 1, what, k < 0 ? 0 : (size_t)k < sizeof(what) ? (size_t)k : sizeof(what) - 1);
  tls_read(c); /* TLS 1.3: the first command may ride with the Finished */
}

static void server_receive(struct conn *c, const uint8_t *p, size_t n);

static void start_tls(struct conn *c)
{
  if (c->tls != SRV_PLAIN)
    return;
  flush_out(c); /* the 220 (and anything scripted with it) leaves in plaintext */
  c->tls = SRV_WAIT_HELLO;
  rec(c, WIRE_TLS_START, 0, NULL, 0);
  if (live_tls_accept(&c->tls_conn, c->o->tls, tls_peer_cert_for(c->sc)) != 0) {
    tls_fail(c, "the TLS server could not be created");
    return;
  }
  c->have_tls = 1;
  (void)tls_peer_ssl_server_mode(c->tls_conn.ssl, c->sc->tls_server);
  /* Bytes the client sent after its STARTTLS before our answer now meet
   * the handshake, as they would on any server; they are on the wire
   * already. */
  uint8_t tmp[CMD_READER_BUF];
  size_t n = sc_server_take_unread(&c->srv, tmp, sizeof(tmp));
  if (n > 0) {
    /* The handshake owns whatever record those bytes began. */
    c->srv.plain_record_left = 0;
    c->refeed = 1;
    server_receive(c, tmp, n);
    c->refeed = 0;
  }
}

static void server_receive(struct conn *c, const uint8_t *p, size_t n)
{
  if (c->closed)
    return;
  switch (c->tls) {
  case SRV_PLAIN:
    while (n > 0) {
      size_t k = sc_server_plain_tls_bytes(&c->srv, p, n);
      if (k == 0) {
        size_t text = sc_server_plain_text_bytes(&c->srv, p, n);
        rec(c, WIRE_C_DATA, 0, p, text);
        sc_server_input(&c->srv, p, text);
        p += text;
        n -= text;
        if (c->tls != SRV_PLAIN) {
          if (n > 0)
            server_receive(c, p, n); /* the server started TLS meanwhile */
          return;
        }
        continue;
      }
      k = k < n ? k : n;
      rec(c, WIRE_C_HELLO, 0, p, k);
      sc_server_input(&c->srv, p, k);
      p += k;
      n -= k;
    }
    return;
  case SRV_WAIT_HELLO:
    /* The rest of a record the client began before the server started TLS
     * (its hello, read in part as a command) is still that record: marked
     * as such, and it meets the handshake, which cannot start mid-record. */
    if (c->srv.plain_record_left > 0 && !c->refeed) {
      size_t k = sc_server_plain_tls_bytes(&c->srv, p, n);
      rec(c, WIRE_C_HELLO, 0, p, k);
      tls_fail(c, "the rest of a TLS record begun before the server started TLS is no TLS hello");
      return;
    }
    /* Bytes that do not start a TLS handshake record are plaintext the
     * client sent instead of its hello: recorded as such (a client going on
     * in plaintext after the 220 must be seen doing it). */
    if (!c->hello_seen && !(p[0] >= 20 && p[0] <= 23 && (n < 2 || p[1] == 0x03))) {
      /* A TLS record right behind one of its lines in the same read is the
       * client's hello all the same. */
      size_t text = sc_server_plain_text_bytes(&c->srv, p, n);
      rec(c, WIRE_C_DATA, 0, p, text);
      if (text < n)
        rec(c, WIRE_C_HELLO, 0, p + text, n - text);
      tls_fail(c, c->refeed ? "what the client sent before the server started TLS is no TLS hello"
                            : "the client sent something else than a TLS hello");
      return;
    }
    c->hello_seen = 1;
    hello_input(c, p, n);
    return;
  case SRV_TLS:
    if (live_tls_feed(&c->tls_conn, p, n) == LIVE_HS_FAILED) {
      rec(c, WIRE_TLS_FAIL, 1, c->tls_conn.error, strlen(c->tls_conn.error));
      server_close(c);
      return;
    }
    tls_read(c);
    flush_records(c, 0);
    return;
  case SRV_TLS_FAILED:
    return;
  }
}

/* Waits at most `ms` for client bytes and takes them in; `stall_until`
 * as for conn_wait (0: not in a stall). */
static void read_input(struct conn *c, int ms, uint64_t stall_until)
{
  if (c->eof || c->stopped || c->closed)
    return;
  enum live_srv_wait what = stall_until ? LIVE_SRV_STALLS : LIVE_SRV_READS;
  /* Deaf: the client's bytes stay in the socket buffers until they fill,
   * and its sends block; only time (or the watcher) ends the wait. */
  if (c->srv.deaf) {
    (void)conn_wait(c, 0, ms, stall_until ? what : LIVE_SRV_DEAF, stall_until);
    return;
  }
  if (!(conn_wait(c, POLLIN, ms, what, stall_until) & (POLLIN | POLLHUP | POLLERR)))
    return;
  uint8_t buf[READ_CHUNK];
  ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n <= 0) {
    c->eof = 1;
    return;
  }
  c->r->bytes_in += (size_t)n;
  if (c->r->bytes_in + c->r->bytes_out > LIVE_MAX_BYTES) {
    stop(c, LIVE_END_BYTES);
    return;
  }
  server_receive(c, buf, (size_t)n);
}

/* A stall in real time, capped; the client's bytes are still read (and
 * recorded) meanwhile, and a client that hangs up ends it. The watcher may
 * end it early: once the client is seen waiting with no timeout, or one
 * beyond the stall's end, the rest of the stall could only show it
 * waiting. */
static void stall(struct conn *c, uint32_t ms)
{
  flush_out(c);
  uint32_t cap = c->o->max_stall_ms;
  uint64_t until = live_now_ms() + (ms < cap ? ms : cap);
  c->stall_over = 0;
  for (int guard = 0; guard < 100000 && !c->eof && !c->stopped && !c->closed && !c->stall_over;
       guard++) {
    uint64_t now = live_now_ms();
    if (now >= until)
      return;
    int left = remaining_ms(c);
    uint64_t want = until - now;
    read_input(c, want < (uint64_t)left ? (int)want : left, until);
  }
}

/* Does one step of the script. */
static void perform(struct conn *c, const struct sc_step *st)
{
  switch (st->kind) {
  case SC_ACT_SEND:
    server_send(c, st->bytes, st->len, st->repeat);
    break;
  case SC_ACT_STALL:
    wire_add(c->w, WIRE_STALL, c->tls == SRV_TLS, wire_t(c), NULL, 0, st->ms, SF_ERR_OK);
    stall(c, st->ms);
    if (c->eof)
      sc_server_drop_steps(&c->srv); /* the client hung up meanwhile */
    break;
  case SC_ACT_CLOSE:
    server_close(c);
    break;
  case SC_ACT_TLS:
    start_tls(c);
    break;
  case SC_ACT_HANG:
    flush_out(c);
    rec(c, WIRE_SERVER_HANG, c->tls == SRV_TLS, NULL, 0);
    break;
  case SC_ACT_DEAF:
    flush_out(c);
    rec(c, WIRE_SERVER_DEAF, c->tls == SRV_TLS, NULL, 0);
    break;
  case SC_ACT_RAW:
    /* Into the socket as they are: inside TLS, what a man in the middle
     * writes into the stream. */
    if (c->tls != SRV_TLS) {
      server_send_once(c, st->bytes, st->len);
      break;
    }
    flush_records(c, 0);
    rec(c, WIRE_S_RAW, 1, st->bytes, st->len);
    sock_write(c, st->bytes, st->len);
    break;
  }
}

/* Everything the script does now. */
static void server_work(struct conn *c)
{
  struct sc_step st;
  for (int guard = 0; guard < SC_SERVER_MAX_COMMANDS && !c->stopped && !c->closed; guard++) {
    if (!sc_server_next(&c->srv, &st)) {
      /* Out of commands to answer while the client still talks. */
      if (c->srv.commands >= SC_SERVER_MAX_COMMANDS)
        stop(c, LIVE_END_BYTES);
      return;
    }
    perform(c, &st);
  }
}

void live_conn_run(int fd, const struct scenario *sc, const struct live_conn_opts *o,
                   struct wire *w, struct live_conn_result *r)
{
  static struct conn state; /* large; one connection per process at a time */
  struct conn *c = &state;
  memset(c, 0, sizeof(*c));
  memset(r, 0, sizeof(*r));
  wire_init(w);
  c->fd = fd;
  c->sc = sc;
  c->o = o;
  c->w = w;
  c->r = r;
  cork(c, 1);
  sc_server_init(&c->srv, sc);
  for (int guard = 0; guard < 1000000 && !c->stopped; guard++) {
    server_work(c);
    if (c->stopped || c->closed)
      break;
    flush_out(c);
    if (c->eof) {
      stop(c, LIVE_END_CLIENT_CLOSED);
      break;
    }
    int ms = remaining_ms(c);
    if (ms == 0)
      break;
    read_input(c, ms < 200 ? ms : 200, 0);
  }
  if (!c->stopped)
    stop(c, LIVE_END_DEADLINE);
  if (c->have_tls)
    live_tls_conn_free(&c->tls_conn);
}
