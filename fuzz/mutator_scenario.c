/* libFuzzer custom mutator and crossover for scenario inputs (fuzz_session,
 * fuzz_portmode, fuzz_starttls and the third-party client targets). Half of
 * the mutations are structural (add, drop or edit a rule, an SMTP-aware edit
 * of a reply, a flip of mode, port or certificate: scenario_mutate), half
 * are libFuzzer's own byte mutations, which the binary form is designed to
 * keep meaningful. Linked only into the libFuzzer builds; AFL++ gets the
 * same scenario_mutate() as a custom mutator library (afl_mutator.c). */
#include "scenario.h"
#include "scenario_mutator.h"

#include <stddef.h>
#include <stdint.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size,
                                 unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
  if (seed & 1)
    return LLVMFuzzerMutate(data, size, max_size);
  size_t n = scenario_mutate(data, size, max_size, seed >> 1);
  return n ? n : LLVMFuzzerMutate(data, size, max_size);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
                                 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed)
{
  return scenario_crossover(data1, size1, data2, size2, out, max_out_size, seed);
}
