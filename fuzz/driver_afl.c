/* AFL++ persistent-mode driver: the input arrives in shared memory and one
 * process runs many inputs (AFL++ docs, "persistent mode"), which is what
 * makes an in-process target fast. Built with afl-clang-fast, which defines
 * the __AFL_* macros; run outside afl-fuzz, the input is read from stdin, so
 * `fuzz_X < FILE` reproduces a finding.
 *
 * Each input is copied into an allocation of its exact size: the shared
 * buffer is larger than the input, and a target must not be able to read
 * past the end unnoticed when built with ASan (AFL_USE_ASAN=1).
 */
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Inputs per process before AFL++ forks a fresh one: bounds the damage of
 * any state a target leaked by mistake. */
#define SF_AFL_LOOP_COUNT 100000

__AFL_FUZZ_INIT();

int main(int argc, char **argv)
{
  if (sf_fuzz_init(&argc, &argv) != 0) {
    fprintf(stderr, "%s: target initialisation failed\n", argc > 0 ? argv[0] : "fuzz");
    return 1;
  }
#ifdef __AFL_HAVE_MANUAL_CONTROL
  __AFL_INIT();
#endif
  const unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(SF_AFL_LOOP_COUNT)) {
    size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
      abort();
    memcpy(copy, buf, len);
    sf_fuzz_one(copy, len);
    free(copy);
  }
  return 0;
}
