/* Our engine (sf_session) as a client under test, with the pass-through TLS
 * layer so the simulated server can play both sides of the upgrade. */
#ifndef SC_CLIENT_ENGINE_H
#define SC_CLIENT_ENGINE_H

#include "client.h"
#include "session.h"
#include "tls_passthrough.h"

struct sc_engine_client {
  struct sc_client base;
  struct sf_tls_passthrough pt;
  struct sf_session session;
};

/* `cfg` must outlive the client. Call ops->start() to begin. */
void sc_engine_client_init(struct sc_engine_client *c, const struct sf_config *cfg);

#endif
