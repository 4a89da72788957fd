/* The client side of an SMTP session, I/O-free.
 *
 * The caller moves bytes and passes time in; the session never reads a
 * clock or touches a socket:
 *
 *   sf_session_init(&s, &cfg, tls);        tls: any struct sf_tls, NULL for mode=plain
 *   sf_session_start(&s, now);
 *   loop:
 *     n = sf_session_take(&s, buf, cap, now);   bytes to send to the server
 *     sf_session_feed(&s, data, len, now);      bytes from the server
 *     sf_session_eof(&s, now);                  the server closed
 *     sf_session_tick(&s, now);                 time passed (deadlines)
 *     sf_session_status(&s)                     SF_WANT_SEND / SF_WANT_RECV / DONE / FAILED
 *     sf_session_deadline(&s)                   when the current wait ends
 *
 * The dialogue is a table, one row per state: what it sends on entry, which
 * timeout governs its wait, which replies it accepts and where each leads
 * (sf_session_table()). Every rule below fails with its own named error:
 *
 *  - bytes after the 220 to STARTTLS abort (response injection);
 *  - after TLS every capability learned before is forgotten and EHLO is sent
 *    again (RFC 3207 4.2);
 *  - under tls=required only EHLO/HELO, STARTTLS and QUIT go before TLS;
 *    STARTTLS missing, refused or failing aborts (RFC 8314 5.2);
 *  - AUTH never in plaintext unless allow_plaintext_auth says so;
 *  - 421 at any point ends the session cleanly;
 *  - every wait has a deadline; a silent peer at the greeting is diagnosed.
 */
#ifndef SF_SESSION_H
#define SF_SESSION_H

#include "caps.h"
#include "config.h"
#include "errors.h"
#include "reply_parser.h"
#include "tls.h"

#include <stddef.h>
#include <stdint.h>

#define SF_NO_DEADLINE UINT64_MAX

/* id, name */
#define SF_STATE_LIST(X)                                                                           \
  X(CONNECT, "connect")                                                                            \
  X(GREETING, "greeting")                                                                          \
  X(EHLO, "ehlo")                                                                                  \
  X(HELO, "helo")                                                                                  \
  X(STARTTLS, "starttls")                                                                          \
  X(TLS_HANDSHAKE, "tls-handshake")                                                                \
  X(TLS_IMPLICIT, "tls-implicit")                                                                  \
  X(GREETING_TLS, "greeting-tls")                                                                  \
  X(EHLO_TLS, "ehlo-tls")                                                                          \
  X(HELO_TLS, "helo-tls")                                                                          \
  X(AUTH_PLAIN, "auth-plain")                                                                      \
  X(AUTH_LOGIN, "auth-login")                                                                      \
  X(AUTH_LOGIN_USER, "auth-login-user")                                                            \
  X(AUTH_LOGIN_PASS, "auth-login-pass")                                                            \
  X(MAIL, "mail")                                                                                  \
  X(RCPT, "rcpt")                                                                                  \
  X(DATA, "data")                                                                                  \
  X(BODY, "body")                                                                                  \
  X(QUIT, "quit")                                                                                  \
  X(DONE, "done")                                                                                  \
  X(FAILED, "failed")

enum sf_state {
#define SF_STATE_ENUM(id, name) SF_ST_##id,
  SF_STATE_LIST(SF_STATE_ENUM)
#undef SF_STATE_ENUM
      SF_ST_COUNT
};

/* The four consistent (mode, tls) pairs; table edges are guarded by them. */
enum sf_profile_bit {
  SF_PROF_PLAIN = 1u << 0,    /* mode=plain, tls=none */
  SF_PROF_OPP = 1u << 1,      /* mode=starttls, tls=opportunistic */
  SF_PROF_REQ = 1u << 2,      /* mode=starttls, tls=required */
  SF_PROF_IMPLICIT = 1u << 3, /* mode=implicit, tls=required */
  SF_PROF_ALL = 0xfu,
};

#define SF_ROW_MAX_EDGES 8

/* Where a row may lead, and under which profiles. */
struct sf_edge {
  enum sf_state to;
  unsigned profiles; /* sf_profile_bit mask */
};

struct sf_state_row {
  const char *name;
  const char *sends;   /* command verb sent on entry ("EHLO"), or NULL */
  int tls;             /* 1: only with TLS up, 0: only before, -1: either */
  int waits;           /* 1 if the state waits for a reply or the TLS peer */
  enum sf_phase phase; /* which timeout governs the wait */
  const char *accepts; /* replies accepted, for humans ("220", "250; 5xx -> HELO") */
  struct sf_edge next[SF_ROW_MAX_EDGES];
  size_t nnext;
};

/* The table, SF_ST_COUNT rows indexed by enum sf_state. */
const struct sf_state_row *sf_session_table(void);
unsigned sf_config_profile(const struct sf_config *cfg); /* one sf_profile_bit, 0 if invalid */

enum sf_status {
  SF_WANT_RECV = 1u << 0,
  SF_WANT_SEND = 1u << 1,
  SF_DONE = 1u << 2,
  SF_FAILED = 1u << 3,
};

/* Capacities. The input buffer holds the largest reply the parser accepts,
 * so it can never fill without a parse error first. */
#define SF_SESSION_IN_BUF  SF_REPLY_MAX_BYTES
#define SF_SESSION_OUT_BUF 2048
#define SF_SESSION_TRACE   64

struct sf_session {
  const struct sf_config *cfg;
  struct sf_tls *tls;
  unsigned profile;
  enum sf_state state;
  enum sf_err err;
  char diag[256]; /* one-line diagnosis after a failure */
  uint64_t deadline;
  int tls_started;  /* network bytes go through `tls` (handshake begun) */
  int tls_up;       /* the handshake is done: application bytes go through `tls` */
  int tls_net_seen; /* the peer sent a byte since the handshake began */
  int closing;      /* QUIT answered or abort queued: nothing more to read */
  struct sf_caps caps;
  int have_caps; /* caps come from an EHLO over the current channel */
  size_t rcpt_next;
  /* Replies being parsed. */
  struct sf_reply_parser parser;
  struct sf_reply reply;
  size_t in_len;
  /* Plaintext waiting to be sent (or handed to TLS): out[out_head..out_tail). */
  size_t out_head, out_tail;
  /* Network bytes the TLS layer held when it last took application bytes:
   * those bytes have not left until that many more are taken. */
  size_t tls_net_owed;
  int tls_mute; /* ended with some of them not taken: nothing more leaves */
  /* Message body being streamed with dot-stuffing (RFC 5321 4.5.2). */
  size_t body_pos;
  int body_bol; /* at the beginning of a line */
  int body_done;
  /* States entered, for tests and transcripts. */
  enum sf_state trace[SF_SESSION_TRACE];
  size_t ntrace;
  /* The buffers last: sf_session_init() clears what comes before them, and
   * only in[0..in_len) and out[out_head..out_tail) are ever read. */
  char in[SF_SESSION_IN_BUF];
  uint8_t out[SF_SESSION_OUT_BUF];
};

void sf_session_init(struct sf_session *s, const struct sf_config *cfg, struct sf_tls *tls);
void sf_session_start(struct sf_session *s, uint64_t now);
size_t sf_session_feed(struct sf_session *s, const uint8_t *data, size_t len, uint64_t now);
size_t sf_session_take(struct sf_session *s, uint8_t *out, size_t cap, uint64_t now);
void sf_session_eof(struct sf_session *s, uint64_t now);
void sf_session_tick(struct sf_session *s, uint64_t now);
unsigned sf_session_status(const struct sf_session *s);
uint64_t sf_session_deadline(const struct sf_session *s);
enum sf_err sf_session_error(const struct sf_session *s);
const char *sf_session_diagnosis(const struct sf_session *s);
const char *sf_state_name(enum sf_state st);

#endif
