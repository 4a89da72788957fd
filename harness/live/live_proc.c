/* A client's process tree from /proc (live_proc.h). */
#define _GNU_SOURCE /* process_vm_readv */
#include "live/live_proc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 512 /* per process, followed */
#define MAX_SCAN    65536

/* futex(2) operations that wait (linux/futex.h). */
#define FUTEX_OP_MASK     0x7f
#define FUTEX_CLOCK_RT    256
#define F_WAIT            0
#define F_LOCK_PI         6
#define F_WAIT_BITSET     9
#define F_WAIT_REQUEUE_PI 11
#define F_LOCK_PI2        13
#define SIGALRM_BIT       (1ull << (SIGALRM - 1))

/* ---- small readers ---------------------------------------------------------------- */

static uint64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static ssize_t read_small(const char *path, char *buf, size_t cap)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t used = 0;
  for (int guard = 0; guard < 64 && used + 1 < cap; guard++) {
    ssize_t n = read(fd, buf + used, cap - 1 - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    used += (size_t)n;
  }
  int e = errno;
  close(fd);
  errno = e;
  buf[used] = '\0';
  return (ssize_t)used;
}

/* /proc/PID/stat: the state letter and the parent, after the last ')' (a
 * command name may hold spaces and parentheses). */
static int read_stat(const char *path, char *state, pid_t *ppid)
{
  char buf[1024];
  if (read_small(path, buf, sizeof(buf)) <= 0)
    return -1;
  const char *p = strrchr(buf, ')');
  int pp = 0;
  if (!p || sscanf(p + 1, " %c %d", state, &pp) != 2)
    return -1;
  *ppid = (pid_t)pp;
  return 0;
}

static int numeric(const char *s)
{
  if (!*s)
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

static int cmp_pid(const void *a, const void *b)
{
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return x < y ? -1 : x > y;
}

/* Every process id in /proc, sorted; at most cap. */
static size_t list_proc(pid_t *out, size_t cap)
{
  DIR *d = opendir("/proc");
  if (!d)
    return 0;
  size_t n = 0;
  struct dirent *e;
  while (n < cap && (e = readdir(d)) != NULL)
    if (numeric(e->d_name))
      out[n++] = (pid_t)atoi(e->d_name);
  closedir(d);
  qsort(out, n, sizeof(out[0]), cmp_pid);
  return n;
}

/* ---- the tree ----------------------------------------------------------------------- */

void live_tree_init(struct live_tree *t, pid_t root)
{
  t->root = root;
  t->nknown = 0;
}

static pid_t scan_pids[MAX_SCAN];
static pid_t scan_ppid[MAX_SCAN];
static uint8_t scan_in[MAX_SCAN];

/* Marks which of the n scanned processes descend from root, given each
 * one's parent (-1: unknown, 0: gone). */
static void mark_inside(pid_t root, size_t n)
{
  for (int pass = 0; pass < 64; pass++) {
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
      if (scan_in[i] || scan_ppid[i] <= 0)
        continue;
      int in = scan_ppid[i] == root;
      if (!in) {
        pid_t *hit = bsearch(&scan_ppid[i], scan_pids, n, sizeof(pid_t), cmp_pid);
        in = hit && scan_in[hit - scan_pids];
      }
      if (in) {
        scan_in[i] = 1;
        changed = 1;
      }
    }
    if (!changed)
      return;
  }
}

/* Fills scan_* with every process and which are in the tree; the cache
 * spares reading the parent of those known to be outside. */
static size_t scan_tree(struct live_tree *t)
{
  size_t n = list_proc(scan_pids, MAX_SCAN);
  for (size_t i = 0; i < n; i++) {
    scan_in[i] = 0;
    scan_ppid[i] = -1;
    pid_t *k = t ? bsearch(&scan_pids[i], t->known, t->nknown, sizeof(pid_t), cmp_pid) : NULL;
    if (k && !t->inside[k - t->known]) {
      scan_ppid[i] = 0; /* outside, and never joins */
      continue;
    }
    char path[64], st;
    pid_t pp;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)scan_pids[i]);
    if (read_stat(path, &st, &pp) == 0)
      scan_ppid[i] = pp;
    else
      scan_ppid[i] = 0;
  }
  pid_t root = t ? t->root : getpid();
  mark_inside(root, n);
  if (t) {
    t->nknown = n <= LIVE_PROC_CACHE ? n : 0; /* too many to remember: read all next time */
    for (size_t i = 0; i < t->nknown; i++) {
      t->known[i] = scan_pids[i];
      t->inside[i] = scan_in[i];
    }
  }
  return n;
}

size_t live_tree_pids(pid_t root, pid_t *out, size_t cap)
{
  size_t n = list_proc(scan_pids, MAX_SCAN);
  for (size_t i = 0; i < n; i++) {
    char path[64], st;
    pid_t pp;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)scan_pids[i]);
    scan_in[i] = 0;
    scan_ppid[i] = read_stat(path, &st, &pp) == 0 ? pp : 0;
  }
  mark_inside(root, n);
  size_t k = 0;
  for (size_t i = 0; i < n && k < cap; i++)
    if (scan_in[i])
      out[k++] = scan_pids[i];
  return k;
}

/* ---- what one thread waits for ------------------------------------------------------ */

enum twait { TW_SKIP, TW_BUSY, TW_FOREVER, TW_DEADLINE, TW_UNSEEN };

struct thread_wait {
  enum twait kind;
  uint64_t ms;
  int on_conn, unreadable;
  int sleep; /* a plain sleep: nothing but its own time wakes it */
  char what[112];
};

/* Per process: what the waits refer to. */
struct proc_info {
  pid_t pid;
  int conn_fd; /* the client's end of the connection here, or -1 */
};

/* Reads n bytes of the client's memory at addr. */
static int peek(pid_t pid, uint64_t addr, void *out, size_t n)
{
  struct iovec local = {out, n}, remote = {(void *)(uintptr_t)addr, n};
  if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)n)
    return 0;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t got = pread(fd, out, n, (off_t)addr);
  close(fd);
  return got == (ssize_t)n ? 0 : -1;
}

static uint64_t ts_ms(int64_t sec, int64_t nsec)
{
  if (sec < 0 || nsec < 0)
    return 0;
  return (uint64_t)sec * 1000u + (uint64_t)nsec / 1000000u;
}

/* A struct timespec in the client's memory: relative ms, or, when abs,
 * the time left until it on `clock`. -1 if unreadable. */
static int remote_timespec(pid_t pid, uint64_t addr, int abs, clockid_t clock, uint64_t *ms)
{
  struct timespec ts;
  if (peek(pid, addr, &ts, sizeof(ts)) != 0)
    return -1;
  if (!abs) {
    *ms = ts_ms(ts.tv_sec, ts.tv_nsec);
    return 0;
  }
  struct timespec now;
  clock_gettime(clock, &now);
  int64_t left = ((int64_t)ts.tv_sec - now.tv_sec) * 1000 + (ts.tv_nsec - now.tv_nsec) / 1000000;
  *ms = left > 0 ? (uint64_t)left : 0;
  return 0;
}

static int fd_link(pid_t pid, long fd, char *out, size_t cap)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)pid, fd);
  ssize_t n = readlink(path, out, cap - 1);
  if (n < 0)
    return -1;
  out[n] = '\0';
  return 0;
}

static ino_t link_ino(const char *link, const char *kind)
{
  size_t k = strlen(kind);
  if (strncmp(link, kind, k) != 0 || link[k] != ':' || link[k + 1] != '[')
    return 0;
  return (ino_t)strtoull(link + k + 2, NULL, 10);
}

/* SO_RCVTIMEO or SO_SNDTIMEO of the client's socket fd, read from a
 * duplicate of it. 0 with *ms (0: none), or -1 when it cannot be read. */
static int sock_timeout(pid_t pid, long fd, int opt, uint64_t *ms)
{
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pfd < 0)
    return -1;
  int dup = (int)syscall(SYS_pidfd_getfd, pfd, (int)fd, 0);
  close(pfd);
  if (dup < 0)
    return -1;
  struct timeval tv;
  socklen_t len = sizeof(tv);
  int rc = getsockopt(dup, SOL_SOCKET, opt, &tv, &len);
  close(dup);
  if (rc != 0)
    return -1;
  *ms = ts_ms(tv.tv_sec, (int64_t)tv.tv_usec * 1000);
  return 0;
#else
  (void)pid, (void)fd, (void)opt, (void)ms;
  return -1;
#endif
}

static void set(struct thread_wait *w, enum twait kind, uint64_t ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set(struct thread_wait *w, enum twait kind, uint64_t ms, const char *fmt, ...)
{
  w->kind = kind;
  w->ms = ms;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->what, sizeof(w->what), fmt, ap);
  va_end(ap);
}

/* "timeout 30000 ms" / "no timeout" into a wait of kind DEADLINE/FOREVER. */
static void timed(struct thread_wait *w, const char *call, const char *on, int have, uint64_t ms)
{
  if (have)
    set(w, TW_DEADLINE, ms, "%s%s, timeout %llu ms", call, on, (unsigned long long)ms);
  else
    set(w, TW_FOREVER, 0, "%s%s, no timeout", call, on);
}

static const char *on_what(const struct thread_wait *w)
{
  return w->on_conn ? " on the connection" : "";
}

/* A blocking read or write on descriptor fd. */
static void fd_wait(const struct proc_info *pi, const struct live_tree_ctx *ctx, long fd,
                    int writing, const char *call, struct thread_wait *w)
{
  char link[128];
  if (fd_link(pi->pid, fd, link, sizeof(link)) != 0) {
    w->unreadable = 1;
    set(w, TW_UNSEEN, 0, "%s() on fd %ld (not readable)", call, fd);
    return;
  }
  ino_t ino = link_ino(link, "socket");
  if (writing && ctx->log_ino && link_ino(link, "pipe") == ctx->log_ino) {
    set(w, TW_BUSY, 0, "%s() to its output", call); /* we drain that pipe */
    return;
  }
  if (!ino) {
    set(w, TW_FOREVER, 0, "%s() on %s, no timeout", call, link);
    return;
  }
  w->on_conn = ctx->conn_ino && ino == ctx->conn_ino;
  const char *on = w->on_conn ? " on the connection" : " on a socket";
  uint64_t ms = 0;
  if (sock_timeout(pi->pid, fd, writing ? SO_SNDTIMEO : SO_RCVTIMEO, &ms) != 0) {
    w->unreadable = 1;
    set(w, TW_UNSEEN, 0, "%s()%s (its socket timeout could not be read)", call, on);
    return;
  }
  if (ms)
    set(w, TW_DEADLINE, ms, "%s()%s, %s %llu ms", call, on, writing ? "SO_SNDTIMEO" : "SO_RCVTIMEO",
        (unsigned long long)ms);
  else
    set(w, TW_FOREVER, 0, "%s()%s, no timeout", call, on);
}

/* Whether a poll() set in the client's memory holds the connection. */
static int pollfds_hold(const struct proc_info *pi, uint64_t addr, uint64_t nfds)
{
  if (pi->conn_fd < 0 || addr == 0)
    return 0;
  struct pollfd fds[64];
  size_t n = nfds < 64 ? (size_t)nfds : 64;
  if (n == 0 || peek(pi->pid, addr, fds, n * sizeof(fds[0])) != 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (fds[i].fd == pi->conn_fd)
      return 1;
  return 0;
}

/* Whether an fd_set in the client's memory holds the connection. */
static int fdset_holds(const struct proc_info *pi, uint64_t addr, uint64_t nfds)
{
  if (pi->conn_fd < 0 || addr == 0 || (uint64_t)pi->conn_fd >= nfds)
    return 0;
  unsigned long word;
  size_t bits = sizeof(word) * 8;
  if (peek(pi->pid, addr + (uint64_t)(pi->conn_fd / bits) * sizeof(word), &word, sizeof(word)) != 0)
    return 0;
  return (word >> (pi->conn_fd % bits)) & 1;
}

/* Whether an epoll instance watches the connection (its fdinfo lists
 * "tfd: N" per watched descriptor). */
static int epoll_holds(const struct proc_info *pi, long epfd)
{
  if (pi->conn_fd < 0)
    return 0;
  char path[64], buf[4096];
  snprintf(path, sizeof(path), "/proc/%d/fdinfo/%ld", (int)pi->pid, epfd);
  if (read_small(path, buf, sizeof(buf)) <= 0)
    return 0;
  for (const char *p = buf; (p = strstr(p, "tfd:")) != NULL; p += 4)
    if (atoi(p + 4) == pi->conn_fd)
      return 1;
  return 0;
}

/* A timeout given by pointer (NULL: none); `call` for the words. */
static void ptr_timeout(const struct proc_info *pi, uint64_t addr, int abs, clockid_t clock,
                        const char *call, struct thread_wait *w)
{
  uint64_t ms = 0;
  if (addr == 0) {
    timed(w, call, on_what(w), 0, 0);
    return;
  }
  if (remote_timespec(pi->pid, addr, abs, clock, &ms) != 0) {
    w->unreadable = 1;
    set(w, TW_UNSEEN, 0, "%s()%s (its timeout could not be read)", call, on_what(w));
    return;
  }
  timed(w, call, on_what(w), 1, ms);
}

static void classify(const struct proc_info *pi, const struct live_tree_ctx *ctx, long nr,
                     const uint64_t a[6], struct thread_wait *w)
{
  switch (nr) {
  case SYS_read:
    fd_wait(pi, ctx, (long)a[0], 0, "read", w);
    return;
  case SYS_readv:
    fd_wait(pi, ctx, (long)a[0], 0, "readv", w);
    return;
  case SYS_recvfrom:
    fd_wait(pi, ctx, (long)a[0], 0, "recvfrom", w);
    return;
  case SYS_recvmsg:
    fd_wait(pi, ctx, (long)a[0], 0, "recvmsg", w);
    return;
  case SYS_write:
    fd_wait(pi, ctx, (long)a[0], 1, "write", w);
    return;
  case SYS_writev:
    fd_wait(pi, ctx, (long)a[0], 1, "writev", w);
    return;
  case SYS_sendto:
    fd_wait(pi, ctx, (long)a[0], 1, "sendto", w);
    return;
  case SYS_sendmsg:
    fd_wait(pi, ctx, (long)a[0], 1, "sendmsg", w);
    return;
#ifdef SYS_poll
  case SYS_poll:
    w->on_conn = pollfds_hold(pi, a[0], a[1]);
    timed(w, "poll()", on_what(w), (int)a[2] >= 0, (uint64_t)(int)a[2]);
    return;
#endif
  case SYS_ppoll:
    w->on_conn = pollfds_hold(pi, a[0], a[1]);
    ptr_timeout(pi, a[2], 0, CLOCK_MONOTONIC, "ppoll", w);
    return;
#ifdef SYS_select
  case SYS_select: {
    w->on_conn = fdset_holds(pi, a[1], a[0]);
    struct timeval tv;
    if (a[4] == 0) {
      timed(w, "select()", on_what(w), 0, 0);
    } else if (peek(pi->pid, a[4], &tv, sizeof(tv)) != 0) {
      w->unreadable = 1;
      set(w, TW_UNSEEN, 0, "select()%s (its timeout could not be read)", on_what(w));
    } else {
      timed(w, "select()", on_what(w), 1, ts_ms(tv.tv_sec, (int64_t)tv.tv_usec * 1000));
    }
    return;
  }
#endif
  case SYS_pselect6:
    w->on_conn = fdset_holds(pi, a[1], a[0]);
    ptr_timeout(pi, a[4], 0, CLOCK_MONOTONIC, "pselect6", w);
    return;
#ifdef SYS_epoll_wait
  case SYS_epoll_wait:
    w->on_conn = epoll_holds(pi, (long)a[0]);
    timed(w, "epoll_wait()", on_what(w), (int)a[3] >= 0, (uint64_t)(int)a[3]);
    return;
#endif
  case SYS_epoll_pwait:
    w->on_conn = epoll_holds(pi, (long)a[0]);
    timed(w, "epoll_pwait()", on_what(w), (int)a[3] >= 0, (uint64_t)(int)a[3]);
    return;
#ifdef SYS_epoll_pwait2
  case SYS_epoll_pwait2:
    w->on_conn = epoll_holds(pi, (long)a[0]);
    ptr_timeout(pi, a[3], 0, CLOCK_MONOTONIC, "epoll_pwait2", w);
    return;
#endif
  case SYS_nanosleep:
    w->sleep = 1;
    ptr_timeout(pi, a[0], 0, CLOCK_MONOTONIC, "nanosleep", w);
    return;
  case SYS_clock_nanosleep:
    w->sleep = 1;
    ptr_timeout(pi, a[2], (a[1] & TIMER_ABSTIME) != 0, (clockid_t)a[0], "clock_nanosleep", w);
    return;
  case SYS_futex: {
    int op = (int)(a[1] & FUTEX_OP_MASK);
    clockid_t clock = (a[1] & FUTEX_CLOCK_RT) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
    if (op == F_WAIT)
      ptr_timeout(pi, a[3], 0, clock, "futex", w);
    else if (op == F_WAIT_BITSET || op == F_WAIT_REQUEUE_PI || op == F_LOCK_PI2)
      ptr_timeout(pi, a[3], 1, clock, "futex", w);
    else if (op == F_LOCK_PI)
      ptr_timeout(pi, a[3], 1, CLOCK_REALTIME, "futex", w);
    else
      set(w, TW_UNSEEN, 0, "futex() operation %d", op);
    return;
  }
  case SYS_rt_sigtimedwait:
    ptr_timeout(pi, a[2], 0, CLOCK_MONOTONIC, "rt_sigtimedwait", w);
    return;
  case SYS_wait4:
  case SYS_waitid:
    set(w, TW_FOREVER, 0, "%s() for a child", nr == SYS_wait4 ? "wait4" : "waitid");
    return;
#ifdef SYS_pause
  case SYS_pause:
#endif
  case SYS_rt_sigsuspend:
    set(w, TW_FOREVER, 0, "a wait for a signal");
    return;
  case SYS_accept:
  case SYS_accept4:
    set(w, TW_FOREVER, 0, "accept(), no timeout");
    return;
  default:
    set(w, TW_UNSEEN, 0, "system call %ld", nr);
    return;
  }
}

/* One thread. `sig` accumulates what changes when it runs. */
static void thread_wait(const struct proc_info *pi, pid_t tid, const struct live_tree_ctx *ctx,
                        struct thread_wait *w, uint64_t *sig)
{
  char path[96], buf[512], sched[128] = "", state = '?';
  pid_t pp;
  memset(w, 0, sizeof(*w));
  snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pi->pid, (int)tid);
  if (read_stat(path, &state, &pp) != 0) {
    w->kind = TW_SKIP; /* gone meanwhile */
    return;
  }
  uint64_t h = *sig ^ (uint64_t)tid * 0x100000001b3ull ^ (uint64_t)(unsigned char)state;
  snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pi->pid, (int)tid);
  if (read_small(path, sched, sizeof(sched)) > 0)
    for (const char *p = sched; *p; p++)
      h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
  if (state == 'Z' || state == 'X') {
    w->kind = TW_SKIP;
    *sig = h;
    return;
  }
  if (state != 'S') {
    set(w, TW_BUSY, 0, "%s", state == 'R' ? "running" : "not asleep");
    *sig = h;
    return;
  }
  snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pi->pid, (int)tid);
  if (read_small(path, buf, sizeof(buf)) <= 0) {
    w->unreadable = 1;
    set(w, TW_UNSEEN, 0, "asleep (its system call could not be read: %s)", strerror(errno));
    *sig = h;
    return;
  }
  for (const char *p = buf; *p; p++)
    h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
  *sig = h;
  long nr;
  unsigned long long a[6];
  if (strncmp(buf, "running", 7) == 0 ||
      sscanf(buf, "%ld %llx %llx %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2], &a[3], &a[4],
             &a[5]) != 7 ||
      nr < 0) {
    set(w, TW_BUSY, 0, "not in a system call");
    return;
  }
  uint64_t args[6];
  for (int i = 0; i < 6; i++)
    args[i] = a[i];
  classify(pi, ctx, nr, args, w);
  /* What classify() read of the client's memory (a timeout by pointer) is
   * only its while the thread still sleeps where it did: one that has run
   * since (its sleep just ended, its stack reused) moved on. */
  char again[128] = "";
  snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pi->pid, (int)tid);
  if (read_small(path, again, sizeof(again)) <= 0 || strcmp(again, sched) != 0)
    set(w, TW_BUSY, 0, "running (it moved on while it was read)");
}

/* The client's end of the connection among this process's descriptors. */
static int find_conn_fd(pid_t pid, ino_t conn_ino)
{
  if (!conn_ino)
    return -1;
  char path[64], link[128];
  snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
  DIR *d = opendir(path);
  if (!d)
    return -1;
  int found = -1;
  struct dirent *e;
  for (int guard = 0; guard < 4096 && found < 0 && (e = readdir(d)) != NULL; guard++) {
    if (!numeric(e->d_name))
      continue;
    long fd = atol(e->d_name);
    if (fd_link(pid, fd, link, sizeof(link)) == 0 && link_ino(link, "socket") == conn_ino)
      found = (int)fd;
  }
  closedir(d);
  return found;
}

/* What can wake a process with no visible timeout: a SIGALRM handler (alarm()
 * and setitimer() cannot be read from outside) or a POSIX timer. Returns a
 * description, or NULL. */
static const char *hidden_timer(pid_t pid)
{
  char path[64], buf[4096];
  snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
  if (read_small(path, buf, sizeof(buf)) > 0) {
    const char *c = strstr(buf, "SigCgt:");
    if (c && (strtoull(c + 7, NULL, 16) & SIGALRM_BIT))
      return "it catches SIGALRM (a timer of its own, which cannot be read from outside)";
  }
  snprintf(path, sizeof(path), "/proc/%d/timers", (int)pid);
  if (read_small(path, buf, sizeof(buf)) > 0)
    return "it has a POSIX timer (which cannot be read from outside)";
  return NULL;
}

int live_tree_inspect(struct live_tree *t, const struct live_tree_ctx *ctx,
                      struct live_tree_state *st)
{
  memset(st, 0, sizeof(*st));
  st->kind = LIVE_TREE_BUSY;
  size_t n = scan_tree(t);
  if (n == 0) {
    snprintf(st->what, sizeof(st->what), "/proc cannot be read");
    return -1;
  }
  uint64_t sig = 0xcbf29ce484222325ull, nearest = LIVE_PROC_NEVER;
  int busy = 0, unseen = 0, any = 0;
  unsigned sleepers = 0;
  size_t dlen = 0;
  struct thread_wait best;
  memset(&best, 0, sizeof(best));
  int have_best = 0;
  pid_t procs[LIVE_PROC_MAX];
  size_t nprocs = 0;
  for (size_t i = 0; i < n && nprocs < LIVE_PROC_MAX; i++)
    if (scan_in[i])
      procs[nprocs++] = scan_pids[i];
  for (size_t i = 0; i < nprocs; i++) {
    struct proc_info pi = {procs[i], find_conn_fd(procs[i], ctx->conn_ino)};
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pi.pid);
    DIR *d = opendir(path);
    if (!d)
      continue; /* gone meanwhile */
    st->nproc++;
    struct dirent *e;
    int threads = 0;
    while ((e = readdir(d)) != NULL && threads < MAX_THREADS) {
      if (!numeric(e->d_name))
        continue;
      threads++;
      struct thread_wait w;
      uint64_t tsig = 0xcbf29ce484222325ull; /* this thread's state alone */
      thread_wait(&pi, (pid_t)atoi(e->d_name), ctx, &w, &tsig);
      sig = (sig ^ tsig) * 0x100000001b3ull;
      if (w.kind == TW_SKIP)
        continue;
      any = 1;
      st->nthreads++;
      sleepers += w.sleep && w.kind == TW_DEADLINE;
      int k = snprintf(st->detail + dlen, sizeof(st->detail) - dlen, "%s%d/%s: %s",
                       dlen ? "; " : "", (int)pi.pid, e->d_name, w.what);
      if (k > 0 && (size_t)k < sizeof(st->detail) - dlen)
        dlen += (size_t)k;
      st->unreadable |= w.unreadable;
      st->on_conn |= w.on_conn;
      if (w.on_conn && (w.kind == TW_FOREVER || w.kind == TW_DEADLINE) &&
          st->conn_kind == LIVE_TREE_BUSY) {
        st->conn_kind = w.kind == TW_FOREVER ? LIVE_TREE_FOREVER : LIVE_TREE_DEADLINE;
        st->conn_ms = w.ms;
        st->conn_sig = tsig;
      }
      busy |= w.kind == TW_BUSY;
      unseen |= w.kind == TW_UNSEEN;
      if (w.kind == TW_DEADLINE && w.ms < nearest)
        nearest = w.ms;
      /* The words come from the thread on the connection, else the one
       * that decides (busy, then the nearest timeout), else the first. */
      int better = !have_best || (w.on_conn && !best.on_conn) ||
                   (w.on_conn == best.on_conn && ((w.kind == TW_BUSY && best.kind != TW_BUSY) ||
                                                  (w.kind == TW_DEADLINE && best.kind != TW_BUSY &&
                                                   (best.kind != TW_DEADLINE || w.ms < best.ms))));
      if (better) {
        best = w;
        have_best = 1;
      }
    }
    closedir(d);
  }
  st->signature = sig;
  if (!any) {
    st->kind = LIVE_TREE_GONE;
    snprintf(st->what, sizeof(st->what), "no process left");
    return 0;
  }
  snprintf(st->what, sizeof(st->what), "%s", best.what);
  if (busy)
    return 0;
  const char *timer = NULL;
  for (size_t i = 0; i < nprocs && !timer; i++)
    timer = hidden_timer(procs[i]);
  st->deadline_ms = nearest;
  if (unseen || timer) {
    st->kind = LIVE_TREE_UNSEEN;
    if (timer && !unseen)
      snprintf(st->what, sizeof(st->what), "%.70s; %s", best.what, timer);
    return 0;
  }
  st->kind = nearest == LIVE_PROC_NEVER ? LIVE_TREE_FOREVER : LIVE_TREE_DEADLINE;
  st->sleep_only = sleepers == st->nthreads;
  return 0;
}

/* ---- ending the tree -------------------------------------------------------------------- */

/* Reaps what of the tree is ours to reap; returns how many are left alive
 * (zombies not counted). */
static size_t reap_and_count(pid_t root, pid_t *left, size_t cap)
{
  pid_t self = getpid();
  for (int guard = 0; guard < 4096; guard++)
    if (root != self || waitpid(-1, NULL, WNOHANG) <= 0)
      break;
  size_t n = live_tree_pids(root, left, cap), alive = 0;
  for (size_t i = 0; i < n; i++) {
    char path[64], st;
    pid_t pp;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)left[i]);
    if (read_stat(path, &st, &pp) == 0 && st != 'Z' && st != 'X')
      left[alive++] = left[i];
  }
  return alive;
}

unsigned live_tree_kill(pid_t root, uint32_t grace_ms)
{
  static pid_t pids[LIVE_PROC_MAX];
  size_t n = reap_and_count(root, pids, LIVE_PROC_MAX);
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    kill(pids[i], SIGTERM);
  /* Stopped processes take SIGTERM only once running again. */
  for (size_t i = 0; i < n; i++)
    kill(pids[i], SIGCONT);
  uint64_t t0 = mono_ms();
  for (int guard = 0; guard < 10000; guard++) {
    n = reap_and_count(root, pids, LIVE_PROC_MAX);
    if (n == 0 || mono_ms() - t0 >= grace_ms)
      break;
    poll(NULL, 0, 5);
  }
  unsigned killed = 0;
  /* Whoever ignored SIGTERM, and whatever was forked meanwhile: SIGKILL,
   * round after round until nothing of the tree is left (bounded). */
  for (int round = 0; round < 200 && n > 0; round++) {
    for (size_t i = 0; i < n; i++)
      if (kill(pids[i], SIGKILL) == 0)
        killed++;
    poll(NULL, 0, 10);
    n = reap_and_count(root, pids, LIVE_PROC_MAX);
  }
  /* Zombies of ours that remain. */
  for (int guard = 0; guard < 4096 && root == getpid(); guard++)
    if (waitpid(-1, NULL, WNOHANG) <= 0)
      break;
  return killed;
}

int live_become_subreaper(void)
{
#ifdef PR_SET_CHILD_SUBREAPER
  return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -1;
#else
  return -1;
#endif
}

/* ---- the connection as the kernel sees it ---------------------------------------------- */

/* The client's end by an exact lookup (NETLINK_SOCK_DIAG): no listing of
 * every socket, which another connection opening or closing meanwhile can
 * make skip an entry. 0, 1 if no such socket, -1 on error. */
static int diag_lookup(const struct sockaddr_storage *local, const struct sockaddr_storage *remote,
                       struct inet_diag_msg *out)
{
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0)
    return -1;
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 r;
  } req;
  memset(&req, 0, sizeof(req));
  req.nlh.nlmsg_len = sizeof(req);
  req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.nlh.nlmsg_flags = NLM_F_REQUEST;
  req.nlh.nlmsg_seq = 1;
  req.r.sdiag_family = (uint8_t)local->ss_family;
  req.r.sdiag_protocol = IPPROTO_TCP;
  req.r.idiag_states = ~0u;
  req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  if (local->ss_family == AF_INET) {
    const struct sockaddr_in *l = (const void *)local, *r = (const void *)remote;
    req.r.id.idiag_sport = l->sin_port;
    req.r.id.idiag_dport = r->sin_port;
    memcpy(req.r.id.idiag_src, &l->sin_addr, 4);
    memcpy(req.r.id.idiag_dst, &r->sin_addr, 4);
  } else {
    const struct sockaddr_in6 *l = (const void *)local, *r = (const void *)remote;
    req.r.id.idiag_sport = l->sin6_port;
    req.r.id.idiag_dport = r->sin6_port;
    memcpy(req.r.id.idiag_src, &l->sin6_addr, 16);
    memcpy(req.r.id.idiag_dst, &r->sin6_addr, 16);
  }
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
    close(fd);
    return -1;
  }
  union {
    struct nlmsghdr h;
    char buf[8192];
  } u;
  struct pollfd pfd = {fd, POLLIN, 0};
  ssize_t n = poll(&pfd, 1, 1000) == 1 ? recv(fd, u.buf, sizeof(u.buf), 0) : -1;
  close(fd);
  if (n < (ssize_t)sizeof(struct nlmsghdr) || !NLMSG_OK(&u.h, (size_t)n))
    return -1;
  if (u.h.nlmsg_type == NLMSG_ERROR) {
    const struct nlmsgerr *e = NLMSG_DATA(&u.h);
    return e->error == -ENOENT ? 1 : -1;
  }
  if (u.h.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
      u.h.nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
    return -1;
  memcpy(out, NLMSG_DATA(&u.h), sizeof(*out));
  return 0;
}

int live_tcp_peer(int fd, struct live_tcp_state *t)
{
  memset(t, 0, sizeof(*t));
  struct sockaddr_storage me, peer;
  socklen_t ml = sizeof(me), pl = sizeof(peer);
  if (getsockname(fd, (struct sockaddr *)&me, &ml) != 0 ||
      getpeername(fd, (struct sockaddr *)&peer, &pl) != 0)
    return 1; /* not connected any more */
  int ours_out = 0, ours_in = 0;
  if (ioctl(fd, SIOCOUTQ, &ours_out) != 0 || ioctl(fd, SIOCINQ, &ours_in) != 0)
    return -1;
  struct inet_diag_msg m;
  int rc = diag_lookup(&peer, &me, &m);
  if (rc != 0)
    return rc;
  t->client_ino = (ino_t)m.idiag_inode;
  t->our_out = (uint32_t)ours_out;
  t->client_in = m.idiag_rqueue;
  t->client_out = m.idiag_wqueue;
  t->our_in = (uint32_t)ours_in;
  return 0;
}
