#include "live/live_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_port(const char *p, uint16_t *port)
{
  if (*p == '\0' || strlen(p) > 5)
    return -1;
  unsigned long v = 0;
  for (const char *q = p; *q; q++) {
    if (*q < '0' || *q > '9')
      return -1;
    v = v * 10 + (unsigned long)(*q - '0');
  }
  if (v > 65535)
    return -1;
  *port = (uint16_t)v;
  return 0;
}

void live_addr_set_port(struct live_addr *a, uint16_t port)
{
  a->port = port;
  if (a->family == AF_INET)
    ((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
  else
    ((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

int live_addr_parse(struct live_addr *a, const char *s, int need_port, const char **reason)
{
  char host[64];
  const char *port_text = NULL;
  memset(a, 0, sizeof(*a));
  if (!s || strlen(s) >= sizeof(host)) {
    *reason = "missing or too long address";
    return -1;
  }
  if (s[0] == '[') {
    const char *end = strchr(s, ']');
    if (!end || (end[1] != '\0' && end[1] != ':')) {
      *reason = "bad bracketed address (expected [::1]:PORT)";
      return -1;
    }
    memcpy(host, s + 1, (size_t)(end - s - 1));
    host[end - s - 1] = '\0';
    if (end[1] == ':')
      port_text = end + 2;
  } else {
    const char *colon = strchr(s, ':');
    if (colon && strchr(colon + 1, ':')) {
      snprintf(host, sizeof(host), "%s", s); /* bare IPv6, no port */
    } else if (colon) {
      memcpy(host, s, (size_t)(colon - s));
      host[colon - s] = '\0';
      port_text = colon + 1;
    } else {
      snprintf(host, sizeof(host), "%s", s);
    }
  }
  uint16_t port = 0;
  if (port_text && parse_port(port_text, &port) != 0) {
    *reason = "bad port (expected 0-65535)";
    return -1;
  }
  if (!port_text && need_port) {
    *reason = "a port is required (HOST:PORT)";
    return -1;
  }
  if (strcmp(host, "localhost") == 0)
    snprintf(host, sizeof(host), "127.0.0.1");
  struct in_addr v4;
  struct in6_addr v6;
  if (inet_pton(AF_INET, host, &v4) == 1) {
    if ((ntohl(v4.s_addr) >> 24) != 127) {
      *reason = "not a loopback address (only 127.0.0.0/8 and ::1 are allowed)";
      return -1;
    }
    struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
    sin->sin_family = AF_INET;
    sin->sin_addr = v4;
    a->family = AF_INET;
    a->len = sizeof(*sin);
  } else if (inet_pton(AF_INET6, host, &v6) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6)) {
      *reason = "not a loopback address (only 127.0.0.0/8 and ::1 are allowed)";
      return -1;
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = v6;
    a->family = AF_INET6;
    a->len = sizeof(*sin6);
  } else {
    *reason = "not a numeric loopback address (names other than localhost are not resolved)";
    return -1;
  }
  inet_ntop(a->family,
            a->family == AF_INET ? (const void *)&((struct sockaddr_in *)&a->ss)->sin_addr
                                 : (const void *)&((struct sockaddr_in6 *)&a->ss)->sin6_addr,
            a->text, sizeof(a->text));
  live_addr_set_port(a, port);
  return 0;
}

int live_listen(struct live_addr *a, int backlog)
{
  int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, backlog) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
    live_addr_set_port(a, ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                        : ((struct sockaddr_in6 *)&ss)->sin6_port));
  return fd;
}

int live_connect(const struct live_addr *a, int timeout_ms)
{
  int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  if (connect(fd, (const struct sockaddr *)&a->ss, a->len) != 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  struct pollfd pfd = {fd, POLLOUT, 0};
  int err = 0;
  socklen_t el = sizeof(err);
  if (poll(&pfd, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 ||
      err != 0) {
    close(fd);
    errno = err ? err : ETIMEDOUT;
    return -1;
  }
  return fd;
}
