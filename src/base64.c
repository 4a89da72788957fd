#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t sf_base64_encode(const unsigned char *in, size_t len, char *out, size_t cap)
{
  if (len > (cap / 4) * 3 || SF_BASE64_LEN(len) > cap)
    return 0;
  size_t o = 0;
  size_t i = 0;
  for (; i + 3 <= len; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    out[o++] = alphabet[v >> 18 & 63];
    out[o++] = alphabet[v >> 12 & 63];
    out[o++] = alphabet[v >> 6 & 63];
    out[o++] = alphabet[v & 63];
  }
  if (i < len) {
    unsigned v = (unsigned)in[i] << 16;
    if (i + 1 < len)
      v |= (unsigned)in[i + 1] << 8;
    out[o++] = alphabet[v >> 18 & 63];
    out[o++] = alphabet[v >> 12 & 63];
    out[o++] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
    out[o++] = '=';
  }
  return o;
}
