/* smtpfuzz audit: a client program against every scenario, over loopback. */
#include "cli/commands.h"
#include "live/live_audit.h"
#include "live/live_conn.h"
#include "live/live_files.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char audit_help[] =
    "usage: smtpfuzz audit [OPTIONS] (--profile FILE | -- COMMAND ARGS...) SCENARIO...\n"
    "\n"
    "Runs a client program once per scenario against a hostile SMTP server on a\n"
    "fresh loopback port (plaintext, STARTTLS or implicit TLS, with generated test\n"
    "certificates), and judges each run with the same oracles as fuzzing, from\n"
    "the bytes that crossed the wire. SCENARIO is a .scn file or a folder of them.\n"
    "\n"
    "The command is an argument vector (no shell) with placeholders expanded per\n"
    "scenario: {host} (the name the certificate must carry), {addr} (127.0.0.1),\n"
    "{port}, {user}, {password}, {cafile} (the test CA, PEM), {from}, {to},\n"
    "{message} (a file holding the message), {dir} (a scratch folder), {{ for '{'.\n"
    "It runs in its own process group, killed at the hang budget (verdict HANG).\n"
    "\n"
    "  --profile FILE     a client profile (profiles/*.profile): command template\n"
    "                     and which scenarios fit it (mode, tls, verify)\n"
    "  --mode M --tls T   with '-- COMMAND': run only scenarios whose client has\n"
    "                     this mode (plain, starttls, implicit) / tls policy\n"
    "  --all              run every scenario, whatever the profile selects\n"
    "  --hang-budget MS   kill the client after MS ms (default 5000)\n"
    "  --max-stall MS     cap each scripted stall at MS real ms (default 1000)\n"
    "  --addr ADDR        loopback address to listen on (default 127.0.0.1)\n"
    "  --report-dir DIR   write report.md, report.json, report.xml (JUnit),\n"
    "                     verdicts.txt, transcripts/ and client logs/ there\n"
    "  --quiet            no progress table\n"
    "\n"
    "Exit status: 0 no finding, 1 a finding (any verdict but OUTCOME), 2 bad\n"
    "usage, a bad scenario or profile, or a client that cannot be started.\n";

static int parse_ms(const char *s, uint32_t *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || end == s || v == 0 || v > 600000)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

static int mkdir_p(const char *path)
{
  return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

static int write_report(const char *dir, const char *name, const struct live_report *r,
                        int (*fn)(const struct live_report *, FILE *))
{
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "smtpfuzz audit: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  int rc = fn(r, f);
  rc |= fclose(f);
  return rc;
}

/* Removes what we made in a scratch folder of our own, file by file. */
static void clean_scratch(const char *dir, const struct live_case *cases, size_t n)
{
  char p[4400];
  if (strlen(dir) > 4000)
    return;
  for (size_t i = 0; i < n; i++) {
    snprintf(p, sizeof(p), "%s/logs/%.63s.log", dir, cases[i].name[0] ? cases[i].name : "x");
    unlink(p);
    snprintf(p, sizeof(p), "%s/transcripts/%.63s.txt", dir, cases[i].name[0] ? cases[i].name : "x");
    unlink(p);
  }
  static const char *const files[] = {"ca.pem", "message.eml"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
    unlink(p);
  }
  snprintf(p, sizeof(p), "%s/logs", dir);
  rmdir(p);
  snprintf(p, sizeof(p), "%s/transcripts", dir);
  rmdir(p);
  rmdir(dir);
}

static int usage_error(const char *msg, const char *arg)
{
  fprintf(stderr, "smtpfuzz audit: %s%s%s (see smtpfuzz audit --help)\n", msg, arg ? " " : "",
          arg ? arg : "");
  return SF_EXIT_USAGE;
}

int sf_cmd_audit(int argc, char **argv)
{
  static struct live_profile prof;
  static struct scenario sc;
  static struct live_case cases[LIVE_MAX_FILES];
  struct live_files files = {0};
  struct live_audit_opts o;
  memset(&o, 0, sizeof(o));
  memset(&prof, 0, sizeof(prof));
  prof.mode = prof.tls = prof.verify = -1;
  o.hang_budget_ms = 5000;
  o.max_stall_ms = 1000;
  const char *addr_text = "127.0.0.1", *report_dir = NULL, *profile_path = NULL;
  int all = 0, quiet = 0, have_cmd = 0;
  char err[600];
  const char *reason;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(audit_help, stdout);
      return SF_EXIT_OK;
    }
    if (strcmp(a, "--") == 0) {
      for (i++; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (live_profile_add_arg(&prof, argv[i]) != 0)
          return usage_error("the command has too many or too long arguments", NULL);
      have_cmd = 1;
      continue; /* a second "--" ends the command; scenarios follow */
    }
    if (strcmp(a, "--all") == 0) {
      all = 1;
      continue;
    }
    if (strcmp(a, "--quiet") == 0) {
      quiet = 1;
      continue;
    }
    if (a[0] == '-' && a[1] == '-' && !val)
      return usage_error("missing value after", a);
    if (strcmp(a, "--profile") == 0)
      profile_path = argv[++i];
    else if (strcmp(a, "--hang-budget") == 0) {
      if (parse_ms(argv[++i], &o.hang_budget_ms) != 0)
        return usage_error("--hang-budget wants 1..600000 ms, not", argv[i]);
    } else if (strcmp(a, "--max-stall") == 0) {
      if (parse_ms(argv[++i], &o.max_stall_ms) != 0)
        return usage_error("--max-stall wants 1..600000 ms, not", argv[i]);
    } else if (strcmp(a, "--addr") == 0)
      addr_text = argv[++i];
    else if (strcmp(a, "--report-dir") == 0)
      report_dir = argv[++i];
    else if (strcmp(a, "--mode") == 0 || strcmp(a, "--tls") == 0) {
      static const char *const names[2][3] = {{"plain", "starttls", "implicit"},
                                              {"none", "opportunistic", "required"}};
      int k = a[2] == 'm' ? 0 : 1, found = -1;
      for (int j = 0; j < 3; j++)
        if (strcmp(argv[i + 1], names[k][j]) == 0)
          found = j;
      if (found < 0)
        return usage_error("unknown value for", a);
      *(k == 0 ? &prof.mode : &prof.tls) = found;
      i++;
    } else if (a[0] == '-' && a[1] == '-')
      return usage_error("unknown option", a);
    else if (live_files_add(&files, a, err, sizeof(err)) != 0) {
      fprintf(stderr, "smtpfuzz audit: %s\n", err);
      live_files_free(&files);
      return SF_EXIT_USAGE;
    }
  }
  if (profile_path) {
    if (have_cmd)
      return usage_error("give either --profile or '-- COMMAND', not both", NULL);
    size_t len = 0, line = 0;
    char *text = live_read_file(profile_path, &len);
    if (!text) {
      fprintf(stderr, "smtpfuzz audit: cannot read %s: %s\n", profile_path, strerror(errno));
      live_files_free(&files);
      return SF_EXIT_USAGE;
    }
    int rc = live_profile_parse(&prof, text, len, &line, &reason);
    free(text);
    if (rc != 0) {
      fprintf(stderr, "smtpfuzz audit: %s:%zu: %s\n", profile_path, line, reason);
      live_files_free(&files);
      return SF_EXIT_USAGE;
    }
  } else if (!have_cmd || prof.argc == 0) {
    live_files_free(&files);
    return usage_error("no client: give --profile FILE or '-- COMMAND ARGS...'", NULL);
  }
  if (files.n == 0)
    return usage_error("no scenarios given", NULL);
  if (live_addr_parse(&o.addr, addr_text, 0, &reason) != 0) {
    fprintf(stderr, "smtpfuzz audit: --addr %s: %s\n", addr_text, reason);
    live_files_free(&files);
    return SF_EXIT_USAGE;
  }
  /* Every scenario must parse before anything runs. */
  for (size_t k = 0; k < files.n; k++)
    if (live_scenario_load(&sc, files.path[k], err, sizeof(err)) != 0) {
      fprintf(stderr, "smtpfuzz audit: %s\n", err);
      live_files_free(&files);
      return SF_EXIT_USAGE;
    }

  char scratch[4096];
  int own_scratch = report_dir == NULL;
  if (own_scratch) {
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof(scratch), "%s/smtpfuzz-audit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
      fprintf(stderr, "smtpfuzz audit: cannot make a scratch folder: %s\n", strerror(errno));
      live_files_free(&files);
      return SF_EXIT_USAGE;
    }
  } else {
    snprintf(scratch, sizeof(scratch), "%s", report_dir);
    if (mkdir_p(scratch) != 0) {
      fprintf(stderr, "smtpfuzz audit: cannot make %s: %s\n", scratch, strerror(errno));
      live_files_free(&files);
      return SF_EXIT_USAGE;
    }
  }
  char sub[4200], cafile[4200];
  snprintf(sub, sizeof(sub), "%s/logs", scratch);
  mkdir_p(sub);
  snprintf(sub, sizeof(sub), "%s/transcripts", scratch);
  mkdir_p(sub);
  static struct live_tls tls;
  if (live_tls_init(&tls, prof.tls_name[0] ? prof.tls_name : NULL, NULL, NULL, err, sizeof(err)) !=
      0) {
    fprintf(stderr, "smtpfuzz audit: %s\n", err);
    live_files_free(&files);
    return SF_EXIT_USAGE;
  }
  snprintf(cafile, sizeof(cafile), "%s/ca.pem", scratch);
  if (live_tls_write_ca(&tls, cafile) != 0) {
    fprintf(stderr, "smtpfuzz audit: cannot write %s\n", cafile);
    live_tls_free(&tls);
    live_files_free(&files);
    return SF_EXIT_USAGE;
  }
  o.tls = &tls;
  o.dir = scratch;
  o.cafile = cafile;
  signal(SIGPIPE, SIG_IGN);

  size_t selected = 0;
  for (size_t k = 0; k < files.n; k++) {
    if (live_scenario_load(&sc, files.path[k], err, sizeof(err)) == 0 &&
        (all || live_profile_selects(&prof, &sc)))
      selected++;
  }
  const char *pname = prof.name[0] ? prof.name : prof.argv[0];
  if (!quiet)
    printf("smtpfuzz audit: %s, %zu of %zu scenarios, hang budget %u ms\n", pname, selected,
           files.n, o.hang_budget_ms);
  size_t ncases = 0, nunsafe = 0, nerr = 0;
  uint64_t t0 = live_now_ms();
  int fatal = 0;
  for (size_t k = 0; k < files.n && !fatal; k++) {
    if (live_scenario_load(&sc, files.path[k], err, sizeof(err)) != 0)
      continue;
    if (!all && !live_profile_selects(&prof, &sc))
      continue;
    struct live_case *c = &cases[ncases++];
    int rc = live_audit_case(&o, &prof, &sc, c);
    snprintf(c->file, sizeof(c->file), "%s", files.path[k]);
    char list[200];
    live_verdict_list(c->verdicts, list, sizeof(list));
    if (rc != 0) {
      nerr++;
      fprintf(stderr, "smtpfuzz audit: %s: %s\n", sc.name, c->error);
      /* A client that cannot be started will not start for the next scenario either. */
      if (strncmp(c->error, "cannot start", 12) == 0 || strncmp(c->error, "cannot listen", 13) == 0)
        fatal = 1;
      continue;
    }
    nunsafe += c->unsafe != 0;
    if (!quiet) {
      printf("[%3zu/%zu] %-52s %-22s %s%s (%llu ms)\n", ncases, selected, sc.name, list,
             c->unsafe ? "FINDING " : "", c->end, (unsigned long long)c->ms);
      fflush(stdout);
    }
  }
  struct live_report rep = {&prof, cases, ncases, live_now_ms() - t0, o.hang_budget_ms};
  if (report_dir) {
    write_report(report_dir, "report.md", &rep, live_report_markdown);
    write_report(report_dir, "report.json", &rep, live_report_json);
    write_report(report_dir, "report.xml", &rep, live_report_junit);
    write_report(report_dir, "verdicts.txt", &rep, live_report_verdicts);
  }
  if (!quiet)
    printf("smtpfuzz audit: %s: %zu scenarios, %zu with a finding, %zu not run, %.1f s%s%s\n",
           pname, ncases, nunsafe, nerr, (double)rep.total_ms / 1000.0,
           report_dir ? "; reports in " : "", report_dir ? report_dir : "");
  if (own_scratch)
    clean_scratch(scratch, cases, ncases);
  live_tls_free(&tls);
  live_files_free(&files);
  if (nerr)
    return SF_EXIT_USAGE;
  return nunsafe ? SF_EXIT_FINDINGS : SF_EXIT_OK;
}
