/* The audit of a client program: for each scenario, a fresh loopback port,
 * the client started from its profile's command, the scripted server
 * played to it, and the shared oracles' verdicts on the recorded wire.
 *
 * Waits are judged from the client's state, never from the wall clock
 * (live_proc.h): whenever the server waits on the client, the client's
 * process tree is read. Blocked on the connection with no timeout, or
 * every thread asleep with none, is HANG at once; every thread asleep with
 * its nearest timeout beyond the hang budget is SLOW, with that timeout;
 * running, starting up, or a nearer timeout: the server goes on waiting.
 * A scripted stall ends as soon as the client would only go on waiting
 * through it. The wall clock is the last resort only: a client seen idle
 * for the whole budget without a timeout we can read (a timer signal, a
 * loop of short waits) is SLOW, and one that never waits at all is
 * stopped at the time cap.
 *
 * Each scenario runs in a worker process of its own, several at once: the
 * worker is a child subreaper, and at the scenario's end everything left
 * in the client's tree is ended (SIGTERM, a short grace, SIGKILL),
 * setsid()'d grandchildren and children that ignore SIGTERM included.
 */
#ifndef SF_LIVE_AUDIT_H
#define SF_LIVE_AUDIT_H

#include "live/live_addr.h"
#include "live/live_profile.h"
#include "live/live_tls.h"
#include "oracle.h"
#include "scenario.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define LIVE_LOG_CAP   (1u << 20) /* bytes of a client's output kept per scenario */
#define LIVE_TIME_CAP  60000      /* ms: a client that never waits is stopped after this */
#define LIVE_MAX_CONNS 3          /* connections served per scenario: a client may retry */
#define LIVE_WATCH_MS  10         /* how often a waiting server reads the client's state */
#define LIVE_SETTLE_MS 500        /* a wait that stops the client stayed unchanged this long */
#define LIVE_GRACE_MS  200        /* between SIGTERM and SIGKILL at a scenario's end */
#define LIVE_SLEEP_MS  10000      /* a client's own sleeps are waited out up to this long */
#define LIVE_MAX_JOBS  32

struct live_audit_opts {
  struct live_addr addr;   /* where to listen (its port unused: a fresh one each time) */
  uint32_t hang_budget_ms; /* a wait beyond this is SLOW; the last resort for unseen ones */
  uint32_t max_stall_ms;   /* real-time cap of a scripted stall */
  uint32_t time_cap_ms;    /* for a client that never waits (0: LIVE_TIME_CAP) */
  unsigned jobs;           /* scenarios at once (0: 1) */
  const struct live_tls *tls;
  const char *dir;    /* logs/, transcripts/ and run/ (each client's {dir}) go here */
  const char *cafile; /* the test CA as PEM */
  volatile sig_atomic_t *interrupted; /* optional: set from a signal handler */
};

struct live_case {
  char name[SC_NAME_MAX];
  char file[512];
  unsigned verdicts; /* ORACLE_BIT(v) */
  unsigned unsafe;   /* verdicts that count against the client */
  char reason[SC_V_COUNT][ORACLE_REASON_MAX];
  char end[256]; /* how the client ended: "exit status 0", "stopped by smtpfuzz: ..." */
  uint64_t ms;
  int connected;   /* it connected; if not, this is its own result (NO_CONNECTION) */
  char error[256]; /* the case could not run (client not startable, no port) */
};

/* Runs one scenario in this process (which should be a child subreaper),
 * as `name` (NULL: the scenario's): the case's name, and that of its
 * transcript, its log and its {dir} (o->dir/run/NAME, removed at its end
 * whatever happened). Returns 0, or -1 when the case could not run at all
 * (error set). */
int live_audit_case(const struct live_audit_opts *o, const struct live_profile *p,
                    const struct scenario *sc, const char *file, const char *name,
                    struct live_case *out);

/* Runs the scenario files[0..n) (each known to parse) in worker processes,
 * o->jobs at a time, filling cases[i] for files[i] under names[i] (unique:
 * live_unique_names; names NULL: each scenario's own); done(ctx, i) is
 * called as each finishes. Returns how many ran (cases without an error). */
size_t live_audit_run(const struct live_audit_opts *o, const struct live_profile *p,
                      char *const *files, const char *const *names, size_t n,
                      struct live_case *cases, void (*done)(void *ctx, size_t i), void *ctx);

/* Makes names[0..n) (n at most LIVE_MAX_FILES) unique file names, in
 * place: the first of each keeps its name, a later one with the same gets
 * "-2", "-3", ... (the first that is nobody's name); "", "." and ".."
 * become "x". */
void live_unique_names(char (*names)[SC_NAME_MAX], size_t n);

/* Removes a folder and everything in it, symbolic links not followed. */
void live_remove_tree(const char *dir);

/* Verdicts that are findings: everything but OUTCOME and SLOW, unless the
 * scenario expects them. */
unsigned live_unsafe(const struct scenario *sc, unsigned verdicts);

/* "LEAK_AUTH,HANG", "none", or for a case that did not connect
 * "NO_CONNECTION" and one that did not run "NOT_RUN", into out. */
void live_case_result(const struct live_case *c, char *out, size_t cap);
/* "LEAK_AUTH,HANG" or "none". */
void live_verdict_list(unsigned bits, char *out, size_t cap);

#endif
