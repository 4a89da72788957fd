/* The AFL++ custom mutator (fuzz/afl_mutator.c), loaded as afl-fuzz loads
 * it: dlopen the shared object given on the command line, look up the
 * afl_custom_* entry points, and mutate shipped scenario seeds. Checks that
 * only the entry points are exported, that outputs respect max_size and
 * leave the input alone, that mutations are structural (rules, mode, port,
 * personality, certificate change, not only bytes), that splicing with the
 * second buffer happens, and that a seed gives the same sequence twice. */
#include "check.h"
#include "scenario.h"
#include "scenario_binary.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *(*init_fn)(void *afl, unsigned int seed);
typedef size_t (*fuzz_fn)(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                          uint8_t *add_buf, size_t add_buf_size, size_t max_size);
typedef void (*deinit_fn)(void *data);

static init_fn m_init;
static fuzz_fn m_fuzz;
static deinit_fn m_deinit;

struct blob {
  uint8_t data[SC_POOL * 2];
  size_t len;
};

static int read_seed(const char *name, struct blob *b)
{
  char path[256];
  snprintf(path, sizeof path, "corpus/fuzz_session/%s", name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "test_afl_mutator: cannot open %s\n", path);
    return 0;
  }
  b->len = fread(b->data, 1, sizeof b->data, f);
  fclose(f);
  return b->len > 0;
}

/* What a structural change can touch, as one comparable summary. */
struct shape {
  size_t nrules, nactions;
  int mode, tls, personality, cert;
  unsigned port;
};

static struct shape shape_of(const uint8_t *data, size_t len)
{
  static struct scenario sc; /* large: keep it off the stack */
  scenario_decode(&sc, data, len);
  struct shape s = {sc.nrules,           sc.nactions,  (int)sc.cfg.mode,     (int)sc.cfg.tls,
                    (int)sc.personality, (int)sc.cert, (unsigned)sc.cfg.port};
  return s;
}

static int same_shape(struct shape a, struct shape b)
{
  return a.nrules == b.nrules && a.nactions == b.nactions && a.mode == b.mode && a.tls == b.tls &&
         a.personality == b.personality && a.cert == b.cert && a.port == b.port;
}

static void test_outputs(const struct blob *seed, const struct blob *other)
{
  enum { N = 2000 };
  static uint8_t copy[sizeof seed->data];
  memcpy(copy, seed->data, seed->len);
  void *m = m_init(NULL, 7);
  CHECK(m != NULL);
  struct shape orig = shape_of(seed->data, seed->len);
  unsigned changed = 0, structural = 0, too_big = 0, empty = 0;
  for (int i = 0; i < N; i++) {
    uint8_t *out = NULL;
    size_t n = m_fuzz(m, copy, seed->len, &out, (uint8_t *)other->data, other->len, 4096);
    if (n == 0 || !out) {
      empty++;
      continue;
    }
    too_big += n > 4096;
    if (n != seed->len || memcmp(out, seed->data, n) != 0)
      changed++;
    if (!same_shape(shape_of(out, n), orig))
      structural++;
  }
  CHECKF(empty == 0, "%u empty outputs", empty);
  CHECKF(too_big == 0, "%u outputs above max_size", too_big);
  CHECK(memcmp(copy, seed->data, seed->len) == 0); /* the input is left alone */
  CHECKF(changed >= N * 95 / 100, "only %u of %d outputs differ from the input", changed, N);
  CHECKF(structural >= N / 10, "only %u of %d outputs changed the scenario's structure", structural,
         N);
  m_deinit(m);
}

/* Small max_size: outputs still fit. */
static void test_small_max(const struct blob *seed)
{
  void *m = m_init(NULL, 1);
  unsigned bad = 0;
  for (size_t max = 1; max < 64; max++) {
    uint8_t *out = NULL;
    size_t n = m_fuzz(m, (uint8_t *)seed->data, seed->len, &out, NULL, 0, max);
    bad += n == 0 || n > max;
  }
  CHECKF(bad == 0, "%u outputs empty or above a small max_size", bad);
  m_deinit(m);
}

/* Splicing: with a second buffer, some outputs carry rules neither mutation
 * of the first alone would (the rule count exceeds the first's + 1). */
static void test_splice(const struct blob *a, const struct blob *b)
{
  struct shape sa = shape_of(a->data, a->len), sb = shape_of(b->data, b->len);
  void *m = m_init(NULL, 3);
  unsigned spliced = 0;
  for (int i = 0; i < 2000; i++) {
    uint8_t *out = NULL;
    size_t n = m_fuzz(m, (uint8_t *)a->data, a->len, &out, (uint8_t *)b->data, b->len, 8192);
    if (shape_of(out, n).nrules > sa.nrules + 1)
      spliced++;
  }
  CHECKF(sb.nrules >= 2, "seed for splicing has %zu rules", sb.nrules);
  CHECKF(spliced > 0, "no output took rules from the second buffer");
  m_deinit(m);
}

/* Chained: each output is the next input, as in a long run. */
static void test_chain(const struct blob *seed)
{
  static struct blob cur;
  cur = *seed;
  void *m = m_init(NULL, 11);
  unsigned bad = 0;
  for (int i = 0; i < 3000; i++) {
    uint8_t *out = NULL;
    size_t n = m_fuzz(m, cur.data, cur.len, &out, (uint8_t *)seed->data, seed->len, 4096);
    if (n == 0 || n > 4096) {
      bad++;
      break;
    }
    memcpy(cur.data, out, n);
    cur.len = n;
  }
  CHECK(bad == 0);
  m_deinit(m);
}

static void test_deterministic(const struct blob *seed)
{
  void *a = m_init(NULL, 42), *b = m_init(NULL, 42), *c = m_init(NULL, 43);
  unsigned differ_same = 0, differ_other = 0;
  for (int i = 0; i < 200; i++) {
    uint8_t *oa, *ob, *oc;
    size_t na = m_fuzz(a, (uint8_t *)seed->data, seed->len, &oa, NULL, 0, 4096);
    size_t nb = m_fuzz(b, (uint8_t *)seed->data, seed->len, &ob, NULL, 0, 4096);
    size_t nc = m_fuzz(c, (uint8_t *)seed->data, seed->len, &oc, NULL, 0, 4096);
    differ_same += na != nb || memcmp(oa, ob, na) != 0;
    differ_other += na != nc || memcmp(oa, oc, na) != 0;
  }
  CHECKF(differ_same == 0, "same seed, %u different outputs", differ_same);
  CHECKF(differ_other > 100, "another seed, only %u of 200 outputs differ", differ_other);
  m_deinit(a);
  m_deinit(b);
  m_deinit(c);
}

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: test_afl_mutator PATH/sf_afl_mutator.so\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "test_afl_mutator: %s\n", dlerror());
    return 1;
  }
  m_init = (init_fn)dlsym(lib, "afl_custom_init");
  m_fuzz = (fuzz_fn)dlsym(lib, "afl_custom_fuzz");
  m_deinit = (deinit_fn)dlsym(lib, "afl_custom_deinit");
  CHECK(m_init && m_fuzz && m_deinit);
  /* Only the entry points are exported: no clash with the host's symbols. */
  CHECK(dlsym(lib, "scenario_mutate") == NULL);
  CHECK(dlsym(lib, "sf_config_defaults") == NULL);
  if (!(m_init && m_fuzz && m_deinit))
    return check_report("test_afl_mutator");

  static struct blob happy, inject; /* no rules; two rules */
  CHECK(read_seed("ok-implicit-465-auth-login.bin", &happy));
  CHECK(read_seed("caps-auth-mech-changed.bin", &inject));
  if (happy.len && inject.len) {
    test_outputs(&happy, &inject);
    test_outputs(&inject, &happy);
    test_small_max(&happy);
    test_splice(&happy, &inject);
    test_chain(&inject);
    test_deterministic(&happy);
  }
  dlclose(lib);
  return check_report("test_afl_mutator");
}
