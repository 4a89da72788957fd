/* A client adapter: how the harness makes a client under test for one
 * scenario, so that a fuzz target, a replay test and a transcript are built
 * for any client without editing the harness.
 *
 * An adapter is one file defining one `const struct sc_adapter` (e.g.
 * harness/byoc/adapter_curl.c defines sc_adapter_curl). Its create() maps a
 * scenario's client configuration (sc->cfg: mode, TLS policy, verification,
 * host, credentials, envelope, message) onto the client's own options and
 * returns the client as a struct sc_client (client.h); destroy() frees it.
 * sc_adapter_run() plays the scenario against it with the simulated server
 * and real TLS (the OpenSSL server peer of tls_peer.h), ready for the
 * oracles (oracle.h). A fuzz target for the adapter is two lines
 * (fuzz/byoc_target.h: SF_BYOC_TARGET(sc_adapter_curl)).
 *
 * Self-contained for an outside project: this header, client.h, scenario.h,
 * sim.h, tls_peer.h, wire.h, oracle.h and the src/ headers they include.
 */
#ifndef SC_ADAPTER_H
#define SC_ADAPTER_H

#include "client.h"
#include "oracle.h"
#include "scenario.h"
#include "sim.h"
#include "tls_peer.h"
#include "wire.h"

/* What the harness offers an adapter for one run. */
struct sc_adapter_env {
  struct tls_peer *peer; /* the server's TLS: tls_peer_ca_pem() is the CA to trust */
  int64_t verify_time;   /* judge certificates at this time (TLS_PEER_TIME) */
};

struct sc_adapter {
  const char *name;  /* "curl": the target is fuzz_<name> */
  const char *about; /* one line: what is under test */
  /* Once per process, before any run; 0 on success. NULL: nothing to do. */
  int (*global_init)(void);
  /* A client for one run of `sc` (which outlives it), not started. NULL if
   * it could not be made (resources); the run is then skipped. */
  struct sc_client *(*create)(const struct scenario *sc, const struct sc_adapter_env *env);
  /* Frees what create() made, however the run ended. */
  void (*destroy)(struct sc_client *c);
  /* Verdicts this client is known to earn on `sc` for reasons already
   * understood and written up (each with a regression scenario), given the
   * oracles' report (its reasons say which rule fired): a fuzz target does
   * not count them unless asked (SMTPFUZZ_VERDICTS). NULL: none. */
  unsigned (*known)(const struct scenario *sc, const struct oracle_report *rep);
};

/* The TLS version the server offers for `sc`, and whether the client is
 * offered the peer's session to resume, as fuzz_starttls chooses them: the
 * two lowest bits of the TLS-phase timeout, even TLS 1.2 (resumed), 1
 * TLS 1.3 resumed, 3 TLS 1.3 full. A full TLS 1.3 handshake costs about
 * twice a resumed one (a certificate parsed and verified, a signature made
 * and checked), which is spent on OpenSSL, not on the client under test;
 * a quarter of the inputs still make one (bench/tls_handshake.c). */
enum tls_peer_version sc_adapter_tls_version(const struct scenario *sc);

/* When the server reads what a client under the shim (byoc.h) writes: at
 * once, or when the client next waits. On loopback a real server often
 * answers before the client has done anything else, and a client that
 * polls for reading and writing at once then finds the answer (or a TLS
 * 1.3 session ticket) before it has flushed its next command; it often
 * does not. The scenario has no word for this, so the fuzz targets choose
 * it as they choose the TLS version: the TLS-phase timeout's third-lowest
 * bit (4) set, "eager", the write returns only after the server has read
 * it and sent what it had to say (in the same instant; a millisecond later
 * if it had nothing to say); clear, the default, the server reads when the
 * client waits. Returns 1 for eager. */
int sc_adapter_eager_server(const struct sf_config *cfg);

/* One run of `sc` against a client from `a`: the peer reseeded, the client
 * created, played by sim_run_with() with the OpenSSL server, destroyed.
 * Returns 0, or -1 if nothing ran (`w` and `res` then say nothing): the
 * configuration's mode and TLS policy contradict each other or hold values
 * out of range (sf_config_validate: no client option says that), or
 * create() failed. */
int sc_adapter_run(const struct sc_adapter *a, const struct scenario *sc, struct tls_peer *peer,
                   struct wire *w, struct sim_result *res);

#endif
