/* Structure-aware mutation of binary scenarios, for a libFuzzer custom
 * mutator (LLVMFuzzerCustomMutator, LLVMFuzzerCustomCrossOver) and the
 * AFL++ custom mutator: decode, change one structural thing (a rule added,
 * removed or replaced, an SMTP-aware edit of sent bytes, a stall, a
 * mode/tls/port/personality/cert flip...), re-encode. Pure and deterministic
 * given the seed. */
#ifndef SF_SCENARIO_MUTATOR_H
#define SF_SCENARIO_MUTATOR_H

#include <stddef.h>
#include <stdint.h>

/* Rewrites data[0..max_size) and returns the new size. */
size_t scenario_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed);
/* Writes at most `max` bytes to out and returns their number. */
size_t scenario_crossover(const uint8_t *a, size_t asz, const uint8_t *b, size_t bsz, uint8_t *out,
                          size_t max, unsigned seed);

#endif
