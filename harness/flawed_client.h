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

/* id, name, the verdict it earns (its own; others may come with it), and
 * what the flaw is. */
#define SC_FLAW_LIST(X)                                                                            \
  X(NONE, "none", "none", "no flaw: the reference the oracles must leave alone")                   \
  X(FALLBACK_ON_454, "fallback-on-454", "DOWNGRADE",                                               \
    "goes on in plaintext when STARTTLS is refused under tls=required")                            \
  X(NO_STARTTLS_CHECK, "no-starttls-check", "DOWNGRADE",                                           \
    "goes on in plaintext when STARTTLS is not offered under tls=required")                        \
  X(IGNORE_220, "ignore-220", "DOWNGRADE",                                                         \
    "gets 220 to STARTTLS and goes on in plaintext instead of starting TLS")                       \
  X(KEEP_PIPELINED, "keep-pipelined", "INJECTION",                                                 \
    "takes the bytes after the 220 as its post-TLS EHLO answer and sends no EHLO")                 \
  X(INJECTED_AS_EHLO, "injected-as-ehlo", "INJECTION",                                             \
    "sends its post-TLS EHLO but acts on the bytes after the 220 as its answer")                   \
  X(INJECTED_ON_NEXT_READ, "injected-on-next-read", "INJECTION",                                   \
    "keeps the bytes after the 220 and reads them in front of the first bytes over TLS")           \
  X(PIPELINE_STARTTLS, "pipeline-starttls", "INJECTION",                                           \
    "sends EHLO right behind STARTTLS, before the answer")                                         \
  X(READ_AHEAD, "read-ahead", "INJECTION",                                                         \
    "takes a reply the server sent before its STARTTLS for the answer to it")                      \
  X(REUSE_PRETLS_CAPS, "reuse-pretls-caps", "STALE_CAPS",                                          \
    "keeps the pre-TLS capabilities and sends no post-TLS EHLO")                                   \
  X(NO_GREETING_TIMEOUT, "no-greeting-timeout", "HANG", "waits for the greeting with no deadline") \
  X(EHLO_UNFLUSHED, "ehlo-unflushed", "HANG",                                                      \
    "after STARTTLS waits for the answer to an EHLO it never sent")                                \
  X(TIMER_PER_READ, "timer-per-read", "HANG",                                                      \
    "restarts its reply timer whenever bytes arrive: a server trickling a reply holds it")         \
  X(PLAINTEXT_AUTH, "plaintext-auth", "LEAK_AUTH", "authenticates before STARTTLS")                \
  X(SPLIT_LOGIN, "split-login", "LEAK_AUTH",                                                       \
    "authenticates with LOGIN before STARTTLS, as 'auth<TAB>login', in writes of three bytes")     \
  X(BARE_CR, "bare-cr", "SMUGGLING", "sends a bare CR of the message as it is")                    \
  X(NO_DOT_STUFFING, "no-dot-stuffing", "SMUGGLING",                                               \
    "sends the message's lines that begin with '.' without doubling the dot")                      \
  X(BODY_BEHIND_DATA, "body-behind-data", "SMUGGLING",                                             \
    "sends the message right behind DATA, without waiting for the 354")                            \
  X(BODY_AFTER_REFUSAL, "body-after-refusal", "SMUGGLING",                                         \
    "sends the message whatever DATA is answered, a refusal too")                                  \
  X(IGNORE_421, "ignore-421", "IGNORED_421", "takes a 421 for a success and goes on")              \
  X(ACCEPT_BAD_CERT, "accept-bad-cert", "CERT", "accepts any certificate")                         \
  X(NO_IP_NAME_CHECK, "no-ip-name-check", "CERT",                                                  \
    "checks the chain but not the name when the host is an address literal")                       \
  X(RESUME_ANY, "resume-any", "CERT", "trusts a resumed session without checking it")              \
  X(NO_PURPOSE_CHECK, "no-purpose-check", "CERT",                                                  \
    "checks the chain and the name, not the certificate's purpose: a TLS client's passes")         \
  X(IGNORE_FINAL_REPLY, "ignore-final-reply", "FALSE_SUCCESS",                                     \
    "takes any answer to the end of its message for acceptance")

enum sc_flaw {
#define SC_FLAW_ENUM(id, name, verdict, what) SC_FLAW_##id,
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
  int pipelined; /* PIPELINE_STARTTLS: the EHLO went out behind STARTTLS */
  int went_on;   /* IGNORE_220: the plaintext dialogue went on after the 220 */
  uint64_t deadline;
  uint32_t wait_ms; /* the timeout of the wait in progress */
  /* What the last EHLO announced. */
  int cap_starttls;
  int cap_chunking;  /* RFC 3030: the message goes as one BDAT ... LAST */
  unsigned cap_auth; /* SF_AUTH_MECH_* bits */
  size_t rcpt_next;
  char in[SC_FLAWED_IN_BUF];
  size_t in_len;
  char out[SC_FLAWED_OUT_BUF];
  size_t out_len;
  char kept[1024]; /* KEEP_PIPELINED and kin: bytes after the 220 to STARTTLS */
  size_t kept_len;
  char diag[200];
};

/* `cfg` must outlive the client. */
void sc_flawed_client_init(struct sc_flawed_client *c, const struct sf_config *cfg,
                           enum sc_flaw flaw);
const char *sc_flaw_name(enum sc_flaw f);
/* The verdict name the flaw earns ("none" for SC_FLAW_NONE) and what it is. */
const char *sc_flaw_verdict(enum sc_flaw f);
const char *sc_flaw_what(enum sc_flaw f);
/* Offer a session to resume in the TLS hello (a scenario's `resume`). */
void sc_flawed_client_offer_resume(struct sc_flawed_client *c, int offer);

#endif
