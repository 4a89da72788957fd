/* OpenSSL's heap in the fuzz targets (harness/ossl_heap.c): under ASan,
 * every check ASan makes on a block of its own must still fire on a block
 * OpenSSL got from this heap, and a leak must still be found. Without ASan
 * the heap is not installed and OpenSSL works as before. */
#include "check.h"
#include "child.h"
#include "ossl_heap.h"
#include "sf_asan.h"

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void run_clean(void *arg)
{
  (void)arg;
  X509 *x = X509_new();
  X509_free(x);
}

#ifdef SF_HAVE_ASAN
#include <sanitizer/asan_interface.h>

static volatile unsigned char sink;
static unsigned char *victim;

/* A slot freed in one input, looked for in later ones. */
struct slot_probe {
  unsigned char *freed;
  int reused;
};

static void free_one(void *arg)
{
  /* The first run's block: a second run (OpenSSL's first allocations fill
   * its caches) is on ASan's allocator. */
  struct slot_probe *pr = arg;
  unsigned char *p = OPENSSL_malloc(3000);
  OPENSSL_free(p);
  if (!pr->freed)
    pr->freed = p;
}

static void look_for_freed(void *arg)
{
  struct slot_probe *pr = arg;
  /* Eight 4 KB slots: far less than the 4 MB that would release it. */
  unsigned char *got[8];
  for (int i = 0; i < 8; i++) {
    got[i] = OPENSSL_malloc(3000);
    pr->reused |= got[i] == pr->freed;
  }
  for (int i = 0; i < 8; i++)
    OPENSSL_free(got[i]);
}

static void read_past_end(void)
{
  victim = OPENSSL_malloc(10);
  sink = victim[10];
}
static void read_before_start(void)
{
  victim = OPENSSL_malloc(10);
  sink = victim[-1];
}
static void read_after_free(void)
{
  victim = OPENSSL_malloc(10);
  OPENSSL_free(victim);
  sink = victim[0];
}
static void read_past_shrunk_end(void)
{
  victim = OPENSSL_realloc(OPENSSL_malloc(40), 20);
  sink = victim[20];
}
static void free_twice(void)
{
  victim = OPENSSL_malloc(10);
  OPENSSL_free(victim);
  OPENSSL_free(victim);
}
static void free_inside(void)
{
  victim = OPENSSL_malloc(100);
  OPENSSL_free(victim + 16);
}
static void memcpy_past_end(void)
{
  /* An interceptor (memcpy here) checks the same poisoned bytes. */
  static unsigned char out[64];
  victim = OPENSSL_malloc(10);
  memcpy(out, victim, 11);
  sink = out[10];
}

static void *leaked;
static void run_leak(void *arg)
{
  (void)arg;
  leaked = X509_new(); /* overwritten by the next run: the first one leaks */
  leaked = NULL;
}
static void leak_check_finds_it(void)
{
  _exit(ossl_heap_leak_check(run_leak, NULL) == 1 ? 3 : 0);
}

static void *cache;
static void run_cache(void *arg)
{
  (void)arg;
  if (!cache)
    cache = OPENSSL_malloc(32); /* filled once and kept, as OpenSSL's caches are */
}

/* Runs f in a child; it must die (or exit with code) and say `want` on
 * stderr. */
static void expect(void (*f)(void), const char *name, int code, const char *want)
{
  static char out[1 << 16];
  int status = child_run(f, out, sizeof out);
  int died =
      status != -1 && (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0));
  CHECKF(died && (code == 0 || (WIFEXITED(status) && WEXITSTATUS(status) == code)),
         "%s: the child ended with status %d", name, status);
  CHECKF(strstr(out, want) != NULL, "%s: no '%s' in:\n%s", name, want, out);
}

static void test_checks(void)
{
  CHECK(ossl_heap_install() == 1);
  CHECK(ossl_heap_install() == 1); /* once is enough, twice is harmless */
  struct ossl_heap_stats before, after;
  ossl_heap_stats(&before);

  unsigned char *p = OPENSSL_malloc(10);
  CHECK(p != NULL && (uintptr_t)p % 16 == 0);
  memset(p, 0xab, 10);
  CHECK(!__asan_address_is_poisoned(p) && !__asan_address_is_poisoned(p + 9));
  CHECK(__asan_address_is_poisoned(p + 10) && __asan_address_is_poisoned(p - 1));
  CHECK(__asan_address_is_poisoned(p + 31)); /* the redzone reaches this far */
  ossl_heap_stats(&after);
  CHECK(after.allocs == before.allocs + 1 && after.direct == before.direct);

  /* realloc: within the slot, then into a bigger one, contents kept */
  p = OPENSSL_realloc(p, 20);
  CHECK(p != NULL && p[9] == 0xab && !__asan_address_is_poisoned(p + 19));
  CHECK(__asan_address_is_poisoned(p + 20));
  p = OPENSSL_realloc(p, 5);
  CHECK(p != NULL && p[4] == 0xab && __asan_address_is_poisoned(p + 5));
  unsigned char *q = OPENSSL_realloc(p, 5000);
  CHECK(q != NULL && q != p && q[0] == 0xab && q[4] == 0xab);
  CHECK(__asan_address_is_poisoned(p)); /* the old block, freed */
  CHECK(!__asan_address_is_poisoned(q + 4999) && __asan_address_is_poisoned(q + 5000));

  /* A freed block stays poisoned, and its slot is not handed out again
   * until 4 MB of later frees have passed it. */
  OPENSSL_free(q);
  CHECK(__asan_address_is_poisoned(q) && __asan_address_is_poisoned(q + 4999));
  int reused = 0;
  for (int i = 0; i < 400 && !reused; i++) { /* 400 x 8 KB slots: 3.2 MB */
    unsigned char *r = OPENSSL_malloc(5000);
    reused = r == q;
    OPENSSL_free(r);
  }
  CHECK(!reused);
  for (int i = 0; i < 200 && !reused; i++) { /* and then it is */
    unsigned char *r = OPENSSL_malloc(5000);
    reused = r == q;
    OPENSSL_free(r);
  }
  CHECK(reused);

  /* Inside inputs (ossl_heap_leak_check()), a slot freed in one input is
   * not handed out in the next, however little was freed since, and is in
   * the one after: two inputs later its bytes are still in the cache. */
  struct slot_probe probe = {0};
  CHECK(ossl_heap_leak_check(free_one, &probe) == 0);
  CHECK(probe.freed != NULL && __asan_address_is_poisoned(probe.freed));
  CHECK(ossl_heap_leak_check(look_for_freed, &probe) == 0);
  CHECK(!probe.reused && __asan_address_is_poisoned(probe.freed));
  CHECK(ossl_heap_leak_check(look_for_freed, &probe) == 0);
  CHECK(probe.reused);

  /* Larger than the largest slot: ASan's allocator, as before. */
  ossl_heap_stats(&before);
  unsigned char *big = OPENSSL_malloc(1 << 20);
  CHECK(big != NULL);
  big[(1 << 20) - 1] = 1;
  OPENSSL_free(big);
  ossl_heap_stats(&after);
  CHECK(after.direct == before.direct + 1 && after.allocs == before.allocs);

  /* malloc(0) is a block of its own, and realloc to 0 frees. */
  unsigned char *z = OPENSSL_malloc(0);
  CHECK(z != NULL && __asan_address_is_poisoned(z));
  CHECK(OPENSSL_realloc(z, 0) == NULL);

  expect(read_past_end, "read past the end", 0, "use-after-poison");
  expect(read_before_start, "read before the start", 0, "use-after-poison");
  expect(read_after_free, "read after free", 0, "use-after-poison");
  expect(read_past_shrunk_end, "read past a shrunk block", 0, "use-after-poison");
  expect(memcpy_past_end, "memcpy past the end", 0, "use-after-poison");
  expect(free_twice, "double free", 0, "double-free or invalid free");
  expect(free_inside, "free of an inner pointer", 0, "double-free or invalid free");
}

static void test_leaks(void)
{
  /* The first X509 fills OpenSSL's caches: run again, and no leak. The
   * next one leaves nothing behind: run once. */
  struct ossl_heap_stats s0, s1;
  ossl_heap_stats(&s0);
  CHECK(ossl_heap_leak_check(run_clean, NULL) == 0);
  ossl_heap_stats(&s1);
  CHECK(s1.reruns == s0.reruns + 1 && s1.leaks == 0);
  CHECK(s1.lsan_checks == s0.lsan_checks); /* the second run freed all it took */
  CHECK(ossl_heap_leak_check(run_clean, NULL) == 0);
  ossl_heap_stats(&s0);
  CHECK(s0.reruns == s1.reruns && s0.allocs > s1.allocs);

  /* A cache filled once: run again the first time, no leak, then not run
   * again. */
  CHECK(ossl_heap_leak_check(run_cache, NULL) == 0);
  ossl_heap_stats(&s1);
  CHECK(s1.reruns == s0.reruns + 1 && s1.leaks == 0 && s1.lsan_checks == s0.lsan_checks);
  CHECK(ossl_heap_leak_check(run_cache, NULL) == 0);
  ossl_heap_stats(&s0);
  CHECK(s0.reruns == s1.reruns);

  /* A real leak: LeakSanitizer's report, with the stack of the second
   * run's allocation (ASan's unwinder stops in libcrypto, which has no frame
   * pointers, as it did before this heap). */
  expect(leak_check_finds_it, "leak", 3, "detected memory leaks");
  expect(leak_check_finds_it, "leak", 3, "in CRYPTO_zalloc");
}

#else

static void test_checks(void)
{
  /* No ASan: not installed, and OpenSSL allocates as before. */
  CHECK(ossl_heap_install() == 0);
  unsigned char *p = OPENSSL_malloc(10);
  CHECK(p != NULL);
  OPENSSL_free(p);
  struct ossl_heap_stats s;
  ossl_heap_stats(&s);
  CHECK(s.allocs == 0 && s.direct == 0);
}

static void test_leaks(void)
{
  CHECK(ossl_heap_leak_check(run_clean, NULL) == 0);
}

#endif

int main(void)
{
  test_checks();
  test_leaks();
  return check_report("test_ossl_heap");
}
