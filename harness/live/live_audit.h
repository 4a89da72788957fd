/* The audit of a client program: for each scenario, a fresh loopback port,
 * the client started from its command template, the scripted server played
 * to it, the client stopped at the hang budget, and the shared oracles'
 * verdicts on the recorded wire.
 */
#ifndef SF_LIVE_AUDIT_H
#define SF_LIVE_AUDIT_H

#include "live/live_addr.h"
#include "live/live_spawn.h"
#include "live/live_tls.h"
#include "oracle.h"
#include "scenario.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A client profile: its command template and which scenarios it can run
 * (those whose client configuration matches what the command does). */
struct live_profile {
  char name[64];
  char description[200];
  int mode;   /* enum sf_mode, or -1: any */
  int tls;    /* enum sf_tls_policy, or -1: any */
  int verify; /* 1: the command verifies certificates, 0: it does not, -1: any */
  char stdin_tmpl[LIVE_ARG_MAX];
  /* The name the test certificates carry and {host} expands to; "" : the
   * scenario's host. For clients that cannot verify one name while
   * connecting to an address (no --resolve), "localhost". */
  char tls_name[64];
  char *argv[LIVE_MAX_ARGS + 1];
  size_t argc;
  char storage[16384];
  size_t used;
};

/* Reads a profile file ("key = value" lines: name, description, mode, tls,
 * verify, stdin, arg). Returns 0, or -1 with *line and *reason. */
int live_profile_parse(struct live_profile *p, const char *text, size_t len, size_t *line,
                       const char **reason);
/* Appends one argument (from a command line after "--"). 0 or -1. */
int live_profile_add_arg(struct live_profile *p, const char *arg);
/* Whether the profile runs scenario `sc`: its mode, policy and verification
 * agree, and it is not about a client refusing its own configuration (an
 * expected CONFIG_* error). */
int live_profile_selects(const struct live_profile *p, const struct scenario *sc);

struct live_audit_opts {
  struct live_addr addr; /* where to listen (port ignored: a fresh one each time) */
  uint32_t hang_budget_ms;
  uint32_t max_stall_ms;
  const struct live_tls *tls;
  const char *dir;    /* scratch: CA file, message files, client logs, transcripts */
  const char *cafile; /* the test CA as PEM */
};

struct live_case {
  char name[SC_NAME_MAX];
  char file[256];
  unsigned verdicts; /* ORACLE_BIT(v) */
  unsigned unsafe;   /* verdicts that count against the client */
  char reason[SC_V_COUNT][ORACLE_REASON_MAX];
  char end[96]; /* how the client ended: "exit 0", "killed at the hang budget", ... */
  uint64_t ms;
  int connected;
  char error[200]; /* the case could not run (client not startable, no port) */
};

/* Runs one scenario. Returns 0, or -1 when the case could not run at all
 * (error set). */
int live_audit_case(const struct live_audit_opts *o, const struct live_profile *p,
                    const struct scenario *sc, struct live_case *out);

/* Verdicts that are findings (everything but OUTCOME, unless the scenario
 * expects them). */
unsigned live_unsafe(const struct scenario *sc, unsigned verdicts);

/* Reports. */
struct live_report {
  const struct live_profile *p;
  const struct live_case *cases;
  size_t ncases;
  uint64_t total_ms;
  uint32_t hang_budget_ms;
};
int live_report_markdown(const struct live_report *r, FILE *f);
int live_report_json(const struct live_report *r, FILE *f);
int live_report_junit(const struct live_report *r, FILE *f);
/* One line per case: "NAME VERDICT,VERDICT" or "NAME none" (for diffs). */
int live_report_verdicts(const struct live_report *r, FILE *f);
/* "LEAK_AUTH,HANG" or "none" into out. */
void live_verdict_list(unsigned bits, char *out, size_t cap);

#endif
