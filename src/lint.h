/* Judge a client configuration against the port table and common mistakes.
 *
 *   port 465   implicit TLS from the first byte (RFC 8314 3.3)
 *   port 587   plaintext greeting, STARTTLS, TLS required (RFC 6409, 3207)
 *   port 25    relay; STARTTLS opportunistic by design; no AUTH submission
 *   port 2525  unofficial submission, usually STARTTLS
 */
#ifndef SF_LINT_H
#define SF_LINT_H

#include "config.h"

#include <stddef.h>

enum sf_severity {
  SF_SEV_INFO,
  SF_SEV_WARNING,
  SF_SEV_ERROR,
};

/* id, severity, one line of advice */
#define SF_LINT_LIST(X)                                                                            \
  X(STARTTLS_ON_IMPLICIT_PORT, ERROR,                                                              \
    "port 465 speaks TLS from the first byte: use mode = implicit (or port 587 for STARTTLS)")     \
  X(IMPLICIT_ON_STARTTLS_PORT, ERROR,                                                              \
    "this port starts in plaintext and upgrades with STARTTLS: use mode = starttls "               \
    "(or port 465 for implicit TLS)")                                                              \
  X(OPPORTUNISTIC_WITH_AUTH, ERROR,                                                                \
    "a man in the middle can strip STARTTLS and read the password: use tls = required")            \
  X(PLAINTEXT_AUTH, ERROR, "credentials would cross the network unencrypted: use TLS")             \
  X(PLAINTEXT_AUTH_ALLOWED, ERROR,                                                                 \
    "allow_plaintext_auth lets the password go in the clear: remove it")                           \
  X(VERIFY_OFF, ERROR,                                                                             \
    "without certificate verification any man in the middle can decrypt: set verify = yes")        \
  X(NO_HOST_NAME, ERROR,                                                                           \
    "verification needs the expected host name: set host = the server's name")                     \
  X(AUTH_ON_RELAY_PORT, WARNING,                                                                   \
    "port 25 is for relay between servers: submit with AUTH on 587 (or 465)")                      \
  X(PLAINTEXT, WARNING, "mail and envelope travel unencrypted: use STARTTLS or implicit TLS")      \
  X(OPPORTUNISTIC, WARNING,                                                                        \
    "opportunistic TLS falls back to plaintext under attack: use tls = required where you can")    \
  X(HELO_FALLBACK, WARNING,                                                                        \
    "HELO fallback gives up on extensions, STARTTLS included: leave allow_helo off")               \
  X(NONSTANDARD_PORT, INFO, "not a standard SMTP port: check which mode the server speaks")

enum sf_lint_id {
#define SF_LINT_ENUM(id, sev, advice) SF_LINT_##id,
  SF_LINT_LIST(SF_LINT_ENUM)
#undef SF_LINT_ENUM
      SF_LINT_COUNT
};

struct sf_lint_finding {
  enum sf_lint_id id;
  enum sf_severity severity;
  const char *name;   /* "STARTTLS_ON_IMPLICIT_PORT" */
  const char *advice; /* one line */
};

/* Writes up to `cap` findings, returns how many there are in all (may be
 * more than `cap`). Order: as in SF_LINT_LIST. */
size_t sf_lint(const struct sf_config *cfg, struct sf_lint_finding *out, size_t cap);

const char *sf_severity_name(enum sf_severity sev);

#endif
