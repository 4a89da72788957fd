/* The contract between a fuzz target and the drivers that run it.
 *
 * Each fuzz/fuzz_X.c defines exactly these two functions and nothing else
 * with external linkage (as OpenSSL's fuzz/ targets do). The same file links
 * into three programs, chosen by SF_FUZZ_ENGINE:
 *
 *   none       fuzz_X_replay: driver_replay.c runs files and folders, so every
 *              seed and regression is a ctest test under gcc and clang;
 *   libfuzzer  fuzz_X: driver_libfuzzer.c maps LLVMFuzzerInitialize and
 *              LLVMFuzzerTestOneInput onto these;
 *   afl        fuzz_X: driver_afl.c, AFL++ persistent mode with the input in
 *              shared memory.
 *
 * A target reports a finding by calling abort() after printing one line that
 * says what went wrong; it never exits and keeps no state between inputs.
 */
#ifndef SF_FUZZ_TARGET_H
#define SF_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Called once before any input; may adjust the arguments. Returns 0. */
int sf_fuzz_init(int *argc, char ***argv);

/* Runs one input. Returns 0; aborts on a finding. */
int sf_fuzz_one(const uint8_t *data, size_t size);

/* The one-line report of a finding, then abort(). The format names the target
 * first so that a line in a CI log says where it came from. */
#define SF_FUZZ_FAIL(...)                                                                          \
  do {                                                                                             \
    fprintf(stderr, __VA_ARGS__);                                                                  \
    fputc('\n', stderr);                                                                           \
    abort();                                                                                       \
  } while (0)

#define SF_FUZZ_CHECK(cond, ...)                                                                   \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      SF_FUZZ_FAIL(__VA_ARGS__);                                                                   \
  } while (0)

#endif
