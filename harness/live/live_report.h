/* The audit's reports: Markdown, JSON, JUnit XML, SARIF 2.1.0 and a plain
 * verdict list (one line per scenario, for diffs). */
#ifndef SF_LIVE_REPORT_H
#define SF_LIVE_REPORT_H

#include "live/live_audit.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* A scenario the profile does not run, and why. */
struct live_skip {
  char name[SC_NAME_MAX];
  char file[512];
  char reason[200];
};

struct live_report {
  const struct live_profile *p;
  const struct live_case *cases;
  size_t ncases;
  const struct live_skip *skipped;
  size_t nskipped;
  uint64_t total_ms;
  uint32_t hang_budget_ms;
  time_t started;  /* JUnit's timestamp, SARIF's invocation */
  const char *dir; /* the report folder: transcripts/NAME.txt are read from there */
  const char *command_line;
};

int live_report_markdown(const struct live_report *r, FILE *f);
int live_report_json(const struct live_report *r, FILE *f);
int live_report_junit(const struct live_report *r, FILE *f);
int live_report_sarif(const struct live_report *r, FILE *f);
/* One line per case: "NAME VERDICT,VERDICT", "NAME none", "NAME NO_CONNECTION". */
int live_report_verdicts(const struct live_report *r, FILE *f);

/* A SARIF rule's words and weight for each verdict (help text, a
 * security-severity from 0.0 to 10.0, and a level), for the tests too. */
struct live_rule {
  const char *help;
  const char *severity;
  const char *level;
};
const struct live_rule *live_rule_for(enum sc_verdict v);

#endif
