/* harness/judge_cmp.h: each comparison agrees with the C library function
 * it stands in for, over every pair of short strings from a small alphabet
 * (case, NUL, a byte above 0x7f) and every needle position. */
#define _GNU_SOURCE /* memmem */
#include "check.h"
#include "judge_cmp.h"

#include <string.h>
#include <strings.h>

static const char alphabet[] = {'a', 'A', 'b', 'Z', 'z', '@', '[', '\xc4', '\0'};
#define NA (sizeof alphabet)

/* The i-th string of up to 3 letters of the alphabet, NUL-terminated. */
static void nth(unsigned i, char out[4])
{
  unsigned len = i % 4;
  i /= 4;
  for (unsigned k = 0; k < len; k++, i /= NA)
    out[k] = alphabet[i % NA];
  out[len] = '\0';
  for (unsigned k = len + 1; k < 4; k++)
    out[k] = '\0';
}

static int sign(int v)
{
  return (v > 0) - (v < 0);
}

static void test_against_libc(void)
{
  unsigned count = 4 * NA * NA * NA;
  unsigned bad = 0;
  for (unsigned i = 0; i < count; i++) {
    char a[4];
    nth(i, a);
    for (unsigned j = 0; j < count; j += 7) {
      char b[4];
      nth(j, b);
      for (size_t n = 0; n <= 3; n++) {
        bad += jc_same(a, b, n) != (memcmp(a, b, n) == 0);
        int ascii = 1;
        for (size_t k = 0; k < n; k++)
          ascii &= (unsigned char)a[k] < 0x80 && (unsigned char)b[k] < 0x80 && a[k] && b[k];
        if (ascii)
          bad += jc_ieq(a, b, n) != (strncasecmp(a, b, n) == 0);
      }
      bad += jc_streq(a, b) != (strcmp(a, b) == 0);
      bad += jc_istreq(a, b) != (sign(strcasecmp(a, b)) == 0);
    }
  }
  CHECKF(bad == 0, "%u disagreements with the C library", bad);
}

static void test_find(void)
{
  static const char hay[] = "EHLO a\r\nAUTH PLAIN AGFsaWNlAHMzY3JldA==\r\nAUTH AUTH\r\n";
  size_t n = sizeof hay - 1;
  unsigned bad = 0;
  for (size_t at = 0; at < n; at++)
    for (size_t m = 1; at + m <= n && m < 12; m++) {
      const void *want = memmem(hay, n, hay + at, m);
      bad += (const void *)jc_find(hay, n, hay + at, m) != want;
      bad +=
          (const void *)jc_find(hay + 1, n - 1, hay + at, m) != memmem(hay + 1, n - 1, hay + at, m);
    }
  CHECKF(bad == 0, "%u disagreements with memmem", bad);
  CHECK(jc_find(hay, n, "", 0) == NULL);
  CHECK(jc_find(hay, 3, "EHLO", 4) == NULL);
  CHECK(jc_find(hay, n, "AUTH AUTH", 9) == (const uint8_t *)hay + n - 11);
  CHECK(jc_find(hay, n, "auth", 4) == NULL);
}

int main(void)
{
  test_against_libc();
  test_find();
  return check_report("test_judge_cmp");
}
