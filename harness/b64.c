#include "b64.h"

static int value(uint8_t c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

long sc_b64_decode(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
  if (n % 4 != 0)
    return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int last = i + 4 == n;
    int pad = last && p[i + 3] == '=' ? (p[i + 2] == '=' ? 2 : 1) : 0;
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
      int d = k >= 4 - pad ? 0 : value(p[i + (size_t)k]);
      if (d < 0)
        return -1;
      v = v << 6 | (uint32_t)d;
    }
    size_t bytes = 3 - (size_t)pad;
    if (bytes > cap - o)
      return -1;
    for (size_t k = 0; k < bytes; k++)
      out[o++] = (uint8_t)(v >> (16 - 8 * k));
  }
  return (long)o;
}
