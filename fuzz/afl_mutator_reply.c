/* AFL++ custom mutator for fuzz_reply: the limit step (limit_pad.h) that the
 * libFuzzer build gets from mutator_reply.c, as a shared object afl-fuzz
 * loads through AFL_CUSTOM_MUTATOR_LIBRARY. Every call is a limit step on
 * the stream, the chunk plan kept; AFL++'s havoc and splice stages still run
 * after it (AFL_CUSTOM_MUTATOR_ONLY stays unset), and afl_custom_fuzz_count
 * keeps this stage to a fixed few steps per queue entry, about a quarter of
 * the executions next to havoc on an entry of average score, as in
 * libFuzzer's one in four.
 *
 * Built by the plain (SF_FUZZ_ENGINE=none) build as sf_afl_mutator_reply,
 * never with afl-clang-fast: afl-fuzz itself is not instrumented, so neither
 * may the library it loads be. Only the afl_custom_* entry points are
 * exported. */
#include "limit_pad.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SF_EXPORT __attribute__((visibility("default")))

/* Steps per queue entry each time it is fuzzed; AFL++'s havoc makes about
 * 100 for an entry of average score (HAVOC_CYCLES 256 * perf_score 100 >> 8). */
#define STEPS_PER_ENTRY 32

struct sf_afl_reply_mutator {
  uint64_t rng; /* xorshift64 state, from afl-fuzz's seed */
  uint8_t *out; /* the mutated input handed back to afl-fuzz */
  size_t out_cap;
};

/* afl_state_t is AFL++'s; the mutator never looks inside it. */
SF_EXPORT void *afl_custom_init(void *afl, unsigned int seed);
SF_EXPORT unsigned int afl_custom_fuzz_count(void *data, const uint8_t *buf, size_t buf_size);
SF_EXPORT size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                                 uint8_t *add_buf, size_t add_buf_size, size_t max_size);
SF_EXPORT void afl_custom_deinit(void *data);

static uint32_t next_rand(struct sf_afl_reply_mutator *m)
{
  m->rng ^= m->rng << 13;
  m->rng ^= m->rng >> 7;
  m->rng ^= m->rng << 17;
  return (uint32_t)(m->rng >> 32);
}

void *afl_custom_init(void *afl, unsigned int seed)
{
  (void)afl;
  struct sf_afl_reply_mutator *m = calloc(1, sizeof *m);
  if (m)
    m->rng = 0x9e3779b97f4a7c15ull ^ seed; /* never zero */
  return m;
}

unsigned int afl_custom_fuzz_count(void *data, const uint8_t *buf, size_t buf_size)
{
  (void)data;
  (void)buf;
  (void)buf_size;
  return STEPS_PER_ENTRY;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
  struct sf_afl_reply_mutator *m = data;
  (void)add_buf; /* no splicing here: AFL++'s own splice stage does it */
  (void)add_buf_size;
  *out_buf = buf;
  if (max_size == 0)
    return 0;
  if (m->out_cap < max_size) {
    uint8_t *grown = realloc(m->out, max_size);
    if (!grown) /* no memory: a size of 0 makes afl-fuzz skip this step */
      return 0;
    m->out = grown;
    m->out_cap = max_size;
  }
  size_t n = buf_size < max_size ? buf_size : max_size;
  memcpy(m->out, buf, n);
  n = sf_limit_pad_reply_input(m->out, n, max_size, next_rand(m));
  if (n) /* else nothing fitted: 0, skipped like the above */
    *out_buf = m->out;
  return n;
}

void afl_custom_deinit(void *data)
{
  struct sf_afl_reply_mutator *m = data;
  if (m)
    free(m->out);
  free(m);
}
