/* The socket and clock shim: every call of SC_BYOC_WRAPPED lands here
 * (-Wl,--wrap). While a run is in progress, virtual descriptors talk to the
 * simulated server's connection and the clocks read virtual time; anything
 * else goes to the real call. See byoc.h. */
/* Linux names: POLLRDHUP, the fcntl commands that take a pointer. */
#define _GNU_SOURCE
#include "byoc.h"

#include "adapter.h"
#include "adapter_util.h"
#include "shim_internal.h"
#include "tls_peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Lookups answered and not yet freed. */
#define SHIM_LOOKUPS 8
/* Virtual clocks: the wall clock starts at the TLS peer's fixed time, so
 * certificates a client judges by its own clock are judged as the peer's
 * are; the monotonic clocks start a day in. */
#define SHIM_MONO_BASE_S 86400
/* Loop bound of one wrapped call that waits (each round is one resume). */
#define SHIM_WAIT_ROUNDS 100000
/* Longest host name kept (RFC 1035 2.3.4: 255 octets). */
#define SHIM_HOST_MAX 256

/* ---- the real calls ---------------------------------------------------------- */

#define DECLARE(ret, name, ...)                                                                    \
  ret __real_##name(__VA_ARGS__);                                                                  \
  ret __wrap_##name(__VA_ARGS__);
DECLARE(int, getaddrinfo, const char *, const char *, const struct addrinfo *, struct addrinfo **)
DECLARE(void, freeaddrinfo, struct addrinfo *)
DECLARE(struct hostent *, gethostbyname, const char *)
DECLARE(int, socket, int, int, int)
DECLARE(int, connect, int, const struct sockaddr *, socklen_t)
DECLARE(int, bind, int, const struct sockaddr *, socklen_t)
DECLARE(int, setsockopt, int, int, int, const void *, socklen_t)
DECLARE(int, getsockopt, int, int, int, void *, socklen_t *)
DECLARE(int, getsockname, int, struct sockaddr *, socklen_t *)
DECLARE(int, getpeername, int, struct sockaddr *, socklen_t *)
DECLARE(int, fcntl, int, int, ...)
DECLARE(int, fcntl64, int, int, ...)
DECLARE(ssize_t, read, int, void *, size_t)
DECLARE(ssize_t, write, int, const void *, size_t)
DECLARE(ssize_t, readv, int, const struct iovec *, int)
DECLARE(ssize_t, writev, int, const struct iovec *, int)
DECLARE(ssize_t, recv, int, void *, size_t, int)
DECLARE(ssize_t, send, int, const void *, size_t, int)
DECLARE(ssize_t, recvfrom, int, void *, size_t, int, struct sockaddr *, socklen_t *)
DECLARE(ssize_t, sendto, int, const void *, size_t, int, const struct sockaddr *, socklen_t)
DECLARE(ssize_t, recvmsg, int, struct msghdr *, int)
DECLARE(ssize_t, sendmsg, int, const struct msghdr *, int)
DECLARE(int, poll, struct pollfd *, nfds_t, int)
DECLARE(int, select, int, fd_set *, fd_set *, fd_set *, struct timeval *)
DECLARE(int, shutdown, int, int)
DECLARE(int, close, int)
DECLARE(int, clock_gettime, clockid_t, struct timespec *)
DECLARE(int, gettimeofday, struct timeval *, void *)
DECLARE(time_t, time, time_t *)
#undef DECLARE

/* ---- state ----------------------------------------------------------------------- */

struct vfd {
  int used;
  int family;
  int nonblock;
  int connected; /* to the server: this is the connection's descriptor */
  int refused;   /* its connect() was refused: SO_ERROR says so */
  int shut_wr;   /* shutdown() ended its writing */
  uint64_t rcvtimeo_ms, sndtimeo_ms;
};

struct lookup {
  struct addrinfo ai;
  struct sockaddr_storage addr;
  char canon[SHIM_HOST_MAX];
};

static struct shim {
  int engaged;
  int reserved; /* the descriptor numbers are held on /dev/null */
  int fd_ok[SC_BYOC_FDS];
  uint64_t now;
  int cancelled;
  unsigned refused;
  unsigned spins;
  uint64_t spin_step;  /* ms the next spin wait lets pass */
  uint64_t spin_from;  /* virtual time of the client's last progress */
  uint64_t spin_limit; /* sc_adapter_wait_limit() of its configuration */
  int eager;           /* sc_adapter_eager_server(): the server reads each write at once */
  unsigned changes;    /* the simulator's takes, feeds and closes so far */
  /* The server: its name (or literal), address and port. */
  char host[SHIM_HOST_MAX];
  int family;
  struct sockaddr_storage addr;
  socklen_t addr_len;
  uint16_t port;
  /* The one connection. */
  int conn_used;   /* a connect() reached the server (a second one is refused) */
  int peer_closed; /* the server closed */
  struct vfd fds[SC_BYOC_FDS];
  struct lookup *lookups[SHIM_LOOKUPS];
  struct hostent he;
  char *he_aliases[1];
  char *he_addrs[2];
  struct in_addr he_addr;
  uint8_t in[SC_BYOC_BUF]; /* server -> client */
  size_t in_len;
  uint8_t out[SC_BYOC_BUF]; /* client -> server */
  size_t out_len;
} shim;

static struct vfd *vfd_of(int fd)
{
  if (!shim.engaged || fd < SC_BYOC_FD_BASE || fd >= SC_BYOC_FD_BASE + SC_BYOC_FDS)
    return NULL;
  struct vfd *v = &shim.fds[fd - SC_BYOC_FD_BASE];
  return v->used ? v : NULL;
}

/* A number of the range that is ours, even if not in use: never the real
 * call's (the real descriptor behind it is /dev/null). One the program had
 * open before the range was reserved is the program's. */
static int ours(int fd)
{
  return shim.engaged && fd >= SC_BYOC_FD_BASE && fd < SC_BYOC_FD_BASE + SC_BYOC_FDS &&
         shim.fd_ok[fd - SC_BYOC_FD_BASE];
}

static int fail(int err)
{
  errno = err;
  return -1;
}

static void progress(void)
{
  shim.spins = 0;
  shim.spin_step = 1;
  shim.spin_from = shim.now;
}

/* ---- the simulator's side ---------------------------------------------------------- */

/* The server's address from the configured host: the literal itself, or
 * SC_BYOC_NAME_ADDR for a name. */
static void server_address(const struct sf_config *cfg)
{
  const char *host = cfg->host && cfg->host[0] ? cfg->host : "localhost";
  snprintf(shim.host, sizeof shim.host, "%s", host);
  memset(&shim.addr, 0, sizeof shim.addr);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&shim.addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&shim.addr;
  shim.port = cfg->port;
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(shim.port);
    shim.family = AF_INET6;
    shim.addr_len = sizeof *v6;
    return;
  }
  if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
    inet_pton(AF_INET, SC_BYOC_NAME_ADDR, &v4->sin_addr);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(shim.port);
  shim.family = AF_INET;
  shim.addr_len = sizeof *v4;
}

/* Holds the range's numbers on /dev/null so that nothing else in the
 * process is given one of them. */
static void reserve(void)
{
  if (shim.reserved)
    return;
  shim.reserved = 1;
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int i = 0; i < SC_BYOC_FDS; i++) {
    int fd = SC_BYOC_FD_BASE + i;
    if (__real_fcntl(fd, F_GETFD) != -1)
      continue; /* somebody else's: never ours */
    shim.fd_ok[i] = null >= 0 && dup2(null, fd) == fd;
  }
  if (null >= 0)
    __real_close(null);
}

int shim_engage(const struct sf_config *cfg)
{
  if (shim.engaged)
    return -1;
  reserve();
  int fd_ok[SC_BYOC_FDS];
  memcpy(fd_ok, shim.fd_ok, sizeof fd_ok);
  struct lookup *lookups[SHIM_LOOKUPS];
  memcpy(lookups, shim.lookups, sizeof lookups);
  memset(&shim, 0, offsetof(struct shim, in));
  memcpy(shim.fd_ok, fd_ok, sizeof fd_ok);
  memcpy(shim.lookups, lookups, sizeof lookups);
  shim.reserved = 1;
  shim.in_len = shim.out_len = 0;
  shim.spin_step = 1;
  shim.spin_limit = sc_adapter_wait_limit(cfg);
  shim.eager = sc_adapter_eager_server(cfg);
  server_address(cfg);
  shim.engaged = 1;
  return 0;
}

void shim_release(void)
{
  shim.engaged = 0;
  /* Lookups the client never freed are its leak, not ours to hide: they
   * stay listed (and allocated) so a later freeaddrinfo still finds them. */
}

void shim_set_now(uint64_t now)
{
  shim.now = now; /* time passing is no progress of the client's */
}

uint64_t sc_byoc_now(void)
{
  return shim.now;
}

int sc_byoc_is_virtual(int fd)
{
  return vfd_of(fd) != NULL;
}

int sc_byoc_engaged(void)
{
  return shim.engaged;
}

unsigned sc_byoc_refused(void)
{
  return shim.refused;
}

size_t shim_take(uint8_t *out, size_t cap)
{
  size_t n = shim.out_len < cap ? shim.out_len : cap;
  memcpy(out, shim.out, n);
  memmove(shim.out, shim.out + n, shim.out_len - n);
  shim.out_len -= n;
  if (n) {
    progress();
    shim.changes++;
  }
  return n;
}

size_t shim_feed(const uint8_t *in, size_t len)
{
  size_t room = sizeof shim.in - shim.in_len;
  size_t n = len < room ? len : room;
  memcpy(shim.in + shim.in_len, in, n);
  shim.in_len += n;
  if (n) {
    progress();
    shim.changes++;
  }
  return n;
}

void shim_eof(void)
{
  shim.peer_closed = 1;
  progress();
  shim.changes++;
}

unsigned shim_changes(void)
{
  return shim.changes;
}

void shim_cancel(void)
{
  shim.cancelled = 1;
}

int shim_cancelled(void)
{
  return shim.cancelled;
}

/* ---- the connection, as the client sees it ------------------------------------------ */

static uint64_t deadline_after(uint64_t ms)
{
  return ms ? shim.now + ms : SC_NO_DEADLINE;
}

/* A call found nothing to do and did not wait: after SC_BYOC_SPIN_MAX of
 * those in a row, let time pass, as it would while a real client spins (one
 * waiting on its own clock sees it move; one spinning for ever reaches the
 * simulator's time bound, a hang). The step doubles up to
 * SC_BYOC_SPIN_STEP_MAX ms, within the oracles' slack, while nothing moves.
 * A client that has spun past the longest timeout it was given (and the
 * slack) waits too long whatever it waits for (HANG: how late it notices
 * its own deadline no longer matters), so from then on the step keeps
 * doubling: a server stall of days goes by in a few dozen steps, not a
 * second at a time (some ten million calls). */
static void spin(void)
{
  if (++shim.spins < SC_BYOC_SPIN_MAX)
    return;
  shim.spins = 0;
  uint64_t step = shim.spin_step ? shim.spin_step : 1;
  uint64_t cap =
      shim.now - shim.spin_from > shim.spin_limit ? SC_BYOC_SPIN_STEP_LATE : SC_BYOC_SPIN_STEP_MAX;
  shim.spin_step = step * 2 < cap ? step * 2 : cap;
  byoc_wait(shim.now + step);
}

static ssize_t conn_read(struct vfd *v, struct iovec *iov, int iovcnt, int flags)
{
  uint64_t deadline = deadline_after(v->rcvtimeo_ms);
  for (int round = 0; round < SHIM_WAIT_ROUNDS; round++) {
    if (shim.cancelled)
      return fail(ECONNRESET);
    if (!v->connected)
      return fail(v->refused ? ECONNREFUSED : ENOTCONN);
    if (shim.in_len > 0) {
      size_t n = 0;
      for (int i = 0; i < iovcnt && n < shim.in_len; i++) {
        size_t k = iov[i].iov_len < shim.in_len - n ? iov[i].iov_len : shim.in_len - n;
        memcpy(iov[i].iov_base, shim.in + n, k);
        n += k;
      }
      if (!(flags & MSG_PEEK)) {
        memmove(shim.in, shim.in + n, shim.in_len - n);
        shim.in_len -= n;
        progress();
      }
      return (ssize_t)n;
    }
    if (shim.peer_closed)
      return 0;
    if (v->nonblock || (flags & MSG_DONTWAIT)) {
      spin();
      return fail(EAGAIN);
    }
    if (shim.now >= deadline || byoc_wait(deadline) < 0)
      return fail(EAGAIN);
  }
  return fail(EAGAIN);
}

static ssize_t conn_write(struct vfd *v, const struct iovec *iov, int iovcnt, int flags)
{
  uint64_t deadline = deadline_after(v->sndtimeo_ms);
  size_t want = 0;
  for (int i = 0; i < iovcnt; i++)
    want += iov[i].iov_len;
  for (int round = 0; round < SHIM_WAIT_ROUNDS; round++) {
    if (shim.cancelled)
      return fail(ECONNRESET);
    if (!v->connected)
      return fail(v->refused ? ECONNREFUSED : ENOTCONN);
    /* The server closed (as TCP says after its reset), or the client shut
     * its side: EPIPE, never SIGPIPE. */
    if (shim.peer_closed || v->shut_wr)
      return fail(EPIPE);
    if (want == 0)
      return 0;
    size_t room = sizeof shim.out - shim.out_len;
    if (room > 0) {
      size_t n = 0;
      for (int i = 0; i < iovcnt && n < room; i++) {
        size_t k = iov[i].iov_len < room - n ? iov[i].iov_len : room - n;
        memcpy(shim.out + shim.out_len + n, iov[i].iov_base, k);
        n += k;
      }
      shim.out_len += n;
      progress();
      if (shim.eager)
        byoc_yield(); /* the server reads it, and answers, first */
      return (ssize_t)n;
    }
    if (v->nonblock || (flags & MSG_DONTWAIT)) {
      spin();
      return fail(EAGAIN);
    }
    if (shim.now >= deadline || byoc_wait(deadline) < 0)
      return fail(EAGAIN);
  }
  return fail(EAGAIN);
}

/* What poll() would report for a virtual descriptor. */
static short conn_events(const struct vfd *v, short want)
{
  if (shim.cancelled)
    return (short)(POLLERR | POLLHUP | (want & (POLLIN | POLLOUT)));
  if (v->refused)
    return (short)(POLLERR | POLLHUP | (want & POLLOUT));
  if (!v->connected)
    return (short)(POLLOUT & want) | POLLHUP;
  short ev = 0;
  if (shim.in_len > 0 || shim.peer_closed)
    ev |= POLLIN | POLLRDNORM;
  if (shim.peer_closed)
    ev |= POLLRDHUP;
  if (shim.out_len < sizeof shim.out)
    ev |= POLLOUT | POLLWRNORM;
  return (short)(ev & want);
}

/* ---- name lookup ------------------------------------------------------------------------ */

static int is_server_host(const char *node)
{
  if (!node)
    return 0;
  unsigned char a[16], b[16];
  int fa = inet_pton(AF_INET6, node, a) == 1  ? AF_INET6
           : inet_pton(AF_INET, node, a) == 1 ? AF_INET
                                              : 0;
  int fb = inet_pton(AF_INET6, shim.host, b) == 1  ? AF_INET6
           : inet_pton(AF_INET, shim.host, b) == 1 ? AF_INET
                                                   : 0;
  if (fa || fb)
    return fa == fb && memcmp(a, b, fa == AF_INET ? 4 : 16) == 0;
  size_t n = strlen(node);
  if (n > 0 && node[n - 1] == '.')
    n--; /* the absolute form of the same name */
  return n == strlen(shim.host) && strncasecmp(node, shim.host, n) == 0;
}

static int service_port(const char *service, uint16_t *port)
{
  static const struct {
    const char *name;
    uint16_t port;
  } names[] = {{"smtp", 25}, {"submission", 587}, {"smtps", 465}, {"submissions", 465}};
  if (!service) {
    *port = 0;
    return 1;
  }
  char *end;
  unsigned long v = strtoul(service, &end, 10);
  if (*service && !*end && v <= 65535) {
    *port = (uint16_t)v;
    return 1;
  }
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(service, names[i].name) == 0) {
      *port = names[i].port;
      return 1;
    }
  return 0;
}

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res)
{
  if (!shim.engaged)
    return __real_getaddrinfo(node, service, hints, res);
  uint16_t port;
  if (!is_server_host(node))
    return EAI_NONAME;
  if (!service_port(service, &port))
    return EAI_SERVICE;
  if (hints && hints->ai_family != AF_UNSPEC && hints->ai_family != shim.family)
    return EAI_ADDRFAMILY;
  if (hints && hints->ai_socktype && hints->ai_socktype != SOCK_STREAM)
    return EAI_SOCKTYPE;
  int slot = -1;
  for (int i = 0; i < SHIM_LOOKUPS && slot < 0; i++)
    if (!shim.lookups[i])
      slot = i;
  struct lookup *l = slot < 0 ? NULL : calloc(1, sizeof *l);
  if (!l)
    return EAI_MEMORY;
  memcpy(&l->addr, &shim.addr, shim.addr_len);
  if (shim.family == AF_INET)
    ((struct sockaddr_in *)&l->addr)->sin_port = htons(port);
  else
    ((struct sockaddr_in6 *)&l->addr)->sin6_port = htons(port);
  l->ai.ai_family = shim.family;
  l->ai.ai_socktype = SOCK_STREAM;
  l->ai.ai_protocol = IPPROTO_TCP;
  l->ai.ai_addrlen = shim.addr_len;
  l->ai.ai_addr = (struct sockaddr *)&l->addr;
  if (hints && (hints->ai_flags & AI_CANONNAME)) {
    snprintf(l->canon, sizeof l->canon, "%s", shim.host);
    l->ai.ai_canonname = l->canon;
  }
  shim.lookups[slot] = l;
  *res = &l->ai;
  return 0;
}

void __wrap_freeaddrinfo(struct addrinfo *ai)
{
  for (int i = 0; i < SHIM_LOOKUPS; i++)
    if (ai && shim.lookups[i] && &shim.lookups[i]->ai == ai) {
      free(shim.lookups[i]);
      shim.lookups[i] = NULL;
      return;
    }
  __real_freeaddrinfo(ai);
}

struct hostent *__wrap_gethostbyname(const char *name)
{
  if (!shim.engaged)
    return __real_gethostbyname(name);
  if (!is_server_host(name) || shim.family != AF_INET) {
    h_errno = HOST_NOT_FOUND;
    return NULL;
  }
  shim.he_addr = ((struct sockaddr_in *)&shim.addr)->sin_addr;
  shim.he_addrs[0] = (char *)&shim.he_addr;
  shim.he_addrs[1] = NULL;
  shim.he_aliases[0] = NULL;
  shim.he.h_name = shim.host;
  shim.he.h_aliases = shim.he_aliases;
  shim.he.h_addrtype = AF_INET;
  shim.he.h_length = 4;
  shim.he.h_addr_list = shim.he_addrs;
  return &shim.he;
}

/* ---- descriptors ------------------------------------------------------------------------- */

int __wrap_socket(int domain, int type, int protocol)
{
  if (!shim.engaged)
    return __real_socket(domain, type, protocol);
  /* Only TCP to the server exists; nothing else is opened while a run is in
   * progress. */
  int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if ((domain != AF_INET && domain != AF_INET6) || base != SOCK_STREAM ||
      (protocol != 0 && protocol != IPPROTO_TCP))
    return fail(EACCES);
  for (int i = 0; i < SC_BYOC_FDS; i++) {
    struct vfd *v = &shim.fds[i];
    if (v->used || !shim.fd_ok[i])
      continue;
    memset(v, 0, sizeof *v);
    v->used = 1;
    v->family = domain;
    v->nonblock = (type & SOCK_NONBLOCK) != 0;
    return SC_BYOC_FD_BASE + i;
  }
  return fail(EMFILE);
}

static int same_address(const struct sockaddr *a, socklen_t len)
{
  if (!a || a->sa_family != shim.family || len < shim.addr_len)
    return 0;
  if (shim.family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a;
    const struct sockaddr_in *y = (const struct sockaddr_in *)&shim.addr;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
  const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&shim.addr;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

int __wrap_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_connect(fd, addr, len);
  if (v->connected)
    return fail(EISCONN);
  /* One connection per run, to the simulated server only. */
  if (shim.cancelled || shim.conn_used || !same_address(addr, len)) {
    v->refused = 1;
    shim.refused++;
    return fail(ECONNREFUSED);
  }
  shim.conn_used = 1;
  v->connected = 1;
  progress();
  return 0;
}

int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_bind(fd, addr, len);
  return 0; /* the local end is ours to choose; any is fine */
}

static uint64_t timeval_ms(const void *val, socklen_t len)
{
  if (!val || len < sizeof(struct timeval))
    return 0;
  const struct timeval *tv = val;
  if (tv->tv_sec < 0 || tv->tv_usec < 0)
    return 0;
  return (uint64_t)tv->tv_sec * 1000 + (uint64_t)tv->tv_usec / 1000;
}

int __wrap_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_setsockopt(fd, level, name, val, len);
  if (level == SOL_SOCKET && name == SO_RCVTIMEO)
    v->rcvtimeo_ms = timeval_ms(val, len);
  if (level == SOL_SOCKET && name == SO_SNDTIMEO)
    v->sndtimeo_ms = timeval_ms(val, len);
  return 0; /* other options change nothing a simulated peer can see */
}

static void put_int(void *val, socklen_t *len, int x)
{
  if (val && len && *len >= sizeof(int)) {
    memcpy(val, &x, sizeof x);
    *len = sizeof x;
  }
}

int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_getsockopt(fd, level, name, val, len);
  if (!val || !len)
    return fail(EFAULT);
  int x = 0;
  if (level == SOL_SOCKET && name == SO_ERROR)
    x = v->refused ? ECONNREFUSED : 0;
  else if (level == SOL_SOCKET && name == SO_TYPE)
    x = SOCK_STREAM;
  else if (level == SOL_SOCKET && (name == SO_RCVBUF || name == SO_SNDBUF))
    x = SC_BYOC_BUF;
  memset(val, 0, *len);
  put_int(val, len, x);
  return 0;
}

static int put_addr(const struct sockaddr_storage *a, socklen_t alen, struct sockaddr *out,
                    socklen_t *len)
{
  if (!out || !len)
    return fail(EFAULT);
  memcpy(out, a, *len < alen ? *len : alen);
  *len = alen;
  return 0;
}

int __wrap_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_getsockname(fd, addr, len);
  /* The client's end: a documentation address of its family, a fixed
   * ephemeral port. */
  struct sockaddr_storage local;
  memset(&local, 0, sizeof local);
  socklen_t alen;
  if (v->family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&local;
    s6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::25", &s6->sin6_addr);
    s6->sin6_port = htons(40025);
    alen = sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&local;
    s4->sin_family = AF_INET;
    inet_pton(AF_INET, "198.51.100.1", &s4->sin_addr);
    s4->sin_port = htons(40025);
    alen = sizeof *s4;
  }
  return put_addr(&local, alen, addr, len);
}

int __wrap_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_getpeername(fd, addr, len);
  if (!v->connected)
    return fail(ENOTCONN);
  return put_addr(&shim.addr, shim.addr_len, addr, len);
}

/* fcntl and fcntl64 (what <fcntl.h> calls fcntl in code built with
 * _FILE_OFFSET_BITS=64, as meson builds are): the same on a virtual
 * descriptor, each its own real call otherwise. */
static int vfcntl(int fd, int cmd, va_list ap, int (*real)(int, int, ...))
{
  struct vfd *v = vfd_of(fd);
  if (!v && !ours(fd)) {
    switch (cmd) {
    case F_GETFD:
    case F_GETFL:
    case F_GETOWN:
    case F_GETSIG:
    case F_GETLEASE:
    case F_GETPIPE_SZ:
    case F_GET_SEALS:
      return real(fd, cmd);
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
    case F_GETOWN_EX:
    case F_SETOWN_EX:
      return real(fd, cmd, va_arg(ap, void *));
    default:
      return real(fd, cmd, va_arg(ap, int));
    }
  }
  if (!v)
    return fail(EBADF);
  if (cmd == F_GETFL)
    return O_RDWR | (v->nonblock ? O_NONBLOCK : 0);
  if (cmd == F_SETFL) {
    v->nonblock = (va_arg(ap, int) & O_NONBLOCK) != 0;
    return 0;
  }
  if (cmd == F_GETFD)
    return FD_CLOEXEC;
  return cmd == F_SETFD ? 0 : fail(EINVAL);
}

int __wrap_fcntl(int fd, int cmd, ...)
{
  va_list ap;
  va_start(ap, cmd);
  int r = vfcntl(fd, cmd, ap, __real_fcntl);
  va_end(ap);
  return r;
}

int __wrap_fcntl64(int fd, int cmd, ...)
{
  va_list ap;
  va_start(ap, cmd);
  int r = vfcntl(fd, cmd, ap, __real_fcntl64);
  va_end(ap);
  return r;
}

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_read(fd, buf, len);
  struct iovec iov = {buf, len};
  return conn_read(v, &iov, 1, 0);
}

ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_write(fd, buf, len);
  struct iovec iov = {(void *)buf, len};
  return conn_write(v, &iov, 1, 0);
}

ssize_t __wrap_readv(int fd, const struct iovec *iov, int n)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_readv(fd, iov, n);
  return conn_read(v, (struct iovec *)iov, n, 0);
}

ssize_t __wrap_writev(int fd, const struct iovec *iov, int n)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_writev(fd, iov, n);
  return conn_write(v, iov, n, 0);
}

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_recv(fd, buf, len, flags);
  struct iovec iov = {buf, len};
  return conn_read(v, &iov, 1, flags);
}

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_send(fd, buf, len, flags);
  struct iovec iov = {(void *)buf, len};
  return conn_write(v, &iov, 1, flags);
}

ssize_t __wrap_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                        socklen_t *fromlen)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_recvfrom(fd, buf, len, flags, from, fromlen);
  struct iovec iov = {buf, len};
  ssize_t n = conn_read(v, &iov, 1, flags);
  if (n >= 0 && from && fromlen)
    put_addr(&shim.addr, shim.addr_len, from, fromlen);
  return n;
}

ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
                      socklen_t tolen)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_sendto(fd, buf, len, flags, to, tolen);
  /* A stream socket ignores the address (the connection has one). */
  struct iovec iov = {(void *)buf, len};
  return conn_write(v, &iov, 1, flags);
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_recvmsg(fd, msg, flags);
  msg->msg_controllen = 0;
  msg->msg_flags = 0;
  return conn_read(v, msg->msg_iov, (int)msg->msg_iovlen, flags);
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_sendmsg(fd, msg, flags);
  return conn_write(v, msg->msg_iov, (int)msg->msg_iovlen, flags);
}

int __wrap_shutdown(int fd, int how)
{
  struct vfd *v = vfd_of(fd);
  if (!v)
    return ours(fd) ? fail(EBADF) : __real_shutdown(fd, how);
  if (!v->connected)
    return fail(ENOTCONN);
  if (how == SHUT_WR || how == SHUT_RDWR)
    v->shut_wr = 1;
  return 0;
}

int __wrap_close(int fd)
{
  if (!ours(fd))
    return __real_close(fd);
  struct vfd *v = vfd_of(fd);
  if (!v)
    return fail(EBADF);
  v->used = 0;
  return 0;
}

/* ---- readiness ------------------------------------------------------------------------------ */

/* One pass over the set: virtual descriptors from the connection, real ones
 * from a zero-timeout real poll. Returns how many are ready. */
static int poll_once(struct pollfd *fds, nfds_t n)
{
  int ready = 0, real = 0;
  for (nfds_t i = 0; i < n; i++) {
    fds[i].revents = 0;
    if (fds[i].fd < 0)
      continue;
    struct vfd *v = vfd_of(fds[i].fd);
    if (v)
      fds[i].revents = conn_events(v, fds[i].events);
    else if (ours(fds[i].fd))
      fds[i].revents = POLLNVAL;
    else
      real++;
    ready += fds[i].revents != 0;
  }
  if (real == 0)
    return ready;
  for (nfds_t i = 0; i < n; i++) {
    if (fds[i].fd < 0 || ours(fds[i].fd))
      continue;
    struct pollfd one = fds[i];
    if (__real_poll(&one, 1, 0) > 0) {
      fds[i].revents = one.revents;
      ready++;
    }
  }
  return ready;
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
  if (!shim.engaged)
    return __real_poll(fds, n, timeout);
  uint64_t deadline = timeout < 0 ? SC_NO_DEADLINE : shim.now + (uint64_t)timeout;
  for (int round = 0; round < SHIM_WAIT_ROUNDS; round++) {
    int ready = poll_once(fds, n);
    if (ready > 0)
      return ready;
    if (timeout == 0) {
      spin();
      return 0;
    }
    if (shim.now >= deadline || byoc_wait(deadline) < 0)
      return 0;
  }
  return 0;
}

int __wrap_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
  if (!shim.engaged)
    return __real_select(nfds, rd, wr, ex, tv);
  if (nfds < 0 || nfds > FD_SETSIZE)
    return fail(EINVAL);
  struct pollfd fds[FD_SETSIZE];
  nfds_t n = 0;
  for (int fd = 0; fd < nfds; fd++) {
    short want =
        (short)((rd && FD_ISSET(fd, rd) ? POLLIN : 0) | (wr && FD_ISSET(fd, wr) ? POLLOUT : 0) |
                (ex && FD_ISSET(fd, ex) ? POLLPRI : 0));
    if (want)
      fds[n++] = (struct pollfd){fd, want, 0};
  }
  int timeout = -1;
  if (tv) {
    uint64_t ms = timeval_ms(tv, sizeof *tv);
    if (ms == 0 && (tv->tv_sec > 0 || tv->tv_usec > 0))
      ms = 1;
    timeout = ms > INT32_MAX ? INT32_MAX : (int)ms;
  }
  int r = __wrap_poll(fds, n, timeout);
  if (r < 0)
    return r;
  if (rd)
    FD_ZERO(rd);
  if (wr)
    FD_ZERO(wr);
  if (ex)
    FD_ZERO(ex);
  int count = 0;
  for (nfds_t i = 0; i < n; i++) {
    short ev = fds[i].revents;
    if (ev & POLLNVAL)
      return fail(EBADF);
    if (rd && (ev & (POLLIN | POLLHUP | POLLERR)) && (fds[i].events & POLLIN)) {
      FD_SET(fds[i].fd, rd);
      count++;
    }
    if (wr && (ev & (POLLOUT | POLLERR)) && (fds[i].events & POLLOUT)) {
      FD_SET(fds[i].fd, wr);
      count++;
    }
    if (ex && (ev & POLLPRI)) {
      FD_SET(fds[i].fd, ex);
      count++;
    }
  }
  if (tv && count == 0)
    tv->tv_sec = tv->tv_usec = 0;
  return count;
}

/* ---- clocks --------------------------------------------------------------------------------- */

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
  if (!shim.engaged)
    return __real_clock_gettime(id, ts);
  if (!ts)
    return fail(EFAULT);
  int64_t base =
      id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE ? TLS_PEER_TIME : SHIM_MONO_BASE_S;
  ts->tv_sec = (time_t)(base + (int64_t)(shim.now / 1000));
  ts->tv_nsec = (long)(shim.now % 1000) * 1000000L;
  return 0;
}

int __wrap_gettimeofday(struct timeval *tv, void *tz)
{
  if (!shim.engaged)
    return __real_gettimeofday(tv, tz);
  if (tv) {
    tv->tv_sec = (time_t)(TLS_PEER_TIME + (int64_t)(shim.now / 1000));
    tv->tv_usec = (suseconds_t)(shim.now % 1000) * 1000;
  }
  return 0;
}

time_t __wrap_time(time_t *t)
{
  if (!shim.engaged)
    return __real_time(t);
  time_t now = (time_t)(TLS_PEER_TIME + (int64_t)(shim.now / 1000));
  if (t)
    *t = now;
  return now;
}
