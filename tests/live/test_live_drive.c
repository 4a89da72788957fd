/* live_drive (harness/live/live_drive.c) over a real loopback socket, against
 * a tiny plaintext SMTP server in a forked child. The server makes the
 * client's non-blocking sends stall (small receive window, small segments,
 * a slow reader) and splits or bunches its replies, and reports back through
 * a pipe what it received between its 354 and the final ".": the test checks
 * that against the dot-stuffed CRLF form of the message, computed here
 * independently of the engine. No assertion depends on how fast anything
 * runs; every wait has a generous cap only so that a broken driver ends the
 * test instead of hanging it. */
#include "check.h"
#include "config.h"
#include "errors.h"
#include "live/live_addr.h"
#include "live/live_conn.h"
#include "live/live_drive.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum srv_mode {
  SRV_SLOW_READER, /* small window and segments, reads the message a little at a time */
  SRV_TRICKLE,     /* greeting and EHLO reply one byte per write */
  SRV_BIG_EHLO,    /* an EHLO reply larger than one recv(), in one write */
  SRV_PIPELINED,   /* greeting and EHLO reply in one write, before any EHLO */
};

/* What the server saw, sent back to the parent when the connection ends. */
struct srv_report {
  uint64_t data_len, data_hash;
  int data_end; /* the final "." line arrived */
  int mail;     /* a MAIL command arrived */
  int quit;     /* a QUIT arrived and was answered */
};

#define SAFETY_MS  60000 /* any single wait of the server or the parent */
#define DATA_MAX   (1024 * 1024)
#define MSG_TARGET (200 * 1024)

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 1099511628211u;
  return h;
}
#define FNV_INIT 14695981039346656037u

static void sleep_us(long us)
{
  struct timespec ts = {0, us * 1000};
  nanosleep(&ts, NULL);
}

static int put(int fd, const char *s, size_t n)
{
  while (n > 0) {
    struct pollfd pfd = {fd, POLLOUT, 0};
    if (poll(&pfd, 1, SAFETY_MS) != 1)
      return -1;
    ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
    if (k <= 0)
      return -1;
    s += k;
    n -= (size_t)k;
  }
  return 0;
}

static int puts_fd(int fd, const char *s)
{
  return put(fd, s, strlen(s));
}

/* One byte per write, with Nagle off and a pause, so each byte travels in a
 * segment of its own and the client's recv() sees fragments. */
static int trickle(int fd, const char *s)
{
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  for (; *s; s++) {
    if (put(fd, s, 1) != 0)
      return -1;
    sleep_us(300);
  }
  return 0;
}

static const char greeting[] = "220 test.invalid ESMTP\r\n";
static const char ehlo_reply[] = "250-test.invalid\r\n250-8BITMIME\r\n250-SIZE 10000000\r\n"
                                 "250-ENHANCEDSTATUSCODES\r\n250 HELP\r\n";

static int send_ehlo_reply(int fd, enum srv_mode mode)
{
  if (mode == SRV_TRICKLE)
    return trickle(fd, ehlo_reply);
  if (mode != SRV_BIG_EHLO)
    return puts_fd(fd, ehlo_reply);
  /* About 16 KB: four of the driver's 4 KB reads, one reply. */
  static char big[24 * 1024];
  size_t n = 0;
  for (int i = 0; i < 40; i++) {
    n += (size_t)snprintf(big + n, sizeof(big) - n, "250-X-FILLER-%02d ", i);
    memset(big + n, 'a' + i % 26, 380);
    n += 380;
    big[n++] = '\r';
    big[n++] = '\n';
  }
  n += (size_t)snprintf(big + n, sizeof(big) - n, "250 HELP\r\n");
  return put(fd, big, n);
}

/* The server: one connection, then the report. Bounded by SAFETY_MS per
 * wait and by alarm() as a whole. */
static void serve(enum srv_mode mode, int port_out, int report_out)
{
  static char data[DATA_MAX];
  static char line[8192];
  struct srv_report rep = {0};
  alarm(2 * SAFETY_MS / 1000);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (mode == SRV_SLOW_READER) {
    /* Set before listen so the accepted socket inherits them: a small
     * window, and small segments so the client's send buffer (sized from
     * the segment size) stays small too. Together with the slow reads
     * below they make the client's send() return short counts or EAGAIN. */
    int rcvbuf = 4096, mss = 536;
    setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    setsockopt(lfd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
  }
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof(sin);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(lfd, 1) != 0 ||
      getsockname(lfd, (struct sockaddr *)&sin, &sl) != 0)
    _exit(1);
  uint16_t port = ntohs(sin.sin_port);
  if (write(port_out, &port, sizeof(port)) != (ssize_t)sizeof(port))
    _exit(1);
  struct pollfd lp = {lfd, POLLIN, 0};
  int fd = poll(&lp, 1, SAFETY_MS) == 1 ? accept(lfd, NULL, NULL) : -1;
  if (fd < 0)
    _exit(1);
  int ok = 0;
  if (mode == SRV_PIPELINED) {
    char both[sizeof(greeting) + sizeof(ehlo_reply)];
    snprintf(both, sizeof(both), "%s%s", greeting, ehlo_reply);
    ok = puts_fd(fd, both);
  } else {
    ok = mode == SRV_TRICKLE ? trickle(fd, greeting) : puts_fd(fd, greeting);
  }
  size_t len = 0;  /* bytes in line[] (commands) */
  size_t dlen = 0; /* bytes in data[] (the message, after 354) */
  int in_data = 0;
  for (int guard = 0; ok == 0 && guard < 1000000; guard++) {
    char *buf = in_data ? data + dlen : line + len;
    size_t room = in_data ? sizeof(data) - dlen : sizeof(line) - len;
    if (room == 0)
      break;
    /* The slow reader takes a few hundred bytes at a time, with a pause. */
    if (in_data && mode == SRV_SLOW_READER) {
      room = room < 300 ? room : 300;
      sleep_us(200);
    }
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, SAFETY_MS) != 1)
      break;
    ssize_t n = recv(fd, buf, room, 0);
    if (n <= 0)
      break;
    if (in_data) {
      size_t from = dlen >= 4 ? dlen - 4 : 0;
      dlen += (size_t)n;
      for (size_t i = from; i + 5 <= dlen; i++) {
        if (memcmp(data + i, "\r\n.\r\n", 5) != 0)
          continue;
        rep.data_len = i + 2; /* the last line's CRLF belongs to the message */
        rep.data_hash = fnv(FNV_INIT, data, i + 2);
        rep.data_end = 1;
        len = dlen - (i + 5); /* nothing should follow before our 250 */
        len = len < sizeof(line) ? len : sizeof(line);
        memcpy(line, data + i + 5, len);
        in_data = 0;
        ok = puts_fd(fd, "250 2.0.0 queued\r\n");
        break;
      }
      continue;
    }
    len += (size_t)n;
    char *eol;
    while (ok == 0 && !in_data && (eol = memchr(line, '\n', len)) != NULL) {
      size_t k = (size_t)(eol - line) + 1;
      if (strncmp(line, "EHLO", 4) == 0) {
        if (mode != SRV_PIPELINED)
          ok = send_ehlo_reply(fd, mode);
      } else if (strncmp(line, "MAIL", 4) == 0) {
        rep.mail = 1;
        ok = puts_fd(fd, "250 2.1.0 ok\r\n");
      } else if (strncmp(line, "RCPT", 4) == 0) {
        ok = puts_fd(fd, "250 2.1.5 ok\r\n");
      } else if (strncmp(line, "DATA", 4) == 0) {
        ok = puts_fd(fd, "354 go ahead\r\n");
        in_data = 1;
      } else if (strncmp(line, "QUIT", 4) == 0) {
        rep.quit = puts_fd(fd, "221 2.0.0 bye\r\n") == 0;
        ok = -1;
      } else {
        ok = puts_fd(fd, "500 5.5.2 what\r\n");
      }
      len -= k;
      memmove(line, line + k, len);
      if (in_data) { /* anything sent with DATA is already message */
        memcpy(data, line, len);
        dlen = len;
        len = 0;
      }
    }
  }
  if (write(report_out, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
    _exit(1);
  close(fd);
  _exit(0);
}

/* Reads exactly n bytes within SAFETY_MS; 0 on success. */
static int read_full(int fd, void *p, size_t n)
{
  uint64_t end = live_now_ms() + SAFETY_MS;
  size_t got = 0;
  while (got < n) {
    uint64_t now = live_now_ms();
    struct pollfd pfd = {fd, POLLIN, 0};
    if (now >= end || poll(&pfd, 1, (int)(end - now)) != 1)
      return -1;
    ssize_t k = read(fd, (char *)p + got, n - got);
    if (k <= 0)
      return -1;
    got += (size_t)k;
  }
  return 0;
}

/* Runs the server in a child and live_drive against it; 0 if both ran
 * (r and rep filled). The child is always ended by its PID and waited for. */
static int run(enum srv_mode mode, const struct sf_config *cfg, struct live_drive_result *r,
               struct srv_report *rep)
{
  int port_p[2], rep_p[2];
  if (pipe(port_p) != 0)
    return -1;
  if (pipe(rep_p) != 0) {
    close(port_p[0]);
    close(port_p[1]);
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(port_p[0]);
    close(rep_p[0]);
    serve(mode, port_p[1], rep_p[1]);
  }
  close(port_p[1]);
  close(rep_p[1]);
  int rc = -1;
  uint16_t port = 0;
  struct live_addr a;
  const char *why = "";
  if (pid > 0 && read_full(port_p[0], &port, sizeof(port)) == 0 &&
      live_addr_parse(&a, "127.0.0.1", 0, &why) == 0) {
    live_addr_set_port(&a, port);
    if (live_drive(cfg, &a, SAFETY_MS, r) == 0 && read_full(rep_p[0], rep, sizeof(*rep)) == 0)
      rc = 0;
  }
  close(port_p[0]);
  close(rep_p[0]);
  if (pid > 0) {
    kill(pid, SIGKILL); /* ours; normally already gone */
    waitpid(pid, NULL, 0);
  }
  return rc;
}

static void config(struct sf_config *cfg, const char *msg, size_t len)
{
  static const char *const kv[][2] = {{"mode", "plain"},
                                      {"tls", "none"},
                                      {"verify", "no"},
                                      {"from", "a@test.invalid"},
                                      {"to", "b@test.invalid"}};
  sf_config_defaults(cfg);
  for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
    const char *why = "";
    CHECKF(sf_config_set(cfg, kv[i][0], strlen(kv[i][0]), kv[i][1], strlen(kv[i][1]), &why) ==
               SF_ERR_OK,
           "%s: %s", kv[i][0], why);
  }
  /* Set directly: the message is far larger than the config's string arena. */
  cfg->message = msg;
  cfg->message_len = len;
}

/* About 200 KB of LF-terminated lines of varied length, some starting with
 * '.', some only "." or "..", some empty. Deterministic. */
static size_t make_message(char *m, size_t cap)
{
  uint32_t x = 12345;
  size_t n = 0;
  for (unsigned i = 0; n + 200 < cap && n < MSG_TARGET; i++) {
    x = x * 1103515245u + 12345u;
    size_t width = (x >> 16) % 150;
    if (i % 7 == 0)
      m[n++] = '.';
    if (i % 29 == 0)
      m[n++] = '.';
    if (i % 11 == 0)
      width = 0;
    for (size_t k = 0; k < width; k++)
      m[n++] = (char)(k % 10 == 9 ? ' ' : 'a' + ((x >> 8) ^ k) % 26);
    m[n++] = '\n';
  }
  return n;
}

/* The message as it must arrive: CRLF line ends, a '.' doubled at the start
 * of a line (RFC 5321 4.5.2). Hash and length, written out here rather than
 * taken from the engine. */
static void expected_wire(const char *m, size_t n, uint64_t *len, uint64_t *hash)
{
  uint64_t h = FNV_INIT, l = 0;
  int bol = 1;
  for (size_t i = 0; i < n; i++) {
    if (bol && m[i] == '.') {
      h = fnv(h, ".", 1);
      l++;
    }
    if (m[i] == '\n') {
      h = fnv(h, "\r\n", 2);
      l += 2;
    } else {
      h = fnv(h, m + i, 1);
      l++;
    }
    bol = m[i] == '\n';
  }
  *len = l;
  *hash = h;
}

static char message[MSG_TARGET + 4096];

static void test_short_sends(void)
{
  static struct sf_config cfg;
  size_t n = make_message(message, sizeof(message));
  uint64_t want_len, want_hash;
  expected_wire(message, n, &want_len, &want_hash);
  config(&cfg, message, n);
  struct live_drive_result r = {0};
  struct srv_report rep = {0};
  CHECK(run(SRV_SLOW_READER, &cfg, &r, &rep) == 0);
  CHECKF(r.done == 1, "%s: %s", sf_err_name(r.err), r.diagnosis);
  CHECK(rep.data_end == 1);
  CHECKF(rep.data_len == want_len, "server got %llu bytes of message, want %llu",
         (unsigned long long)rep.data_len, (unsigned long long)want_len);
  CHECK(rep.data_hash == want_hash);
  CHECK(rep.quit == 1);
  CHECK(r.bytes_out > want_len);
}

static void test_input(enum srv_mode mode)
{
  static struct sf_config cfg;
  static const char small[] = "Subject: t\n\nhello\n.\n..x\nbye\n";
  uint64_t want_len, want_hash;
  expected_wire(small, sizeof(small) - 1, &want_len, &want_hash);
  config(&cfg, small, sizeof(small) - 1);
  struct live_drive_result r = {0};
  struct srv_report rep = {0};
  CHECK(run(mode, &cfg, &r, &rep) == 0);
  CHECKF(r.done == 1, "mode %d: %s: %s", (int)mode, sf_err_name(r.err), r.diagnosis);
  CHECK(rep.data_end == 1 && rep.data_len == want_len && rep.data_hash == want_hash);
  CHECK(rep.quit == 1);
}

/* A reply that arrives before the command it answers was sent is what the
 * engine exists to catch (pipelined injection): the driver must hand the
 * whole bunched write to the session, which then stops before MAIL. */
static void test_pipelined(void)
{
  static struct sf_config cfg;
  static const char small[] = "hello\n";
  config(&cfg, small, sizeof(small) - 1);
  struct live_drive_result r = {0};
  struct srv_report rep = {0};
  CHECK(run(SRV_PIPELINED, &cfg, &r, &rep) == 0);
  CHECK(r.done == 0);
  CHECKF(r.err == SF_ERR_SESSION_UNSOLICITED, "%s: %s", sf_err_name(r.err), r.diagnosis);
  CHECK(rep.mail == 0 && rep.data_end == 0);
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);
  alarm(10 * SAFETY_MS / 1000); /* the last resort; every wait is bounded anyway */
  test_short_sends();
  test_input(SRV_TRICKLE);
  test_input(SRV_BIG_EHLO);
  test_pipelined();
  return check_report("test_live_drive");
}
