#include "sim.h"

#include "judge_cmp.h"
#include "server.h"
#include "tls_passthrough.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Client bytes the server has read but not yet acted on. A command line is
 * at most 512 octets (RFC 5321 4.5.3.1.4); the rest is room for pipelining. */
/* Server bytes the client has not consumed yet. */
#define SIM_OUT_BUF 32768
/* Bytes moved from the client per take() call. */
#define SIM_TAKE_CHUNK 4096
/* take() calls per pump; a client that keeps producing is bounded by bytes. */
#define SIM_TAKE_ROUNDS 64

#define PT_PREFIX_LEN (sizeof(SF_PT_CLIENT_HELLO_PREFIX) - 1)
#define PT_CLOSE_LEN  (sizeof(SF_PT_CLOSE) - 1)

enum srv_tls {
  SRV_PLAIN,
  SRV_WAIT_HELLO, /* TLS started on our side; the client's hello is due */
  SRV_TLS,
  SRV_TLS_FAILED,
};

/* As wire.c: what the last reply put the client in. */

struct sim {
  const struct scenario *sc;
  struct sc_client *cl;
  struct wire *w;
  struct sim_result *res;
  const struct sim_options *opt;
  struct tls_peer_conn *conn; /* SIM_TLS_OPENSSL once TLS started */
  uint64_t now, bound;
  enum srv_tls tls;
  char hello[SF_PT_MAX_HELLO]; /* the pass-through client hello so far */
  size_t hello_len;
  int hello_seen; /* the client's hello began */
  int refeed;     /* client bytes already recorded are fed to the handshake again */
  int closed;     /* the connection is closed (the script, or a failed handshake) */
  int stopped;
  uint64_t tick_at; /* last time the client was ticked with no effect */
  size_t bytes_total;
  /* The send being streamed: its bytes go `left` more bytes' worth, from
   * offset `pos` of the pattern. */
  const uint8_t *send_bytes;
  size_t send_len, send_pos;
  uint64_t send_left;
  size_t out_len;
  /* Last, as sim_run_with() clears only what comes before them: the
   * server clears its own state (sc_server_init()), only out[0..out_len)
   * is ever read, and the buffers after it are each one function's
   * scratch, written before they are read. */
  struct sc_server srv; /* the scripted server: what to do next */
  uint8_t out[SIM_OUT_BUF];
  uint8_t pump_buf[SIM_TAKE_CHUNK]; /* client_pump() */
  uint8_t chunk[SIM_TAKE_CHUNK];    /* stream() */
  uint8_t records[SIM_TAKE_CHUNK];  /* flush_records() */
  uint8_t plain[SIM_TAKE_CHUNK];    /* openssl_read() */
  uint8_t unread[CMD_READER_BUF];   /* start_tls() */
};

const char *sim_stop_name(enum sim_stop s)
{
  static const char *const names[] = {
#define SIM_STOP_NAME(id, desc) #id,
      SIM_STOP_LIST(SIM_STOP_NAME)
#undef SIM_STOP_NAME
  };
  return (unsigned)s < SIM_STOP_COUNT ? names[s] : "?";
}

uint64_t sim_time_bound(const struct scenario *sc)
{
  if (sc->time_bound_ms)
    return sc->time_bound_ms;
  /* Each phase counted as often as one dialogue can wait in it: EHLO (or
   * HELO after it) before and after TLS, three AUTH LOGIN round trips, one
   * RCPT per recipient. A client that honours its timeouts ends before. */
  static const unsigned times[SF_PHASE_COUNT] = {
      [SF_PHASE_GREETING] = 1, [SF_PHASE_EHLO] = 4, [SF_PHASE_STARTTLS] = 1, [SF_PHASE_TLS] = 1,
      [SF_PHASE_AUTH] = 3,     [SF_PHASE_MAIL] = 1, [SF_PHASE_RCPT] = 1,     [SF_PHASE_DATA] = 1,
      [SF_PHASE_BODY] = 1,     [SF_PHASE_QUIT] = 1, [SF_PHASE_BLOCK] = 1,
  };
  uint64_t sum = SIM_TIME_MARGIN_MS;
  for (int i = 0; i < SF_PHASE_COUNT; i++) {
    uint64_t k = times[i];
    if (i == SF_PHASE_RCPT && sc->cfg.nrcpt > 1)
      k = sc->cfg.nrcpt;
    sum += k * sc->cfg.timeout_ms[i];
  }
  return sum;
}

static void rec(struct sim *s, enum wire_kind kind, int tls, const void *data, size_t len)
{
  if (s->refeed && (kind == WIRE_C_HELLO || kind == WIRE_C_DATA))
    return; /* already on the wire */
  wire_add(s->w, kind, tls, s->now, data, len, 0, SF_ERR_OK);
  s->bytes_total += len;
}

static void stop(struct sim *s, enum sim_stop why, const char *hang_reason)
{
  if (s->stopped)
    return;
  s->stopped = 1;
  s->res->stop = why;
  if (hang_reason) {
    s->res->hung = 1;
    snprintf(s->res->hang_reason, sizeof(s->res->hang_reason), "%s", hang_reason);
    rec(s, WIRE_HANG, s->tls == SRV_TLS, hang_reason, strlen(hang_reason));
  }
}

static int client_running(const struct sim *s)
{
  return s->cl->ops->status(s->cl) == SC_CLIENT_RUNNING;
}

/* ---- server -> client ---------------------------------------------------- */

/* Offer the client everything it has not consumed, in one feed call, as a
 * socket read would return it. */
static int deliver(struct sim *s)
{
  if (s->out_len == 0)
    return 0;
  size_t n = s->cl->ops->feed(s->cl, s->out, s->out_len, s->now);
  if (n > s->out_len)
    n = s->out_len;
  memmove(s->out, s->out + n, s->out_len - n);
  s->out_len -= n;
  return n > 0;
}

static int queue_out(struct sim *s, const uint8_t *p, size_t len)
{
  if (len > sizeof(s->out) - s->out_len) {
    stop(s, SIM_STOP_BYTES, NULL);
    return 0;
  }
  memcpy(s->out + s->out_len, p, len);
  s->out_len += len;
  return 1;
}

static int openssl(const struct sim *s)
{
  return s->opt->tls == SIM_TLS_OPENSSL;
}

/* Move the OpenSSL server's network bytes (records) to the client. */
static void flush_records(struct sim *s, int hello)
{
  uint8_t *buf = s->records;
  int any = 0;
  size_t n;
  while (s->conn && !s->stopped && (n = tls_peer_conn_take(s->conn, buf, sizeof(s->records))) > 0) {
    if (hello)
      rec(s, WIRE_S_HELLO, 1, buf, n);
    any |= queue_out(s, buf, n);
  }
  if (any)
    deliver(s);
}

/* Room the client has not consumed yet, less what TLS adds to a record. */
static size_t out_room(const struct sim *s)
{
  size_t room = sizeof(s->out) - s->out_len;
  return s->tls == SRV_TLS && openssl(s) ? (room > 512 ? room - 512 : 0) : room;
}

/* Moves as much of the current send to the client as it takes; 1 if any
 * byte went. A client that stops reading holds the rest back, as a full TCP
 * window would, and the script waits with it. A client that ends while
 * more of the send is due has hung up on it: the rest is never written, nor
 * are the steps after it, as in stall(). A reply repeated up to the byte
 * limit then costs one chunk, not the limit, when the client gave up early
 * (the oracles walk every line the wire holds). */
static int stream(struct sim *s)
{
  int moved = 0;
  for (int guard = 0; s->send_left > 0 && !s->stopped && guard < SIM_MAX_ITERATIONS; guard++) {
    if (out_room(s) < SIM_TAKE_CHUNK && !deliver(s) && out_room(s) == 0)
      return moved;
    uint8_t *chunk = s->chunk;
    size_t cap = out_room(s) < sizeof(s->chunk) ? out_room(s) : sizeof(s->chunk);
    size_t n = 0;
    while (n < cap && s->send_left > 0) {
      /* The chunk repeats the pattern with its length as period: once it
       * holds a whole period, it copies from itself, doubling each time. */
      const uint8_t *from = s->send_bytes + s->send_pos;
      size_t k = s->send_len - s->send_pos;
      if (n >= s->send_len) {
        k = n - n % s->send_len;
        from = chunk + n - k;
      }
      k = k < cap - n ? k : cap - n;
      k = k < s->send_left ? k : (size_t)s->send_left;
      memcpy(chunk + n, from, k);
      n += k;
      s->send_left -= k;
      s->send_pos = (s->send_pos + k) % s->send_len;
    }
    if (n == 0)
      return moved;
    rec(s, WIRE_S_DATA, s->tls == SRV_TLS, chunk, n);
    moved = 1;
    if (s->bytes_total > SIM_MAX_BYTES) {
      stop(s, SIM_STOP_BYTES, NULL);
      return moved;
    }
    if (s->tls == SRV_TLS && openssl(s)) {
      if (tls_peer_conn_write(s->conn, chunk, n) == 0)
        flush_records(s, 0);
    } else if (queue_out(s, chunk, n)) {
      deliver(s);
    }
    if (s->send_left > 0 && !client_running(s)) {
      s->send_left = 0;
      sc_server_drop_steps(&s->srv);
      break;
    }
  }
  return moved;
}

static void server_send(struct sim *s, const uint8_t *p, size_t len, uint32_t repeat)
{
  s->send_bytes = p;
  s->send_len = len;
  s->send_pos = 0;
  s->send_left = len == 0 ? 0 : (uint64_t)len * (repeat > 1 ? repeat : 1);
  if (len == 0) {
    rec(s, WIRE_S_DATA, s->tls == SRV_TLS, p, 0);
    return;
  }
  stream(s);
}

/* Bytes into the connection as they are. Before TLS is up they are what the
 * client reads in plaintext, as a send; once it is up they bypass the
 * server's TLS, and the pass-through peer marks them as a record that fails
 * its integrity check (SF_PT_TAMPERED), as real TLS would find it. */
static void server_raw(struct sim *s, const uint8_t *p, size_t len)
{
  if (s->tls != SRV_TLS) {
    rec(s, WIRE_S_DATA, 0, p, len);
    if (queue_out(s, p, len))
      deliver(s);
    return;
  }
  rec(s, WIRE_S_RAW, 1, p, len);
  if (!openssl(s) && !queue_out(s, (const uint8_t *)SF_PT_TAMPERED, sizeof(SF_PT_TAMPERED) - 1))
    return;
  if (queue_out(s, p, len))
    deliver(s);
}

static void server_close(struct sim *s)
{
  if (s->closed)
    return;
  /* Over TLS a server says close_notify before it closes (RFC 8446 6.1). */
  if (s->tls == SRV_TLS && openssl(s)) {
    tls_peer_conn_shutdown(s->conn);
    flush_records(s, 0);
  }
  deliver(s);
  rec(s, WIRE_S_CLOSE, s->tls == SRV_TLS, NULL, 0);
  s->closed = 1;
  sc_server_close(&s->srv);
  s->cl->ops->eof(s->cl, s->now);
}

/* ---- TLS, server side of the pass-through --------------------------------- */

/* The pass-through server refuses the handshake as the scenario's TLS says:
 * an old server sends an alert instead of its hello; one that demands a
 * client certificate shows its own first (SF_PT_CERT_REQUIRED), then
 * fails. */
static const char *pt_refusal(const struct scenario *sc)
{
  return sc->tls_server == SC_TLSS_OLD ? "protocol-version" : NULL;
}

static void tls_fail(struct sim *s, const char *why);

static void handshake_done(struct sim *s, int offered_resume)
{
  const struct scenario *sc = s->sc;
  const char *refusal = pt_refusal(sc);
  if (refusal) {
    char alert[SF_PT_MAX_HELLO];
    int n = snprintf(alert, sizeof(alert), "%s%s%s\n", SF_PT_SERVER_HELLO, SF_PT_ALERT, refusal);
    rec(s, WIRE_C_HELLO, 1, s->hello, s->hello_len);
    rec(s, WIRE_S_HELLO, 1, alert, (size_t)n);
    queue_out(s, (const uint8_t *)alert, (size_t)n);
    tls_fail(s, refusal);
    return;
  }
  const char *host = sc->cert_host[0] ? sc->cert_host : sc->cfg.host ? sc->cfg.host : "";
  int resumed = offered_resume && sc->resume;
  char hello[SF_PT_MAX_HELLO];
  int cert_required = sc->tls_server == SC_TLSS_CLIENT_CERT;
  int n = snprintf(hello, sizeof(hello), "%s%s %s%s%s\n", SF_PT_SERVER_HELLO,
                   sc_cert_name(sc->cert), host, resumed && !cert_required ? SF_PT_RESUMED : "",
                   cert_required ? SF_PT_CERT_REQUIRED : "");
  size_t len = n < 0 ? 0 : (size_t)n < sizeof(hello) ? (size_t)n : sizeof(hello) - 1;
  rec(s, WIRE_C_HELLO, 1, s->hello, s->hello_len);
  rec(s, WIRE_S_HELLO, 1, hello, len);
  if (cert_required) {
    queue_out(s, (const uint8_t *)hello, len);
    tls_fail(s, "certificate-required");
    return;
  }
  s->tls = SRV_TLS;
  sc_server_tls_up(&s->srv);
  /* What the certificate says, as the OpenSSL peer reports it too. */
  char what[SF_PT_MAX_HELLO + 16];
  int k = snprintf(what, sizeof(what), "%s %s (pass-through%s)", sc_cert_name(sc->cert), host,
                   resumed ? ", resumed" : "");
  rec(s, WIRE_TLS_UP, 1, what, k < 0 ? 0 : (size_t)k < sizeof(what) ? (size_t)k : sizeof(what) - 1);
  if (queue_out(s, (const uint8_t *)hello, len))
    deliver(s);
}

static void tls_fail(struct sim *s, const char *why)
{
  flush_records(s, 1); /* our alert, if any */
  rec(s, WIRE_TLS_FAIL, 0, why, strlen(why));
  s->tls = SRV_TLS_FAILED;
  server_close(s);
}

/* Match client bytes against the pass-through hello (its prefix, an
 * optional " resume", LF); returns how many were taken. Anything else where a
 * hello is due fails the handshake, as a real TLS server fails on a record it
 * cannot parse. */
static size_t hello_input(struct sim *s, const uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (s->hello_len == sizeof(s->hello) ||
        (s->hello_len < PT_PREFIX_LEN &&
         p[i] != (uint8_t)SF_PT_CLIENT_HELLO_PREFIX[s->hello_len])) {
      tls_fail(s, "the client sent something else than a TLS hello");
      return n;
    }
    s->hello[s->hello_len++] = (char)p[i];
    if (p[i] != '\n')
      continue;
    int plain = s->hello_len == sizeof(SF_PT_CLIENT_HELLO) - 1 &&
                jc_same(s->hello, SF_PT_CLIENT_HELLO, s->hello_len);
    int resume = s->hello_len == sizeof(SF_PT_CLIENT_HELLO_RESUME) - 1 &&
                 jc_same(s->hello, SF_PT_CLIENT_HELLO_RESUME, s->hello_len);
    if (!plain && !resume) {
      tls_fail(s, "the client's TLS hello is malformed");
      return n;
    }
    handshake_done(s, resume);
    return i + 1;
  }
  return n;
}

/* Whether p[0..n) can be the start of the client's hello: a TLS handshake
 * record (type 22, version 3.x) or the pass-through hello's prefix. */
static int starts_hello(const struct sim *s, const uint8_t *p, size_t n)
{
  if (openssl(s)) /* a record of any type a client sends (an alert too) */
    return n > 0 && p[0] >= 20 && p[0] <= 23 && (n < 2 || p[1] == 0x03);
  size_t k = n < PT_PREFIX_LEN ? n : PT_PREFIX_LEN;
  return n > 0 && jc_same(p, SF_PT_CLIENT_HELLO_PREFIX, k);
}

static size_t openssl_hello_input(struct sim *s, const uint8_t *p, size_t n);

/* Client bytes where its hello is due; returns how many were taken. Bytes
 * that do not start one are plaintext the client sent instead: recorded as
 * such, and the end of the handshake, as on any TLS server. */
static size_t hello_bytes(struct sim *s, const uint8_t *p, size_t n)
{
  if (!s->hello_seen && !starts_hello(s, p, n)) {
    /* Plaintext instead of a hello; a TLS record right behind one of its
     * lines in the same read is the client's hello all the same. */
    size_t text = openssl(s) ? sc_server_plain_text_bytes(&s->srv, p, n) : n;
    rec(s, WIRE_C_DATA, 0, p, text);
    if (text < n)
      rec(s, WIRE_C_HELLO, 0, p + text, n - text);
    tls_fail(s, s->refeed ? "what the client sent before the server started TLS is no TLS hello"
                          : "the client sent something else than a TLS hello");
    return n;
  }
  s->hello_seen = 1;
  return openssl(s) ? openssl_hello_input(s, p, n) : hello_input(s, p, n);
}

/* Length of a pass-through client hello at p (through its LF), 0 if p is not
 * one. */
static size_t pt_hello_len(const uint8_t *p, size_t n)
{
  if (n < PT_PREFIX_LEN || !jc_same(p, SF_PT_CLIENT_HELLO_PREFIX, PT_PREFIX_LEN))
    return 0;
  const uint8_t *lf = memchr(p, '\n', n < SF_PT_MAX_HELLO ? n : SF_PT_MAX_HELLO);
  return lf ? (size_t)(lf - p) + 1 : 0;
}

/* Decrypted client bytes to the command buffer; close_notify marked. */
static void openssl_read(struct sim *s)
{
  uint8_t *buf = s->plain;
  for (int guard = 0; guard < SIM_TAKE_ROUNDS; guard++) {
    int close_notify = 0;
    size_t n = tls_peer_conn_read(s->conn, buf, sizeof(s->plain), &close_notify);
    if (n > 0) {
      rec(s, WIRE_C_DATA, 1, buf, n);
      sc_server_input(&s->srv, buf, n);
    }
    if (close_notify)
      rec(s, WIRE_C_CLOSE_NOTIFY, 1, NULL, 0);
    if (n < sizeof(s->plain))
      return;
  }
}

/* Client handshake bytes to the OpenSSL server; its answer to the client. */
static size_t openssl_hello_input(struct sim *s, const uint8_t *p, size_t n)
{
  rec(s, WIRE_C_HELLO, 1, p, n);
  enum tls_peer_hs hs = tls_peer_conn_feed(s->conn, p, n);
  if (hs == TLS_PEER_HS_FAILED) {
    tls_fail(s, tls_peer_conn_error(s->conn));
    return n;
  }
  flush_records(s, 1);
  if (hs != TLS_PEER_HS_DONE)
    return n;
  char what[160], desc[96];
  int k = snprintf(
      what, sizeof(what), "%s (%s%s)", tls_peer_cert_desc(tls_peer_pick(s->sc), desc, sizeof desc),
      tls_peer_conn_version(s->conn), tls_peer_conn_reused(s->conn) ? ", resumed" : "");
  s->tls = SRV_TLS;
  sc_server_tls_up(&s->srv);
  rec(s, WIRE_TLS_UP, 1, what, k < 0 ? 0 : (size_t)k < sizeof(what) ? (size_t)k : sizeof(what) - 1);
  /* TLS 1.3: the client's first command may ride with its Finished. */
  openssl_read(s);
  return n;
}

static void start_tls(struct sim *s)
{
  if (s->tls != SRV_PLAIN)
    return;
  s->tls = SRV_WAIT_HELLO;
  s->hello_len = 0;
  s->hello_seen = 0;
  rec(s, WIRE_TLS_START, 0, NULL, 0);
  if (openssl(s)) {
    s->conn = tls_peer_accept_cert(s->opt->peer, tls_peer_pick(s->sc), s->opt->version);
    tls_peer_conn_server_mode(s->conn, s->sc->tls_server);
    if (!s->conn) {
      tls_fail(s, "the TLS server could not be created");
      return;
    }
  }
  /* The client sent more after its STARTTLS before our answer came: those
   * plaintext bytes (already on the wire) now meet the handshake. */
  uint8_t *tmp = s->unread;
  size_t n = sc_server_take_unread(&s->srv, tmp, sizeof(s->unread));
  if (n == 0)
    return;
  s->refeed = 1;
  size_t used = hello_bytes(s, tmp, n);
  s->refeed = 0;
  if (s->tls == SRV_TLS && used < n)
    sc_server_input(&s->srv, tmp + used, n - used);
}

/* ---- client -> server ---------------------------------------------------- */

static void receive_tls(struct sim *s, const uint8_t *p, size_t n)
{
  size_t i = 0;
  while (i < n) {
    const uint8_t *mark = memchr(p + i, SF_PT_CLOSE[0], n - i);
    size_t j = mark ? (size_t)(mark - p) : n;
    if (mark && (n - j < PT_CLOSE_LEN || !jc_same(mark, SF_PT_CLOSE, PT_CLOSE_LEN)))
      j++; /* a stray 0x15 byte: data */
    if (j > i) {
      rec(s, WIRE_C_DATA, 1, p + i, j - i);
      sc_server_input(&s->srv, p + i, j - i);
      i = j;
      continue;
    }
    rec(s, WIRE_C_CLOSE_NOTIFY, 1, NULL, 0);
    i += PT_CLOSE_LEN;
  }
}

static void server_receive(struct sim *s, const uint8_t *p, size_t n)
{
  while (n > 0 && !s->closed) {
    switch (s->tls) {
    case SRV_PLAIN: {
      size_t k = openssl(s) ? sc_server_plain_tls_bytes(&s->srv, p, n) : 0;
      if (k > 0) {
        rec(s, WIRE_C_HELLO, 0, p, k);
        sc_server_input(&s->srv, p, k);
        p += k;
        n -= k;
        continue;
      }
      /* A TLS hello to a server that did not start TLS is just bytes to it;
       * the scenario decides the answer. Marked on the wire all the same. */
      size_t hl = pt_hello_len(p, n);
      if (hl > 0) {
        rec(s, WIRE_C_HELLO, 0, p, hl);
        sc_server_input(&s->srv, p, hl);
        p += hl;
        n -= hl;
        continue;
      }
      size_t text = openssl(s) ? sc_server_plain_text_bytes(&s->srv, p, n) : n;
      rec(s, WIRE_C_DATA, 0, p, text);
      sc_server_input(&s->srv, p, text);
      p += text;
      n -= text;
      continue;
    }
    case SRV_WAIT_HELLO: {
      size_t used = hello_bytes(s, p, n);
      p += used;
      n -= used;
      break;
    }
    case SRV_TLS:
      if (openssl(s)) {
        if (tls_peer_conn_feed(s->conn, p, n) == TLS_PEER_HS_FAILED) {
          rec(s, WIRE_TLS_FAIL, 1, tls_peer_conn_error(s->conn),
              strlen(tls_peer_conn_error(s->conn)));
          server_close(s);
          return;
        }
        openssl_read(s);
        flush_records(s, 0);
        return;
      }
      receive_tls(s, p, n);
      return;
    case SRV_TLS_FAILED:
      return;
    }
  }
}

/* Move everything the client wants to send to the server. */
static size_t client_pump(struct sim *s)
{
  uint8_t *buf = s->pump_buf;
  size_t total = 0;
  /* A deaf server reads nothing: the client's bytes stay with it. */
  if (s->srv.deaf)
    return 0;
  for (int round = 0; round < SIM_TAKE_ROUNDS && !s->stopped; round++) {
    size_t n = s->cl->ops->take(s->cl, buf, sizeof(s->pump_buf), s->now);
    if (n > sizeof(s->pump_buf))
      n = sizeof(s->pump_buf);
    if (n == 0)
      break;
    total += n;
    if (!s->closed)
      server_receive(s, buf, n);
    if (s->bytes_total > SIM_MAX_BYTES)
      stop(s, SIM_STOP_BYTES, NULL);
  }
  return total;
}

/* ---- the scripted server ----------------------------------------------------- */

/* The bound derived from the client's own timeouts is a hang when reached;
 * a scenario's explicit time_bound may be tighter than the client's
 * timeouts, and reaching it with a deadline still ahead is only an outcome
 * the scenario did not expect (the oracle says OUTCOME). */
static void stop_at_bound(struct sim *s, const char *why)
{
  int hang = s->sc->time_bound_ms == 0 || s->cl->ops->deadline(s->cl) == SC_NO_DEADLINE;
  stop(s, SIM_STOP_TIME_BOUND, hang ? why : NULL);
}

/* Let `ms` of virtual time pass, the client ticking (and maybe giving up)
 * at its own deadlines inside the stall. */
static void stall(struct sim *s, uint32_t ms)
{
  /* A client that already ended is not kept waiting: its end time is when
   * it ended, not when the server would have spoken again. */
  if (!client_running(s))
    return;
  /* What the client has to say now leaves now, before time moves on. */
  client_pump(s);
  uint64_t target = s->now + ms;
  for (int guard = 0; guard < SIM_MAX_ITERATIONS && !s->stopped; guard++) {
    uint64_t d = s->cl->ops->deadline(s->cl);
    uint64_t step = d > s->now && d < target ? d : target;
    if (step > s->bound) {
      s->now = s->bound;
      s->cl->ops->tick(s->cl, s->now);
      client_pump(s);
      if (client_running(s))
        stop_at_bound(s,
                      "the time bound passed during a server stall while the client still waits");
      return;
    }
    s->now = step;
    s->cl->ops->tick(s->cl, s->now);
    client_pump(s);
    if (!client_running(s) || s->now >= target)
      return;
  }
}

/* Does one step of the script. */
static void perform(struct sim *s, const struct sc_step *st)
{
  switch (st->kind) {
  case SC_ACT_SEND:
    server_send(s, st->bytes, st->len, st->repeat);
    break;
  case SC_ACT_STALL:
    wire_add(s->w, WIRE_STALL, s->tls == SRV_TLS, s->now, NULL, 0, st->ms, SF_ERR_OK);
    stall(s, st->ms);
    if (!client_running(s))
      sc_server_drop_steps(&s->srv); /* the client hung up meanwhile */
    break;
  case SC_ACT_CLOSE:
    server_close(s);
    break;
  case SC_ACT_TLS:
    start_tls(s);
    break;
  case SC_ACT_HANG:
    rec(s, WIRE_SERVER_HANG, s->tls == SRV_TLS, NULL, 0);
    break;
  case SC_ACT_DEAF:
    rec(s, WIRE_SERVER_DEAF, s->tls == SRV_TLS, NULL, 0);
    break;
  case SC_ACT_RAW:
    server_raw(s, st->bytes, st->len);
    break;
  }
}

/* Everything the script does now; 1 if it did anything. */
static int server_work(struct sim *s)
{
  int progress = stream(s);
  struct sc_step st;
  for (int guard = 0; guard < SC_SERVER_MAX_COMMANDS && !s->stopped && !s->closed; guard++) {
    /* The next step waits until the current send has gone. */
    if (s->send_left > 0 || !sc_server_next(&s->srv, &st))
      break;
    perform(s, &st);
    progress = 1;
  }
  return progress;
}

/* ---- the loop ------------------------------------------------------------------ */

static void finish(struct sim *s)
{
  struct sim_result *r = s->res;
  const struct sc_client_ops *ops = s->cl->ops;
  r->status = ops->status(s->cl);
  r->reports_errors = ops->reports_errors;
  r->error = ops->error(s->cl);
  snprintf(r->diagnosis, sizeof(r->diagnosis), "%s", ops->diagnosis(s->cl));
  r->end_ms = s->now;
  wire_add(s->w, WIRE_END, s->tls == SRV_TLS, s->now, r->diagnosis, strlen(r->diagnosis),
           (uint64_t)r->status, r->error);
}

/* Both sides wait: jump to the client's deadline. Returns 0 when the run
 * must stop. */
static int both_wait(struct sim *s)
{
  uint64_t d = s->cl->ops->deadline(s->cl);
  char why[160];
  if (d == SC_NO_DEADLINE) {
    snprintf(why, sizeof(why), "at %llu ms both sides wait and the client has no deadline",
             (unsigned long long)s->now);
    stop(s, SIM_STOP_HANG, why);
    return 0;
  }
  if (d > s->bound) {
    s->now = s->bound;
    snprintf(why, sizeof(why), "the client still waits at the time bound (%llu ms)",
             (unsigned long long)s->bound);
    stop_at_bound(s, why);
    return 0;
  }
  if (d <= s->now && s->tick_at == s->now) {
    snprintf(why, sizeof(why), "the client's deadline %llu ms passed and it did not act",
             (unsigned long long)d);
    stop(s, SIM_STOP_HANG, why);
    return 0;
  }
  if (d > s->now)
    s->now = d;
  s->tick_at = s->now;
  s->cl->ops->tick(s->cl, s->now);
  return 1;
}

void sim_run(const struct scenario *sc, struct sc_client *client, struct wire *w,
             struct sim_result *res)
{
  sim_run_with(sc, client, w, res, NULL);
}

void sim_run_with(const struct scenario *sc, struct sc_client *client, struct wire *w,
                  struct sim_result *res, const struct sim_options *opt)
{
  static const struct sim_options passthrough = {SIM_TLS_PASSTHROUGH, NULL, TLS_PEER_TLS12};
  /* Off the stack, with its buffers (some 60 KB): ASan poisons and
   * unpoisons a frame's arrays on every call, which cost more than the
   * rest of a short run. One run at a time per thread. */
  static _Thread_local struct sim state;
  struct sim *s = &state;
  memset(s, 0, offsetof(struct sim, srv));
  memset(res, 0, sizeof(*res));
  wire_init(w);
  s->sc = sc;
  s->cl = client;
  s->w = w;
  s->res = res;
  s->opt = opt && (opt->tls != SIM_TLS_OPENSSL || opt->peer) ? opt : &passthrough;
  s->bound = sim_time_bound(sc);
  s->tick_at = UINT64_MAX;
  res->time_bound_ms = s->bound;

  client->ops->start(client, s->now);
  sc_server_init(&s->srv, sc);
  size_t iter = 0;
  for (; !s->stopped; iter++) {
    if (iter >= SIM_MAX_ITERATIONS) {
      stop(s, SIM_STOP_ITERATIONS, NULL);
      break;
    }
    int progress = deliver(s);
    progress |= client_pump(s) > 0;
    if (!s->closed)
      progress |= server_work(s);
    if (s->stopped)
      break;
    if (!client_running(s)) {
      client_pump(s); /* its last words: QUIT, close_notify */
      stop(s, SIM_STOP_CLIENT_END, NULL);
      break;
    }
    if (progress)
      continue;
    if (s->closed) {
      stop(s, SIM_STOP_CLOSED, NULL);
      break;
    }
    if (!both_wait(s))
      break;
  }
  res->iterations = iter;
  finish(s);
  tls_peer_conn_free(s->conn);
}
