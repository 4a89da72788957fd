/* One live connection: the scenario's scripted server played over a real
 * socket, as sim.c plays it in-process, recorded on a wire for the oracles.
 *
 * Same server model as the simulator (scenario_answer() per classified
 * command, SASL data after 334, the message after 354, TLS where the script
 * says), with real time instead of virtual time: wire timestamps are real
 * milliseconds since the connection was accepted, stalls wait for real but
 * each at most `max_stall_ms`, and the whole connection ends at its
 * deadline. Consecutive scripted sends leave in one write(), so an
 * injected flight rides in the same segment as the 220 before it.
 *
 * Bounded everywhere: poll() with the remaining time, a byte cap for both
 * directions, a cap on commands; a client that floods, trickles, closes
 * early or sends garbage ends the connection, never the server.
 */
#ifndef SF_LIVE_CONN_H
#define SF_LIVE_CONN_H

#include "live/live_tls.h"
#include "scenario.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

#define LIVE_MAX_BYTES (256 * 1024) /* both directions, per connection */

#define LIVE_END_LIST(X)                                                                           \
  X(CLIENT_CLOSED, "the client closed the connection")                                             \
  X(SERVER_CLOSED, "the script closed the connection")                                             \
  X(DEADLINE, "the connection's deadline passed")                                                  \
  X(BYTES, "the byte cap was reached")                                                             \
  X(IO_ERROR, "a socket error")                                                                    \
  X(JUDGED, "the client was judged from its state while the server waited")

enum live_end {
#define LIVE_END_ENUM(id, desc) LIVE_END_##id,
  LIVE_END_LIST(LIVE_END_ENUM)
#undef LIVE_END_ENUM
      LIVE_END_COUNT
};

/* What the server waits for when it asks the watcher. */
enum live_srv_wait {
  LIVE_SRV_READS,  /* nothing scheduled: it waits for the client's bytes */
  LIVE_SRV_STALLS, /* a scripted stall */
  LIVE_SRV_WRITES, /* its bytes do not fit: the client does not read */
  LIVE_SRV_DEAF,   /* it reads nothing more (the script made it deaf) */
};

/* The watcher's answer. */
enum live_watch {
  LIVE_WATCH_WAIT,      /* go on waiting */
  LIVE_WATCH_END_STALL, /* the stall may end now: the client would still wait at its end */
  LIVE_WATCH_STOP,      /* judged: end the connection (LIVE_END_JUDGED) */
};

struct live_conn_opts {
  const struct live_tls *tls;
  uint32_t max_stall_ms;
  uint64_t deadline_ms; /* absolute, on live_now_ms()'s clock: the last resort */
  uint64_t t0_ms;       /* wire time 0, on the same clock */
  /* Optional: asked whenever the server waits on the client, at most every
   * watch_ms, with what it waits for and, in a stall, how long it has left. */
  enum live_watch (*watch)(void *ctx, enum live_srv_wait what, uint64_t stall_left_ms);
  void *watch_ctx;
  uint32_t watch_ms;
  /* Optional: a descriptor polled with the socket (the client's output);
   * drain(ctx) is called when it is readable, so the client never blocks
   * on it while the server waits. */
  int drain_fd;
  void (*drain)(void *ctx);
  void *drain_ctx;
};

struct live_conn_result {
  enum live_end end;
  size_t bytes_in, bytes_out;
  char tls_version[32];
};

/* Plays `sc` on the connected socket `fd` (left open: the caller closes
 * it). `w` is initialised here. */
void live_conn_run(int fd, const struct scenario *sc, const struct live_conn_opts *o,
                   struct wire *w, struct live_conn_result *r);

/* Monotonic milliseconds. */
uint64_t live_now_ms(void);
const char *live_end_desc(enum live_end e);

#endif
