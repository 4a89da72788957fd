/* strcmp and strncmp for the libFuzzer targets (library_cmp.h).
 *
 * Under ASan, libFuzzer learns of every strcmp and strncmp the process makes
 * while it runs an input, whoever calls them: ASan's interceptors call
 * libFuzzer's hook (__sanitizer_weak_hook_strcmp), which copies both
 * strings, up to 64 bytes each, into its comparison tables. OpenSSL 3.0
 * compares names that way thousands of times per connection: every
 * parameter lookup (OSSL_PARAM_locate) does, and SSL_CTX_new looks up each
 * TLS group its provider offers. In fuzz_curl, which makes a context per
 * connection as curl does, that was 10% of the time; the operands are
 * OpenSSL's own names, never bytes of the input.
 *
 * So the targets define strcmp and strncmp here; the executable's
 * definitions take the place of ASan's interceptors. They compare in loops
 * that ASan checks byte by byte, as it checks any code (this file has no
 * coverage instrumentation: fuzz/coverage_ignore.txt). Then the caller
 * decides:
 *   - code outside the executable (a shared library): nothing more;
 *   - the executable's own code (the target, the client under test, the
 *     harness): the hook, with the caller's address, as the interceptor
 *     called it.
 * Where OpenSSL is linked into the executable (the OSS-Fuzz build), its calls
 * are the executable's and keep the hook. */
#include "library_cmp.h"

#ifdef SF_LIBRARY_CMP

#include <string.h>

/* libFuzzer's hooks (the sanitizers' interface), absent without it. */
void __sanitizer_weak_hook_strcmp(void *pc, const char *a, const char *b, int result)
    __attribute__((weak));
void __sanitizer_weak_hook_strncmp(void *pc, const char *a, const char *b, size_t n, int result)
    __attribute__((weak));

/* The executable's bounds, from the linker: its first byte, and the end of
 * its code. */
extern const char __executable_start[], etext[];

static int from_library(const void *caller)
{
  const char *pc = caller;
  return pc < __executable_start || pc >= etext;
}

int sf_library_strcmp(const char *a, const char *b)
{
  const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
  while (*p != '\0' && *p == *q)
    p++, q++;
  return (int)*p - (int)*q;
}

int sf_library_strncmp(const char *a, const char *b, size_t n)
{
  const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
  for (; n > 0; n--, p++, q++)
    if (*p != *q || *p == '\0')
      return (int)*p - (int)*q;
  return 0;
}

int strcmp(const char *a, const char *b)
{
  int r = sf_library_strcmp(a, b);
  void *caller = __builtin_return_address(0);
  if (__sanitizer_weak_hook_strcmp && !from_library(caller))
    __sanitizer_weak_hook_strcmp(caller, a, b, r);
  return r;
}

int strncmp(const char *a, const char *b, size_t n)
{
  int r = sf_library_strncmp(a, b, n);
  void *caller = __builtin_return_address(0);
  if (__sanitizer_weak_hook_strncmp && !from_library(caller))
    __sanitizer_weak_hook_strncmp(caller, a, b, n, r);
  return r;
}

#else
typedef int sf_library_cmp_unused; /* ISO C wants something in a file */
#endif
