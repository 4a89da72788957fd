/* Loopback-only addresses for the live server, the audit and the probe.
 *
 * Everything the live tools bind or connect to must be on this host: an
 * address is parsed and checked before any socket exists. Accepted:
 * IPv4 127.0.0.0/8 and IPv6 ::1, written as "127.0.0.1", "::1", "[::1]",
 * each optionally with ":PORT" ("[::1]:PORT" for IPv6), and "localhost"
 * (taken as 127.0.0.1, never resolved). Nothing else, and no name lookups.
 */
#ifndef SF_LIVE_ADDR_H
#define SF_LIVE_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct live_addr {
  struct sockaddr_storage ss;
  socklen_t len;
  int family;    /* AF_INET or AF_INET6 */
  uint16_t port; /* 0 if none was given */
  char text[64]; /* canonical "127.0.0.1" or "::1", no port */
};

/* Parses `s`; `need_port` 1: a port is required, 0: optional (port 0).
 * Returns 0, or -1 with *reason set to a static one-line explanation. */
int live_addr_parse(struct live_addr *a, const char *s, int need_port, const char **reason);
/* Sets the port of a parsed address. */
void live_addr_set_port(struct live_addr *a, uint16_t port);

/* A listening TCP socket on a loopback address (port 0: any free port,
 * written back into a->port). Returns the fd, or -1 with errno set. */
int live_listen(struct live_addr *a, int backlog);
/* Connects to a loopback address within `timeout_ms`; fd or -1 (errno). */
int live_connect(const struct live_addr *a, int timeout_ms);
#endif
