#include "adapter.h"

#include <string.h>

enum tls_peer_version sc_adapter_tls_version(const struct scenario *sc)
{
  switch (sc->cfg.timeout_ms[SF_PHASE_TLS] & 3) {
  case 1:
    return TLS_PEER_TLS13_RESUMED;
  case 3:
    return TLS_PEER_TLS13;
  default:
    return TLS_PEER_TLS12;
  }
}

int sc_adapter_eager_server(const struct sf_config *cfg)
{
  return (cfg->timeout_ms[SF_PHASE_TLS] & 4) != 0;
}

int sc_adapter_run(const struct sc_adapter *a, const struct scenario *sc, struct tls_peer *peer,
                   struct wire *w, struct sim_result *res)
{
  /* A mode and TLS policy that contradict each other (or values out of
   * range) have no counterpart among a client's options: nothing to run. */
  const char *why;
  enum sf_err e = sf_config_validate(&sc->cfg, &why);
  if (e == SF_ERR_CONFIG_INCONSISTENT || e == SF_ERR_CONFIG_BAD_VALUE)
    return -1;
  struct sc_adapter_env env = {peer, TLS_PEER_TIME};
  /* Same seed for every run: the server's bytes replay exactly. */
  tls_peer_reseed(peer, TLS_PEER_SEED);
  struct sc_client *c = a->create(sc, &env);
  if (!c)
    return -1;
  struct sim_options opt = {SIM_TLS_OPENSSL, peer, sc_adapter_tls_version(sc)};
  sim_run_with(sc, c, w, res, &opt);
  a->destroy(c);
  return 0;
}
