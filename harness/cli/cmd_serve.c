/* smtpfuzz serve: scenarios played by a hostile SMTP server on loopback. */
#define _GNU_SOURCE /* pipe2, accept4 */
#include "cli/commands.h"
#include "cli/options.h"
#include "live/live_addr.h"
#include "live/live_conn.h"
#include "live/live_files.h"
#include "live/live_probe.h"
#include "live/live_tls.h"
#include "oracle.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PARALLEL 64
/* What waits for our standard output: transcripts are kept whole here
 * while nobody reads it, and dropped (counted) beyond. */
#define OUT_QUEUE_MAX  (8u << 20)
#define TRANSCRIPT_MAX (512u << 10)
#define EXIT_FLUSH_MS  2000 /* at the end, how long stdout may take what is left */

static const char serve_help[] =
    "usage: smtpfuzz serve [OPTIONS] SCENARIO...\n"
    "\n"
    "Plays scenarios (.scn files or folders of them) as a scripted SMTP server on a\n"
    "loopback address: plaintext, STARTTLS and implicit TLS with real OpenSSL, raw\n"
    "bytes exactly as scripted, stalls in real time (capped). Connection k gets\n"
    "scenario k modulo their number. Each connection runs in its own process with\n"
    "its own deadline; its transcript and the oracles' verdicts go to stdout.\n"
    "Serving never waits for stdout: while nobody reads it, transcripts are kept\n"
    "(up to 8 MiB) and then dropped, with a count on stderr at the end.\n"
    "\n"
    "  -a, --addr ADDR:PORT     loopback address only (127.0.0.0/8, ::1; default\n"
    "                           127.0.0.1:2525; port 0 picks a free one)\n"
    "      --cert F --key F     PEM certificate and key for every TLS handshake\n"
    "                           (default: a test CA and certificates made at start-up)\n"
    "      --ca-out FILE        write the generated test CA (PEM) there for clients\n"
    "                           (not with --cert: the CA is then yours)\n"
    "      --max-stall MS       cap each scripted stall (default 2000)\n"
    "      --conn-timeout MS    per-connection deadline (default 30000)\n"
    "  -n, --max-conns N        exit after N connections (default: no limit)\n"
    "  -d, --duration S         exit after S seconds (default: until SIGINT/SIGTERM)\n"
    "  -j, --max-parallel N     connections served at once; more wait to be accepted\n"
    "                           until one ends (default 16)\n"
    "  -h, --help               this text\n"
    "\n"
    "Exit status: 0, or 2 for bad usage, a bad scenario or an address that cannot\n"
    "be bound.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
  (void)sig;
  stop_flag = 1;
}

struct kid {
  pid_t pid;
  int fd; /* its transcript comes through here */
  uint64_t deadline;
  char *buf;
  size_t len;
  int too_long;
};

/* Our standard output, never waited on. */
struct outq {
  char *buf;
  size_t len, cap;
  size_t dropped;
};

static int parse_num(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
  char *end;
  errno = 0;
  unsigned long v = s ? strtoul(s, &end, 10) : 0;
  if (!s || errno || *end || end == s || s[0] == '-' || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static void outq_add(struct outq *q, const char *p, size_t n)
{
  if (q->len + n > OUT_QUEUE_MAX) {
    q->dropped++;
    return;
  }
  if (q->len + n > q->cap) {
    size_t cap = q->cap ? q->cap : 65536;
    while (cap < q->len + n)
      cap *= 2;
    char *b = realloc(q->buf, cap);
    if (!b) {
      q->dropped++;
      return;
    }
    q->buf = b;
    q->cap = cap;
  }
  memcpy(q->buf + q->len, p, n);
  q->len += n;
}

/* Writes what stdout takes now. poll() said it is writable: for a pipe
 * that means room for PIPE_BUF bytes, so a write of that many never
 * blocks. */
static void outq_flush(struct outq *q)
{
  for (int guard = 0; guard < 64 && q->len > 0; guard++) {
    struct pollfd pfd = {STDOUT_FILENO, POLLOUT, 0};
    if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT))
      return;
    size_t n = q->len < 4096 ? q->len : 4096;
    ssize_t k = write(STDOUT_FILENO, q->buf, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      if (k < 0 && errno != EAGAIN)
        q->len = 0; /* stdout is gone (EPIPE): nothing more can be shown */
      return;
    }
    memmove(q->buf, q->buf + k, q->len - (size_t)k);
    q->len -= (size_t)k;
  }
}

static void serve_one(int fd, int out, const char *path, const struct live_tls *tls,
                      unsigned long stall, unsigned long timeout, unsigned long conn_no)
{
  static struct scenario sc;
  static struct wire w;
  static char text[TRANSCRIPT_MAX];
  char err[600];
  alarm((unsigned)(timeout / 1000 + 5)); /* backstop: the loop has its own deadline */
  if (live_scenario_load(&sc, path, err, sizeof(err)) != 0) {
    int n = snprintf(text, sizeof(text), "== connection %lu: %s\n", conn_no, err);
    if (n > 0 && write(out, text, (size_t)n) < 0)
      return;
    return;
  }
  uint64_t t0 = live_now_ms();
  struct live_conn_opts o = {
      .tls = tls, .max_stall_ms = (uint32_t)stall, .deadline_ms = t0 + timeout, .t0_ms = t0};
  struct live_conn_result r;
  live_conn_run(fd, &sc, &o, &w, &r);
  struct oracle_report rep;
  oracle_judge(&sc, &w, NULL, &rep);
  int n = snprintf(text, sizeof(text), "== connection %lu: %s (%s), %s, %zu bytes in, %zu out\n",
                   conn_no, sc.name, path, live_end_desc(r.end), r.bytes_in, r.bytes_out);
  size_t used = n > 0 ? (size_t)n : 0;
  used += oracle_transcript(&sc, &w, &rep, text + used, sizeof(text) - used);
  if (used > sizeof(text) - 1)
    used = sizeof(text) - 1;
  /* To the parent, which owns stdout; it reads as we write. */
  const char *p = text;
  for (int guard = 0; guard < 100000 && used > 0; guard++) {
    ssize_t k = write(out, p, used);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return;
    p += k;
    used -= (size_t)k;
  }
}

/* A kid's pipe is readable: keep what fits; at EOF its transcript joins
 * the output whole. Returns 1 at EOF. */
static int kid_read(struct kid *k, struct outq *q)
{
  char tmp[16384];
  ssize_t n = read(k->fd, tmp, sizeof(tmp));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n > 0) {
    if (!k->buf)
      k->buf = malloc(TRANSCRIPT_MAX);
    size_t room = k->buf ? TRANSCRIPT_MAX - k->len : 0;
    size_t take = (size_t)n < room ? (size_t)n : room;
    if (take)
      memcpy(k->buf + k->len, tmp, take);
    k->len += take;
    k->too_long |= take < (size_t)n;
    return 0;
  }
  if (k->len)
    outq_add(q, k->buf, k->len);
  free(k->buf);
  k->buf = NULL;
  k->len = 0;
  close(k->fd);
  k->fd = -1;
  return 1;
}

enum { OPT_CERT = 256, OPT_KEY, OPT_CA_OUT, OPT_MAX_STALL, OPT_CONN_TIMEOUT };

static const struct option long_opts[] = {
    {"addr", required_argument, NULL, 'a'},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"ca-out", required_argument, NULL, OPT_CA_OUT},
    {"max-stall", required_argument, NULL, OPT_MAX_STALL},
    {"conn-timeout", required_argument, NULL, OPT_CONN_TIMEOUT},
    {"max-conns", required_argument, NULL, 'n'},
    {"duration", required_argument, NULL, 'd'},
    {"max-parallel", required_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int sf_cmd_serve(int argc, char **argv)
{
  const char *addr_text = "127.0.0.1:2525", *cert = NULL, *key = NULL, *ca_out = NULL;
  unsigned long stall = 2000, timeout = 30000, max_conns = 0, duration = 0, parallel = 16;
  struct live_files files = {0};
  char err[600];
  int rc = SF_EXIT_USAGE, c, lfd = -1, have_tls = 0;
  static struct scenario sc;
  static struct live_tls tls;
  static struct kid kids[MAX_PARALLEL];
  struct outq q = {NULL, 0, 0, 0};
  size_t nkids = 0;
  sf_opt_begin();
  while ((c = getopt_long(argc, argv, ":a:n:d:j:h", long_opts, NULL)) != -1) {
    int bad = 0;
    switch (c) {
    case 'h':
      fputs(serve_help, stdout);
      rc = SF_EXIT_OK;
      goto out;
    case 'a':
      addr_text = optarg;
      break;
    case OPT_CERT:
      cert = optarg;
      break;
    case OPT_KEY:
      key = optarg;
      break;
    case OPT_CA_OUT:
      ca_out = optarg;
      break;
    case OPT_MAX_STALL:
      bad = parse_num(optarg, 0, 600000, &stall);
      break;
    case OPT_CONN_TIMEOUT:
      bad = parse_num(optarg, 100, 3600000, &timeout);
      break;
    case 'n':
      bad = parse_num(optarg, 1, 1000000, &max_conns);
      break;
    case 'd':
      bad = parse_num(optarg, 1, 86400 * 7, &duration);
      break;
    case 'j':
      bad = parse_num(optarg, 1, MAX_PARALLEL, &parallel);
      break;
    default:
      rc = sf_opt_refused("serve", c, argv, long_opts);
      goto out;
    }
    if (bad) {
      const char *name = "?";
      for (const struct option *lo = long_opts; lo->name; lo++)
        if (lo->val == c)
          name = lo->name;
      rc = sf_usage_error("serve", "bad value '%s' for --%s", optarg, name);
      goto out;
    }
  }
  for (int i = optind; i < argc; i++)
    if (live_files_add(&files, argv[i], err, sizeof(err)) != 0) {
      fprintf(stderr, "smtpfuzz serve: %s\n", err);
      goto out;
    }
  if (files.n == 0) {
    rc = sf_usage_error("serve", "no scenarios given");
    goto out;
  }
  if (ca_out && (cert || key)) {
    fprintf(stderr, "smtpfuzz serve: --ca-out writes the generated test CA, and with --cert "
                    "there is none: give clients the CA that issued your certificate\n");
    goto out;
  }
  for (size_t k = 0; k < files.n; k++)
    if (live_scenario_load(&sc, files.path[k], err, sizeof(err)) != 0) {
      fprintf(stderr, "smtpfuzz serve: %s\n", err);
      goto out;
    }
  struct live_addr addr;
  const char *reason;
  if (live_addr_parse(&addr, addr_text, 1, &reason) != 0) {
    fprintf(stderr, "smtpfuzz serve: --addr %s: %s\n", addr_text, reason);
    goto out;
  }
  if (live_tls_init(&tls, NULL, cert, key, err, sizeof(err)) != 0) {
    /* Which file, and why: live_tls_init says only what it could not do. */
    char why[160];
    if (cert && key && live_pem_check(cert, LIVE_PEM_CERTS, why, sizeof(why)) != 0)
      fprintf(stderr, "smtpfuzz serve: --cert %s: %s\n", cert, why);
    else if (cert && key && live_pem_check(key, LIVE_PEM_KEY, why, sizeof(why)) != 0)
      fprintf(stderr, "smtpfuzz serve: --key %s: %s\n", key, why);
    else
      fprintf(stderr, "smtpfuzz serve: %s\n", err);
    goto out;
  }
  have_tls = 1;
  if (ca_out && live_tls_write_ca(&tls, ca_out) != 0) {
    fprintf(stderr, "smtpfuzz serve: cannot write %s: %s\n", ca_out, strerror(errno));
    goto out;
  }
  lfd = live_listen(&addr, 64);
  if (lfd < 0) {
    fprintf(stderr, "smtpfuzz serve: cannot listen on %s port %u: %s\n", addr.text, addr.port,
            strerror(errno));
    goto out;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  char line[200];
  int ln = snprintf(line, sizeof(line), "smtpfuzz serve: listening on %s%s%s:%u, %zu scenario(s)\n",
                    addr.family == AF_INET6 ? "[" : "", addr.text,
                    addr.family == AF_INET6 ? "]" : "", addr.port, files.n);
  outq_add(&q, line, (size_t)ln);
  outq_flush(&q);
  unsigned long conns = 0;
  uint64_t end_at = duration ? live_now_ms() + duration * 1000 : 0;
  for (uint64_t guard = 0; guard < UINT64_MAX && !stop_flag; guard++) {
    uint64_t now = live_now_ms();
    if (end_at && now >= end_at)
      break;
    if (max_conns && conns >= max_conns && nkids == 0)
      break;
    /* Stop any connection past its deadline (by its PID). */
    for (size_t k = 0; k < nkids; k++)
      if (now > kids[k].deadline)
        kill(kids[k].pid, SIGKILL);
    /* A kid whose pipe has ended serves no one any more, reaped or not. At
     * the limit, new connections wait in the listen queue (accepted as soon
     * as one ends, at its deadline at the latest) instead of being closed:
     * a burst of short sessions on a loaded machine, whose kids are slow to
     * exit, must not lose any. */
    size_t serving = 0;
    for (size_t k = 0; k < nkids; k++)
      serving += kids[k].fd >= 0;
    int full = serving >= parallel || nkids == MAX_PARALLEL;
    struct pollfd pfd[MAX_PARALLEL + 2];
    size_t np = 0;
    pfd[np++] = (struct pollfd){(max_conns && conns >= max_conns) || full ? -1 : lfd, POLLIN, 0};
    pfd[np++] = (struct pollfd){q.len ? STDOUT_FILENO : -1, POLLOUT, 0};
    for (size_t k = 0; k < nkids; k++)
      pfd[np++] = (struct pollfd){kids[k].fd, POLLIN, 0};
    (void)poll(pfd, np, 100);
    if (pfd[1].revents)
      outq_flush(&q);
    /* Transcripts in; a kid is done when its pipe ends and it is reaped. */
    for (size_t k = 0; k < nkids;) {
      if (kids[k].fd >= 0 && (pfd[2 + k].revents & (POLLIN | POLLHUP | POLLERR)))
        (void)kid_read(&kids[k], &q);
      int st;
      if (kids[k].fd < 0 && waitpid(kids[k].pid, &st, WNOHANG) == kids[k].pid) {
        kids[k] = kids[--nkids];
        pfd[2 + k] = pfd[2 + nkids];
        continue;
      }
      k++;
    }
    if (q.len)
      outq_flush(&q);
    if (full || !(pfd[0].revents & POLLIN))
      continue;
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
      close(fd);
      continue;
    }
    const char *path = files.path[conns % files.n];
    conns++;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
      close(lfd);
      close(pipefd[0]);
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      serve_one(fd, pipefd[1], path, &tls, stall, timeout, conns);
      close(fd);
      _exit(0);
    }
    close(fd);
    close(pipefd[1]);
    if (pid < 0) {
      close(pipefd[0]);
      continue;
    }
    (void)fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    kids[nkids++] = (struct kid){pid, pipefd[0], now + timeout + 2000, NULL, 0, 0};
  }
  /* Stop the connections still running (ours, by PID), then reap them. */
  for (size_t k = 0; k < nkids; k++) {
    kill(kids[k].pid, SIGKILL);
    waitpid(kids[k].pid, NULL, 0);
    if (kids[k].fd >= 0)
      close(kids[k].fd);
    free(kids[k].buf);
  }
  /* What is left for stdout gets a little time, never more. */
  uint64_t flush_end = live_now_ms() + EXIT_FLUSH_MS;
  while (q.len && live_now_ms() < flush_end) {
    struct pollfd pfd = {STDOUT_FILENO, POLLOUT, 0};
    if (poll(&pfd, 1, 100) == 1)
      outq_flush(&q);
  }
  if (q.len || q.dropped)
    fprintf(stderr, "smtpfuzz serve: standard output was not read: %zu transcript(s) dropped%s\n",
            q.dropped + (q.len ? 1 : 0), q.len ? ", and the last ones cut" : "");
  rc = SF_EXIT_OK;
out:
  if (lfd >= 0)
    close(lfd);
  if (have_tls)
    live_tls_free(&tls);
  free(q.buf);
  live_files_free(&files);
  return rc;
}
