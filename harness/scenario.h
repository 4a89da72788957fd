/* A scenario: the client's configuration, a scripted server and the
 * expected outcome.
 *
 * The server is reactive. It starts from a personality (a well-behaved
 * STARTTLS submission server, an implicit-TLS server, ...) whose default
 * answers cover every command, and rules override answers: "on STARTTLS
 * before TLS, send these bytes, then start TLS". A rule's actions send raw
 * bytes (malformed replies and injected flights included), let virtual time
 * pass, close the connection, or start TLS at that point.
 *
 * Two lossless forms:
 *   text (.scn), for people, diffs, the corpus and the live server;
 *   binary, for fuzz targets: any byte string decodes to a valid scenario,
 *   and each field sits in its own byte(s), so a mutation changes one thing.
 */
#ifndef SF_SCENARIO_H
#define SF_SCENARIO_H

#include "config.h"
#include "errors.h"

#include <stddef.h>
#include <stdint.h>

/* What the client says, as the server classifies each command line. */
#define SC_VERB_LIST(X)                                                                            \
  X(CONNECT, "connect") /* the connection opens (no line) */                                       \
  X(EHLO, "ehlo")                                                                                  \
  X(HELO, "helo")                                                                                  \
  X(STARTTLS, "starttls")                                                                          \
  X(AUTH, "auth")           /* AUTH <mech> [initial response] */                                   \
  X(AUTH_DATA, "auth-data") /* a line inside an AUTH exchange (after 334) */                       \
  X(MAIL, "mail")                                                                                  \
  X(RCPT, "rcpt")                                                                                  \
  X(DATA, "data")                                                                                  \
  X(BODY, "body") /* the message ended by "." */                                                   \
  X(RSET, "rset")                                                                                  \
  X(NOOP, "noop")                                                                                  \
  X(QUIT, "quit")                                                                                  \
  X(OTHER, "other") /* anything else */

enum sc_verb {
#define SC_VERB_ENUM(id, name) SC_VERB_##id,
  SC_VERB_LIST(SC_VERB_ENUM)
#undef SC_VERB_ENUM
      SC_VERB_COUNT
};

/* On which channel a rule applies. */
enum sc_chan {
  SC_CHAN_ANY,
  SC_CHAN_PLAIN, /* before TLS */
  SC_CHAN_TLS,   /* after TLS */
};

enum sc_act {
  SC_ACT_SEND,  /* send bytes[off, off+len) */
  SC_ACT_STALL, /* let `ms` of virtual time pass before the next action */
  SC_ACT_CLOSE, /* close the connection */
  SC_ACT_TLS,   /* start TLS here (server side); bytes sent after it are encrypted */
  SC_ACT_HANG,  /* say nothing more, ever (wait for the client to give up) */
};

/* Which certificate the server presents. */
#define SC_CERT_LIST(X)                                                                            \
  X(VALID, "valid")                                                                                \
  X(SELF_SIGNED, "self-signed")                                                                    \
  X(UNKNOWN_ISSUER, "unknown-issuer")                                                              \
  X(WRONG_HOST, "wrong-host")                                                                      \
  X(EXPIRED, "expired")                                                                            \
  X(NOT_YET_VALID, "not-yet-valid")

enum sc_cert {
#define SC_CERT_ENUM(id, name) SC_CERT_##id,
  SC_CERT_LIST(SC_CERT_ENUM)
#undef SC_CERT_ENUM
      SC_CERT_COUNT
};

/* Server personalities: the default answer to every command. */
#define SC_PERSONALITY_LIST(X)                                                                     \
  X(SUBMISSION, "submission") /* port 587: greeting, STARTTLS, AUTH only after TLS */              \
  X(IMPLICIT, "implicit")     /* port 465: TLS at once, then greeting, AUTH */                     \
  X(RELAY, "relay")           /* port 25: STARTTLS offered, no AUTH */                             \
  X(LEGACY, "legacy")         /* plaintext only, no ESMTP: EHLO answered 502 */                    \
  X(SILENT, "silent")         /* accepts the connection and never speaks */

enum sc_personality {
#define SC_PERS_ENUM(id, name) SC_PERS_##id,
  SC_PERSONALITY_LIST(SC_PERS_ENUM)
#undef SC_PERS_ENUM
      SC_PERS_COUNT
};

/* Oracle verdicts (DESIGN.md "Oracles"). */
#define SC_VERDICT_LIST(X)                                                                         \
  X(LEAK_AUTH, "credentials sent in plaintext")                                                    \
  X(LEAK_MAIL, "envelope or message sent in plaintext where TLS was required")                     \
  X(DOWNGRADE, "went on in plaintext after STARTTLS was missing or refused under tls=required")    \
  X(INJECTION, "acted on bytes that arrived in plaintext after STARTTLS")                          \
  X(STALE_CAPS, "used after TLS a capability only the pre-TLS EHLO announced")                     \
  X(HANG, "waited with no deadline, or past its configured timeout")                               \
  X(CERT, "accepted a certificate it should have rejected")                                        \
  X(CRASH, "crashed (sanitizer report or signal)")                                                 \
  X(OUTCOME, "ended otherwise than the scenario expects")

enum sc_verdict {
#define SC_VERDICT_ENUM(id, desc) SC_V_##id,
  SC_VERDICT_LIST(SC_VERDICT_ENUM)
#undef SC_VERDICT_ENUM
      SC_V_COUNT
};

/* How the client should end, as far as the scenario says. */
enum sc_result {
  SC_RESULT_ANY,
  SC_RESULT_DONE,   /* delivered (or negotiated) and said QUIT */
  SC_RESULT_FAILED, /* gave up */
};

#define SC_MAX_RULES   32
#define SC_MAX_ACTIONS 64
#define SC_POOL        8192
#define SC_NAME_MAX    64

struct sc_action {
  enum sc_act kind;
  uint32_t off, len; /* SEND: bytes in the pool */
  uint32_t ms;       /* STALL */
};

struct sc_rule {
  enum sc_verb verb;
  enum sc_chan chan;
  uint8_t nth; /* 0: every time; k: only the k-th occurrence of verb on chan (1-based) */
  uint16_t first_action, nactions;
};

struct scenario {
  char name[SC_NAME_MAX];
  struct sf_config cfg; /* the client's configuration */
  enum sc_personality personality;
  enum sc_cert cert;
  char cert_host[64]; /* name the certificate carries; "" = cfg.host */
  struct sc_rule rules[SC_MAX_RULES];
  size_t nrules;
  struct sc_action actions[SC_MAX_ACTIONS];
  size_t nactions;
  uint8_t pool[SC_POOL];
  size_t pool_len;
  /* Expected outcome. */
  unsigned expect_verdicts; /* bit (1u << sc_verdict): verdicts the scenario expects */
  enum sc_result expect_result;
  enum sf_err expect_error; /* for our engine; SF_ERR_OK: not stated */
  int expect_error_set;
  uint64_t time_bound_ms; /* a run must end within this virtual time; 0: from cfg timeouts */
};

/* The empty scenario: submission personality, valid certificate, default
 * client configuration (sf_config_defaults) with host mx.example.com and an
 * envelope, expecting no verdict. */
void scenario_init(struct scenario *sc);

/* Text form. On error returns it and sets *line (1-based) and *reason. */
enum sf_err scenario_parse_text(struct scenario *sc, const char *text, size_t len, size_t *line,
                                const char **reason);
/* Writes the text form into out (NUL-terminated); returns its length, or
 * the length needed if >= cap. */
size_t scenario_format_text(const struct scenario *sc, char *out, size_t cap);

/* Binary form. decode never fails: every input gives a scenario. encode
 * returns the length written, or 0 if cap is too small. */
void scenario_decode(struct scenario *sc, const uint8_t *data, size_t len);
size_t scenario_encode(const struct scenario *sc, uint8_t *out, size_t cap);
/* The most scenario_encode ever writes: header, one record per timeout,
 * rule heads, action records and the whole pool. */
#define SC_BINARY_MAX (18 + 5 * SF_PHASE_COUNT + 2 * SC_MAX_RULES + 5 * SC_MAX_ACTIONS + SC_POOL)

/* A scenario as the fuzz_portmode target reads it: the port folded onto the
 * four SMTP ports of the matrix (25, 465, 587, 2525), and no time bound of
 * its own, so every pairing runs to the bound its client's timeouts give. */
void scenario_as_portmode(struct scenario *sc);

/* Field-by-field equality: configuration values (strings by content),
 * server, rules and each action's kind, bytes and ms; pool offsets and
 * unused pool bytes do not count. */
int scenario_equal(const struct scenario *a, const struct scenario *b);

/* One resolved action: bytes point into the scenario's pool or into the
 * personality's built-in answers. */
struct sc_step {
  enum sc_act kind;
  const uint8_t *bytes;
  size_t len;
  uint32_t ms;
};

#define SC_MAX_STEPS 16

/* What the server does when the client's `occurrence`-th (1-based) command
 * of `verb` arrives on the channel (`tls` 0 or 1), or when the connection
 * opens (SC_VERB_CONNECT, occurrence 1): the first matching rule (nth equal
 * to occurrence beats nth 0; a specific channel beats SC_CHAN_ANY), else the
 * personality's default. Writes at most `cap` steps, returns how many. */
size_t scenario_answer(const struct scenario *sc, enum sc_verb verb, int tls, unsigned occurrence,
                       struct sc_step *out, size_t cap);

/* The verb of one client command line (without CRLF); inside an AUTH
 * exchange the caller passes SC_VERB_AUTH_DATA itself. */
enum sc_verb sc_classify(const char *line, size_t len);

/* Fuzzing helpers, for a libFuzzer custom mutator (LLVMFuzzerCustomMutator,
 * LLVMFuzzerCustomCrossOver): decode, change one structural thing (a rule
 * added, removed or replaced, an SMTP-aware edit of sent bytes, a stall, a
 * mode/tls/port/personality/cert flip...), re-encode. Pure and deterministic
 * given the seed. mutate rewrites data[0..max_size) and returns the new size;
 * crossover writes at most `max` bytes to out and returns their number. */
size_t scenario_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed);
size_t scenario_crossover(const uint8_t *a, size_t asz, const uint8_t *b, size_t bsz, uint8_t *out,
                          size_t max, unsigned seed);

const char *sc_verb_name(enum sc_verb v);
const char *sc_verdict_name(enum sc_verdict v);
const char *sc_verdict_desc(enum sc_verdict v);
const char *sc_cert_name(enum sc_cert c);
const char *sc_personality_name(enum sc_personality p);

#endif
