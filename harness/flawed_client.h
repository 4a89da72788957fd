/* Deliberately flawed clients: a small, simple line-based SMTP client that
 * is correct except for one switchable flaw, each a classic STARTTLS /
 * implicit-TLS mistake. Driven through the same sc_client interface as our
 * engine, they show that each oracle catches its flaw (tests/test_oracles.c)
 * and give the fuzz targets something to find. TLS is the pass-through
 * layer (tls_passthrough.h).
 */
#ifndef SC_FLAWED_CLIENT_H
#define SC_FLAWED_CLIENT_H

#include "client.h"
#include "config.h"
#include "tls_passthrough.h"

#include <stddef.h>
#include <stdint.h>

/* id, name, the verdict it should earn */
#define SC_FLAW_LIST(X)                                                                            \
  X(NONE, "none", "no verdict")                                                                    \
  X(FALLBACK_ON_454, "fallback-on-454", "DOWNGRADE, LEAK_*")                                       \
  X(NO_STARTTLS_CHECK, "no-starttls-check", "DOWNGRADE, LEAK_*")                                   \
  X(KEEP_PIPELINED, "keep-pipelined", "INJECTION")                                                 \
  X(REUSE_PRETLS_CAPS, "reuse-pretls-caps", "STALE_CAPS")                                          \
  X(NO_GREETING_TIMEOUT, "no-greeting-timeout", "HANG")                                            \
  X(PLAINTEXT_AUTH, "plaintext-auth", "LEAK_AUTH")                                                 \
  X(ACCEPT_BAD_CERT, "accept-bad-cert", "CERT")

enum sc_flaw {
#define SC_FLAW_ENUM(id, name, verdict) SC_FLAW_##id,
  SC_FLAW_LIST(SC_FLAW_ENUM)
#undef SC_FLAW_ENUM
      SC_FLAW_COUNT
};

#define SC_FLAWED_IN_BUF  8192
#define SC_FLAWED_OUT_BUF 20480 /* a dot-stuffed message of SF_CONFIG_STRINGS bytes fits */

struct sc_flawed_client {
  struct sc_client base;
  const struct sf_config *cfg;
  enum sc_flaw flaw;
  struct sf_tls_passthrough pt;
  int tls_started, tls_up;
  int state;     /* enum in flawed_client.c */
  int quit_fail; /* the QUIT in flight ends a failure */
  int auth_pre;  /* PLAINTEXT_AUTH: the AUTH in flight went before STARTTLS */
  uint64_t deadline;
  /* What the last EHLO announced. */
  int cap_starttls;
  unsigned cap_auth; /* SF_AUTH_MECH_* bits */
  size_t rcpt_next;
  char in[SC_FLAWED_IN_BUF];
  size_t in_len;
  char out[SC_FLAWED_OUT_BUF];
  size_t out_len;
  char kept[1024]; /* KEEP_PIPELINED: bytes after the 220 to STARTTLS */
  size_t kept_len;
  char diag[200];
};

/* `cfg` must outlive the client. */
void sc_flawed_client_init(struct sc_flawed_client *c, const struct sf_config *cfg,
                           enum sc_flaw flaw);
const char *sc_flaw_name(enum sc_flaw f);
/* Offer a session to resume in the TLS hello (a scenario's `resume`). */
void sc_flawed_client_offer_resume(struct sc_flawed_client *c, int offer);

#endif
