/* A scripted server for session unit tests: each step either sends server
 * bytes, checks what the client sent since the last check, answers the
 * pass-through TLS hello, lets virtual time pass, or closes. */
#ifndef SF_TEST_SESSION_SCRIPT_H
#define SF_TEST_SESSION_SCRIPT_H

#include "check.h"
#include "session.h"
#include "tls_passthrough.h"

#include <string.h>

enum step_op {
  SERVER,    /* server sends `data` */
  CLIENT,    /* the client sent exactly `data` since the last CLIENT step */
  TLS_HELLO, /* server answers the TLS hello with certificate `data` ("valid mx.example.com") */
  WAIT,      /* `ms` of silence */
  CLOSE,     /* server closes */
  END,
};

struct step {
  enum step_op op;
  const char *data;
  uint64_t ms;
};

struct run {
  struct sf_config cfg;
  struct sf_tls_passthrough pt;
  struct sf_session s;
  uint64_t now;
  char wire[16384]; /* everything the client sent */
  size_t wire_len;
  size_t checked; /* wire bytes already matched by CLIENT steps */
};

static inline void run_config(struct run *r, enum sf_mode mode, enum sf_tls_policy tls)
{
  memset(r, 0, sizeof(*r));
  /* Garbage where the init functions are to set things up: they must clear
   * whatever is ever read before it is written. */
  memset(&r->cfg, 0xa5, sizeof(r->cfg));
  memset(&r->pt, 0xa5, sizeof(r->pt));
  memset(&r->s, 0xa5, sizeof(r->s));
  sf_config_defaults(&r->cfg);
  r->cfg.mode = mode;
  r->cfg.tls = tls;
  r->cfg.host = "mx.example.com";
  r->cfg.helo_name = "client.example.org";
  r->cfg.port = mode == SF_MODE_IMPLICIT ? 465 : mode == SF_MODE_PLAIN ? 25 : 587;
}

static inline void run_envelope(struct run *r, const char *message)
{
  r->cfg.mail_from = "alice@example.org";
  r->cfg.rcpt[0] = "bob@example.com";
  r->cfg.nrcpt = 1;
  r->cfg.message = message;
  r->cfg.message_len = strlen(message);
}

static inline void run_drain(struct run *r)
{
  for (int guard = 0; guard < 1000; guard++) {
    size_t n = sf_session_take(&r->s, (uint8_t *)r->wire + r->wire_len,
                               sizeof(r->wire) - r->wire_len, r->now);
    r->wire_len += n;
    if (n == 0)
      return;
  }
}

/* Runs the steps; returns the index of the first failing CLIENT step, or -1. */
static inline int run_script(struct run *r, const struct step *steps)
{
  sf_tls_passthrough_init(&r->pt);
  sf_session_init(&r->s, &r->cfg, &r->pt.base);
  sf_session_start(&r->s, r->now);
  for (int i = 0; steps[i].op != END; i++) {
    const struct step *st = &steps[i];
    run_drain(r);
    switch (st->op) {
    case SERVER:
      sf_session_feed(&r->s, (const uint8_t *)st->data, strlen(st->data), r->now);
      break;
    case TLS_HELLO: {
      char hello[SF_PT_MAX_HELLO];
      int n = snprintf(hello, sizeof(hello), "%s%s\n", SF_PT_SERVER_HELLO, st->data);
      sf_session_feed(&r->s, (const uint8_t *)hello, (size_t)n, r->now);
      break;
    }
    case CLIENT: {
      size_t want = strlen(st->data);
      size_t got = r->wire_len - r->checked;
      int ok = got == want && memcmp(r->wire + r->checked, st->data, want) == 0;
      CHECKF(ok, "step %d: client sent '%.*s', expected '%s'", i, (int)got, r->wire + r->checked,
             st->data);
      r->checked = r->wire_len;
      if (!ok)
        return i;
      break;
    }
    case WAIT:
      r->now += st->ms;
      sf_session_tick(&r->s, r->now);
      break;
    case CLOSE:
      sf_session_eof(&r->s, r->now);
      break;
    case END:
      break;
    }
  }
  run_drain(r);
  return -1;
}

/* Whether `st` occurs in the session's trace after state `after`
 * (SF_ST_COUNT: anywhere). */
static inline int trace_has(const struct sf_session *s, enum sf_state st, enum sf_state after)
{
  int seen = after == SF_ST_COUNT;
  for (size_t i = 0; i < s->ntrace; i++) {
    if (s->trace[i] == after)
      seen = 1;
    else if (seen && s->trace[i] == st)
      return 1;
  }
  return 0;
}

static inline int wire_contains(const struct run *r, const char *needle)
{
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= r->wire_len; i++)
    if (memcmp(r->wire + i, needle, n) == 0)
      return 1;
  return 0;
}

#define GREETING  "220 mx.example.com ESMTP ready\r\n"
#define EHLO_PRE  "250-mx.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
#define EHLO_POST "250-mx.example.com\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
#define HELLO     "EHLO client.example.org\r\n"
/* The steps from the greeting to the client's STARTTLS, EHLO_PRE the
 * server's answer to its EHLO. */
#define TO_STARTTLS                                                                                \
  {SERVER, GREETING, 0}, {CLIENT, HELLO, 0}, {SERVER, EHLO_PRE, 0},                                \
  {                                                                                                \
    CLIENT, "STARTTLS\r\n", 0                                                                      \
  }

#endif
