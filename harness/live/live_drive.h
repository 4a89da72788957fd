/* Our engine over a real socket: the short driver loop the I/O-free
 * session (src/session.h) is designed for, with the OpenSSL adapter
 * (src/tls_openssl.h). Time is the real clock, passed in as `now`; the
 * session's own deadlines end the run, and a hard cap bounds it anyway. */
#ifndef SF_LIVE_DRIVE_H
#define SF_LIVE_DRIVE_H

#include "config.h"
#include "live/live_addr.h"

#include <stdint.h>

struct live_drive_result {
  int done; /* delivered (or negotiated) and said QUIT */
  enum sf_err err;
  char diagnosis[256];
  char tls_version[32];
  uint64_t ms;
  size_t bytes_in, bytes_out;
};

/* Connects to `a` and runs a session with `cfg` (cafile from cfg). Gives up
 * at `cap_ms` whatever the session's deadlines say. Returns 0 (r filled),
 * or -1 when it could not start (r->diagnosis says why). */
int live_drive(const struct sf_config *cfg, const struct live_addr *a, uint32_t cap_ms,
               struct live_drive_result *r);

#endif
