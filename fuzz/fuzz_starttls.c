/* fuzz_starttls: scenarios through the whole engine with real TLS on both
 * sides of the upgrade.
 *
 * The input is a scenario in binary form (harness/scenario.h), as for
 * fuzz_session: fuzzed pre-TLS flights, STARTTLS answers with or without
 * bytes after them, post-TLS flights (encrypted by the server, so only the
 * engine's handling of their plaintext is fuzzed, never OpenSSL's record
 * layer), certificate choice, implicit TLS. Here the engine runs with the
 * OpenSSL layer (src/tls_openssl.c) and the simulated server with an OpenSSL
 * server side (harness/tls_peer.c); every oracle is active, CERT included.
 *
 * The peer presents the certificate the scenario asks for when it has one
 * for that name (TLS_PEER_HOST, the addresses TLS_PEER_IPV4 and
 * TLS_PEER_IPV6), and the wrong-host one otherwise (tls_peer_pick()). The TLS
 * version is chosen by the two lowest bits of the TLS-phase timeout (a field
 * the engine only uses as a deadline; sc_adapter_tls_version()): even, the
 * default, is TLS 1.2 with the session made at start-up for that
 * certificate offered and resumed, whatever the scenario's `resume` says (a
 * resumed handshake costs no public-key operation, and the engine must
 * verify a resumed session like a new one); 1 is the same at TLS 1.3 (its
 * session resumed through a ticket, with a fresh key exchange); 3 is a full
 * TLS 1.3 handshake, where the engine verifies the chain as it comes.
 *
 * Deterministic: the peer's random source is reset to the same seed for
 * every input and certificates are judged at the fixed TLS_PEER_TIME, so an
 * input replays byte for byte, but for the ticket's age in a resumed TLS 1.3
 * hello (whole seconds since start-up, and what TLS encrypts after it): the
 * plaintext both sides read, and so every verdict, replays exactly.
 * SMTPFUZZ_FLAW is not supported here (the
 * flawed clients speak pass-through TLS only); fuzz_session has them.
 *
 * Under ASan, OpenSSL allocates from harness/ossl_heap.h's heap, and an
 * input that leaves OpenSSL blocks behind is run a second time for the leak
 * check (ossl_heap_leak_check()).
 */
#include "client_engine.h"
#include "oracle.h"
#include "ossl_heap.h"
#include "scenario_binary.h"
#include "sim.h"
#include "target.h"
#include "tls_peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tls_peer *peer;

int sf_fuzz_init(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  ossl_heap_install(); /* before OpenSSL's first allocation */
  peer = tls_peer_new();
  SF_FUZZ_CHECK(peer != NULL, "fuzz_starttls: the TLS peer could not be set up");
  return 0;
}

struct input {
  const uint8_t *data;
  size_t size;
};

static void run_input(void *arg)
{
  const struct input *in = arg;
  /* Large and reinitialised for every input: static only to keep them off
   * the stack. */
  static struct scenario sc;
  static struct wire w;
  static struct sim_result res;
  static struct oracle_report rep;
  static struct sc_engine_client engine;

  scenario_decode(&sc, in->data, in->size);
  struct sim_options opt;
  sc_engine_client_init_peer(&engine, &sc, peer, &opt);
  sim_run_with(&sc, &engine.base, &w, &res, &opt);
  char why[256];
  SF_FUZZ_CHECK(sc_engine_client_tls_consistent(&engine, &w, &res, why, sizeof why),
                "fuzz_starttls: %s", why);
  sc_engine_client_cleanup(&engine);
  /* As in fuzz_session: the stated outcome is mutated like everything else,
   * so only the safety verdicts count. */
  unsigned verdicts = oracle_judge(&sc, &w, &res, &rep) & ~ORACLE_BIT(SC_V_OUTCOME);
  for (int i = 0; i < SC_V_COUNT; i++)
    if (verdicts & ORACLE_BIT(i))
      SF_FUZZ_FAIL("fuzz_starttls: verdict %s: %s", sc_verdict_name((enum sc_verdict)i),
                   rep.reason[i]);
}

int sf_fuzz_one(const uint8_t *data, size_t size)
{
  struct input in = {data, size};
  SF_FUZZ_CHECK(!ossl_heap_leak_check(run_input, &in),
                "fuzz_starttls: OpenSSL memory leaked (LeakSanitizer's report above)");
  return 0;
}
