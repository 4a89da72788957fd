/* The socket and clock shim (harness/byoc/): tiny clients written the way
 * third-party code is, with getaddrinfo, socket, connect, poll or select,
 * read and write on the real calls' names, run against the simulated
 * server. Blocking waits end at the client's own deadline in virtual time,
 * a wait without one is a hang, other addresses are refused, real
 * descriptors still work, the clocks are virtual only during a run, and a
 * client left waiting is wound down. */
#include "byoc.h"
#include "check.h"
#include "oracle.h"
#include "scenario.h"
#include "scenario_text.h"
#include "sim.h"
#include "tls_peer.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
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
  sk_X509_INFO_pop_free(a, X509_INFO_free);
  sk_X509_INFO_pop_free(b, X509_INFO_free);
  tls_peer_free(p);
}

int main(void)
{
  test_dialogue();
  test_silent();
  test_stall();
  test_refused();
  test_step();
  test_spin();
  test_spin_through_long_stall();
  test_pem_memo();
  return check_report("test_byoc");
}
