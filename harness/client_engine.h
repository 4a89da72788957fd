/* Our engine (sf_session) as a client under test, with the pass-through TLS
 * layer so the simulated server can play both sides of the upgrade, or with
 * the OpenSSL layer (src/tls_openssl.h) against a real TLS server side
 * (tls_peer.h, sim_run_with()). */
#ifndef SC_CLIENT_ENGINE_H
#define SC_CLIENT_ENGINE_H

#include "client.h"
#include "session.h"
#include "tls_openssl.h"
#include "tls_passthrough.h"

struct sc_engine_client {
  struct sc_client base;
  struct sf_tls_passthrough pt;
  struct sf_tls_openssl ossl; /* used when `openssl` is set */
  int openssl;
  struct ssl_session_st *resume; /* our copy of the session offered */
  struct sf_session session;
};

/* `cfg` must outlive the client. Call ops->start() to begin. */
void sc_engine_client_init(struct sc_engine_client *c, const struct sf_config *cfg);

/* The same with the OpenSSL layer on `ctx` (e.g. tls_peer_client_ctx()),
 * judging certificates at `verify_time` (seconds since the epoch) and
 * offering a copy of `resume` (NULL: none) for resumption. Free with
 * sc_engine_client_cleanup(). */
void sc_engine_client_init_openssl(struct sc_engine_client *c, const struct sf_config *cfg,
                                   struct ssl_ctx_st *ctx, int64_t verify_time,
                                   struct ssl_session_st *resume);
/* Prepares `c` for the real-TLS run of `sc` that fuzz_starttls and
 * `smtpfuzz show --target starttls` both make, so a finding replays the
 * same: the server's version and whether a session is offered are chosen
 * by the two lowest bits of the TLS-phase timeout (sc_adapter_tls_version();
 * a field the engine uses only as a deadline): even is TLS 1.2 with the
 * peer's session for the scenario's certificate offered, 1 TLS 1.3 with
 * that certificate's TLS 1.3 session offered, 3 a full TLS 1.3 handshake.
 * Reseeds the peer and fills `opt` for
 * sim_run_with(). Free with sc_engine_client_cleanup(). */
struct tls_peer;
struct sim_options;
struct scenario;
void sc_engine_client_init_peer(struct sc_engine_client *c, const struct scenario *sc,
                                struct tls_peer *peer, struct sim_options *opt);
/* After such a run: 1 if the engine's OpenSSL layer is consistent with the
 * server, else 0 with the reason in `why`. Where the server's handshake
 * completed, both agree on the version and on whether the session was
 * resumed; a peer whose certificate the engine rejected left no session to
 * resume (offered on the next connection, it would skip the check that
 * failed). */
struct wire;
struct sim_result;
int sc_engine_client_tls_consistent(const struct sc_engine_client *c, const struct wire *w,
                                    const struct sim_result *res, char *why, size_t cap);
/* Pass-through TLS: offer a session to resume in the hello (a scenario's
 * `resume`); call before start. The OpenSSL form gets its session at init. */
void sc_engine_client_offer_resume(struct sc_engine_client *c, int offer);
/* Frees what the client holds (nothing for pass-through); it may be
 * initialised again afterwards. */
void sc_engine_client_cleanup(struct sc_engine_client *c);

#endif
