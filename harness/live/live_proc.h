/* What a client's process tree is doing, read from Linux /proc, so that a
 * wait is judged from the client's state and never from the wall clock.
 *
 * The tree is every descendant of one process (the audit makes itself a
 * child subreaper, so orphans and setsid()'d grandchildren stay in it).
 * For each thread: its scheduler state (/proc/PID/task/TID/stat) and, when
 * it sleeps, the system call it sleeps in with its arguments
 * (/proc/PID/task/TID/syscall). A timeout passed by pointer (ppoll, select,
 * futex, nanosleep...) is read from the client's memory, and a socket's
 * SO_RCVTIMEO/SO_SNDTIMEO from a duplicate of its descriptor
 * (pidfd_getfd); both need ptrace permission over the client (we are its
 * ancestor; as root always). Whatever cannot be read counts as a wait
 * whose end we cannot see, never as one without an end.
 *
 * The tree as a whole then:
 *   BUSY     a thread runs or is runnable, or sleeps where no wait can be
 *            told (a page fault, a stop, an unknown state);
 *   FOREVER  every thread sleeps and nothing but the peer can wake any of
 *            them: no timeout, no timer, no timer signal;
 *   DEADLINE every thread sleeps; the nearest timeout is deadline_ms;
 *   UNSEEN   every thread sleeps, and something may wake one whose time
 *            cannot be read (a SIGALRM handler, a POSIX timer, a timeout
 *            in memory we may not read);
 *   GONE     no process is left.
 * Linux only; elsewhere every call says BUSY.
 */
#ifndef SF_LIVE_PROC_H
#define SF_LIVE_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LIVE_PROC_MAX   256 /* processes followed in one tree */
#define LIVE_PROC_NEVER UINT64_MAX
#define LIVE_PROC_WHAT  160

enum live_tree_kind {
  LIVE_TREE_BUSY,
  LIVE_TREE_FOREVER,
  LIVE_TREE_DEADLINE,
  LIVE_TREE_UNSEEN,
  LIVE_TREE_GONE
};

/* What the tree is waiting on, beyond its own threads. */
struct live_tree_ctx {
  ino_t conn_ino; /* the client's end of the connection (0: unknown) */
  ino_t log_ino;  /* the pipe its output goes to: a write there is ours to drain */
};

struct live_tree_state {
  enum live_tree_kind kind;
  uint64_t deadline_ms; /* DEADLINE: the nearest timeout, in ms */
  int on_conn;          /* a thread waits on the connection */
  int unreadable;       /* some state could not be read (permissions) */
  int sleep_only;       /* DEADLINE: every thread is in a plain sleep (nanosleep) */
  /* The wait of the thread on the connection, on its own (a client whose
   * other threads keep house on short timeouts, a JVM say, is judged by
   * it): LIVE_TREE_FOREVER or _DEADLINE (conn_ms), else LIVE_TREE_BUSY when
   * no thread waits on the connection; conn_sig names that thread and its
   * wait, so that a wait that stays the same can be told from a new one. */
  enum live_tree_kind conn_kind;
  uint64_t conn_ms;
  uint64_t conn_sig;
  unsigned nproc, nthreads;
  uint64_t signature;        /* changes when any thread ran or changed its wait */
  char what[LIVE_PROC_WHAT]; /* the wait in words: "read() on the connection, no timeout" */
  char detail[1024];         /* every thread: "PID/TID: its wait; ..." */
};

/* A tree being followed: its root and which processes are known to be in
 * it or not (a process outside never joins: orphans move up, towards us). */
#define LIVE_PROC_CACHE 4096
struct live_tree {
  pid_t root;
  size_t nknown;
  pid_t known[LIVE_PROC_CACHE]; /* sorted */
  uint8_t inside[LIVE_PROC_CACHE];
};

void live_tree_init(struct live_tree *t, pid_t root);
/* Inspects every descendant of t->root. Returns 0, or -1 when /proc cannot
 * be read at all (st->kind is BUSY then). */
int live_tree_inspect(struct live_tree *t, const struct live_tree_ctx *ctx,
                      struct live_tree_state *st);

/* The descendants of `root` (not root itself), at most cap; returns how many. */
size_t live_tree_pids(pid_t root, pid_t *out, size_t cap);

/* Ends every descendant of `root`: SIGTERM, up to grace_ms for them to go,
 * then SIGKILL; reaps those that are our children. Bounded. Returns how
 * many processes had to be killed with SIGKILL. */
unsigned live_tree_kill(pid_t root, uint32_t grace_ms);

/* The bytes still on their way over the TCP connection `fd` (our
 * accepted socket), each direction on its own: in a send queue (not yet
 * acknowledged, or held back by Nagle's algorithm) or in a receive queue
 * (not yet read), at either end. Ours from ioctl(SIOCOUTQ/SIOCINQ), the
 * client's from the kernel's socket diagnostics (an exact lookup of its
 * socket, which also gives its inode). Returns 0, 1 when the client's end
 * no longer exists, or -1 when it cannot be told. */
struct live_tcp_state {
  ino_t client_ino;
  uint32_t our_out, client_in; /* towards the client: sent by us, not yet read by it */
  uint32_t client_out, our_in; /* towards us */
};
int live_tcp_peer(int fd, struct live_tcp_state *t);

/* Makes the calling process a child subreaper (orphans of its descendants
 * come back to it). 0, or -1 where that does not exist. */
int live_become_subreaper(void);

#endif
