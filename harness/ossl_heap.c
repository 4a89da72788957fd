/* OpenSSL's allocations on a heap that keeps ASan's checks (ossl_heap.h).
 *
 * Layout: one region, taken from ASan's allocator at start-up and poisoned
 * whole, is carved into slots of 64 B to 128 KiB (powers of two). A slot is
 * a 16-byte header, the block, and at least 16 poisoned bytes behind it;
 * only the block's own bytes are ever unpoisoned. A freed slot is poisoned
 * and queued in a FIFO quarantine. It goes to its size's free list when an
 * input begins and the slot was freed before the previous one began: it
 * stays poisoned for the rest of its own input and the whole next one. (A
 * TLS input frees about 150 KB.) Only when 4 MB of slots wait does the
 * oldest leave sooner. Reuse two inputs later, not 25, finds the slot's
 * bytes and their shadow still in the cache: fuzz_starttls ran some 10%
 * faster than with a 4 MB queue alone. The queue and the free lists are
 * arrays of their own: a slot's bytes are not touched between its free and
 * its reuse.
 * Larger requests, and any once the region is used up, go to ASan's
 * allocator.
 *
 * The region is one ASan block that a static pointer holds, so LeakSanitizer
 * scans it: a block on ASan's allocator that only an object on this heap
 * points to is not taken for a leak. While OpenSSL is on ASan's allocator
 * (the second run of a leak check), freed slots are zeroed for the same
 * reason the other way round: a stale pointer to a block of that run must
 * not hide its leak.
 *
 * The functions that read headers and free-list links, which live in
 * poisoned bytes, are built without ASan's checks (NOSAN); everything they
 * hand out is checked as usual. */
#include "ossl_heap.h"
#include "sf_asan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#ifndef SF_HAVE_ASAN

int ossl_heap_install(void)
{
  return 0;
}

int ossl_heap_leak_check(void (*run)(void *), void *arg)
{
  run(arg);
  ERR_clear_error();
  return 0;
}
void ossl_heap_stats(struct ossl_heap_stats *out)
{
  memset(out, 0, sizeof *out);
}

#else

#include <openssl/crypto.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>

#define NOSAN       __attribute__((no_sanitize_address))

enum {
  HDR = 16,      /* header in front of every block */
  REDZONE = 16,  /* poisoned bytes behind a block, at least */
  MIN_SHIFT = 6, /* the smallest slot: 64 bytes */
  CLASSES = 12,  /* 64 B .. 128 KiB */
  QUAR_SLOTS = 1 << 16,
  TRACKED = 1 << 12, /* blocks of a leak check's second run, kept in view */
};
#define REGION_SIZE ((size_t)64 << 20)
#define QUAR_BYTES  ((size_t)4 << 20)
#define MAX_BLOCK   (((size_t)1 << (MIN_SHIFT + CLASSES - 1)) - HDR - REDZONE)
#define LIVE        0x4556494cu /* "LIVE" */
#define FREED       0x45455246u /* "FREE" */

struct hdr {
  uint32_t magic;
  uint32_t size;  /* the block's size as asked */
  uint32_t epoch; /* the input that made it; 0: outside any input */
  uint32_t cls;
};
_Static_assert(sizeof(struct hdr) == HDR, "the header is 16 bytes");

static struct {
  unsigned char *base; /* the region */
  size_t used;         /* carved into slots so far */
  struct {
    struct hdr **v;
    size_t n, cap;
  } free_list[CLASSES];
  struct {
    struct hdr *b;
    uint32_t cls;     /* kept here: the slot itself is cold by the time it leaves */
    uint32_t input;   /* the input count when it was freed */
  } quar[QUAR_SLOTS]; /* FIFO: head, then len entries */
  size_t quar_head, quar_len, quar_bytes;
  uint32_t inputs; /* inputs begun */
  uint32_t epoch;
  size_t live_in_epoch; /* blocks made in this input and not freed */
  int installed, direct;
  /* The blocks the second run of a leak check got from ASan's allocator and
   * has not freed: an open-addressing set of their addresses, complemented
   * so that LeakSanitizer does not take the set for a pointer to them (0:
   * empty, TOMB: removed). */
  uintptr_t tracked[TRACKED];
  size_t n_tracked;
  int overflow; /* more than the set holds: LeakSanitizer decides */
  struct ossl_heap_stats st;
} h;
#define TOMB        ((uintptr_t)1)

static inline size_t slot_size(uint32_t cls)
{
  return (size_t)1 << (cls + MIN_SHIFT);
}

static inline uint32_t class_of(size_t n)
{
  size_t need = n + HDR + REDZONE - 1; /* at least 31 */
  uint32_t bits = 64 - (uint32_t)__builtin_clzll((unsigned long long)need);
  return bits > MIN_SHIFT ? bits - MIN_SHIFT : 0;
}

static inline int in_region(const void *p)
{
  return (uintptr_t)p - (uintptr_t)h.base < REGION_SIZE;
}

static size_t track_slot(const void *p)
{
  return ((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15u >> 52; /* 12 bits */
}

static void track(void *p)
{
  if (!p)
    return;
  if (h.n_tracked >= TRACKED / 2) {
    h.overflow = 1;
    return;
  }
  size_t i = track_slot(p);
  while (h.tracked[i] != 0 && h.tracked[i] != TOMB)
    i = (i + 1) % TRACKED;
  h.tracked[i] = ~(uintptr_t)p;
  h.n_tracked++;
}

static void untrack(const void *p)
{
  for (size_t i = track_slot(p), k = 0; h.tracked[i] != 0 && k < TRACKED;
       i = (i + 1) % TRACKED, k++)
    if (h.tracked[i] == ~(uintptr_t)p) {
      h.tracked[i] = TOMB;
      h.n_tracked--;
      return;
    }
}

/* A free that does not match a live block: the same kind of report as
 * ASan's, with the stack that made it. */
static void bad_free(const void *p, const char *what)
{
  fprintf(stderr,
          "==smtpfuzz== ERROR: OpenSSL heap: %s of %p, which is not a live block "
          "(double-free or invalid free)\n",
          what, p);
  __sanitizer_print_stack_trace();
  abort();
}

NOSAN static struct hdr *live_header(const void *p, const char *what)
{
  if (((uintptr_t)p - (uintptr_t)h.base) % slot_size(0) != HDR)
    bad_free(p, what);
  struct hdr *b = (struct hdr *)p - 1;
  if ((unsigned char *)b >= h.base + h.used || b->magic != LIVE)
    bad_free(p, what);
  return b;
}

/* The oldest slot in the quarantine goes to its free list. */
NOSAN static void release_oldest(void)
{
  struct hdr *o = h.quar[h.quar_head].b;
  uint32_t c = h.quar[h.quar_head].cls;
  h.quar_head = (h.quar_head + 1) % QUAR_SLOTS;
  h.quar_len--;
  h.quar_bytes -= slot_size(c);
  if (h.free_list[c].n == h.free_list[c].cap) {
    size_t cap = h.free_list[c].cap ? 2 * h.free_list[c].cap : 256;
    struct hdr **v = realloc(h.free_list[c].v, cap * sizeof *v);
    if (!v)
      return; /* the slot is never reused; nothing else is lost */
    h.free_list[c].v = v;
    h.free_list[c].cap = cap;
  }
  h.free_list[c].v[h.free_list[c].n++] = o;
}

NOSAN static void quarantine(struct hdr *b)
{
  size_t sz = slot_size(b->cls);
  while (h.quar_len > 0 && (h.quar_len == QUAR_SLOTS || h.quar_bytes + sz > QUAR_BYTES))
    release_oldest();
  size_t tail = (h.quar_head + h.quar_len) % QUAR_SLOTS;
  h.quar[tail].b = b;
  h.quar[tail].cls = b->cls;
  h.quar[tail].input = h.inputs;
  h.quar_len++;
  h.quar_bytes += sz;
}

NOSAN static void *heap_malloc(size_t n, const char *file, int line)
{
  (void)file;
  (void)line;
  if (!h.direct && n <= MAX_BLOCK) {
    uint32_t c = class_of(n);
    struct hdr *b = NULL;
    if (h.free_list[c].n > 0) {
      b = h.free_list[c].v[--h.free_list[c].n];
    } else if (h.used + slot_size(c) <= REGION_SIZE) {
      b = (struct hdr *)(h.base + h.used);
      h.used += slot_size(c);
    }
    if (b) {
      *b = (struct hdr){LIVE, (uint32_t)n, h.epoch, c};
      h.live_in_epoch += h.epoch != 0;
      h.st.allocs++;
      ASAN_UNPOISON_MEMORY_REGION(b + 1, n);
      return b + 1;
    }
  }
  h.st.direct++;
  void *p = malloc(n);
  if (h.direct)
    track(p);
  return p;
}

NOSAN static void heap_free(void *p, const char *file, int line)
{
  (void)file;
  (void)line;
  if (!p)
    return;
  if (!in_region(p)) {
    if (h.direct)
      untrack(p);
    free(p);
    return;
  }
  struct hdr *b = live_header(p, "free");
  h.live_in_epoch -= b->epoch != 0 && b->epoch == h.epoch;
  if (h.direct)
    memset(p, 0, b->size);
  b->magic = FREED;
  ASAN_POISON_MEMORY_REGION(p, b->size); /* the rest of the slot always is */
  quarantine(b);
}

NOSAN static void *heap_realloc(void *p, size_t n, const char *file, int line)
{
  if (!p)
    return heap_malloc(n, file, line);
  if (n == 0) {
    heap_free(p, file, line);
    return NULL;
  }
  if (!in_region(p)) {
    if (h.direct)
      untrack(p);
    void *q = realloc(p, n);
    if (h.direct)
      track(q ? q : p);
    return q;
  }
  struct hdr *b = live_header(p, "realloc");
  if (n <= MAX_BLOCK && class_of(n) == b->cls) {
    if (n < b->size)
      ASAN_POISON_MEMORY_REGION(p, b->size);
    ASAN_UNPOISON_MEMORY_REGION(p, n);
    b->size = (uint32_t)n;
    return p;
  }
  void *q = heap_malloc(n, file, line);
  if (q) {
    memcpy(q, p, b->size < n ? b->size : n);
    heap_free(p, file, line);
  }
  return q;
}

int ossl_heap_install(void)
{
  if (h.installed)
    return 1;
  const char *e = getenv("SMTPFUZZ_OPENSSL_MALLOC");
  if (e && strcmp(e, "asan") == 0)
    return 0;
  if (e && *e && strcmp(e, "heap") != 0)
    fprintf(stderr,
            "smtpfuzz: SMTPFUZZ_OPENSSL_MALLOC=%s: expected 'asan' or 'heap'; using the heap\n", e);
  h.base = malloc(REGION_SIZE);
  if (!h.base)
    return 0;
  ASAN_POISON_MEMORY_REGION(h.base, REGION_SIZE);
  if (!CRYPTO_set_mem_functions(heap_malloc, heap_realloc, heap_free)) {
    ASAN_UNPOISON_MEMORY_REGION(h.base, REGION_SIZE);
    free(h.base);
    h.base = NULL;
    fprintf(stderr, "smtpfuzz: OpenSSL allocated before its heap was installed; it stays on "
                    "ASan's allocator (slower, same checks)\n");
    return 0;
  }
  h.installed = 1;
  return 1;
}

/* Brackets one input; the end says how many blocks made since the
 * beginning are still live. */
static void input_begin(void)
{
  h.inputs++;
  /* Freed before the previous input began (unsigned: the count may wrap). */
  while (h.quar_len > 0 && h.inputs - h.quar[h.quar_head].input >= 2)
    release_oldest();
  h.epoch = h.epoch == UINT32_MAX ? 1 : h.epoch + 1;
  h.live_in_epoch = 0;
}

static size_t input_end(void)
{
  size_t live = h.live_in_epoch;
  h.epoch = 0;
  h.live_in_epoch = 0;
  return live;
}

/* Zeroes the stack below the caller's frame, where the run just made left
 * its dead frames: LeakSanitizer scans the frames of its own check, and the
 * parts of them it never writes would still hold the run's pointers, which
 * would make a leaked block look reachable. */
NOSAN __attribute__((noinline)) static void scrub_stack(void)
{
  volatile unsigned char dead[256 << 10];
  for (size_t i = 0; i < sizeof dead; i++)
    dead[i] = 0;
}

int ossl_heap_leak_check(void (*run)(void *), void *arg)
{
  if (!h.installed) {
    run(arg);
    ERR_clear_error();
    return 0;
  }
  /* The error queue is emptied after each run: the next input must not see
   * this one's errors, and the strings in it would look like blocks the
   * input left behind. */
  input_begin();
  run(arg);
  ERR_clear_error();
  if (input_end() == 0)
    return 0;
  /* Blocks this input made are still live: a cache OpenSSL fills (and, past
   * a size, partly empties again), or a leak. Run it again on ASan's
   * allocator: a cache filled the first time is not filled again, so a run
   * that frees all it got from there leaked nothing; otherwise
   * LeakSanitizer decides, and reports with the blocks' stacks. */
  h.st.reruns++;
  h.n_tracked = 0;
  h.overflow = 0;
  memset(h.tracked, 0, sizeof h.tracked);
  h.direct = 1; /* new blocks from ASan's allocator */
  run(arg);
  ERR_clear_error();
  h.direct = 0;
  if (h.n_tracked == 0 && !h.overflow)
    return 0;
  h.st.lsan_checks++;
  scrub_stack();
  if (!__lsan_do_recoverable_leak_check())
    return 0;
  h.st.leaks++;
  return 1;
}

void ossl_heap_stats(struct ossl_heap_stats *out)
{
  *out = h.st;
  out->region_used = h.used;
  out->quarantine_bytes = h.quar_bytes;
}

#endif
