/* AFL++ custom mutator for scenario inputs (fuzz_session, fuzz_portmode,
 * fuzz_starttls): the structural edits and crossover that the libFuzzer
 * builds get from mutator_scenario.c, as a shared object afl-fuzz loads
 * through AFL_CUSTOM_MUTATOR_LIBRARY. AFL++'s own havoc and splice stages
 * still run (AFL_CUSTOM_MUTATOR_ONLY stays unset), so byte-level mutation
 * with the dictionary is kept; this adds what havoc cannot find in time:
 * a new rule, a reply edited as SMTP, a mode, port or certificate flip.
 *
 * Built by the plain (SF_FUZZ_ENGINE=none) build as sf_afl_mutator, never
 * with afl-clang-fast: afl-fuzz itself is not instrumented, so neither may
 * the library it loads be. Only the afl_custom_* entry points are exported. */
#include "scenario.h"
#include "scenario_mutator.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SF_EXPORT __attribute__((visibility("default")))

struct sf_afl_mutator {
  uint64_t rng; /* xorshift64 state, from afl-fuzz's seed */
  uint8_t *out; /* the mutated input handed back to afl-fuzz */
  size_t out_cap;
};

/* afl_state_t is AFL++'s; the mutator never looks inside it. */
SF_EXPORT void *afl_custom_init(void *afl, unsigned int seed);
SF_EXPORT size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                                 uint8_t *add_buf, size_t add_buf_size, size_t max_size);
SF_EXPORT void afl_custom_deinit(void *data);

static unsigned next_rand(struct sf_afl_mutator *m)
{
  m->rng ^= m->rng << 13;
  m->rng ^= m->rng >> 7;
  m->rng ^= m->rng << 17;
  return (unsigned)(m->rng >> 32);
}

void *afl_custom_init(void *afl, unsigned int seed)
{
  (void)afl;
  struct sf_afl_mutator *m = calloc(1, sizeof *m);
  if (m)
    m->rng = 0x9e3779b97f4a7c15ull ^ seed; /* never zero */
  return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
  struct sf_afl_mutator *m = data;
  *out_buf = buf;
  if (max_size == 0)
    return 0;
  if (m->out_cap < max_size) {
    uint8_t *grown = realloc(m->out, max_size);
    if (!grown) /* no memory: hand the input back unchanged */
      return buf_size < max_size ? buf_size : max_size;
    m->out = grown;
    m->out_cap = max_size;
  }
  unsigned r = next_rand(m);
  size_t n = 0;
  /* One call in four splices with the other queue entry AFL++ offers. */
  if (add_buf && add_buf_size && r % 4 == 0)
    n = scenario_crossover(buf, buf_size, add_buf, add_buf_size, m->out, max_size, r >> 2);
  if (n == buf_size && memcmp(m->out, buf, n) == 0)
    n = 0;      /* the splice gave the input back: mutate it instead */
  if (n == 0) { /* scenario_mutate always changes something when max_size > 0 */
    n = buf_size < max_size ? buf_size : max_size;
    memcpy(m->out, buf, n);
    n = scenario_mutate(m->out, n, max_size, r >> 2);
  }
  *out_buf = m->out;
  return n;
}

void afl_custom_deinit(void *data)
{
  struct sf_afl_mutator *m = data;
  if (m)
    free(m->out);
  free(m);
}
