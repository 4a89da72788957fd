/* The socket and clock shim (harness/byoc/): tiny clients written the way
 * third-party code is, with getaddrinfo, socket, connect, poll or select,
 * read and write on the real calls' names, run against the simulated
 * server. Blocking waits end at the client's own deadline in virtual time,
 * a wait without one is a hang, other addresses are refused, real
 * descriptors still work, the clocks are virtual only during a run, and a
 * client left waiting is wound down. */
/* Linux names: EAI_ADDRFAMILY, CLOCK_REALTIME_COARSE. */
#define _GNU_SOURCE
#include "adapter_util.h"
#include "byoc.h"
#include "check.h"
#include "oracle.h"
#include "scenario.h"
#include "scenario_text.h"
#include "sim.h"
#include "tls_peer.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---- a tiny blocking SMTP client ---------------------------------------------- */

enum wait_how { WAIT_POLL, WAIT_SELECT, WAIT_RECV_TIMEO };

struct tiny {
  struct sc_byoc b; /* first */
  enum wait_how how;
  int timeout_ms;         /* for each reply; -1 none */
  const char *connect_to; /* a host other than the configured one */
  int fd;
  char in[4096];
  size_t in_len;
  /* What it saw. */
  int cleaned, saw_error, lookup_err, connect_errno;
  time_t clock_at_start;
  int64_t waited_ms; /* by its own clock, for the last reply */
  int pipe_ok;
};

static int64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the descriptor is readable; 0 on timeout. */
static int wait_readable(struct tiny *t)
{
  if (t->how == WAIT_POLL) {
    struct pollfd p = {t->fd, POLLIN, 0};
    return poll(&p, 1, t->timeout_ms);
  }
  if (t->how == WAIT_SELECT) {
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(t->fd, &rd);
    struct timeval tv = {t->timeout_ms / 1000, (t->timeout_ms % 1000) * 1000};
    return select(t->fd + 1, &rd, NULL, NULL, t->timeout_ms < 0 ? NULL : &tv);
  }
  return 1; /* recv waits itself, with SO_RCVTIMEO */
}

/* One reply line; its code, or -1. */
static int reply(struct tiny *t)
{
  int64_t start = mono_ms();
  for (int guard = 0; guard < 100; guard++) {
    char *lf = memchr(t->in, '\n', t->in_len);
    if (lf) {
      int code =
          t->in_len >= 3 ? (t->in[0] - '0') * 100 + (t->in[1] - '0') * 10 + t->in[2] - '0' : -1;
      size_t used = (size_t)(lf - t->in) + 1;
      memmove(t->in, t->in + used, t->in_len - used);
      t->in_len -= used;
      t->waited_ms = mono_ms() - start;
      return code;
    }
    int r = wait_readable(t);
    if (r <= 0) {
      t->waited_ms = mono_ms() - start;
      return -1;
    }
    ssize_t n = recv(t->fd, t->in + t->in_len, sizeof t->in - t->in_len, 0);
    if (n <= 0) {
      t->saw_error = n < 0;
      t->waited_ms = mono_ms() - start;
      return -1;
    }
    t->in_len += (size_t)n;
  }
  return -1;
}

static int say(struct tiny *t, const char *line)
{
  size_t n = strlen(line);
  return write(t->fd, line, n) == (ssize_t)n ? 0 : -1;
}

static enum sc_client_status tiny_run(struct sc_byoc *b)
{
  struct tiny *t = (struct tiny *)b;
  t->clock_at_start = time(NULL);
  /* A real descriptor in the middle of a run is the real one. */
  int p[2];
  if (pipe(p) == 0) {
    char c = 0;
    t->pipe_ok = write(p[1], "x", 1) == 1 && read(p[0], &c, 1) == 1 && c == 'x';
    close(p[0]);
    close(p[1]);
  }
  char port[8];
  snprintf(port, sizeof port, "%u", b->cfg->port);
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_socktype = SOCK_STREAM;
  t->lookup_err = getaddrinfo(t->connect_to ? t->connect_to : b->cfg->host, port, &hints, &ai);
  if (t->lookup_err) {
    /* An address it could only have guessed: refused by the shim. */
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(25);
    sin.sin_addr.s_addr = htonl(0x7f000001);
    t->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(t->fd, (struct sockaddr *)&sin, sizeof sin) != 0)
      t->connect_errno = errno;
    close(t->fd);
    t->fd = -1;
    sc_byoc_diagnose(b, "lookup failed");
    return SC_CLIENT_FAILED;
  }
  t->fd = socket(ai->ai_family, SOCK_STREAM, 0);
  int ok = connect(t->fd, ai->ai_addr, ai->ai_addrlen) == 0;
  freeaddrinfo(ai);
  if (!ok)
    return SC_CLIENT_FAILED;
  if (t->how == WAIT_RECV_TIMEO && t->timeout_ms >= 0) {
    struct timeval tv = {t->timeout_ms / 1000, (t->timeout_ms % 1000) * 1000};
    setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  if (reply(t) != 220) {
    sc_byoc_diagnose(b, "no greeting after %lld ms", (long long)t->waited_ms);
    return SC_CLIENT_FAILED;
  }
  if (say(t, "EHLO tiny.example\r\n") || reply(t) != 250)
    return SC_CLIENT_FAILED;
  /* The rest of a multiline answer. */
  while (t->in_len > 0 && reply(t) == 250)
    ;
  if (say(t, "QUIT\r\n") || reply(t) != 221)
    return SC_CLIENT_FAILED;
  return SC_CLIENT_DONE;
}

static void tiny_cleanup(struct sc_byoc *b)
{
  struct tiny *t = (struct tiny *)b;
  if (t->fd >= 0)
    close(t->fd);
  t->fd = -1;
  t->cleaned = 1;
}

static const struct sc_byoc_ops tiny_ops = {.run = tiny_run, .cleanup = tiny_cleanup};

/* ---- running ---------------------------------------------------------------------- */

static struct scenario sc;
static struct wire wire;
static struct sim_result res;
static struct oracle_report rep;

static void load(const char *text)
{
  size_t line;
  const char *why;
  enum sf_err e = scenario_parse_text(&sc, text, strlen(text), &line, &why);
  CHECKF(e == SF_ERR_OK, "line %zu: %s", line, why);
}

static void run(struct tiny *t)
{
  t->fd = -1;
  CHECK(sc_byoc_init(&t->b, "tiny", &tiny_ops, &sc.cfg) == 0);
  sim_run(&sc, &t->b.base, &wire, &res);
  sc_byoc_cleanup(&t->b);
  oracle_judge(&sc, &wire, &res, &rep);
}

static const char *plain_server = "name = tiny-plain\n"
                                  "server = submission\n"
                                  "client.mode = plain\n"
                                  "client.tls = none\n"
                                  "deliver = no\n";

static void test_dialogue(void)
{
  for (int how = WAIT_POLL; how <= WAIT_RECV_TIMEO; how++) {
    struct tiny t = {.how = (enum wait_how)how, .timeout_ms = 30000};
    load(plain_server);
    run(&t);
    CHECKF(res.status == SC_CLIENT_DONE, "how %d: %s (%s)", how, sc_client_status_name(res.status),
           res.diagnosis);
    CHECK(res.stop == SIM_STOP_CLIENT_END);
    CHECK(rep.verdicts == 0);
    CHECK(t.cleaned);
    CHECK(t.pipe_ok);
    CHECK(t.clock_at_start == (time_t)TLS_PEER_TIME);
    /* The dialogue is on the wire, as the server read it. */
    int ehlo = 0, quit = 0;
    for (size_t i = 0; i < wire.nev; i++) {
      const struct wire_event *e = &wire.ev[i];
      if (e->kind != WIRE_C_DATA)
        continue;
      ehlo |= e->len >= 4 && memcmp(wire.bytes + e->off, "EHLO", 4) == 0;
      quit |= e->len >= 4 && memcmp(wire.bytes + e->off, "QUIT", 4) == 0;
    }
    CHECK(ehlo && quit);
  }
  /* Outside a run the clocks are real again. */
  CHECK(time(NULL) != (time_t)TLS_PEER_TIME);
  CHECK(!sc_byoc_engaged());
}

/* A silent server (the STARTTLS-on-465 deadlock): a client with a timeout
 * gives up exactly at it, in virtual time; one without waits forever, which
 * the simulator ends at once as a hang. */
static void test_silent(void)
{
  static const char *silent = "name = tiny-silent\n"
                              "server = silent\n"
                              "client.mode = plain\n"
                              "client.tls = none\n"
                              "client.port = 465\n"
                              "deliver = no\n";
  for (int how = WAIT_POLL; how <= WAIT_RECV_TIMEO; how++) {
    struct tiny t = {.how = (enum wait_how)how, .timeout_ms = 30000};
    load(silent);
    run(&t);
    CHECKF(res.status == SC_CLIENT_FAILED, "how %d: %s", how, sc_client_status_name(res.status));
    CHECKF(res.end_ms == 30000, "how %d: ended at %llu ms", how, (unsigned long long)res.end_ms);
    CHECKF(t.waited_ms == 30000, "how %d: its own clock says %lld ms", how, (long long)t.waited_ms);
    CHECK(!(rep.verdicts & ORACLE_BIT(SC_V_HANG)));
    CHECK(strstr(res.diagnosis, "no greeting after 30000 ms") != NULL);

    struct tiny forever = {.how = (enum wait_how)how, .timeout_ms = -1};
    run(&forever);
    CHECK(res.stop == SIM_STOP_HANG);
    CHECK(res.end_ms == 0);
    CHECK(rep.verdicts & ORACLE_BIT(SC_V_HANG));
    /* Wound down after the run: its wait failed, its cleanup ran. */
    CHECK(forever.cleaned);
    CHECK(forever.saw_error || forever.waited_ms >= 0);
  }
}

/* A server that stalls past the client's timeout and then answers. */
static void test_stall(void)
{
  load("name = tiny-stall\n"
       "server = submission\n"
       "client.mode = plain\n"
       "client.tls = none\n"
       "deliver = no\n"
       "on ehlo: stall 45000; send \"250 ok\\r\\n\"\n");
  struct tiny t = {.how = WAIT_POLL, .timeout_ms = 20000};
  run(&t);
  CHECK(res.status == SC_CLIENT_FAILED);
  CHECKF(res.end_ms == 20000, "ended at %llu", (unsigned long long)res.end_ms);
  struct tiny patient = {.how = WAIT_POLL, .timeout_ms = 60000};
  run(&patient);
  CHECK(res.status == SC_CLIENT_DONE);
  CHECKF(res.end_ms == 45000, "ended at %llu", (unsigned long long)res.end_ms);
}

/* Only the simulated server exists. */
static void test_refused(void)
{
  load(plain_server);
  struct tiny t = {.how = WAIT_POLL, .timeout_ms = 1000, .connect_to = "smtp.example.net"};
  run(&t);
  CHECK(t.lookup_err == EAI_NONAME);
  CHECK(t.connect_errno == ECONNREFUSED);
  CHECK(res.status == SC_CLIENT_FAILED);
  CHECK(sc_byoc_refused() == 1);
  /* The literal of another address is no better. */
  struct tiny lit = {.how = WAIT_POLL, .timeout_ms = 1000, .connect_to = "192.0.2.99"};
  run(&lit);
  CHECK(lit.lookup_err == EAI_NONAME);
  /* A second run while one is in progress is refused. */
  struct tiny a = {0}, b = {0};
  CHECK(sc_byoc_init(&a.b, "a", &tiny_ops, &sc.cfg) == 0);
  CHECK(sc_byoc_init(&b.b, "b", &tiny_ops, &sc.cfg) == -1);
  sc_byoc_cleanup(&a.b);
}

/* ---- the step form: a non-blocking client ---------------------------------------- */

struct stepper {
  struct sc_byoc b;
  int fd, state, steps;
  char in[512];
  size_t in_len;
};

static enum sc_client_status step(struct sc_byoc *b, int64_t *wait_ms)
{
  struct stepper *s = (struct stepper *)b;
  s->steps++;
  if (s->state == 0) {
    struct addrinfo *ai;
    char port[8];
    snprintf(port, sizeof port, "%u", b->cfg->port);
    if (getaddrinfo(b->cfg->host, port, NULL, &ai) != 0)
      return SC_CLIENT_FAILED;
    s->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(s->fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (r != 0)
      return SC_CLIENT_FAILED;
    s->state = 1;
  }
  ssize_t n = recv(s->fd, s->in + s->in_len, sizeof s->in - s->in_len, 0);
  if (n > 0)
    s->in_len += (size_t)n;
  if (n < 0 && errno != EAGAIN)
    return SC_CLIENT_FAILED;
  if (memchr(s->in, '\n', s->in_len)) {
    s->in_len = 0;
    if (s->state == 2)
      return SC_CLIENT_DONE;
    send(s->fd, "QUIT\r\n", 6, 0);
    s->state = 2;
  }
  *wait_ms = 10000; /* its own timer: give up after ten ticks */
  return s->steps > 10 ? SC_CLIENT_FAILED : SC_CLIENT_RUNNING;
}

static void step_cleanup(struct sc_byoc *b)
{
  close(((struct stepper *)b)->fd);
}

static void test_step(void)
{
  static const struct sc_byoc_ops ops = {.step = step, .cleanup = step_cleanup};
  load(plain_server);
  struct stepper s = {.fd = -1};
  CHECK(sc_byoc_init(&s.b, "stepper", &ops, &sc.cfg) == 0);
  sim_run(&sc, &s.b.base, &wire, &res);
  sc_byoc_cleanup(&s.b);
  CHECKF(res.status == SC_CLIENT_DONE, "%s", sc_client_status_name(res.status));
  CHECK(res.end_ms == 0);
  /* Silent: it polls every 10 s of virtual time and gives up. */
  load("server = silent\nclient.mode = plain\nclient.tls = none\ndeliver = no\n");
  struct stepper q = {.fd = -1};
  CHECK(sc_byoc_init(&q.b, "stepper", &ops, &sc.cfg) == 0);
  sim_run(&sc, &q.b.base, &wire, &res);
  sc_byoc_cleanup(&q.b);
  CHECK(res.status == SC_CLIENT_FAILED);
  CHECKF(res.end_ms == 100000, "ended at %llu", (unsigned long long)res.end_ms);
}

/* ---- clients that spin instead of waiting ---------------------------------------- */

static int spin_forever;
static long spin_rounds; /* the spinner's calls that found nothing, last run */

/* Polls with a zero timeout (or reads a non-blocking socket) in a loop,
 * giving up after 5 s by its own clock, or never. */
static enum sc_client_status spinner(struct sc_byoc *b)
{
  struct addrinfo *ai;
  char port[8];
  snprintf(port, sizeof port, "%u", b->cfg->port);
  if (getaddrinfo(b->cfg->host, port, NULL, &ai) != 0)
    return SC_CLIENT_FAILED;
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);
  int64_t start = mono_ms();
  char c;
  /* Bounded all the same: the simulator's clock bound ends it first. */
  spin_rounds = 0;
  for (long i = 0; r == 0 && i < 100000000L; i++, spin_rounds++) {
    struct pollfd p = {fd, POLLIN, 0};
    if (spin_forever ? recv(fd, &c, 1, 0) > 0 : poll(&p, 1, 0) > 0)
      break;
    if (!spin_forever && mono_ms() - start >= 5000)
      break;
  }
  sc_byoc_diagnose(b, "gave up after %lld ms", (long long)(mono_ms() - start));
  close(fd);
  return SC_CLIENT_FAILED;
}

static void test_spin(void)
{
  static const struct sc_byoc_ops ops = {.run = spinner};
  load("server = silent\nclient.mode = plain\nclient.tls = none\ndeliver = no\n");
  for (spin_forever = 0; spin_forever <= 1; spin_forever++) {
    struct sc_byoc b;
    CHECK(sc_byoc_init(&b, "spinner", &ops, &sc.cfg) == 0);
    sim_run(&sc, &b.base, &wire, &res);
    sc_byoc_cleanup(&b);
    oracle_judge(&sc, &wire, &res, &rep);
    if (!spin_forever) {
      /* Late by less than SC_BYOC_SPIN_STEP_MAX, within the oracles' slack. */
      CHECKF(res.status == SC_CLIENT_FAILED && res.end_ms >= 5000 &&
                 res.end_ms < 5000 + SC_BYOC_SPIN_STEP_MAX,
             "%s at %llu ms", sc_client_status_name(res.status), (unsigned long long)res.end_ms);
      CHECK(!(rep.verdicts & ORACLE_BIT(SC_V_HANG)));
    } else {
      CHECK(res.stop == SIM_STOP_TIME_BOUND);
      CHECK(rep.verdicts & ORACLE_BIT(SC_V_HANG));
    }
  }
}

/* A client spinning through a server stall of 4,000 s: past the
 * longest timeout it was given it waits too long whatever comes (HANG), and
 * the shim's steps keep doubling, so the rest of the stall goes by in a few
 * dozen waits (a second at a time: 80,000 calls). The greeting after it
 * still arrives and is read. */
static void test_spin_through_long_stall(void)
{
  static const struct sc_byoc_ops ops = {.run = spinner};
  load("server = submission\nclient.mode = plain\nclient.tls = none\ndeliver = no\n"
       "on connect: stall 4000000; send \"220 late\\r\\n\"\n");
  spin_forever = 1;
  struct sc_byoc b;
  CHECK(sc_byoc_init(&b, "spinner", &ops, &sc.cfg) == 0);
  sim_run(&sc, &b.base, &wire, &res);
  sc_byoc_cleanup(&b);
  oracle_judge(&sc, &wire, &res, &rep);
  CHECKF(res.status == SC_CLIENT_FAILED && res.end_ms >= 4000000, "%s at %llu ms",
         sc_client_status_name(res.status), (unsigned long long)res.end_ms);
  CHECKF(spin_rounds < 20000, "%ld calls", spin_rounds);
  CHECK(rep.verdicts & ORACLE_BIT(SC_V_HANG));
}

/* ---- the calls one by one: a client that probes the shim ------------------------ */

/* A run-form client whose body checks the wrapped calls from inside a run,
 * on the client's stack; `done` says the body got to its end. */
struct probe {
  struct sc_byoc b; /* first */
  void (*body)(struct probe *p);
  void (*cleanup)(struct probe *p);
  enum sc_client_status ret;
  int fd, done, cleaned;
  long n; /* whatever the body counts */
};

static enum sc_client_status probe_run(struct sc_byoc *b)
{
  struct probe *p = (struct probe *)b;
  p->body(p);
  p->done = 1;
  return p->ret;
}

static void probe_cleanup(struct sc_byoc *b)
{
  struct probe *p = (struct probe *)b;
  if (p->cleanup)
    p->cleanup(p);
  if (p->fd >= 0)
    close(p->fd);
  p->fd = -1;
  p->cleaned = 1;
}

static const struct sc_byoc_ops probe_ops = {.run = probe_run, .cleanup = probe_cleanup};
static struct probe pr;

/* Plays `scn` against a probe whose client runs `body` (and `cleanup` in
 * its wind-down). */
static void play(const char *scn, void (*body)(struct probe *), void (*cleanup)(struct probe *))
{
  load(scn);
  memset(&pr, 0, sizeof pr);
  CHECK(sc_byoc_init(&pr.b, "probe", &probe_ops, &sc.cfg) == 0);
  pr.body = body;
  pr.cleanup = cleanup;
  pr.ret = SC_CLIENT_DONE;
  pr.fd = -1;
  sim_run(&sc, &pr.b.base, &wire, &res);
  sc_byoc_cleanup(&pr.b);
}

/* play(), and the body ran to its end during the run (not in the wind-down
 * after it: a call that waits for ever fails then, and the body goes on). */
static void probe(const char *scn, void (*body)(struct probe *))
{
  play(scn, body, NULL);
  CHECKF(pr.done && res.stop == SIM_STOP_CLIENT_END, "done %d, stop %s", pr.done,
         sim_stop_name(res.stop));
}

/* The configured server's address and port, looked up. */
static int server_addr(const struct sc_byoc *b, struct sockaddr_storage *ss, socklen_t *len)
{
  char port[8];
  snprintf(port, sizeof port, "%u", b->cfg->port);
  struct addrinfo *ai = NULL;
  if (getaddrinfo(b->cfg->host, port, NULL, &ai) != 0)
    return -1;
  memcpy(ss, ai->ai_addr, ai->ai_addrlen);
  *len = ai->ai_addrlen;
  freeaddrinfo(ai);
  return 0;
}

/* A descriptor connected to the server (`type_flags`: SOCK_NONBLOCK or 0). */
static int dial(struct probe *p, int type_flags)
{
  struct sockaddr_storage ss;
  socklen_t len = 0;
  if (server_addr(&p->b, &ss, &len) != 0)
    return -1;
  p->fd = socket(ss.ss_family, SOCK_STREAM | type_flags, 0);
  if (connect(p->fd, (struct sockaddr *)&ss, len) != 0) {
    close(p->fd);
    p->fd = -1;
  }
  return p->fd;
}

static uint16_t port_of(const struct addrinfo *ai)
{
  return ntohs(((const struct sockaddr_in *)ai->ai_addr)->sin_port);
}

/* A descriptor of the program's own in the shim's range, open before the
 * shim first reserved the range, stays the program's: no virtual
 * descriptor takes its number, and after the run it is still what it was.
 * It must come first: the range is reserved once per process. */

static void taken_body(struct probe *p)
{
  int fds[64], n = 0;
  while (n < 64 && (fds[n] = socket(AF_INET, SOCK_STREAM, 0)) >= 0)
    n++;
  CHECK(n > 0 && n < 64);
  for (int i = 0; i < n; i++)
    CHECK(fds[i] != SC_BYOC_FD_BASE);
  for (int i = 0; i < n; i++)
    close(fds[i]);
  /* And during the run it is the program's own, as every call says. */
  errno = 0;
  CHECKF(write(SC_BYOC_FD_BASE, "w", 1) == 1, "errno %d", errno);
  (void)p;
}

static void test_range_taken_before(void)
{
  int pp[2];
  CHECK(pipe2(pp, O_NONBLOCK) == 0);
  CHECK(dup2(pp[1], SC_BYOC_FD_BASE) == SC_BYOC_FD_BASE);
  probe(plain_server, taken_body);
  struct stat st;
  CHECK(fstat(SC_BYOC_FD_BASE, &st) == 0 && S_ISFIFO(st.st_mode));
  char two[2] = {0};
  CHECK(write(SC_BYOC_FD_BASE, "z", 1) == 1);
  CHECK(read(pp[0], two, 2) == 2 && memcmp(two, "wz", 2) == 0);
  close(SC_BYOC_FD_BASE);
  close(pp[0]);
  close(pp[1]);
}

/* Name lookup answers the configured host in any case, in its absolute
 * form, with numeric and named services, and honours the hints. */
static void lookup_body(struct probe *p)
{
  (void)p;
  struct addrinfo *ai = NULL, hints = {0};
  CHECK(getaddrinfo("MX.Example.COM.", "65535", NULL, &ai) == 0);
  if (ai) {
    CHECK(ai->ai_family == AF_INET && port_of(ai) == 65535);
    freeaddrinfo(ai);
  }
  ai = NULL;
  CHECK(getaddrinfo("mx.example.com", "submission", NULL, &ai) == 0);
  if (ai) {
    CHECK(port_of(ai) == 587);
    freeaddrinfo(ai);
  }
  ai = NULL;
  CHECK(getaddrinfo("mx.example.com", "65536", NULL, &ai) == EAI_SERVICE);
  hints.ai_family = AF_INET6;
  CHECK(getaddrinfo("mx.example.com", "25", &hints, &ai) == EAI_ADDRFAMILY);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  CHECK(getaddrinfo("mx.example.com", "25", &hints, &ai) == EAI_SOCKTYPE);
  struct hostent *he = gethostbyname("mx.example.com");
  CHECK(he && he->h_addrtype == AF_INET && he->h_length == 4);
  if (he) {
    struct in_addr want;
    inet_pton(AF_INET, SC_BYOC_NAME_ADDR, &want);
    CHECK(memcmp(he->h_addr_list[0], &want, 4) == 0 && he->h_addr_list[1] == NULL);
  }
}

static void test_lookup(void)
{
  probe(plain_server, lookup_body);
}

/* connect() reaches the server's address and port only, once per run;
 * an unconnected or refused descriptor says so through poll, select,
 * getsockopt, getpeername and shutdown. */
static void connect_body(struct probe *p)
{
  errno = 0;
  CHECK(socket(AF_INET, SOCK_DGRAM, 0) == -1 && errno == EACCES);
  struct sockaddr_storage ss;
  socklen_t len = 0;
  CHECK(server_addr(&p->b, &ss, &len) == 0);
  struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
  CHECK(sin->sin_family == AF_INET && len == sizeof *sin);

  int u = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(u >= 0);
  struct pollfd pf = {u, POLLIN | POLLOUT, 0};
  CHECKF(poll(&pf, 1, 0) == 1 && pf.revents == (POLLOUT | POLLHUP), "revents %#x", pf.revents);
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  errno = 0;
  CHECK(getpeername(u, (struct sockaddr *)&peer, &plen) == -1 && errno == ENOTCONN);
  errno = 0;
  CHECK(shutdown(u, SHUT_WR) == -1 && errno == ENOTCONN);
  /* The right address on another port. */
  struct sockaddr_in other = *sin;
  other.sin_port = htons((uint16_t)(ntohs(sin->sin_port) + 1));
  errno = 0;
  CHECK(connect(u, (struct sockaddr *)&other, sizeof other) == -1 && errno == ECONNREFUSED);
  int err = 0;
  socklen_t elen = sizeof err;
  CHECK(getsockopt(u, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == ECONNREFUSED);
  pf = (struct pollfd){u, POLLOUT, 0};
  CHECKF(poll(&pf, 1, 0) == 1 && pf.revents == (POLLERR | POLLHUP | POLLOUT), "revents %#x",
         pf.revents);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(u, &rd);
  struct timeval tv = {0, 0};
  CHECK(select(u + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(u, &rd));
  close(u);
  /* The right address, but cut short. */
  u = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(u, (struct sockaddr *)sin, sizeof *sin - 1) != 0);
  close(u);
  CHECK(sc_byoc_refused() == 2);

  p->fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(p->fd, (struct sockaddr *)sin, len) == 0);
  errno = 0;
  CHECK(connect(p->fd, (struct sockaddr *)sin, len) == -1 && errno == EISCONN);
  CHECK(shutdown(p->fd, SHUT_RD) == 0);
  /* A second connection is refused. */
  int w = socket(AF_INET, SOCK_STREAM, 0);
  errno = 0;
  CHECK(connect(w, (struct sockaddr *)sin, len) == -1 && errno == ECONNREFUSED);
  close(w);
  /* getpeername() into a short buffer: cut there, the full length said. */
  unsigned char buf[sizeof(struct sockaddr_storage)];
  memset(buf, 0xa5, sizeof buf);
  plen = 4;
  CHECK(getpeername(p->fd, (struct sockaddr *)buf, &plen) == 0);
  CHECK(plen == sizeof(struct sockaddr_in));
  CHECK(memcmp(buf, sin, 4) == 0 && buf[4] == 0xa5 && buf[sizeof *sin - 1] == 0xa5);
}

static void test_connect(void)
{
  probe(plain_server, connect_body);
}

/* An IPv6 server: its literal resolves to a whole sockaddr_in6, never
 * through gethostbyname (IPv4 only). */
static void ipv6_body(struct probe *p)
{
  struct addrinfo *ai = NULL;
  CHECK(getaddrinfo(p->b.cfg->host, "587", NULL, &ai) == 0);
  if (ai) {
    CHECK(ai->ai_family == AF_INET6 && ai->ai_addrlen == sizeof(struct sockaddr_in6));
    freeaddrinfo(ai);
  }
  CHECK(gethostbyname(p->b.cfg->host) == NULL);
  CHECK(dial(p, 0) >= 0);
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  CHECK(getpeername(p->fd, (struct sockaddr *)&peer, &plen) == 0);
  CHECK(plen == sizeof(struct sockaddr_in6) && peer.ss_family == AF_INET6);
}

static void test_ipv6(void)
{
  probe("server = submission\nclient.mode = plain\nclient.tls = none\nclient.host = 2001:db8::25\n"
        "deliver = no\n",
        ipv6_body);
}

/* Reading: MSG_DONTWAIT never waits, MSG_PEEK leaves the bytes, vectored
 * reads fill one buffer after the other, the server's close reads as end of
 * file, and a write after it fails with EPIPE. */
static void read_body(struct probe *p)
{
  CHECK(dial(p, 0) >= 0);
  char buf[64];
  errno = 0;
  CHECK(recv(p->fd, buf, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN);
  CHECK(sc_byoc_now() == 0);
  struct pollfd pf = {p->fd, POLLIN, 0};
  CHECK(poll(&pf, 1, -1) == 1 && sc_byoc_now() == 1000);
  CHECK(recv(p->fd, buf, 3, MSG_PEEK) == 3 && memcmp(buf, "220", 3) == 0);
  CHECK(recv(p->fd, buf, 8, 0) == 8 && memcmp(buf, "220-hi\r\n", 8) == 0);
  char a[2], b[32];
  struct iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
  CHECK(recvmsg(p->fd, &msg, 0) == 8);
  CHECK(memcmp(a, "22", 2) == 0 && memcmp(b, "0 ok\r\n", 6) == 0);
  CHECK(readv(p->fd, iov, 2) == 0);
  CHECK(read(p->fd, buf, sizeof buf) == 0);
  errno = 0;
  CHECK(write(p->fd, "QUIT\r\n", 6) == -1 && errno == EPIPE);
}

static void test_read(void)
{
  probe("server = submission\nclient.mode = plain\nclient.tls = none\ndeliver = no\n"
        "on connect: stall 1000; send \"220-hi\\r\\n220 ok\\r\\n\"; close\n",
        read_body);
}

/* A server that sends more than the connection's buffer holds while the
 * client sleeps: the buffer takes SC_BYOC_BUF bytes, the rest goes as the
 * client reads. */
static void flood_body(struct probe *p)
{
  CHECK(dial(p, 0) >= 0);
  CHECK(poll(NULL, 0, 5000) == 0 && sc_byoc_now() == 5000);
  static char buf[2 * SC_BYOC_BUF];
  long total = 0, bad = 0;
  for (int i = 0; i < 100 && total < 70000; i++) {
    ssize_t n = recv(p->fd, buf, sizeof buf, 0);
    if (i == 0)
      CHECKF(n == SC_BYOC_BUF, "first read %zd", n);
    if (n <= 0 || n > SC_BYOC_BUF)
      break;
    for (ssize_t k = 0; k < n; k++)
      bad += buf[k] != 'x';
    total += n;
  }
  CHECKF(total == 70000 && bad == 0, "%ld bytes, %ld wrong", total, bad);
}

static void test_flood(void)
{
  probe("server = submission\nclient.mode = plain\nclient.tls = none\ndeliver = no\n"
        "on connect: send \"x\" * 70000; hang\n",
        flood_body);
}

/* Writing to a server that reads nothing: the buffer takes SC_BYOC_BUF
 * bytes, a vectored write stops where it is full, then a non-blocking
 * write fails at once, poll says not writable, and a blocking one waits
 * its SO_SNDTIMEO. libssl writing through the shim's BIO is told to retry. */
static void write_body(struct probe *p)
{
  CHECK(dial(p, SOCK_NONBLOCK) >= 0);
  CHECK((fcntl(p->fd, F_GETFL) & O_NONBLOCK) != 0);
  /* A millisecond for the server to go deaf. */
  struct pollfd pf = {p->fd, POLLIN, 0};
  CHECK(poll(&pf, 1, 1) == 0 && sc_byoc_now() == 1);
  struct iovec two[2] = {{(void *)"EH", 2}, {(void *)"LO\r\n", 4}};
  struct msghdr msg = {.msg_iov = two, .msg_iovlen = 2};
  CHECK(sendmsg(p->fd, &msg, 0) == 6);
  static char big[SC_BYOC_BUF];
  memset(big, 'a', sizeof big);
  size_t fill = SC_BYOC_BUF - 6 - 10;
  CHECK(write(p->fd, big, fill) == (ssize_t)fill);
  struct iovec iov[2] = {{big, 4}, {big, 10}};
  CHECK(writev(p->fd, iov, 2) == 10);
  pf = (struct pollfd){p->fd, POLLOUT, 0};
  CHECK(poll(&pf, 1, 0) == 0 && pf.revents == 0);
  errno = 0;
  CHECK(write(p->fd, "x", 1) == -1 && errno == EAGAIN);
  CHECK(sc_byoc_now() == 1);
  /* libssl on the descriptor: its BIOs name it, and ask to retry. */
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL *s = ctx ? SSL_new(ctx) : NULL;
  CHECK(s && SSL_set_rfd(s, p->fd) == 1 && SSL_set_wfd(s, p->fd) == 1);
  if (s) {
    int got = -1;
    CHECK(BIO_get_fd(SSL_get_rbio(s), &got) == p->fd && got == p->fd);
    BIO *wb = SSL_get_wbio(s);
    CHECK(wb != SSL_get_rbio(s));
    CHECK(BIO_write(wb, "x", 1) <= 0 && BIO_should_retry(wb) && BIO_should_write(wb));
  }
  SSL_free(s);
  SSL_CTX_free(ctx);
  /* Blocking now, with a send timeout of 2 s (none to receive). */
  CHECK(fcntl(p->fd, F_SETFL, 0) == 0 && (fcntl(p->fd, F_GETFL) & O_NONBLOCK) == 0);
  struct timeval tv = {2, 0};
  CHECK(setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0);
  errno = 0;
  CHECK(send(p->fd, "x", 1, 0) == -1 && errno == EAGAIN);
  CHECKF(sc_byoc_now() == 2001, "%llu", (unsigned long long)sc_byoc_now());
}

static void test_write(void)
{
  probe("server = submission\nclient.mode = plain\nclient.tls = none\ndeliver = no\n"
        "on connect: deaf\n",
        write_body);
}

/* A blocking write of more than the buffer holds goes on as the server
 * reads (and answers nothing). */
static void long_write_body(struct probe *p)
{
  CHECK(dial(p, 0) >= 0);
  /* The greeting first: from then on the server only reads. */
  char line[128];
  size_t got = 0;
  while (got < sizeof line && (got < 2 || memcmp(line + got - 2, "\r\n", 2) != 0)) {
    ssize_t n = read(p->fd, line + got, 1);
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  CHECK(got > 3 && memcmp(line, "220", 3) == 0);
  static char big[72000];
  for (size_t i = 0; i < sizeof big; i += 1000) {
    memset(big + i, 'a', 998);
    memcpy(big + i, "NOOX ", 5);
    memcpy(big + i + 998, "\r\n", 2);
  }
  size_t sent = 0;
  for (int i = 0; i < 100 && sent < sizeof big; i++) {
    ssize_t n = write(p->fd, big + sent, sizeof big - sent);
    if (n <= 0)
      break;
    sent += (size_t)n;
  }
  p->n = (long)sent;
}

static void test_long_write(void)
{
  probe("server = submission\nclient.mode = plain\nclient.tls = none\ndeliver = no\n"
        "on other: nothing\n",
        long_write_body);
  CHECKF(pr.n == 72000, "%ld bytes sent", pr.n);
}

/* When the server reads (sc_adapter_eager_server(): the TLS-phase
 * timeout's bit 4). Eager: the answer to EHLO is there when the write
 * returns, no time having passed; a deaf server lets each write return a
 * millisecond later, and never looks like a client that stopped acting.
 * Otherwise the server reads when the client waits: nothing is there after
 * the write. `n` is what a poll at once found after the EHLO. */
static void greeted(struct probe *p)
{
  char line[128];
  size_t got = 0;
  struct pollfd pf = {p->fd, POLLIN, 0};
  while (got < sizeof line && (got < 2 || memcmp(line + got - 2, "\r\n", 2) != 0) &&
         poll(&pf, 1, -1) == 1 && read(p->fd, line + got, 1) == 1)
    got++;
  CHECK(got > 3 && memcmp(line, "220", 3) == 0);
}

static void eager_body(struct probe *p)
{
  CHECK(dial(p, 0) >= 0);
  greeted(p);
  uint64_t before = sc_byoc_now();
  CHECK(write(p->fd, "EHLO x\r\n", 8) == 8);
  struct pollfd pf = {p->fd, POLLIN, 0};
  p->n = poll(&pf, 1, 0);
  CHECK(sc_byoc_now() == before);
  pf.revents = 0;
  CHECK(poll(&pf, 1, 5000) == 1); /* either way, the answer comes */
  char buf[256];
  CHECK(read(p->fd, buf, sizeof buf) > 3 && memcmp(buf, "250", 3) == 0);
}

static void deaf_eager_body(struct probe *p)
{
  CHECK(dial(p, 0) >= 0);
  greeted(p);
  uint64_t before = sc_byoc_now();
  for (int i = 0; i < 3; i++)
    CHECK(write(p->fd, "NOOP\r\n", 6) == 6);
  p->n = (long)(sc_byoc_now() - before);
}

static void test_eager(void)
{
  const char *submission = "server = submission\nclient.mode = plain\nclient.tls = none\n"
                           "deliver = no\nclient.timeout.tls = %u\n";
  char scn[256];
  snprintf(scn, sizeof scn, submission, 300004u);
  probe(scn, eager_body);
  CHECKF(pr.n == 1, "eager: a poll right after the write found %ld ready", pr.n);
  snprintf(scn, sizeof scn, submission, 300000u);
  probe(scn, eager_body);
  CHECKF(pr.n == 0, "lazy: a poll right after the write found %ld ready", pr.n);
  probe("server = submission\nclient.mode = plain\nclient.tls = none\ndeliver = no\n"
        "client.timeout.tls = 300004\non connect: send \"220 hi\\r\\n\"; deaf\n",
        deaf_eager_body);
  CHECKF(pr.n == 3, "eager, deaf: three writes took %ld ms", pr.n);
}

/* select() and poll() on a closed virtual descriptor, select()'s bounds
 * and its timeval (rounded up to a millisecond, zeroed when it expires),
 * SO_RCVTIMEO in seconds and microseconds, and every clock in ms. */
static void clock_body(struct probe *p)
{
  CHECK(dial(p, 0) >= 0);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  close(c);
  struct pollfd pf = {c, POLLIN, 0};
  CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLNVAL);
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(c, &rd);
  struct timeval tv = {0, 0};
  errno = 0;
  CHECK(select(c + 1, &rd, NULL, NULL, &tv) == -1 && errno == EBADF);
  errno = 0;
  CHECK(select(FD_SETSIZE + 1, NULL, NULL, NULL, &tv) == -1 && errno == EINVAL);
  uint64_t t0 = sc_byoc_now();
  FD_ZERO(&rd);
  FD_SET(p->fd, &rd);
  tv = (struct timeval){0, 500};
  CHECK(select(p->fd + 1, &rd, NULL, NULL, &tv) == 0 && !FD_ISSET(p->fd, &rd));
  CHECK(tv.tv_sec == 0 && tv.tv_usec == 0);
  CHECKF(sc_byoc_now() == t0 + 1, "%llu", (unsigned long long)sc_byoc_now());
  tv = (struct timeval){1, 233000};
  CHECK(setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
  char ch;
  errno = 0;
  CHECK(recv(p->fd, &ch, 1, 0) == -1 && errno == EAGAIN);
  CHECKF(sc_byoc_now() == t0 + 1234, "%llu", (unsigned long long)sc_byoc_now());
  /* The clocks, 1.234 s in. */
  struct timespec ts;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
  int64_t mono0 = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - (int64_t)sc_byoc_now();
  CHECKF(ts.tv_nsec % 1000000 == 0 && mono0 % 1000 == 0, "%lld.%09ld", (long long)ts.tv_sec,
         ts.tv_nsec);
  CHECK(clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0);
  CHECK(ts.tv_sec == (time_t)(TLS_PEER_TIME + sc_byoc_now() / 1000));
  CHECK(ts.tv_nsec == (long)(sc_byoc_now() % 1000) * 1000000L);
  struct timeval now;
  CHECK(gettimeofday(&now, NULL) == 0);
  CHECK(now.tv_sec == ts.tv_sec && now.tv_usec == (long)(sc_byoc_now() % 1000) * 1000);
  time_t t = 0;
  CHECK(time(&t) == ts.tv_sec && t == ts.tv_sec);
}

static void test_clocks(void)
{
  probe("server = silent\nclient.mode = plain\nclient.tls = none\ndeliver = no\n", clock_body);
}

/* A client polling without a timeout: SC_BYOC_SPIN_MAX calls find nothing
 * before a millisecond passes, then two, doubling. */
static void spin_body(struct probe *p)
{
  CHECK(dial(p, SOCK_NONBLOCK) >= 0);
  uint64_t at[2 * SC_BYOC_SPIN_MAX];
  for (int i = 0; i < 2 * SC_BYOC_SPIN_MAX; i++) {
    struct pollfd pf = {p->fd, POLLIN, 0};
    CHECK(poll(&pf, 1, 0) == 0);
    at[i] = sc_byoc_now();
  }
  CHECK(at[SC_BYOC_SPIN_MAX - 2] == 0 && at[SC_BYOC_SPIN_MAX - 1] == 1);
  CHECK(at[2 * SC_BYOC_SPIN_MAX - 2] == 1 && at[2 * SC_BYOC_SPIN_MAX - 1] == 3);
}

static void test_spin_steps(void)
{
  probe("server = silent\nclient.mode = plain\nclient.tls = none\ndeliver = no\n", spin_body);
}

/* Descriptors: a run has a fixed range of them, a closed one is free again,
 * and a real descriptor just past the range is the real one. */
static void fds_body(struct probe *p)
{
  int fds[64], n = 0;
  while (n < 64 && (fds[n] = socket(AF_INET, SOCK_STREAM, 0)) >= 0)
    n++;
  CHECK(n > 0 && n < 64 && errno == EMFILE);
  for (int i = 1; i < n; i++)
    CHECK(fds[i] == fds[0] + i);
  int pp[2];
  CHECK(pipe2(pp, O_NONBLOCK) == 0);
  int past = fds[0] + n;
  CHECK(dup2(pp[1], past) == past);
  char c = 0;
  CHECK(write(past, "y", 1) == 1 && read(pp[0], &c, 1) == 1 && c == 'y');
  CHECK(close(past) == 0);
  close(pp[0]);
  close(pp[1]);
  for (int i = 0; i < n; i++)
    CHECK(close(fds[i]) == 0);
  int again = 0;
  for (int i = 0; i < n; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    again += fds[i] >= 0;
  }
  CHECK(again == n);
  for (int i = 0; i < n; i++)
    close(fds[i]);
  (void)p;
}

static void test_fds(void)
{
  probe(plain_server, fds_body);
}

/* A client waiting for ever is wound down: its calls fail at once (reset,
 * poll reporting errors) and a wait of its own ends at once, however many. */
static void forever_body(struct probe *p)
{
  CHECK(dial(p, 0) >= 0);
  struct pollfd pf = {p->fd, POLLIN, 0};
  poll(&pf, 1, -1);
}

static void forever_cleanup(struct probe *p)
{
  errno = 0;
  CHECK(write(p->fd, "QUIT\r\n", 6) == -1 && errno == ECONNRESET);
  char c;
  errno = 0;
  CHECK(recv(p->fd, &c, 1, 0) == -1 && errno == ECONNRESET);
  struct pollfd pf = {p->fd, POLLIN | POLLOUT, 0};
  CHECKF(poll(&pf, 1, -1) == 1 && pf.revents == (POLLERR | POLLHUP | POLLIN | POLLOUT),
         "revents %#x", pf.revents);
  for (int i = 0; i < 2 * SC_BYOC_CANCEL_ROUNDS; i++)
    poll(NULL, 0, 10);
}

static void test_wind_down(void)
{
  play("server = silent\nclient.mode = plain\nclient.tls = none\ndeliver = no\n", forever_body,
       forever_cleanup);
  CHECK(res.stop == SIM_STOP_HANG);
  CHECK(pr.cleaned);
  CHECK(pr.b.status == SC_CLIENT_DONE);
  /* A run whose client never started ends failed. */
  load(plain_server);
  struct probe idle = {.fd = -1};
  CHECK(sc_byoc_init(&idle.b, "idle", &probe_ops, &sc.cfg) == 0);
  sc_byoc_cleanup(&idle.b);
  CHECK(idle.b.status == SC_CLIENT_FAILED);
  CHECK(!sc_byoc_engaged());
}

/* A run-form client that returns RUNNING has failed. */
static void running_body(struct probe *p)
{
  p->ret = SC_CLIENT_RUNNING;
}

static void test_run_returns_running(void)
{
  probe(plain_server, running_body);
  CHECK(res.status == SC_CLIENT_FAILED);
}

/* A step client asking to be called again at once gets a millisecond at a
 * time: one waiting 5 ms by its own clock ends at 5 ms. */
static int64_t zero_started;

static enum sc_client_status zero_step(struct sc_byoc *b, int64_t *wait_ms)
{
  struct probe *p = (struct probe *)b;
  if (p->n++ == 0) {
    zero_started = mono_ms();
    if (dial(p, SOCK_NONBLOCK) < 0)
      return SC_CLIENT_FAILED;
  }
  *wait_ms = 0;
  if (p->n > 1000)
    return SC_CLIENT_FAILED;
  return mono_ms() - zero_started >= 5 ? SC_CLIENT_DONE : SC_CLIENT_RUNNING;
}

static void test_step_zero_wait(void)
{
  static const struct sc_byoc_ops ops = {.step = zero_step, .cleanup = probe_cleanup};
  load("server = silent\nclient.mode = plain\nclient.tls = none\ndeliver = no\n");
  memset(&pr, 0, sizeof pr);
  pr.fd = -1;
  CHECK(sc_byoc_init(&pr.b, "zero", &ops, &sc.cfg) == 0);
  sim_run(&sc, &pr.b.base, &wire, &res);
  sc_byoc_cleanup(&pr.b);
  CHECKF(res.status == SC_CLIENT_DONE && res.end_ms == 5, "%s at %llu ms after %ld steps",
         sc_client_status_name(res.status), (unsigned long long)res.end_ms, pr.n);
  CHECK(pr.n == 6);
}

/* SSL_set_fd() on a virtual descriptor hands the SSL one BIO both ways with
 * the one reference SSL_set_bio() takes for that, so SSL_free() frees it
 * (a reference too many leaked a BIO per connection). */
static int bio_frees;

static long count_frees(BIO *b, int oper, const char *argp, size_t len, int argi, long argl,
                        int ret, size_t *processed)
{
  (void)b;
  (void)argp;
  (void)len;
  (void)argi;
  (void)argl;
  (void)processed;
  bio_frees += oper == BIO_CB_FREE;
  return ret;
}

static void ssl_set_fd_body(struct probe *p)
{
  CHECK(dial(p, 0) >= 0);
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL *s = ctx ? SSL_new(ctx) : NULL;
  CHECK(s && SSL_set_fd(s, p->fd) == 1);
  BIO *b = s ? SSL_get_rbio(s) : NULL;
  CHECK(b && b == SSL_get_wbio(s));
  if (b)
    BIO_set_callback_ex(b, count_frees);
  bio_frees = 0;
  SSL_free(s);
  CHECKF(bio_frees == 1, "SSL_free freed the BIO %d times", bio_frees);
  if (b && bio_frees == 0)
    BIO_free(b); /* the reference left over, so LeakSanitizer stays quiet */
  SSL_CTX_free(ctx);
}

static void test_ssl_set_fd_bio_freed(void)
{
  probe(plain_server, ssl_set_fd_body);
}

/* poll() after the server closed reports POLLRDHUP only to a caller that
 * asked for it: Linux reports the events asked for, plus POLLERR, POLLHUP
 * and POLLNVAL. */
static void rdhup_body(struct probe *p)
{
  CHECK(dial(p, 0) >= 0);
  char buf[64];
  for (int i = 0; i < 10 && read(p->fd, buf, sizeof buf) > 0; i++)
    ;
  struct pollfd pf = {p->fd, POLLIN, 0};
  CHECK(poll(&pf, 1, 0) == 1);
  CHECKF(pf.revents == POLLIN, "revents %#x", pf.revents);
  pf = (struct pollfd){p->fd, POLLIN | POLLRDHUP, 0};
  CHECK(poll(&pf, 1, 0) == 1 && pf.revents == (POLLIN | POLLRDHUP));
}

static void test_pollrdhup_when_asked(void)
{
  probe("server = submission\nclient.mode = plain\nclient.tls = none\ndeliver = no\n"
        "on connect: send \"220 bye\\r\\n\"; close\n",
        rdhup_body);
}

/* A write after shutdown(SHUT_WR) fails with EPIPE, as on Linux. */
static void shut_wr_body(struct probe *p)
{
  CHECK(dial(p, 0) >= 0);
  CHECK(shutdown(p->fd, SHUT_WR) == 0);
  errno = 0;
  ssize_t n = write(p->fd, "QUIT\r\n", 6);
  CHECKF(n == -1 && errno == EPIPE, "write gave %zd, errno %d", n, errno);
}

static void test_write_after_shutdown(void)
{
  probe(plain_server, shut_wr_body);
}

/* The adapters' helpers. */
static void test_adapter_util(void)
{
  char dst[16];
  CHECK(sc_adapter_crlf(dst, sizeof dst, "\nab\r\nc\n", 7) == 9);
  CHECK(strcmp(dst, "\r\nab\r\nc\r\n") == 0);
  /* Cut at cap-1, never in the middle of a CRLF. */
  CHECK(sc_adapter_crlf(dst, 4, "ab\n", 3) == 2 && strcmp(dst, "ab") == 0);
  CHECK(sc_adapter_bare_cr("a\r", 2) == 1);
  CHECK(sc_adapter_bare_cr("a\rb", 3) == 1);
  CHECK(sc_adapter_bare_cr("a\r\nb", 4) == 0);
  load(plain_server);
  for (int ph = 0; ph < SF_PHASE_COUNT; ph++)
    sc.cfg.timeout_ms[ph] = 5000;
  sc.cfg.timeout_ms[SF_PHASE_AUTH] = 700;
  sc.cfg.timeout_ms[SF_PHASE_QUIT] = 9000;
  CHECK(sc_adapter_min_timeout(&sc.cfg, SF_PHASE_GREETING, SF_PHASE_AUTH) == 700);
  CHECK(sc_adapter_min_timeout(&sc.cfg, SF_PHASE_GREETING, SF_PHASE_TLS) == 5000);
  CHECK(sc_adapter_wait_limit(&sc.cfg) == 9000 + ORACLE_TIMEOUT_SLACK_MS);
  char why[64];
  snprintf(why, sizeof why, "waited %u ms for the greeting", 9000 + ORACLE_TIMEOUT_SLACK_MS);
  CHECK(sc_adapter_wait_within_timeouts(&sc.cfg, why));
  snprintf(why, sizeof why, "waited %u ms for the greeting", 9001 + ORACLE_TIMEOUT_SLACK_MS);
  CHECK(!sc_adapter_wait_within_timeouts(&sc.cfg, why));
  /* After part of a line, two timeouts (one slack), and only then. */
  CHECK(!sc_adapter_timeout_per_read(&sc.cfg, why));
  snprintf(why, sizeof why, "waited %u ms after QUIT, a server line begun and not ended", 18000);
  CHECK(!sc_adapter_wait_within_timeouts(&sc.cfg, why) &&
        sc_adapter_timeout_per_read(&sc.cfg, why));
  snprintf(why, sizeof why, "waited %u ms after QUIT, a server line begun and not ended",
           18001 + ORACLE_TIMEOUT_SLACK_MS);
  CHECK(!sc_adapter_timeout_per_read(&sc.cfg, why));
  CHECK(sc_adapter_timeout_per_read(&sc.cfg, "waited 90000 ms after EHLO for a whole reply, "
                                             "taking its lines as they trickled in"));
  CHECK(!sc_adapter_server_deaf(&sc));
  load("server = submission\nclient.mode = plain\nclient.tls = none\ndeliver = no\n"
       "on connect: deaf\n");
  CHECK(sc_adapter_server_deaf(&sc));
  /* A deadlock is no wait a timeout covers. */
  snprintf(why, sizeof why, "waited 10 ms after EHLO, owed nothing: ...");
  CHECK(!sc_adapter_wait_within_timeouts(&sc.cfg, why));
  /* Bytes behind the 220 (or another 2xx) to STARTTLS, and a client
   * still there at the time bound, or past its handshake's timeout: in the
   * same send, or in a send after it, or the rest of a 220 line longer
   * than the client's line buffer (12 bytes here; libESMTP's 1024-byte one
   * cut a 220 line of 1122 bytes, found by fuzz_libesmtp); not a lone 220,
   * not one that fits, not behind a refusal, not bytes after TLS started,
   * not another end. */
  static const struct {
    const char *rule;
    int spins;
  } starttls[] = {
      {"on starttls: send \"220 go\\r\\n250 x\\r\\n\"; hang", 1},
      {"on starttls plain: send \"220 go\\r\\n\"; raw \"x\"; hang", 1},
      {"on starttls: send \"221 go\\r\\n250 x\\r\\n\"; hang", 1},
      {"on starttls: send \"454 no\\r\\n250 x\\r\\n\"; hang", 0},
      {"on starttls: send \"220 go\\r\\n\"; hang", 0},
      {"on starttls: send \"220 go\\r\\n\"; tls", 0},
      {"on ehlo: send \"220 go\\r\\n250 x\\r\\n\"", 0},
      {"on starttls: send \"220 go go go go\\r\\n\"; hang", 1},
      {"on starttls: send \"220 go go go go\"; hang", 1},
      {"on starttls: send \"220 go go\\r\\n\"; hang", 0},
  };
  const char *bound = "the client still waits at the time bound (60000 ms)";
  for (size_t i = 0; i < sizeof starttls / sizeof starttls[0]; i++) {
    char scn[256];
    snprintf(scn, sizeof scn, "server = submission\n%s\n", starttls[i].rule);
    load(scn);
    CHECKF(sc_adapter_spins_behind_220(&sc, bound, 12) == starttls[i].spins, "%s",
           starttls[i].rule);
    CHECK(sc_adapter_spins_behind_220(
              &sc, "the time bound passed during a server stall while the client still waits",
              12) == starttls[i].spins);
    CHECK(sc_adapter_spins_behind_220(
              &sc, "waited 600000 ms after its TLS hello (the phase's timeout is 300000 ms)", 12) ==
          starttls[i].spins);
    CHECK(!sc_adapter_spins_behind_220(&sc, "waited 10 ms after EHLO", 12));
  }
}

/* Trust anchors given as PEM bytes (curl's CURLOPT_CAINFO_BLOB) are parsed
 * once: the same bytes again give new entries holding the same
 * certificates, and the BIO is read to its end as the real call leaves it;
 * other bytes are parsed anew, and no parse is shared with them. */
static STACK_OF(X509_INFO) * read_pem(const char *pem, size_t n, int *left)
{
  BIO *b = BIO_new_mem_buf(pem, (int)n);
  STACK_OF(X509_INFO) *sk = b ? PEM_X509_INFO_read_bio(b, NULL, NULL, NULL) : NULL;
  char c;
  *left = b ? BIO_read(b, &c, 1) > 0 : 0;
  BIO_free(b);
  return sk;
}

static void test_pem_memo(void)
{
  struct tls_peer *p = tls_peer_new();
  CHECK(p != NULL);
  if (!p)
    return;
  const char *ca = tls_peer_ca_pem(p);
  int left;
  STACK_OF(X509_INFO) *a = read_pem(ca, strlen(ca), &left);
  STACK_OF(X509_INFO) *b = read_pem(ca, strlen(ca), &left);
  CHECK(a && b && sk_X509_INFO_num(a) == 1 && sk_X509_INFO_num(b) == 1);
  CHECK(!left);
  if (a && b && sk_X509_INFO_num(a) == 1 && sk_X509_INFO_num(b) == 1) {
    CHECK(sk_X509_INFO_value(a, 0) != sk_X509_INFO_value(b, 0));
    CHECK(sk_X509_INFO_value(a, 0)->x509 == sk_X509_INFO_value(b, 0)->x509);
  }
  /* Other bytes: the CA twice over is two certificates, parsed anew. */
  static char twice[16384];
  size_t n = strlen(ca);
  CHECK(2 * n < sizeof twice);
  if (2 * n < sizeof twice) {
    memcpy(twice, ca, n);
    memcpy(twice + n, ca, n);
    STACK_OF(X509_INFO) *c = read_pem(twice, 2 * n, &left);
    CHECK(c && sk_X509_INFO_num(c) == 2);
    if (c && a && sk_X509_INFO_num(c) == 2 && sk_X509_INFO_num(a) == 1)
      CHECK(sk_X509_INFO_value(c, 0)->x509 != sk_X509_INFO_value(a, 0)->x509);
    sk_X509_INFO_pop_free(c, X509_INFO_free);
  }
  /* A stack to append to gets the entries, whatever the bytes. */
  sk_X509_INFO_pop_free(read_pem(ca, n, &left), X509_INFO_free);
  STACK_OF(X509_INFO) *mine = sk_X509_INFO_new_null();
  BIO *bio = BIO_new_mem_buf(ca, (int)n);
  CHECK(mine && bio && PEM_X509_INFO_read_bio(bio, mine, NULL, NULL) == mine);
  CHECK(sk_X509_INFO_num(mine) == 1);
  BIO_free(bio);
  sk_X509_INFO_pop_free(mine, X509_INFO_free);
  /* Bytes holding a private key are never kept: each read has the key. */
  EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  BIO *kb = BIO_new(BIO_s_mem());
  CHECK(key && kb && PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) == 1);
  char *kp = NULL;
  long klen = kb ? BIO_get_mem_data(kb, &kp) : 0;
  CHECK(klen > 0 && n + (size_t)klen < sizeof twice);
  if (klen > 0 && n + (size_t)klen < sizeof twice) {
    memcpy(twice, ca, n);
    memcpy(twice + n, kp, (size_t)klen);
    for (int round = 0; round < 2; round++) {
      STACK_OF(X509_INFO) *k = read_pem(twice, n + (size_t)klen, &left);
      int keys = 0;
      for (int i = 0; k && i < sk_X509_INFO_num(k); i++)
        keys += sk_X509_INFO_value(k, i)->x_pkey != NULL;
      CHECKF(keys == 1, "read %d: %d keys", round, keys);
      sk_X509_INFO_pop_free(k, X509_INFO_free);
    }
  }
  BIO_free(kb);
  EVP_PKEY_free(key);
  sk_X509_INFO_pop_free(a, X509_INFO_free);
  sk_X509_INFO_pop_free(b, X509_INFO_free);
  tls_peer_free(p);
}

int main(void)
{
  test_range_taken_before();
  test_dialogue();
  test_silent();
  test_stall();
  test_refused();
  test_step();
  test_spin();
  test_spin_through_long_stall();
  test_lookup();
  test_connect();
  test_ipv6();
  test_read();
  test_flood();
  test_write();
  test_long_write();
  test_eager();
  test_clocks();
  test_spin_steps();
  test_fds();
  test_wind_down();
  test_run_returns_running();
  test_step_zero_wait();
  test_adapter_util();
  test_pem_memo();
  test_ssl_set_fd_bio_freed();
  test_pollrdhup_when_asked();
  test_write_after_shutdown();
  return check_report("test_byoc");
}
