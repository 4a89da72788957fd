#include "host.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

/* Large enough for a struct in6_addr, which is what inet_pton writes. */
#define ADDR_MAX 16

enum sf_host_kind sf_host_kind(const char *host)
{
  unsigned char addr[ADDR_MAX];
  if (host == NULL || host[0] == '\0')
    return SF_HOST_NONE;
  if (inet_pton(AF_INET, host, addr) == 1)
    return SF_HOST_IPV4;
  if (inet_pton(AF_INET6, host, addr) == 1)
    return SF_HOST_IPV6;
  return SF_HOST_DNS;
}

int sf_host_equal(const char *a, const char *b)
{
  enum sf_host_kind ka = sf_host_kind(a), kb = sf_host_kind(b);
  if (ka == SF_HOST_NONE || ka != kb)
    return 0;
  if (ka == SF_HOST_DNS)
    return strcasecmp(a, b) == 0;
  unsigned char x[ADDR_MAX], y[ADDR_MAX];
  int family = ka == SF_HOST_IPV4 ? AF_INET : AF_INET6;
  size_t n = ka == SF_HOST_IPV4 ? 4 : 16;
  return inet_pton(family, a, x) == 1 && inet_pton(family, b, y) == 1 && memcmp(x, y, n) == 0;
}

int sf_host_valid(const char *host)
{
  enum sf_host_kind kind = sf_host_kind(host);
  if (kind != SF_HOST_DNS)
    return kind != SF_HOST_NONE;
  size_t len = strlen(host), label = 0;
  if (len > SF_HOST_NAME_MAX)
    return 0;
  for (size_t i = 0; i <= len; i++) {
    char c = host[i];
    if (c == '.' || c == '\0') {
      if (label == 0 || label > SF_HOST_LABEL_MAX)
        return 0;
      label = 0;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return 0;
    label++;
  }
  return 1;
}
