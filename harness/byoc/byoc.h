/* Bring your own client: an unmodified C client library, linked into the
 * test program, talks to the simulated server through the socket calls it
 * already makes and reads the simulator's virtual clock through the clock
 * calls it already makes.
 *
 * How: the program is linked with `-Wl,--wrap=SYM` for every call in
 * SC_BYOC_WRAPPED (the sf_byoc CMake library adds the flags), so each call
 * lands in this shim (shim.c), never in libc. While a run is in progress:
 *
 *   - name lookup answers only the scenario's host (an address of the
 *     documentation ranges for a name, the literal itself for an address);
 *     every other name fails;
 *   - socket() gives a virtual descriptor from a reserved range (held open
 *     on /dev/null so the kernel never hands those numbers out); connect()
 *     succeeds only to the simulated server's address and port, every other
 *     address is refused (ECONNREFUSED); nothing reaches a real socket;
 *   - read/write/recv/send (and the vectored and message forms), poll and
 *     select, shutdown and close work on the connection's two buffers,
 *     which the simulator fills and drains through the client vtable;
 *   - clock_gettime, gettimeofday and time return the virtual time (wall
 *     clock TLS_PEER_TIME plus the virtual milliseconds);
 *   - a virtual descriptor handed to libssl (SSL_set_fd, SSL_set_rfd,
 *     SSL_set_wfd) gets a BIO that reads and writes through the shim, since
 *     libssl's own read() and write() are not wrapped (shim_openssl.c);
 *   - trust anchors given as PEM bytes are parsed once and the result
 *     handed out again while the bytes stay the same (shim_openssl.c).
 * Any descriptor that is not ours goes to the real call; outside a run
 * every call is the real one. Not wrapped (no client here uses them):
 * epoll, ppoll/pselect, accept/listen, socketpair, dup of a virtual
 * descriptor; a client that needs one gets it added here.
 *
 * The client runs on a stack of its own (a ucontext fiber, with the
 * AddressSanitizer fiber annotations). Where it would block (poll or select
 * with a timeout, a read on a blocking socket with nothing to read, a write
 * with the buffer full) the shim switches back to the simulator with the
 * client's deadline: the timeout it passed, or SC_NO_DEADLINE when it would
 * wait forever, which the simulator calls a hang when the server waits too.
 * Nothing sleeps in real time. Two ways to write the client's side:
 *
 *   - step: a non-blocking client (libcurl's multi interface) gives a step
 *     function that does what it can and says how long until it wants to be
 *     called again; the shim calls it whenever the connection or the clock
 *     changes;
 *   - run: a blocking client gives its whole dialogue as one function.
 *
 * One run at a time per process (the wrapped calls have no other way to
 * find their state); not thread-safe.
 */
#ifndef SC_BYOC_H
#define SC_BYOC_H

#include "client.h"
#include "config.h"

#include <stddef.h>
#include <stdint.h>

/* The calls the shim wraps (link with -Wl,--wrap=NAME for each). */
#define SC_BYOC_WRAPPED(X)                                                                         \
  X(getaddrinfo)                                                                                   \
  X(freeaddrinfo)                                                                                  \
  X(gethostbyname)                                                                                 \
  X(socket)                                                                                        \
  X(connect)                                                                                       \
  X(bind)                                                                                          \
  X(setsockopt)                                                                                    \
  X(getsockopt)                                                                                    \
  X(getsockname)                                                                                   \
  X(getpeername)                                                                                   \
  X(fcntl)                                                                                         \
  X(fcntl64)                                                                                       \
  X(read)                                                                                          \
  X(write)                                                                                         \
  X(readv)                                                                                         \
  X(writev)                                                                                        \
  X(recv)                                                                                          \
  X(send)                                                                                          \
  X(recvfrom)                                                                                      \
  X(sendto)                                                                                        \
  X(recvmsg)                                                                                       \
  X(sendmsg)                                                                                       \
  X(poll)                                                                                          \
  X(select)                                                                                        \
  X(shutdown)                                                                                      \
  X(close)                                                                                         \
  X(clock_gettime)                                                                                 \
  X(gettimeofday)                                                                                  \
  X(time)                                                                                          \
  X(SSL_set_fd)                                                                                    \
  X(SSL_set_rfd)                                                                                   \
  X(SSL_set_wfd)                                                                                   \
  X(PEM_X509_INFO_read_bio)

/* Buffer sizes of the virtual connection, each way. */
#define SC_BYOC_BUF 65536
/* Virtual descriptors: SC_BYOC_FDS numbers from SC_BYOC_FD_BASE, below
 * FD_SETSIZE so that select() works on them. The first run reserves those
 * the program has not opened itself; one it had stays its own. */
#define SC_BYOC_FD_BASE 1000
#define SC_BYOC_FDS     8
/* The address a host name resolves to (RFC 5737 documentation range). */
#define SC_BYOC_NAME_ADDR "198.51.100.25"
/* Bounds: resumptions of a client being wound down after the run ended;
 * calls in a row that find nothing and do not wait (a zero-timeout poll, a
 * non-blocking read with nothing to read) before the shim lets virtual time
 * pass, and the longest such step in ms (doubling from 1 while the client
 * spins: below the oracles' slack, so a client waiting on its own clock is
 * late by less than that). */
#define SC_BYOC_CANCEL_ROUNDS  64
#define SC_BYOC_SPIN_MAX       20
#define SC_BYOC_SPIN_STEP_MAX  1000
#define SC_BYOC_SPIN_STEP_LATE (1ull << 40) /* past every timeout (shim.c spin) */

struct sc_byoc;

struct sc_byoc_ops {
  /* Step form: do everything possible without waiting; set *wait_ms to the
   * time until the client wants to be called again (-1: only when the
   * connection changes). Returns RUNNING, or DONE / FAILED when finished
   * (after the client said QUIT and cleaned up). */
  enum sc_client_status (*step)(struct sc_byoc *b, int64_t *wait_ms);
  /* Run form: the whole dialogue, blocking calls and all; returns DONE or
   * FAILED. */
  enum sc_client_status (*run)(struct sc_byoc *b);
  /* Either form, optional: called on the client's stack once the dialogue
   * ended, however it ended, to free what the client holds. Its blocking
   * calls (a QUIT and the wait for its answer) still reach the server while
   * the run is in progress, and fail at once while it is being wound down. */
  void (*cleanup)(struct sc_byoc *b);
};

/* A client under test through the shim. Embed it first in the adapter's
 * own struct; fields below `ops` belong to the shim. */
struct sc_byoc {
  struct sc_client base; /* what the simulator drives */
  const struct sc_byoc_ops *ops;
  const struct sf_config *cfg;
  enum sc_client_status status;
  uint64_t deadline;
  int started, in_fiber, fiber_live, cancelling;
  int yielded; /* in byoc_yield(): the server reads before it goes on */
  char diagnosis[256];
  void *fiber; /* struct byoc_fiber, shim.c */
};

/* Prepares `b` for one run against the simulated server for `cfg` (its
 * host and port are the only address the shim connects; `cfg` outlives the
 * run). `name` names the client in transcripts. Returns 0, or -1 if a run
 * is already in progress in this process. */
int sc_byoc_init(struct sc_byoc *b, const char *name, const struct sc_byoc_ops *ops,
                 const struct sf_config *cfg);
/* Ends the run. A client still waiting is resumed with every call failing
 * (connection reset, poll reporting errors) until it returns, at most
 * SC_BYOC_CANCEL_ROUNDS times, so it frees what it holds; the shim is free
 * again afterwards. */
void sc_byoc_cleanup(struct sc_byoc *b);
/* Why the client ended, for the transcript (printf-style, one line). */
void sc_byoc_diagnose(struct sc_byoc *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The virtual time, in milliseconds since the run started. */
uint64_t sc_byoc_now(void);

/* Shim state, for tests: a run is in progress; connections refused so far. */
int sc_byoc_engaged(void);
/* 1 if fd is a virtual descriptor in use (shim_openssl.c). */
int sc_byoc_is_virtual(int fd);
unsigned sc_byoc_refused(void);

#endif
