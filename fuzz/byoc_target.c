/* The body of every adapter's fuzz target (byoc_target.h). */
#include "byoc_target.h"

#include "client_under_test.h"
#include "oracle.h"
#include "ossl_heap.h"
#include "scenario_binary.h"
#include "sim.h"
#include "tls_peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tls_peer *peer;
static unsigned asked; /* SMTPFUZZ_VERDICTS, or 0: all but the known ones */
static int skip_known; /* SMTPFUZZ_SKIP_KNOWN: the known ones never count */
static int show;
static int shown; /* this input's transcript is out (a leak check runs it twice) */

int sf_byoc_target_init(const struct sc_adapter *a, int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  char target[64];
  snprintf(target, sizeof target, "fuzz_%s", a->name);
  ossl_heap_install(); /* before OpenSSL's first allocation */
  peer = tls_peer_new();
  SF_FUZZ_CHECK(peer != NULL, "%s: the TLS peer could not be set up", target);
  SF_FUZZ_CHECK(!a->global_init || a->global_init() == 0, "%s: %s could not be initialised", target,
                a->about);
  const char *list = getenv("SMTPFUZZ_VERDICTS");
  asked = list && *list ? sf_fuzz_verdicts_from_env(target) : 0;
  const char *k = getenv("SMTPFUZZ_SKIP_KNOWN");
  skip_known = k && *k && *k != '0';
  const char *s = getenv("SMTPFUZZ_SHOW");
  show = s && *s && *s != '0';
  return 0;
}

struct input {
  const struct sc_adapter *a;
  const uint8_t *data;
  size_t size;
};

static void run_input(void *arg)
{
  const struct input *in = arg;
  const struct sc_adapter *a = in->a;
  /* Large and reinitialised for every input: static only to keep them off
   * the stack. */
  static struct scenario sc;
  static struct wire w;
  static struct sim_result res;
  static struct oracle_report rep;

  scenario_decode(&sc, in->data, in->size);
  if (sc_adapter_run(a, &sc, peer, &w, &res) != 0)
    return;
  unsigned verdicts = oracle_judge(&sc, &w, &res, &rep) & ~ORACLE_BIT(SC_V_OUTCOME);
  if (show && !shown)
    oracle_transcript_file(&sc, &w, &rep, stderr);
  shown = 1;
  unsigned known = a->known ? a->known(&sc, &rep) : 0;
  verdicts &= asked ? asked : ~known;
  if (skip_known)
    verdicts &= ~known;
  for (int v = 0; v < SC_V_COUNT; v++)
    if (verdicts & ORACLE_BIT(v))
      SF_FUZZ_FAIL("fuzz_%s: verdict %s: %s", a->name, sc_verdict_name((enum sc_verdict)v),
                   rep.reason[v]);
}

int sf_byoc_target_one(const struct sc_adapter *a, const uint8_t *data, size_t size)
{
  struct input in = {a, data, size};
  shown = 0;
  SF_FUZZ_CHECK(!ossl_heap_leak_check(run_input, &in),
                "fuzz_%s: OpenSSL memory leaked (LeakSanitizer's report above)", a->name);
  return 0;
}
