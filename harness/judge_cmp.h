/* Byte comparisons for the judge and the stage: the sources that
 * fuzz/coverage_ignore.txt leaves uninstrumented (oracles, simulator,
 * scripted server, command reader).
 *
 * Under the fuzzers the C library's comparisons (memcmp, strcmp,
 * strncasecmp, strstr, ...) are intercepted wherever they are called from,
 * and each one that differs hands both operands to the fuzzer as a
 * comparison to solve, copying up to 64 bytes of each into its tables. From
 * the judge that steers mutation towards what the judge looks for, not what
 * the client does, and costs a copy per call (the password scan compared at
 * every byte of the client's stream). These are plain loops: ASan still
 * checks every byte they read, and nothing is handed to the fuzzer. */
#ifndef SF_JUDGE_CMP_H
#define SF_JUDGE_CMP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* memcmp(a, b, n) == 0 */
static inline int jc_same(const void *a, const void *b, size_t n)
{
  const uint8_t *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i])
      return 0;
  return 1;
}

/* ASCII case folding, as the C locale does. */
static inline uint8_t jc_fold(uint8_t c)
{
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* strncasecmp(a, b, n) == 0 for n bytes that hold no NUL. */
static inline int jc_ieq(const void *a, const void *b, size_t n)
{
  const uint8_t *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (jc_fold(x[i]) != jc_fold(y[i]))
      return 0;
  return 1;
}

/* strcmp(a, b) == 0 */
static inline int jc_streq(const char *a, const char *b)
{
  size_t i = 0;
  while (a[i] != '\0' && a[i] == b[i])
    i++;
  return a[i] == b[i];
}

/* strcasecmp(a, b) == 0 */
static inline int jc_istreq(const char *a, const char *b)
{
  size_t i = 0;
  while (a[i] != '\0' && jc_fold((uint8_t)a[i]) == jc_fold((uint8_t)b[i]))
    i++;
  return a[i] == b[i];
}

/* Where needle[0..m) first occurs in hay[0..n), NULL if nowhere (or m is
 * 0): candidates by their first byte (memchr hands nothing to the fuzzer). */
static inline const uint8_t *jc_find(const void *hay, size_t n, const void *needle, size_t m)
{
  const uint8_t *nd = needle;
  if (m == 0 || m > n)
    return NULL;
  const uint8_t *p = hay, *last = p + (n - m);
  while (p <= last && (p = memchr(p, nd[0], (size_t)(last - p) + 1)) != NULL) {
    if (jc_same(p + 1, nd + 1, m - 1))
      return p;
    p++;
  }
  return NULL;
}

#endif
