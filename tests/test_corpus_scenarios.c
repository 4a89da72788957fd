/* The scenario library (corpus/scenarios, every .scn file) replayed against our engine.
 *
 * Every file must parse, state its expected outcome (result and error), go
 * through the text form and the binary form unchanged, and run through the simulated server with
 * no verdict at all: our engine must never leak, downgrade, act on injected
 * bytes, reuse stale capabilities, hang or accept a bad certificate, and the
 * OUTCOME verdict holds it to the file's expect.result and expect.error. The
 * run must end inside the virtual time bound. One line per failing file;
 * SF_CORPUS_VERBOSE=1 adds each failing run's transcript.
 *
 * Runs with the repository root as working directory (ctest sets it).
 */
#include "check.h"
#include "client_engine.h"
#include "oracle.h"
#include "scenario.h"
#include "scenario_binary.h"
#include "scenario_text.h"
#include "sim.h"
#include "wire.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS_DIR "corpus/scenarios"
#define MAX_FILES  1024
#define NAME_CAP   256
/* A scenario file is small: at most 8192 bytes of strings plus keys. */
#define FILE_MAX (64 * 1024)

static char names[MAX_FILES][NAME_CAP];
static size_t nnames;

static struct scenario sc, again;
static struct wire wire;
static struct sim_result res;
static struct oracle_report rep;
static struct sc_engine_client engine;
static char text[FILE_MAX + 1];
static char formatted[FILE_MAX];
static char transcript[1 << 17];

/* Why the current file fails, as one line. */
static char why[2048];
static size_t why_len;

static void fail_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail_why(const char *fmt, ...)
{
  if (why_len >= sizeof(why) - 1)
    return;
  if (why_len > 0)
    why_len += (size_t)snprintf(why + why_len, sizeof(why) - why_len, "; ");
  if (why_len >= sizeof(why) - 1)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(why + why_len, sizeof(why) - why_len, fmt, ap);
  va_end(ap);
  if (n > 0)
    why_len += (size_t)n;
  if (why_len > sizeof(why) - 1)
    why_len = sizeof(why) - 1;
}

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int by_name(const void *a, const void *b)
{
  return strcmp((const char *)a, (const char *)b);
}

static int list_files(void)
{
  DIR *d = opendir(CORPUS_DIR);
  if (!d) {
    fprintf(stderr, "%s: cannot open (run from the repository root)\n", CORPUS_DIR);
    return 0;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || !ends_with(e->d_name, ".scn"))
      continue;
    if (nnames == MAX_FILES || strlen(e->d_name) >= NAME_CAP) {
      fprintf(stderr, "%s/%s: too many files or name too long\n", CORPUS_DIR, e->d_name);
      check_failed++;
      continue;
    }
    snprintf(names[nnames++], NAME_CAP, "%s", e->d_name);
  }
  closedir(d);
  qsort(names, nnames, sizeof(names[0]), by_name);
  return 1;
}

/* Reads the file into `text`; returns its length, or -1 (reason in why). */
static long read_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    fail_why("cannot open");
    return -1;
  }
  size_t n = fread(text, 1, sizeof(text), f);
  int err = ferror(f);
  fclose(f);
  if (err) {
    fail_why("read error");
    return -1;
  }
  if (n > FILE_MAX) {
    fail_why("larger than %d bytes", FILE_MAX);
    return -1;
  }
  return (long)n;
}

/* The canonical text form parses back to the same scenario. */
static void check_round_trip(void)
{
  size_t n = scenario_format_text(&sc, formatted, sizeof(formatted));
  if (n >= sizeof(formatted)) {
    fail_why("canonical form does not fit %zu bytes", sizeof(formatted));
    return;
  }
  size_t line = 0;
  const char *reason = "";
  /* Garbage first: what scenario_init() and scenario_decode() leave
   * uncleared (the pool, the configuration's string arena) must never be
   * read. */
  memset(&again, 0xa5, sizeof again);
  scenario_init(&again);
  if (scenario_parse_text(&again, formatted, n, &line, &reason) != SF_ERR_OK) {
    fail_why("canonical form line %zu does not parse: %s", line, reason);
    return;
  }
  if (!scenario_equal(&sc, &again))
    fail_why("canonical form parses to a different scenario");
  /* The binary form is lossless: text -> binary -> text gives the same text. */
  static uint8_t bin[SC_BINARY_MAX];
  static char back[FILE_MAX];
  size_t blen = scenario_encode(&sc, bin, sizeof bin);
  if (blen == 0) {
    fail_why("does not fit the binary form");
    return;
  }
  memset(&again, 0xa5, sizeof again);
  scenario_decode(&again, bin, blen);
  if (!scenario_equal(&sc, &again))
    fail_why("the binary form decodes to a different scenario");
  size_t m = scenario_format_text(&again, back, sizeof back);
  if (m != n || memcmp(back, formatted, n) != 0)
    fail_why("text -> binary -> text changes the text");
}

/* What the library promises of every file: a stated outcome, no verdict
 * expected of our engine. */
static void check_expectations(void)
{
  if (sc.name[0] == '\0')
    fail_why("no name");
  if (sc.expect_verdicts != 0)
    fail_why("expects verdicts: the library states 'expect = none' (our engine gets none)");
  if (sc.expect_result == SC_RESULT_ANY)
    fail_why("no expect.result (done or failed)");
  if (!sc.expect_error_set)
    fail_why("no expect.error");
}

static void run(void)
{
  sc_engine_client_init(&engine, &sc.cfg);
  sc_engine_client_offer_resume(&engine, sc.resume);
  sim_run(&sc, &engine.base, &wire, &res);
  unsigned v = oracle_judge(&sc, &wire, &res, &rep);
  for (int k = 0; k < SC_V_COUNT; k++)
    if (v & ORACLE_BIT(k))
      fail_why("%s: %s", sc_verdict_name((enum sc_verdict)k), rep.reason[k]);
  if (res.stop != SIM_STOP_CLIENT_END)
    fail_why("run stopped: %s", sim_stop_name(res.stop));
  if (res.end_ms > res.time_bound_ms)
    fail_why("ended at %llu ms, past the bound of %llu ms", (unsigned long long)res.end_ms,
             (unsigned long long)res.time_bound_ms);
  if (wire.truncated)
    fail_why("the wire record was truncated");
}

static void check_file(const char *name, int verbose)
{
  char path[NAME_CAP + sizeof(CORPUS_DIR) + 1];
  snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR, name);
  why_len = 0;
  why[0] = '\0';
  int ran = 0;
  long len = read_file(path);
  if (len >= 0) {
    size_t line = 0;
    const char *reason = "";
    scenario_init(&sc);
    if (scenario_parse_text(&sc, text, (size_t)len, &line, &reason) != SF_ERR_OK) {
      /* file:line: reason, as a compiler says it. */
      fprintf(stderr, "%s:%zu: %s\n", path, line, reason);
      check_failed++;
      return;
    }
    check_expectations();
    check_round_trip();
    run();
    ran = 1;
  }
  if (why_len == 0) {
    check_passed++;
    return;
  }
  check_failed++;
  fprintf(stderr, "%s: %s\n", path, why);
  if (verbose && ran) {
    oracle_transcript(&sc, &wire, &rep, transcript, sizeof(transcript));
    fprintf(stderr, "%s", transcript);
    fprintf(stderr, "  end: %s %s at %llu ms: %s\n", sc_client_status_name(res.status),
            sf_err_name(res.error), (unsigned long long)res.end_ms, res.diagnosis);
  }
}

int main(void)
{
  const char *v = getenv("SF_CORPUS_VERBOSE");
  int verbose = v && v[0] && strcmp(v, "0") != 0;
  if (!list_files())
    return 1;
  if (nnames == 0) {
    fprintf(stderr, "%s: no .scn files\n", CORPUS_DIR);
    return 1;
  }
  for (size_t i = 0; i < nnames; i++)
    check_file(names[i], verbose);
  printf("%zu scenario files\n", nnames);
  return check_report("test_corpus_scenarios");
}
