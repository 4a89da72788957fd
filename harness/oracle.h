/* The oracles: verdicts judged from the recorded wire (direction, bytes,
 * plain or TLS, virtual time) plus the scenario, never from a client's
 * internals, so the same checks serve our engine, an adapter and a live
 * program. CRASH is not judged here (sanitizers and signals do it).
 */
#ifndef SC_ORACLE_H
#define SC_ORACLE_H

#include "scenario.h"
#include "sim.h"
#include "wire.h"

#include <stddef.h>
#include <stdio.h>

#define ORACLE_REASON_MAX 200
/* A wait longer than the phase's configured timeout by more than this is a
 * hang (the client went on waiting past its own deadline). */
#define ORACLE_TIMEOUT_SLACK_MS 1000

struct oracle_report {
  unsigned verdicts;                          /* bit (1u << sc_verdict) */
  char reason[SC_V_COUNT][ORACLE_REASON_MAX]; /* one line per verdict set, else "" */
  /* Evidence for an adapter's list of known behaviour: the commands the
   * client sent after the server's first 421, grace included (bit
   * 1u << sc_verb). */
  unsigned after_421;
  /* The command the server's first 421 on a line that ends a reply
   * answered, as the client pairs replies; SC_VERB_OTHER: none. */
  enum sc_verb answered_421;
  /* At the end of the wire the server owed the client nothing: every
   * command had its whole answer, no TLS handshake was under way, the
   * server was reading and had not closed, stalled or gone silent by the
   * scenario's choice, no server line had ended in a bare LF (a client may
   * rightly wait for its CRLF), no server bytes had gone outside TLS while
   * it was up (a record begun there is the server's to end), and replies
   * paired with commands without doubt. A client still waiting then waits
   * for an answer to a command it has not sent: both sides wait on each
   * other. (In a run, time that passes so is HANG.) */
  int owes_nothing;
};

#define ORACLE_BIT(v) (1u << (v))

/* Judges one run. `res` may be NULL (a wire recorded elsewhere); then the
 * client's end is read from the wire's END event. Returns rep->verdicts. */
unsigned oracle_judge(const struct scenario *sc, const struct wire *w, const struct sim_result *res,
                      struct oracle_report *rep);

/* The wire as an S:/C: transcript, one line per SMTP line with virtual time
 * and [plain]/[tls], non-printables escaped, TLS start and closes marked,
 * then the verdicts (`rep` may be NULL: none judged). Writes into out (cap
 * bytes, always NUL-terminated when cap > 0) and returns the length the
 * whole transcript needs, as snprintf does. */
size_t oracle_transcript(const struct scenario *sc, const struct wire *w,
                         const struct oracle_report *rep, char *out, size_t cap);
/* The same, to a stream. Returns 0, or -1 on a write error. */
int oracle_transcript_file(const struct scenario *sc, const struct wire *w,
                           const struct oracle_report *rep, FILE *f);

#endif
