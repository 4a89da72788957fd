/* fuzz_floor: what a scenario target's exec/s cannot exceed on this machine.
 *
 * The input is decoded as fuzz_session decodes it, and nothing is run: no
 * client, no server, no oracle. Linked with the same driver and, under
 * libFuzzer, the same scenario mutator, so its exec/s is libFuzzer's own
 * loop (mutation, crossover, coverage bookkeeping) plus the decode. ci/bench.sh
 * measures it beside the real targets; the difference is the time the run
 * itself takes. Never a ctest test, never fuzzed for findings.
 *
 * It runs no instrumented code (the decoder and the client's configuration
 * are in fuzz/coverage_ignore.txt), so libFuzzer would keep one input of the
 * corpus and mutate only that: run it with -keep_seed=1, as ci/bench.sh does.
 */
#include "scenario_binary.h"
#include "target.h"

int sf_fuzz_init(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  return 0;
}

int sf_fuzz_one(const uint8_t *data, size_t size)
{
  static struct scenario sc; /* large: off the stack, as in fuzz_session */
  scenario_decode(&sc, data, size);
  return 0;
}
