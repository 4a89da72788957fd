/* Client configuration: mode, TLS policy, credentials, envelope, timeouts.
 *
 * The text form is one "key = value" per line; '#' starts a comment. It is
 * parsed from memory (the caller reads the file), one line at a time through
 * sf_config_set(), so scenario files can embed the same keys.
 */
#ifndef SF_CONFIG_H
#define SF_CONFIG_H

#include "errors.h"

#include <stddef.h>
#include <stdint.h>

enum sf_mode {
  SF_MODE_PLAIN,    /* no TLS at all */
  SF_MODE_STARTTLS, /* plaintext greeting, then STARTTLS (RFC 3207) */
  SF_MODE_IMPLICIT, /* TLS from the first byte (RFC 8314) */
};

enum sf_tls_policy {
  SF_TLS_NONE,          /* never TLS */
  SF_TLS_OPPORTUNISTIC, /* TLS if offered, else plaintext (never AUTH there) */
  SF_TLS_REQUIRED,      /* TLS or nothing (RFC 8314 5.2) */
};

enum sf_auth {
  SF_AUTH_NONE,
  SF_AUTH_PLAIN, /* RFC 4616, sent as an initial response */
  SF_AUTH_LOGIN, /* draft-murchison-sasl-login */
};

/* Index of each per-phase timeout in sf_config.timeout_ms. A phase's timer
 * starts once its command has left (RFC 5321 4.5.3.2: the reply is awaited
 * after the command is sent); while bytes are still waiting to leave, the
 * BLOCK timer bounds each send instead. */
#define SF_PHASE_LIST(X)                                                                           \
  X(GREETING, "greeting", 300000) /* RFC 5321 4.5.3.2.1: 5 minutes */                              \
  X(EHLO, "ehlo", 300000)         /* no RFC value; as MAIL */                                      \
  X(STARTTLS, "starttls", 300000)                                                                  \
  X(TLS, "tls", 300000)                                                                            \
  X(AUTH, "auth", 300000)                                                                          \
  X(MAIL, "mail", 300000) /* 4.5.3.2.2: 5 minutes */                                               \
  X(RCPT, "rcpt", 300000) /* 4.5.3.2.3: 5 minutes */                                               \
  X(DATA, "data", 120000) /* 4.5.3.2.4: DATA initiation, 2 minutes */                              \
  X(BODY, "body", 600000) /* 4.5.3.2.6: DATA termination, 10 minutes */                            \
  X(QUIT, "quit", 300000)                                                                          \
  X(BLOCK, "block", 180000) /* 4.5.3.2.5: each send of data, 3 minutes */

enum sf_phase {
#define SF_PHASE_ENUM(id, name, ms) SF_PHASE_##id,
  SF_PHASE_LIST(SF_PHASE_ENUM)
#undef SF_PHASE_ENUM
      SF_PHASE_COUNT
};

const char *sf_phase_name(enum sf_phase phase);

#define SF_CONFIG_MAX_RCPT 8
/* Storage for the strings of a parsed configuration. */
#define SF_CONFIG_STRINGS 8192
/* What one command can carry (RFC 5321 4.5.3.1): a domain of 255 octets
 * (4.5.3.1.2), a path of 256 with its brackets (4.5.3.1.3); AUTH PLAIN's
 * message (RFC 4616 2: NUL user NUL password) at most 512 octets before
 * base64, which this client sends as one initial response (RFC 4954 4). */
#define SF_CONFIG_MAX_DOMAIN      255
#define SF_CONFIG_MAX_PATH        254
#define SF_CONFIG_MAX_CREDENTIALS 510

struct sf_config {
  enum sf_mode mode;
  enum sf_tls_policy tls;
  int verify;         /* verify the certificate chain and host name */
  const char *host;   /* expected host name (SNI and verification) */
  const char *cafile; /* trust anchors for verification, or NULL */
  uint16_t port;      /* for diagnosis and lint only; never picks a mode */
  enum sf_auth auth;
  const char *user;
  const char *password;
  /* Named escape hatch: AUTH may go in plaintext. Off by default; lint
   * reports it as an error. */
  int allow_plaintext_auth;
  int allow_helo;        /* fall back to HELO when EHLO is rejected (never under tls=required) */
  const char *helo_name; /* domain sent in EHLO/HELO */
  const char *mail_from;
  const char *rcpt[SF_CONFIG_MAX_RCPT];
  size_t nrcpt;
  const char *message; /* the message, LF or CRLF line ends; dot-stuffed on the wire */
  size_t message_len;
  uint32_t timeout_ms[SF_PHASE_COUNT];
  unsigned lenient; /* sf_reply_lenient bits */

  /* Keys already set, to reject duplicates (bit per key index). */
  uint64_t keys_set;
  /* Owned strings for values set through sf_config_set(): strings[0..
   * strings_used). Last, as sf_config_defaults() clears only what comes
   * before it. */
  size_t strings_used;
  char strings[SF_CONFIG_STRINGS];
};

/* Defaults: starttls, tls required, verify on, RFC 5321 timeouts, port 587,
 * helo_name "localhost", no AUTH, no envelope. */
void sf_config_defaults(struct sf_config *cfg);

/* Set one key from its text value. On error returns the error and points
 * *reason at a static one-line explanation. */
enum sf_err sf_config_set(struct sf_config *cfg, const char *key, size_t key_len, const char *value,
                          size_t value_len, const char **reason);

/* The message as raw bytes, exactly (no escapes, no trimming); NUL is
 * refused. Counts as the "message" key for duplicates. */
enum sf_err sf_config_set_message(struct sf_config *cfg, const char *bytes, size_t len,
                                  const char **reason);

/* Parse a whole "key = value" text. On error `line` gets the 1-based line
 * number and *reason a one-line explanation. */
enum sf_err sf_config_parse(struct sf_config *cfg, const char *text, size_t len, size_t *line,
                            const char **reason);

/* Structural checks the session relies on (mode and tls agree, AUTH has
 * credentials, the envelope is complete when there is a message). */
enum sf_err sf_config_validate(const struct sf_config *cfg, const char **reason);

/* Names used by the text form: "starttls", "required", "plain", ... */
const char *sf_mode_name(enum sf_mode mode);
const char *sf_tls_policy_name(enum sf_tls_policy tls);
const char *sf_auth_name(enum sf_auth auth);

#endif
