/* fuzz_session: structure-aware scenarios through the whole engine.
 *
 * The input is a scenario in binary form (harness/scenario.h): the client's
 * configuration, the server's personality and rules overriding its answers
 * with raw bytes, stalls, closes and TLS starts. The simulated server plays
 * it against the client with pass-through TLS on a virtual clock, and the
 * oracles judge the wire. Our engine must never earn a verdict; any verdict
 * aborts with one line naming it.
 *
 * SMTPFUZZ_FLAW=<name> (see harness/flawed_client.h) puts a deliberately
 * flawed client under test instead, to measure how fast each flaw is found;
 * SMTPFUZZ_VERDICTS=<A,B> counts only those verdicts as findings.
 */
#include "client_under_test.h"
#include "oracle.h"
#include "scenario_binary.h"
#include "sim.h"
#include "target.h"

#include <stdio.h>

static int flaw = -1;
static unsigned findings = ~0u;

int sf_fuzz_init(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  flaw = sf_fuzz_flaw_from_env("fuzz_session");
  findings = sf_fuzz_verdicts_from_env("fuzz_session");
  return 0;
}

int sf_fuzz_one(const uint8_t *data, size_t size)
{
  /* Large and reinitialised for every input: static only to keep them off
   * the stack. */
  static struct scenario sc;
  static struct wire w;
  static struct sim_result res;
  static struct oracle_report rep;

  scenario_decode(&sc, data, size);
  sim_run(&sc, sf_fuzz_client(flaw, &sc), &w, &res);
  /* The binary form can state an expected outcome; what it states is
   * mutated like everything else, so only the safety verdicts count here. */
  unsigned verdicts = oracle_judge(&sc, &w, &res, &rep) & ~ORACLE_BIT(SC_V_OUTCOME) & findings;
  for (int v = 0; v < SC_V_COUNT; v++)
    if (verdicts & ORACLE_BIT(v))
      SF_FUZZ_FAIL("fuzz_session: verdict %s: %s", sc_verdict_name((enum sc_verdict)v),
                   rep.reason[v]);
  return 0;
}
