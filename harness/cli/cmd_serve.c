/* smtpfuzz serve: scenarios played by a hostile SMTP server on loopback. */
#include "cli/commands.h"
#include "live/live_addr.h"
#include "live/live_conn.h"
#include "live/live_files.h"
#include "live/live_tls.h"
#include "oracle.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PARALLEL 64

static const char serve_help[] =
    "usage: smtpfuzz serve [OPTIONS] SCENARIO...\n"
    "\n"
    "Plays scenarios (.scn files or folders of them) as a scripted SMTP server on a\n"
    "loopback address: plaintext, STARTTLS and implicit TLS with real OpenSSL, raw\n"
    "bytes exactly as scripted, stalls in real time (capped). Connection k gets\n"
    "scenario k modulo their number. Each connection runs in its own process with\n"
    "its own deadline; its transcript and the oracles' verdicts go to stdout.\n"
    "\n"
    "  --addr ADDR:PORT    loopback address only (127.0.0.0/8, ::1; default\n"
    "                      127.0.0.1:2525; port 0 picks a free one)\n"
    "  --cert F --key F    PEM certificate and key for every TLS handshake\n"
    "                      (default: a test CA and certificates made at start-up)\n"
    "  --ca-out FILE       write the generated test CA (PEM) there for clients\n"
    "  --max-stall MS      cap each scripted stall (default 2000)\n"
    "  --conn-timeout MS   per-connection deadline (default 30000)\n"
    "  --max-conns N       exit after N connections (default: no limit)\n"
    "  --duration S        exit after S seconds (default: until SIGINT/SIGTERM)\n"
    "  --max-parallel N    connections served at once, more are closed (default 16)\n"
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
  uint64_t deadline;
};

static int parse_num(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
  char *end;
  errno = 0;
  unsigned long v = s ? strtoul(s, &end, 10) : 0;
  if (!s || errno || *end || end == s || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

static void serve_one(int fd, const char *path, const struct live_tls *tls, unsigned long stall,
                      unsigned long timeout, unsigned long conn_no)
{
  static struct scenario sc;
  static struct wire w;
  static char text[262144];
  char err[600];
  alarm((unsigned)(timeout / 1000 + 5)); /* backstop: the loop has its own deadline */
  if (live_scenario_load(&sc, path, err, sizeof(err)) != 0) {
    fprintf(stderr, "smtpfuzz serve: %s\n", err);
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
  /* One write, so concurrent connections do not interleave lines. */
  ssize_t k = write(STDOUT_FILENO, text, used);
  (void)k;
}

int sf_cmd_serve(int argc, char **argv)
{
  const char *addr_text = "127.0.0.1:2525", *cert = NULL, *key = NULL, *ca_out = NULL;
  unsigned long stall = 2000, timeout = 30000, max_conns = 0, duration = 0, parallel = 16;
  struct live_files files = {0};
  char err[600];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(serve_help, stdout);
      live_files_free(&files);
      return SF_EXIT_OK;
    } else if (strcmp(a, "--addr") == 0)
      addr_text = v, bad = !v, i++;
    else if (strcmp(a, "--cert") == 0)
      cert = v, bad = !v, i++;
    else if (strcmp(a, "--key") == 0)
      key = v, bad = !v, i++;
    else if (strcmp(a, "--ca-out") == 0)
      ca_out = v, bad = !v, i++;
    else if (strcmp(a, "--max-stall") == 0)
      bad = parse_num(v, 0, 600000, &stall), i++;
    else if (strcmp(a, "--conn-timeout") == 0)
      bad = parse_num(v, 100, 3600000, &timeout), i++;
    else if (strcmp(a, "--max-conns") == 0)
      bad = parse_num(v, 1, 1000000, &max_conns), i++;
    else if (strcmp(a, "--duration") == 0)
      bad = parse_num(v, 1, 86400 * 7, &duration), i++;
    else if (strcmp(a, "--max-parallel") == 0)
      bad = parse_num(v, 1, MAX_PARALLEL, &parallel), i++;
    else if (a[0] == '-' && a[1] == '-') {
      fprintf(stderr, "smtpfuzz serve: unknown option %s (see smtpfuzz serve --help)\n", a);
      live_files_free(&files);
      return SF_EXIT_USAGE;
    } else if (live_files_add(&files, a, err, sizeof(err)) != 0) {
      fprintf(stderr, "smtpfuzz serve: %s\n", err);
      live_files_free(&files);
      return SF_EXIT_USAGE;
    }
    if (bad) {
      fprintf(stderr, "smtpfuzz serve: bad or missing value for %s (see smtpfuzz serve --help)\n",
              a);
      live_files_free(&files);
      return SF_EXIT_USAGE;
    }
  }
  int rc = SF_EXIT_USAGE;
  static struct scenario sc;
  static struct live_tls tls;
  int have_tls = 0, lfd = -1;
  if (files.n == 0) {
    fprintf(stderr, "smtpfuzz serve: no scenarios given (see smtpfuzz serve --help)\n");
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
    fprintf(stderr, "smtpfuzz serve: %s\n", err);
    goto out;
  }
  have_tls = 1;
  if (ca_out && live_tls_write_ca(&tls, ca_out) != 0) {
    fprintf(stderr, "smtpfuzz serve: cannot write %s%s\n", ca_out,
            tls.have_certs ? "" : " (no generated CA with --cert)");
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
  printf("smtpfuzz serve: listening on %s%s%s:%u, %zu scenario(s)\n",
         addr.family == AF_INET6 ? "[" : "", addr.text, addr.family == AF_INET6 ? "]" : "",
         addr.port, files.n);
  fflush(stdout);
  struct kid kids[MAX_PARALLEL];
  size_t nkids = 0;
  unsigned long conns = 0;
  uint64_t end_at = duration ? live_now_ms() + duration * 1000 : 0;
  while (!stop_flag) {
    uint64_t now = live_now_ms();
    if (end_at && now >= end_at)
      break;
    if (max_conns && conns >= max_conns && nkids == 0)
      break;
    /* Reap, and stop any connection past its deadline (by its PID). */
    for (size_t k = 0; k < nkids;) {
      int st;
      if (waitpid(kids[k].pid, &st, WNOHANG) == kids[k].pid) {
        kids[k] = kids[--nkids];
        continue;
      }
      if (now > kids[k].deadline)
        kill(kids[k].pid, SIGKILL);
      k++;
    }
    struct pollfd pfd = {lfd, POLLIN, 0};
    if (poll(&pfd, 1, 100) != 1 || (max_conns && conns >= max_conns))
      continue;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
      continue;
    if (nkids >= parallel) {
      close(fd); /* one connection never blocks another: excess ones are refused */
      continue;
    }
    const char *path = files.path[conns % files.n];
    conns++;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      close(lfd);
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      serve_one(fd, path, &tls, stall, timeout, conns);
      close(fd);
      _exit(0);
    }
    close(fd);
    if (pid > 0)
      kids[nkids++] = (struct kid){pid, now + timeout + 2000};
  }
  /* Stop the connections still running (ours, by PID), then reap them. */
  for (size_t k = 0; k < nkids; k++) {
    kill(kids[k].pid, SIGKILL);
    waitpid(kids[k].pid, NULL, 0);
  }
  rc = SF_EXIT_OK;
out:
  if (lfd >= 0)
    close(lfd);
  if (have_tls)
    live_tls_free(&tls);
  live_files_free(&files);
  return rc;
}
