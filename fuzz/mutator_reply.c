/* libFuzzer custom mutator for fuzz_reply. One mutation in four is a limit
 * step (limit_pad.h) on the stream part of the input, the chunk plan kept:
 * a line padded to the neighbourhood of the 512-octet limit, a reply brought
 * to the line cap, an AUTH or SIZE line at the EHLO bounds. libFuzzer's own
 * mutations seldom grow a line by hundreds of bytes with no line end among
 * them while it keeps its code and CRLF, so an off-by-one at a limit took
 * long to reach (planted bug 07, ci/bench.sh: a median of 40-50 s from an
 * empty corpus, some seeds not within 120 s; with this step under a second).
 * The other three in four are libFuzzer's mutations, dictionary included.
 * The BYTES step needs about SF_REPLY_MAX_BYTES of room, more than the
 * max_len of fuzz_reply.options, so under ci/fuzz.sh it gives way to the
 * others: raising max_len to fit it cut exec/s to a quarter.
 * Linked only into the libFuzzer build of fuzz_reply (fuzz/CMakeLists.txt). */
#include "limit_pad.h"

#include <stddef.h>
#include <stdint.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
  size_t n = 0;
  if (seed % 4 == 0)
    n = sf_limit_pad_reply_input(data, size, max_size, seed / 4);
  return n ? n : LLVMFuzzerMutate(data, size, max_size);
}
