/* Standalone replay driver: runs a fuzz target on files and folders, with no
 * fuzzing engine, so every seed and regression in corpus/ is a ctest test
 * under gcc and clang (as OpenSSL's test/recipes/fuzz.pl replays fuzz/corpora).
 *
 * A target reports a finding by aborting; the signal handler below names the
 * input first, then the process dies of the same signal, so ctest (or a
 * shell) sees the failure.
 */
#include "target.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Folders nest a few levels at most (corpus/<target>/<family>/); the bound
 * also stops a symlink loop. */
#define MAX_DEPTH 8
/* Far above any fuzzer's max_len; a bigger file is a mistake, not an input. */
#define SF_REPLAY_MAX_INPUT (16u << 20)

struct tally {
  unsigned long inputs;
  unsigned long ok;
  int verbose;
};

/* The input being run, for the signal handler. */
static const char *volatile current;
static const char *progname = "fuzz_replay";

static void write_str(const char *s)
{
  ssize_t r = write(STDERR_FILENO, s, strlen(s));
  (void)r;
}

static void on_fatal_signal(int sig)
{
  /* Only async-signal-safe calls; the handler is reset to the default, so
   * raising the signal again ends the process with it. */
  write_str(progname);
  write_str(": input ");
  write_str(current ? current : "(none)");
  write_str(sig == SIGABRT ? " aborted\n" : " crashed\n");
  raise(sig);
}

static void install_handlers(void)
{
  static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = (int)SA_RESETHAND | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaction(sigs[i], &sa, NULL);
}

static void fail(const char *path, const char *why)
{
  fprintf(stderr, "%s: %s: %s\n", progname, path, why);
}

/* Reads the whole file into an allocation of exactly its size, so a target
 * reading past the input's end is caught by ASan. */
static void run_file(struct tally *t, const char *path, off_t size)
{
  t->inputs++;
  if (size < 0 || (unsigned long long)size > SF_REPLAY_MAX_INPUT) {
    fail(path, "larger than 16 MiB");
    return;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    fail(path, strerror(errno));
    return;
  }
  size_t n = (size_t)size;
  uint8_t *data = malloc(n ? n : 1);
  size_t got = data ? fread(data, 1, n, f) : 0;
  int bad = !data || got != n || ferror(f);
  fclose(f);
  if (bad) {
    free(data);
    fail(path, data ? "short read" : "out of memory");
    return;
  }
  if (t->verbose)
    fprintf(stderr, "%s: %s (%zu bytes)\n", progname, path, n);
  current = path;
  int r = sf_fuzz_one(data, n);
  current = NULL;
  free(data);
  if (r != 0) {
    fail(path, "target returned non-zero");
    return;
  }
  t->ok++;
}

static int by_name(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(struct tally *t, const char *path, int depth);

/* Entries in name order, so runs are reproducible; names starting with '.'
 * are skipped (editor and VCS files). */
static void run_dir(struct tally *t, const char *path, int depth)
{
  DIR *d = opendir(path);
  if (!d) {
    t->inputs++;
    fail(path, strerror(errno));
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **grown = realloc(names, cap * sizeof *names);
      if (!grown)
        break;
      names = grown;
    }
    size_t len = strlen(path) + 1 + strlen(de->d_name) + 1;
    names[n] = malloc(len);
    if (!names[n])
      break;
    snprintf(names[n], len, "%s/%s", path, de->d_name);
    n++;
  }
  closedir(d);
  if (n > 0)
    qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n; i++) {
    run_path(t, names[i], depth + 1);
    free(names[i]);
  }
  free(names);
}

static void run_path(struct tally *t, const char *path, int depth)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    t->inputs++;
    fail(path, strerror(errno));
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    if (depth >= MAX_DEPTH) {
      t->inputs++;
      fail(path, "folders nested too deep");
      return;
    }
    run_dir(t, path, depth);
    return;
  }
  run_file(t, path, st.st_size);
}

static void usage(FILE *to)
{
  fprintf(to,
          "usage: %s [-v] FILE|FOLDER...\n"
          "Runs the fuzz target once on each file; folders are searched recursively\n"
          "(up to %d levels, names starting with '.' skipped). Prints one line per\n"
          "input that fails and a summary 'N inputs, N ok'. Exit status: 0 when all\n"
          "inputs ran, 1 when one could not be read; a finding aborts the process\n"
          "after naming the input.\n"
          "  -v  name each input before running it\n",
          progname, MAX_DEPTH);
}

int main(int argc, char **argv)
{
  struct tally t = {0, 0, 0};
  int first = 1;

  if (argc > 0 && argv[0]) {
    const char *slash = strrchr(argv[0], '/');
    progname = slash ? slash + 1 : argv[0];
  }
  if (sf_fuzz_init(&argc, &argv) != 0) {
    fprintf(stderr, "%s: target initialisation failed\n", progname);
    return 1;
  }
  for (; first < argc && argv[first][0] == '-'; first++) {
    if (strcmp(argv[first], "--") == 0) {
      first++;
      break;
    }
    if (strcmp(argv[first], "-h") == 0 || strcmp(argv[first], "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(argv[first], "-v") == 0) {
      t.verbose = 1;
      continue;
    }
    fprintf(stderr, "%s: unknown option '%s'\n", progname, argv[first]);
    usage(stderr);
    return 2;
  }
  if (first >= argc) {
    usage(stderr);
    return 2;
  }
  install_handlers();
  for (int i = first; i < argc; i++)
    run_path(&t, argv[i], 0);
  printf("%s: %lu inputs, %lu ok\n", progname, t.inputs, t.ok);
  return t.ok == t.inputs && t.inputs > 0 ? 0 : 1;
}
