/* fuzz_X_alone: a fuzz target's own work per input, without libFuzzer's loop.
 *
 *   fuzz_session_alone [--each] ROUNDS FILE...
 *
 * Reads every FILE once, then runs the target (sf_fuzz_init, then
 * sf_fuzz_one on each input in turn) ROUNDS times over all of them, and
 * prints the CPU time per input. With --each, every input's own time
 * instead: each is run ROUNDS times in a row, after one run that is not
 * counted (so that what the first run of a process sets up, once, is not
 * charged to one input), and "MICROSECONDS FILE" is printed per input, to
 * find the few inputs that take most of a fuzzing run's time.
 *
 * Built from the same instrumented objects as the libFuzzer target
 * (coverage counters, comparison tracing, ASan, UBSan), whose callbacks
 * come from libFuzzer's runtime without its main: what is missing is
 * exactly libFuzzer's loop (mutation, feature collection, corpus
 * bookkeeping). Beside the target's exec/s and fuzz_floor's, it says which
 * side of an execution the time is on (ci/bench.sh). A finding aborts, as
 * in fuzzing. Never a ctest test.
 */
#include "ossl_heap.h"
#include "target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Far above any fuzzer's max_len (8192 in the fuzz/ options files). */
#define ALONE_MAX_INPUT (1u << 20)
#define ALONE_MAX_FILES 100000

static double cpu_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Every input in memory, each exactly its size; 0, or -1 with the reason
 * printed (what was read so far stays in `data` for the caller to free). */
static int load(char **paths, size_t n, uint8_t **data, size_t *size, const char *prog)
{
  uint8_t *buf = malloc(ALONE_MAX_INPUT + 1);
  if (!buf) {
    fprintf(stderr, "%s: out of memory\n", prog);
    return -1;
  }
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    FILE *f = fopen(paths[i], "rb");
    if (!f) {
      fprintf(stderr, "%s: %s: %s\n", prog, paths[i], strerror(errno));
      rc = -1;
      break;
    }
    size_t got = fread(buf, 1, ALONE_MAX_INPUT + 1, f);
    int bad = ferror(f) || got > ALONE_MAX_INPUT;
    fclose(f);
    data[i] = bad ? NULL : malloc(got ? got : 1);
    if (bad || !data[i]) {
      fprintf(stderr, "%s: %s: %s\n", prog, paths[i],
              bad ? "unreadable, or larger than 1 MiB" : "out of memory");
      rc = -1;
      break;
    }
    memcpy(data[i], buf, got);
    size[i] = got;
  }
  free(buf);
  return rc;
}

/* ROUNDS passes over every input: the CPU time per input. */
static void all(uint8_t **data, size_t *size, size_t n, long rounds)
{
  struct ossl_heap_stats s0, s1;
  ossl_heap_stats(&s0);
  double t0 = cpu_us();
  for (long r = 0; r < rounds; r++)
    for (size_t i = 0; i < n; i++)
      sf_fuzz_one(data[i], size[i]);
  double us = cpu_us() - t0;
  ossl_heap_stats(&s1);
  unsigned long runs = (unsigned long)rounds * n;
  printf("%.2f us of CPU per input (%lu runs of %zu inputs)\n", us / (double)runs, runs, n);
  /* Under ASan with OpenSSL on its own heap (fuzz_starttls): how many
   * inputs were run twice for the leak check, and how many of those asked
   * LeakSanitizer, both of which cost a run or more. */
  if (s1.allocs > s0.allocs)
    printf("OpenSSL heap: %zu of %lu inputs run again for the leak check, %zu of them "
           "checked by LeakSanitizer; %zu blocks from the heap, %zu from ASan's allocator\n",
           s1.reruns - s0.reruns, runs, s1.lsan_checks - s0.lsan_checks, s1.allocs - s0.allocs,
           s1.direct - s0.direct);
}

/* Every input's own CPU time, ROUNDS runs in a row after one uncounted. */
static void each(uint8_t **data, size_t *size, char **paths, size_t n, long rounds)
{
  for (size_t i = 0; i < n; i++) {
    sf_fuzz_one(data[i], size[i]);
    double t0 = cpu_us();
    for (long r = 0; r < rounds; r++)
      sf_fuzz_one(data[i], size[i]);
    printf("%.2f %s\n", (cpu_us() - t0) / (double)rounds, paths[i]);
  }
}

int main(int argc, char **argv)
{
  if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    printf("usage: %s [--each] ROUNDS FILE...\n"
           "Runs the fuzz target ROUNDS times over every FILE, without libFuzzer's loop, and\n"
           "prints the CPU time per input; with --each, every input's own time (after one\n"
           "uncounted run), as \"MICROSECONDS FILE\" lines.\n",
           argv[0]);
    return 0;
  }
  int per_input = argc > 1 && strcmp(argv[1], "--each") == 0;
  char **args = argv + per_input; /* args[1]: ROUNDS; args[2..]: the files */
  int nargs = argc - per_input;
  char *end = NULL;
  long rounds = nargs > 2 ? strtol(args[1], &end, 10) : 0;
  if (nargs < 3 || !end || *end != '\0' || rounds < 1 || rounds > 1000000 ||
      nargs - 2 > ALONE_MAX_FILES) {
    fprintf(stderr, "usage: %s [--each] ROUNDS FILE... (ROUNDS 1 to 1000000, at most %d files)\n",
            argv[0], ALONE_MAX_FILES);
    return 2;
  }
  size_t n = (size_t)(nargs - 2);
  uint8_t **data = calloc(n, sizeof(*data));
  size_t *size = calloc(n, sizeof(*size));
  int rc = 1;
  if (!data || !size)
    fprintf(stderr, "%s: out of memory\n", argv[0]);
  else if (load(args + 2, n, data, size, argv[0]) == 0 && sf_fuzz_init(&argc, &argv) == 0) {
    if (per_input)
      each(data, size, args + 2, n, rounds);
    else
      all(data, size, n, rounds);
    rc = 0;
  }
  for (size_t i = 0; data && i < n; i++)
    free(data[i]);
  free(data);
  free(size);
  return rc;
}
