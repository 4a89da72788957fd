/* What a loopback port speaks, in bounded time: plaintext SMTP (greeting,
 * EHLO capabilities, STARTTLS and what TLS it gives), implicit TLS (version,
 * cipher, certificate, then the greeting), or a silent or non-SMTP peer;
 * then the client mode that fits and whether the port's convention agrees
 * (ARCHITECTURE.md, "Ports and modes"). */
#ifndef SF_LIVE_PROBE_H
#define SF_LIVE_PROBE_H

#include "live/live_addr.h"

#include <stdint.h>
#include <stdio.h>

enum live_speaks {
  LIVE_SPEAKS_NOTHING,  /* connection refused */
  LIVE_SPEAKS_SILENT,   /* connected, no greeting and no TLS */
  LIVE_SPEAKS_PLAIN,    /* plaintext SMTP without STARTTLS */
  LIVE_SPEAKS_STARTTLS, /* plaintext SMTP offering STARTTLS */
  LIVE_SPEAKS_IMPLICIT, /* TLS from the first byte, then SMTP */
  LIVE_SPEAKS_OTHER,    /* something that is not SMTP */
};

struct live_probe {
  enum live_speaks speaks;
  char greeting[256];
  char caps[1024];
  char tls_version[32], cipher[64], subject[256], issuer[256], not_before[64], not_after[64];
  char tls_greeting[256];
  char mode[96];     /* the client mode that fits */
  char warning[256]; /* port convention disagreement, or "" */
  uint64_t ms;
};

/* Probes within about timeout_ms per step. Returns 0 (p filled), -1 on a
 * local error. */
int live_probe_run(const struct live_addr *a, uint32_t timeout_ms, struct live_probe *p);
void live_probe_print(const struct live_addr *a, const struct live_probe *p, FILE *f);
const char *live_speaks_name(enum live_speaks s);

#endif
