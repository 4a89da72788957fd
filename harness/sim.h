/* The simulated server and the virtual clock.
 *
 * sim_run() plays a scenario's scripted server against a client in-process,
 * with zero real waiting: when both sides wait, the clock jumps to the
 * client's next deadline; a client with no deadline while the server waits
 * is a hang, recorded and ended at once. TLS is the server side of the
 * pass-through layer (tls_passthrough.h) by default, or with sim_run_with()
 * a real OpenSSL server (tls_peer.h) presenting the scenario's certificate.
 * Everything crossing the connection is recorded on the wire for the
 * oracles: application bytes in plaintext (decrypted by the server when TLS
 * is up), TLS handshake flights as hello events.
 *
 * Every loop is bounded (virtual time, iterations, bytes); no sockets, no
 * real clocks. One run at a time per thread: a run's state (some 60 KB) is
 * thread-local rather than on the stack, where ASan would poison and
 * unpoison it on every call.
 */
#ifndef SC_SIM_H
#define SC_SIM_H

#include "client.h"
#include "scenario.h"
#include "tls_peer.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>

/* Bounds of one run. */
#define SIM_MAX_ITERATIONS 100000
#define SIM_MAX_BYTES      (256 * 1024) /* both directions together */
/* Slack added to the sum of the client's timeouts when the scenario sets no
 * time bound. */
#define SIM_TIME_MARGIN_MS 10000

/* Why a run stopped. */
#define SIM_STOP_LIST(X)                                                                           \
  X(CLIENT_END, "the client ended")                                                                \
  X(CLOSED, "the connection closed and the client did not end")                                    \
  X(HANG, "both sides wait and the client has no deadline")                                        \
  X(TIME_BOUND, "the virtual time bound was reached while the client still waits")                 \
  X(ITERATIONS, "the iteration bound was reached")                                                 \
  X(BYTES, "the byte bound was reached")

enum sim_stop {
#define SIM_STOP_ENUM(id, desc) SIM_STOP_##id,
  SIM_STOP_LIST(SIM_STOP_ENUM)
#undef SIM_STOP_ENUM
      SIM_STOP_COUNT
};

struct sim_result {
  enum sc_client_status status;
  enum sf_err error; /* SF_ERR_OK unless the client reports errors */
  int reports_errors;
  char diagnosis[256];
  uint64_t end_ms; /* virtual time when the run stopped */
  uint64_t time_bound_ms;
  enum sim_stop stop;
  int hung; /* stop is HANG or TIME_BOUND */
  char hang_reason[160];
  size_t iterations;
};

/* Runs `client` (initialised by the caller with &sc->cfg, not started)
 * against the scenario. `w` is initialised here. Pass-through TLS. */
void sim_run(const struct scenario *sc, struct sc_client *client, struct wire *w,
             struct sim_result *res);

/* Which TLS the server speaks. */
enum sim_tls {
  SIM_TLS_PASSTHROUGH, /* tls_passthrough.h markers: for clients using that layer */
  SIM_TLS_OPENSSL,     /* real TLS from `peer`: for clients using OpenSSL */
};

struct sim_options {
  enum sim_tls tls;
  struct tls_peer *peer;         /* SIM_TLS_OPENSSL: from tls_peer_new(); NULL: pass-through */
  enum tls_peer_version version; /* highest version the server accepts */
};

/* sim_run() with a choice of server TLS; `opt` NULL is pass-through. The
 * OpenSSL server does not reseed the peer: the caller does (once per run,
 * for runs that replay byte for byte). */
void sim_run_with(const struct scenario *sc, struct sc_client *client, struct wire *w,
                  struct sim_result *res, const struct sim_options *opt);

/* The virtual time bound for a scenario: its own, else the sum of the
 * client's configured timeouts (each phase counted as often as one dialogue
 * can wait in it) plus SIM_TIME_MARGIN_MS. */
uint64_t sim_time_bound(const struct scenario *sc);

const char *sim_stop_name(enum sim_stop s);

#endif
