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
 * Two forms: text (.scn, scenario_text.h), for people, diffs, the corpus
 * and the live server; binary (scenario_binary.h), for fuzz targets. The
 * default answers and the rule lookup are personality.h's.
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
  X(BDAT, "bdat") /* BDAT <size> [LAST] with its chunk (RFC 3030) */                               \
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
  SC_ACT_DEAF,  /* read nothing more, ever: the client's sends stop leaving */
  SC_ACT_RAW,   /* bytes[off, off+len) written as they are, outside TLS once it is up (a
                   man in the middle writing into the stream) */
};
#define SC_ACT_COUNT 7

/* The actions that carry bytes from the pool. */
static inline int sc_act_has_bytes(enum sc_act k)
{
  return k == SC_ACT_SEND || k == SC_ACT_RAW;
}

/* Which certificate the server presents (harness/certs.h). The three name
 * kinds are issued by the trusted CA, in date, and carry the host's name in
 * a form no RFC 6125 verifier matches: each catches one way of matching
 * names by hand wrongly. The three chain kinds after them name the host and
 * are in date, but their chain fails one check of RFC 5280 or of the TLS
 * server purpose: each catches one way of checking a chain by hand wrongly
 * (a signature never verified, an issuer never asked to be a CA, a purpose
 * never looked at). */
#define SC_CERT_LIST(X)                                                                            \
  X(VALID, "valid")                                                                                \
  X(SELF_SIGNED, "self-signed")                                                                    \
  X(UNKNOWN_ISSUER, "unknown-issuer")                                                              \
  X(WRONG_HOST, "wrong-host")                                                                      \
  X(EXPIRED, "expired")                                                                            \
  X(NOT_YET_VALID, "not-yet-valid")                                                                \
  X(NAME_IN_CN_ONLY, "name-in-cn-only")     /* subjectAltName another host, CN the host */         \
  X(NUL_IN_NAME, "nul-in-name")             /* dNSName "<host>\0.<another host>" */                \
  X(WILDCARD_TOO_WIDE, "wildcard-too-wide") /* dNSName "*.<the host's last label>" */              \
  X(FORGED_SIGNATURE, "forged-signature")   /* names the CA as issuer, signed by another key */    \
  X(ISSUER_NOT_CA, "issuer-not-ca")         /* issued by a CA-issued leaf (CA:FALSE) */            \
  X(CLIENT_AUTH_ONLY, "client-auth-only")   /* extendedKeyUsage clientAuth, no serverAuth */

enum sc_cert {
#define SC_CERT_ENUM(id, name) SC_CERT_##id,
  SC_CERT_LIST(SC_CERT_ENUM)
#undef SC_CERT_ENUM
      SC_CERT_COUNT
};
/* The kinds a certificate's name makes bad (from here to SC_CERT_CHAIN_FIRST). */
#define SC_CERT_NAME_FIRST SC_CERT_NAME_IN_CN_ONLY
/* The kinds whose chain is the fault (from here to SC_CERT_COUNT): for the
 * host, in date, but no verifier following RFC 5280 6.1 and the TLS server
 * purpose accepts the chain, though a check written by hand may. */
#define SC_CERT_CHAIN_FIRST SC_CERT_FORGED_SIGNATURE

/* How the server's TLS behaves beyond its certificate. */
#define SC_TLS_SERVER_LIST(X)                                                                      \
  X(MODERN, "modern")           /* TLS 1.2 and 1.3, no client certificate asked */                 \
  X(OLD, "old")                 /* TLS 1.0 and 1.1 only (RFC 8996: a client must refuse) */        \
  X(CLIENT_CERT, "client-cert") /* demands a client certificate, which the client has not */

enum sc_tls_server {
#define SC_TLSS_ENUM(id, name) SC_TLSS_##id,
  SC_TLS_SERVER_LIST(SC_TLSS_ENUM)
#undef SC_TLSS_ENUM
      SC_TLSS_COUNT
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

/* Oracle verdicts (ARCHITECTURE.md, "Oracles"). */
#define SC_VERDICT_LIST(X)                                                                         \
  X(LEAK_AUTH, "credentials sent in plaintext")                                                    \
  X(LEAK_MAIL, "envelope or message sent in plaintext where TLS was required")                     \
  X(DOWNGRADE, "went on in plaintext after STARTTLS was missing or refused under tls=required")    \
  X(INJECTION, "acted on bytes that arrived in plaintext after STARTTLS")                          \
  X(STALE_CAPS, "used after TLS a capability only the pre-TLS EHLO announced")                     \
  X(HANG, "waited with no deadline, or past its configured timeout")                               \
  X(SMUGGLING,                                                                                     \
    "sent message data a server could read as commands (bare CR or LF, undoubled dot, no 354)")    \
  X(IGNORED_421, "sent a command other than QUIT after the server's 421")                          \
  X(CERT, "accepted a certificate it should have rejected")                                        \
  X(CRASH, "crashed (sanitizer report or signal)")                                                 \
  X(OUTCOME, "ended otherwise than the scenario expects")                                          \
  X(SLOW, "waited for a silent server with a deadline beyond the hang budget (live audits)")       \
  X(FALSE_SUCCESS, "reported the message sent though the server never accepted it")

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

/* A rule's #N counts occurrences 1..SC_NTH_MAX (six bits in the binary form). */
#define SC_NTH_MAX     63
#define SC_MAX_RULES   32
#define SC_MAX_ACTIONS 64
#define SC_POOL        8192
#define SC_NAME_MAX    64
#define SC_HOST_MAX    64
#define SC_DIAG_MAX    96
/* A SEND repeats its bytes at most this often (a reply line of a megabyte). */
#define SC_REPEAT_MAX 1048576

struct sc_action {
  enum sc_act kind;
  uint32_t off, len; /* SEND: bytes in the pool */
  uint32_t repeat;   /* SEND: the bytes go this many times (0 reads as 1) */
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
  enum sc_personality personality;
  enum sc_cert cert;
  char cert_host[SC_HOST_MAX]; /* name the certificate carries; "" = cfg.host */
  enum sc_tls_server tls_server;
  /* The client offers a TLS session the server resumes (a resumed session
   * must be verified like a new one). */
  int resume;
  struct sc_rule rules[SC_MAX_RULES];
  size_t nrules;
  struct sc_action actions[SC_MAX_ACTIONS];
  size_t nactions;
  size_t pool_len;
  /* Expected outcome. */
  unsigned expect_verdicts; /* bit (1u << sc_verdict): verdicts the scenario expects */
  enum sc_result expect_result;
  enum sf_err expect_error; /* for our engine; SF_ERR_OK: not stated */
  int expect_error_set;
  uint64_t time_bound_ms;        /* a run must end within this virtual time; 0: from cfg timeouts */
  char expect_diag[SC_DIAG_MAX]; /* for our engine: its diagnosis contains this; "" not stated */
  /* Last, as scenario_init() clears only what comes before them (the
   * configuration clears itself but its string arena), and only
   * pool[0..pool_len) is ever read. */
  struct sf_config cfg; /* the client's configuration */
  uint8_t pool[SC_POOL];
};

/* The empty scenario: submission personality, valid certificate, default
 * client configuration (sf_config_defaults) with host mx.example.com and an
 * envelope, expecting no verdict. */
void scenario_init(struct scenario *sc);

/* The client configuration of scenario_init, and its parts: the default
 * envelope (from, one recipient, a short message) and none (deliver = no). */
void scenario_default_config(struct sf_config *cfg);
void scenario_default_envelope(struct sf_config *cfg);
void scenario_clear_envelope(struct sf_config *cfg);
/* RFC 5321 4.5.3.2 values, as sf_config_defaults sets them. */
extern const uint32_t sc_phase_default_ms[SF_PHASE_COUNT];

/* Copies a configuration whose strings may live in its own arena: those
 * pointers are moved into dst's arena (a plain struct copy would leave them
 * pointing into src's). */
void scenario_copy_config(struct sf_config *dst, const struct sf_config *src);

/* A scenario as the fuzz_portmode target reads it: the port folded onto the
 * four SMTP ports of the matrix (25, 465, 587, 2525), and no time bound of
 * its own, so every pairing runs to the bound its client's timeouts give. */
void scenario_as_portmode(struct scenario *sc);

/* Field-by-field equality: configuration values (strings by content),
 * server, rules and each action's kind, bytes and ms; pool offsets and
 * unused pool bytes do not count. */
int scenario_equal(const struct scenario *a, const struct scenario *b);
/* Strings by content; NULL equals only NULL. */
int scenario_str_eq(const char *a, const char *b);

/* The bytes of a SEND action, clamped to the pool. */
const uint8_t *scenario_send_bytes(const struct scenario *sc, const struct sc_action *a,
                                   size_t *len);
/* The actions of rule `r`, clamped to the action array. */
size_t scenario_rule_actions(const struct scenario *sc, const struct sc_rule *r,
                             const struct sc_action **first);
/* 1 if a rule with r's verb, channel and nth is already there. */
int scenario_rule_exists(const struct scenario *sc, const struct sc_rule *r);

/* The characters a scenario name, a certificate's name and an expected
 * diagnosis may hold (both forms accept exactly these). */
int sc_name_char(int c);
int sc_cert_host_char(int c);
int sc_diag_char(int c);

/* Name tables, in enum order. */
extern const char *const sc_verb_names[SC_VERB_COUNT];
extern const char *const sc_cert_names[SC_CERT_COUNT];
extern const char *const sc_tls_server_names[SC_TLSS_COUNT];
extern const char *const sc_personality_names[SC_PERS_COUNT];
extern const char *const sc_verdict_names[SC_V_COUNT];
extern const char *const sc_chan_names[3];
extern const char *const sc_result_names[3];
extern const char *const sc_act_names[SC_ACT_COUNT];

const char *sc_verb_name(enum sc_verb v);
const char *sc_verdict_name(enum sc_verdict v);
const char *sc_verdict_desc(enum sc_verdict v);
const char *sc_cert_name(enum sc_cert c);
const char *sc_personality_name(enum sc_personality p);

#endif
