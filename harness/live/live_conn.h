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
  X(STOPPED, "stopped from outside")

enum live_end {
#define LIVE_END_ENUM(id, desc) LIVE_END_##id,
  LIVE_END_LIST(LIVE_END_ENUM)
#undef LIVE_END_ENUM
      LIVE_END_COUNT
};

struct live_conn_opts {
  const struct live_tls *tls;
  uint32_t max_stall_ms;
  uint64_t deadline_ms; /* absolute, on live_now_ms()'s clock */
  uint64_t t0_ms;       /* wire time 0, on the same clock */
  /* Optional: polled between waits; returning nonzero stops the run. */
  int (*stop)(void *ctx);
  void *stop_ctx;
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
