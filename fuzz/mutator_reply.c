/* libFuzzer custom mutator for fuzz_reply. One mutation in four is a limit
 * step (limit_pad.h) on the stream part of the input: a line padded to the
 * neighbourhood of the 512-octet limit, a reply brought to the line cap, an
 * AUTH or SIZE line at the EHLO bounds. From an empty corpus libFuzzer's own
 * mutations take minutes to build a 511-octet line that still has its code
 * and CRLF, so an off-by-one at a limit stayed out of reach; the other three
 * in four are libFuzzer's mutations, dictionary included. Linked only into
 * the libFuzzer build of fuzz_reply (fuzz/CMakeLists.txt). */
#include "limit_pad.h"

#include <stddef.h>
#include <stdint.h>

/* fuzz_reply.c's input: byte 0's low 3 bits count the chunk-plan bytes. */
#define PLAN_MAX 7

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
  if (seed % 4 != 0 || max_size < 2 || size > max_size)
    return LLVMFuzzerMutate(data, size, max_size);
  if (size == 0) { /* no header yet: one-byte chunks, every split point */
    data[0] = 0;
    size = 1;
  }
  /* The plan as fuzz_reply reads it; a count past the input's end is cut
   * down to the bytes there are, so that the stream the step adds is not
   * taken for plan bytes. */
  size_t nplan = data[0] & PLAN_MAX;
  if (nplan > size - 1) {
    nplan = size - 1;
    data[0] = (uint8_t)((data[0] & ~PLAN_MAX) | nplan);
  }
  size_t head = 1 + nplan;
  size_t n = sf_limit_pad(data + head, size - head, max_size - head, seed / 4);
  return n ? head + n : LLVMFuzzerMutate(data, size, max_size);
}
