/* OpenSSL's allocations in the fuzz targets, on a heap that keeps ASan's
 * checks and drops its bookkeeping.
 *
 * Under ASan, every OpenSSL allocation costs a stack unwind, a stack-depot
 * entry and a pass through the quarantine. A TLS input makes about 460 of
 * them, and they were a third of fuzz_starttls's time. This heap serves
 * OpenSSL (through CRYPTO_set_mem_functions) from one region of ASan-owned
 * memory, in power-of-two slots:
 *
 *   - the bytes around every allocation are poisoned, so an access past its
 *     end or before its start is an ASan report (use-after-poison);
 *   - freed slots are poisoned and wait in a quarantine before reuse (the
 *     rest of their input and the whole next one, up to 4 MB of slots), so
 *     a use after free is a report too;
 *   - a double or invalid free is a report with the stack that made it;
 *   - a leak: an input that leaves slots it allocated still in use is run
 *     again with OpenSSL on ASan's own allocator (ossl_heap_leak_check()).
 *     OpenSSL's caches, filled by the first run, pass: the second run frees
 *     all it allocates. If it does not, LeakSanitizer judges, and a leak is
 *     reported with its allocation stack.
 *
 * What is lost: the allocation and free stacks in a report about an
 * OpenSSL-owned block. Set SMTPFUZZ_OPENSSL_MALLOC=asan to keep OpenSSL on
 * ASan's allocator, for a replay with those stacks.
 *
 * Not under ASan (plain, UBSan-only or AFL++ builds), ossl_heap_install()
 * does nothing and OpenSSL keeps the C library's allocator. One thread only:
 * the fuzz targets call OpenSSL from one thread. */
#ifndef SF_OSSL_HEAP_H
#define SF_OSSL_HEAP_H

#include <stddef.h>

/* Puts OpenSSL on this heap; call before OpenSSL's first allocation. Returns
 * 1 if it did, 0 if not (no ASan, SMTPFUZZ_OPENSSL_MALLOC=asan, or OpenSSL
 * had allocated already; the last prints a note). */
int ossl_heap_install(void);

/* Runs run(arg) for one input, then empties OpenSSL's error queue. If the
 * input left OpenSSL allocations live, runs it again with them on ASan's
 * allocator and, if that run leaves any, asks LeakSanitizer; returns 1 if it
 * found a leak (its report is on stderr), 0 if not. Without the heap
 * installed, just runs it (libFuzzer's own leak check applies). */
int ossl_heap_leak_check(void (*run)(void *), void *arg);

/* Counters, for tests and the bench. */
struct ossl_heap_stats {
  size_t allocs;           /* served by the heap */
  size_t direct;           /* served by the process's allocator instead */
  size_t reruns;           /* inputs run again */
  size_t lsan_checks;      /* second runs that left blocks: LeakSanitizer asked */
  size_t leaks;            /* leaks it found */
  size_t region_used;      /* bytes of the region carved into slots */
  size_t quarantine_bytes; /* slot bytes waiting before reuse */
};
void ossl_heap_stats(struct ossl_heap_stats *out);

#endif
