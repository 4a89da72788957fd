/* The client the scenario targets put under test: our engine by default, or
 * with SMTPFUZZ_FLAW=<name> one of the deliberately flawed clients
 * (harness/flawed_client.h), to measure how fast each flaw is found. Read
 * once at start-up; read-only afterwards. */
#ifndef SF_FUZZ_CLIENT_UNDER_TEST_H
#define SF_FUZZ_CLIENT_UNDER_TEST_H

#include "client_engine.h"
#include "flawed_client.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -1 for our engine, else an enum sc_flaw. Exits 2 on an unknown name. */
static inline int sf_fuzz_flaw_from_env(const char *target)
{
  const char *name = getenv("SMTPFUZZ_FLAW");
  if (!name || !*name)
    return -1;
  for (int f = 0; f < SC_FLAW_COUNT; f++)
    if (strcmp(name, sc_flaw_name((enum sc_flaw)f)) == 0)
      return f;
  fprintf(stderr, "%s: unknown SMTPFUZZ_FLAW '%s'; known:", target, name);
  for (int f = 0; f < SC_FLAW_COUNT; f++)
    fprintf(stderr, " %s", sc_flaw_name((enum sc_flaw)f));
  fputc('\n', stderr);
  exit(2);
}

/* Which verdicts count as findings: all, or the comma list in
 * SMTPFUZZ_VERDICTS (e.g. "INJECTION"), so a measurement can wait for the
 * one verdict a flaw should earn. Exits 2 on an unknown name. */
static inline unsigned sf_fuzz_verdicts_from_env(const char *target)
{
  const char *list = getenv("SMTPFUZZ_VERDICTS");
  if (!list || !*list)
    return ~0u;
  unsigned mask = 0;
  for (const char *p = list; *p;) {
    size_t n = strcspn(p, ",");
    int found = 0;
    for (int v = 0; v < SC_V_COUNT; v++) {
      const char *name = sc_verdict_name((enum sc_verdict)v);
      if (strlen(name) == n && strncmp(p, name, n) == 0) {
        mask |= 1u << v;
        found = 1;
      }
    }
    if (!found) {
      fprintf(stderr, "%s: unknown verdict '%.*s' in SMTPFUZZ_VERDICTS\n", target, (int)n, p);
      exit(2);
    }
    p += n + (p[n] == ',');
  }
  return mask;
}

/* A fresh client for the scenario (which must outlive it): its
 * configuration, and the session it offers to resume. */
static inline struct sc_client *sf_fuzz_client(int flaw, const struct scenario *sc)
{
  static struct sc_engine_client engine;
  static struct sc_flawed_client flawed;
  if (flaw < 0) {
    sc_engine_client_init(&engine, &sc->cfg);
    sc_engine_client_offer_resume(&engine, sc->resume);
    return &engine.base;
  }
  sc_flawed_client_init(&flawed, &sc->cfg, (enum sc_flaw)flaw);
  sc_flawed_client_offer_resume(&flawed, sc->resume);
  return &flawed.base;
}

#endif
