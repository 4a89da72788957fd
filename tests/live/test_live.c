/* Unit tests of the live tools (harness/live/): loopback-only addresses,
 * command templates, profiles, reports, and one scripted connection played
 * over a socketpair to a forked scripted client. */
#include "check.h"
#include "live/live_addr.h"
#include "live/live_audit.h"
#include "live/live_conn.h"
#include "live/live_spawn.h"
#include "live/live_tls.h"
#include "oracle.h"
#include "scenario_text.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_addr(void)
{
  struct live_addr a;
  const char *why;
  CHECK(live_addr_parse(&a, "127.0.0.1:2525", 1, &why) == 0 && a.port == 2525);
  CHECK(live_addr_parse(&a, "127.9.8.7:0", 1, &why) == 0 && strcmp(a.text, "127.9.8.7") == 0);
  CHECK(live_addr_parse(&a, "[::1]:465", 1, &why) == 0 && a.port == 465);
  CHECK(live_addr_parse(&a, "::1", 0, &why) == 0 && a.port == 0);
  CHECK(live_addr_parse(&a, "localhost:25", 1, &why) == 0 && strcmp(a.text, "127.0.0.1") == 0);
  CHECK(live_addr_parse(&a, "127.0.0.1", 1, &why) != 0);
  CHECK(live_addr_parse(&a, "0.0.0.0:25", 1, &why) != 0);
  CHECK(live_addr_parse(&a, "10.0.0.1:25", 1, &why) != 0);
  CHECK(live_addr_parse(&a, "128.0.0.1:25", 1, &why) != 0);
  CHECK(live_addr_parse(&a, "[::]:25", 1, &why) != 0);
  CHECK(live_addr_parse(&a, "[::ffff:127.0.0.1]:25", 1, &why) != 0);
  CHECK(live_addr_parse(&a, "example.com:25", 1, &why) != 0);
  CHECK(live_addr_parse(&a, "127.0.0.1:65536", 1, &why) != 0);
  CHECK(live_addr_parse(&a, "127.0.0.1:-1", 1, &why) != 0);
  CHECK(live_addr_parse(&a, "127.0.0.1:", 1, &why) != 0);
  CHECK(live_addr_parse(&a, "[::1", 1, &why) != 0);
}

static void test_expand(void)
{
  struct live_vars v = {.host = "mx.example.com", .addr = "127.0.0.1", .port = "2525"};
  char out[64];
  const char *why;
  CHECK(live_expand("smtp://{host}:{port}", &v, out, sizeof(out), &why) == 0 &&
        strcmp(out, "smtp://mx.example.com:2525") == 0);
  CHECK(live_expand("{{x}", &v, out, sizeof(out), &why) == 0 && strcmp(out, "{x}") == 0);
  CHECK(live_expand("{user}", &v, out, sizeof(out), &why) == 0 && strcmp(out, "") == 0);
  CHECK(live_expand("{nope}", &v, out, sizeof(out), &why) != 0);
  CHECK(live_expand("{host", &v, out, sizeof(out), &why) != 0);
  CHECK(live_expand("{host}{host}{host}{host}{host}", &v, out, 40, &why) != 0);
}

static void test_profile(void)
{
  static struct live_profile p;
  size_t line;
  const char *why;
  static const char good[] = "# c\nname = t\nmode = starttls\ntls = required\nverify = yes\n"
                             "tls_name = localhost\narg = curl\narg = smtp://{host}:{port}\n";
  CHECK(live_profile_parse(&p, good, sizeof(good) - 1, &line, &why) == 0);
  CHECK(p.argc == 2 && strcmp(p.argv[1], "smtp://{host}:{port}") == 0 && p.argv[2] == NULL);
  CHECK(p.mode == 1 && p.tls == 2 && p.verify == 1 && strcmp(p.tls_name, "localhost") == 0);
  static const char bad[] = "name = t\nmode = sideways\narg = x\n";
  CHECK(live_profile_parse(&p, bad, sizeof(bad) - 1, &line, &why) != 0 && line == 2);
  static const char none[] = "name = t\n";
  CHECK(live_profile_parse(&p, none, sizeof(none) - 1, &line, &why) != 0);
  char list[64];
  live_verdict_list(ORACLE_BIT(SC_V_HANG) | ORACLE_BIT(SC_V_LEAK_AUTH), list, sizeof(list));
  CHECK(strcmp(list, "LEAK_AUTH,HANG") == 0);
  live_verdict_list(0, list, sizeof(list));
  CHECK(strcmp(list, "none") == 0);
}

static int parse(struct scenario *sc, const char *text)
{
  size_t line;
  const char *why;
  return scenario_parse_text(sc, text, strlen(text), &line, &why) == SF_ERR_OK ? 0 : -1;
}

/* The scripted client: reads after each line it sends; what it read goes to
 * `out` for the parent to check. */
static void client(int fd, const char *const *lines, int out)
{
  char buf[4096];
  struct pollfd pfd = {fd, POLLIN, 0};
  for (size_t i = 0;; i++) {
    if (poll(&pfd, 1, 2000) == 1) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0 && write(out, buf, (size_t)n) != n)
        break;
      if (write(out, "|", 1) != 1)
        break;
    }
    if (!lines[i])
      break;
    if (write(fd, lines[i], strlen(lines[i])) < 0)
      break;
  }
  _exit(0);
}

static struct live_tls tls;

static void run(const struct scenario *sc, const char *const *lines, uint32_t deadline_ms,
                struct wire *w, struct live_conn_result *r, char *seen, size_t cap)
{
  int sv[2], pipefd[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(pipefd) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    close(pipefd[0]);
    client(sv[1], lines, pipefd[1]);
  }
  close(sv[1]);
  close(pipefd[1]);
  uint64_t t0 = live_now_ms();
  struct live_conn_opts o = {
      .tls = &tls, .max_stall_ms = 100, .deadline_ms = t0 + deadline_ms, .t0_ms = t0};
  live_conn_run(sv[0], sc, &o, w, r);
  close(sv[0]);
  size_t used = 0;
  ssize_t n;
  while (used + 1 < cap && (n = read(pipefd[0], seen + used, cap - 1 - used)) > 0)
    used += (size_t)n;
  seen[used] = '\0';
  close(pipefd[0]);
  kill(pid, SIGKILL); /* ours; normally already gone */
  waitpid(pid, NULL, 0);
}

static void test_conn(void)
{
  static struct scenario sc;
  static struct wire w;
  struct live_conn_result r;
  char seen[8192];
  struct oracle_report rep;
  /* Mail in plaintext under tls=required: the shared oracle says LEAK_MAIL. */
  CHECK(parse(&sc, "name = t\n") == 0);
  static const char *const leak[] = {"EHLO a\r\n", "MAIL FROM:<a@b>\r\n", "QUIT\r\n", NULL};
  run(&sc, leak, 3000, &w, &r, seen, sizeof(seen));
  CHECKF(r.end == LIVE_END_SERVER_CLOSED, "%s", live_end_desc(r.end));
  CHECK(strncmp(seen, "220 ", 4) == 0 && strstr(seen, "221 ") != NULL);
  CHECK(oracle_judge(&sc, &w, NULL, &rep) & ORACLE_BIT(SC_V_LEAK_MAIL));
  /* An injected flight leaves in the same write as the 220 to STARTTLS. */
  CHECK(parse(&sc, "name = t\non starttls plain: send \"220 go\\r\\n250 injected\\r\\n\"; tls\n") ==
        0);
  static const char *const inj[] = {"EHLO a\r\n", "STARTTLS\r\n", NULL};
  run(&sc, inj, 1000, &w, &r, seen, sizeof(seen));
  CHECKF(strstr(seen, "|220 go\r\n250 injected\r\n|") != NULL, "%s", seen);
  /* A silent client is cut at the connection's deadline. */
  CHECK(parse(&sc, "name = t\n") == 0);
  static const char *const silent[] = {NULL};
  uint64_t t0 = live_now_ms();
  run(&sc, silent, 300, &w, &r, seen, sizeof(seen));
  CHECK(r.end == LIVE_END_DEADLINE || r.end == LIVE_END_CLIENT_CLOSED);
  CHECK(live_now_ms() - t0 < 3000);
  /* Garbage and a flood never stop the server. */
  static char flood[70000];
  memset(flood, 'A', sizeof(flood) - 1);
  static const char *const garbage[] = {"\x16\x03\x01\xff\xff\r\n", "\0\0\0\n", flood, NULL};
  run(&sc, garbage, 2000, &w, &r, seen, sizeof(seen));
  CHECK(r.end != LIVE_END_DEADLINE || live_now_ms() - t0 < 6000);
}

static void test_tls_init(void)
{
  static struct live_tls t;
  char err[200];
  CHECK(live_tls_init(&t, NULL, NULL, NULL, err, sizeof(err)) == 0);
  live_tls_free(&t);
  CHECK(live_tls_init(&t, NULL, "/nonexistent.pem", NULL, err, sizeof(err)) != 0);
}

int main(void)
{
  signal(SIGPIPE, SIG_IGN);
  test_addr();
  test_expand();
  test_profile();
  test_tls_init();
  char err[200];
  CHECK(live_tls_init(&tls, NULL, NULL, NULL, err, sizeof(err)) == 0);
  test_conn();
  live_tls_free(&tls);
  return check_report("test_live");
}
