/* smtpfuzz audit: a client program against every scenario, over loopback. */
#include "cli/commands.h"
#include "cli/options.h"
#include "live/live_audit.h"
#include "live/live_conn.h"
#include "live/live_files.h"
#include "live/live_report.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_INTERRUPTED 130 /* 128 + SIGINT, as shells report it */

static const char audit_help[] =
    "usage: smtpfuzz audit [OPTIONS] --profile FILE SCENARIO...\n"
    "       smtpfuzz audit [OPTIONS] SCENARIO... -- COMMAND ARGS... [-- SCENARIO...]\n"
    "\n"
    "Runs a client program once per scenario against a hostile SMTP server on a\n"
    "fresh loopback port (plaintext, STARTTLS or implicit TLS, with generated test\n"
    "certificates), and judges each run with the same oracles as fuzzing, from\n"
    "the bytes that crossed the wire. SCENARIO is a .scn file or a folder of them.\n"
    "A client that connects again (a retry) is served the scenario again, up to 3\n"
    "connections, each judged.\n"
    "\n"
    "The command is an argument vector (no shell) with placeholders expanded per\n"
    "scenario: {host} (the name the certificate must carry), {addr} (127.0.0.1),\n"
    "{port}, {user}, {password}, {cafile} (the test CA, PEM), {from}, {to},\n"
    "{message} (a file holding the message), {dir} (a scratch folder of its own),\n"
    "{{ for '{'. A second '--' ends the command, so a command that needs a\n"
    "'--' of its own goes in a profile (one 'arg' line each). It runs in its\n"
    "own process group; at each scenario's end whatever is left of it is\n"
    "ended. Scenarios that share a name (or a file given twice) run as NAME,\n"
    "NAME-2, ...: each has its own row, transcript, log and {dir}.\n"
    "\n"
    "Waits are judged from the client's state (Linux /proc), not from the clock:\n"
    "blocked with no timeout while the server waits is HANG at once; a timeout\n"
    "beyond the hang budget is SLOW, with that timeout. A client whose other\n"
    "threads keep waking (a JVM's housekeeping) is judged by its thread on the\n"
    "connection, once that wait has stayed the same for the whole budget. Only a\n"
    "client asleep for the whole budget with no timeout we can read is judged by\n"
    "the clock (SLOW).\n"
    "\n"
    "  -p, --profile FILE     a client profile (profiles/*.profile): command\n"
    "                         template and which scenarios fit it\n"
    "      --mode plain|starttls|implicit\n"
    "                         with '-- COMMAND': run only the scenarios whose\n"
    "                         client has this mode\n"
    "      --tls none|opportunistic|required\n"
    "                         with '-- COMMAND': only those with this tls policy\n"
    "      --verify yes|no    with '-- COMMAND': only those whose client verifies\n"
    "                         certificates (yes) or does not (no)\n"
    "  -a, --all              run every scenario, whatever the profile selects\n"
    "  -b, --hang-budget MS   a wait longer than this is SLOW (default 5000)\n"
    "      --max-stall MS     cap each scripted stall at MS real ms (default 1000)\n"
    "  -j, --jobs N           scenarios at once (default: 4 per CPU, at most 16)\n"
    "      --addr ADDR        loopback address to listen on, without a port (each\n"
    "                         scenario listens on a fresh one; default 127.0.0.1)\n"
    "  -o, --report-dir DIR   write report.md, report.json, report.xml (JUnit),\n"
    "                         report.sarif (SARIF 2.1.0), verdicts.txt, transcripts/\n"
    "                         and client logs/ there (made with its parents)\n"
    "  -q, --quiet            no progress table\n"
    "  -h, --help             this text\n"
    "\n"
    "Exit status: 0 no finding, 1 a finding (any verdict but OUTCOME and SLOW),\n"
    "2 bad usage, a bad scenario or profile, a client that cannot be started,\n"
    "or nothing that ran (no scenario fits, or the client never connected);\n"
    "130 interrupted.\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
  (void)sig;
  interrupted = 1;
}

static int parse_ms(const char *s, uint32_t *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || end == s || s[0] == '-' || v == 0 || v > 600000)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

/* mkdir -p: every missing parent too. */
static int mkdir_p(const char *path)
{
  char p[PATH_MAX];
  if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, 0700) != 0 && errno != EEXIST)
      return -1;
    *s = '/';
  }
  if (mkdir(p, 0700) != 0 && errno != EEXIST)
    return -1;
  struct stat st;
  if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

static int write_report(const char *dir, const char *name, const struct live_report *r,
                        int (*fn)(const struct live_report *, FILE *))
{
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "smtpfuzz audit: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  int rc = fn(r, f);
  rc |= fclose(f);
  if (rc)
    fprintf(stderr, "smtpfuzz audit: cannot write %s\n", path);
  return rc;
}

struct progress {
  const struct live_case *cases;
  size_t done, total;
  int quiet;
};

static void on_done(void *ctx, size_t i)
{
  struct progress *pg = ctx;
  const struct live_case *c = &pg->cases[i];
  pg->done++;
  if (c->error[0]) {
    fprintf(stderr, "smtpfuzz audit: %s: %s\n", c->name[0] ? c->name : c->file, c->error);
    return;
  }
  if (pg->quiet)
    return;
  char list[200];
  live_case_result(c, list, sizeof(list));
  printf("[%3zu/%zu] %-50s %-22s %s%s (%llu ms)\n", pg->done, pg->total, c->name, list,
         c->unsafe ? "FINDING " : "", c->end, (unsigned long long)c->ms);
  fflush(stdout);
}

/* The skipped scenarios, grouped by reason, each named. */
static void print_skipped(const struct live_skip *s, size_t n)
{
  static uint8_t shown[LIVE_MAX_FILES];
  memset(shown, 0, sizeof(shown));
  for (size_t i = 0; i < n; i++) {
    if (shown[i])
      continue;
    size_t count = 0;
    for (size_t j = i; j < n; j++)
      count += strcmp(s[j].reason, s[i].reason) == 0;
    printf("skipped %zu (%s):", count, s[i].reason);
    size_t col = 80;
    for (size_t j = i; j < n; j++) {
      if (strcmp(s[j].reason, s[i].reason) != 0)
        continue;
      shown[j] = 1;
      size_t len = strlen(s[j].name) + 1;
      if (col + len > 78) {
        fputs("\n   ", stdout);
        col = 3;
      }
      printf(" %s", s[j].name);
      col += len;
    }
    putchar('\n');
  }
}

static void command_line(int argc, char **argv, char *out, size_t cap)
{
  size_t used = (size_t)snprintf(out, cap, "smtpfuzz");
  for (int i = 0; i < argc && used < cap; i++) {
    int quote = strpbrk(argv[i], " \t'\"") != NULL || argv[i][0] == '\0';
    int k = snprintf(out + used, cap - used, quote ? " '%s'" : " %s", argv[i]);
    if (k < 0)
      break;
    used += (size_t)k;
  }
}

/* Clients mostly wait (on the server, on their own sleeps), and a verdict
 * does not depend on how busy the machine is: several per CPU. */
static unsigned default_jobs(void)
{
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  long j = cpus > 0 ? 4 * cpus : 4;
  return (unsigned)(j > 16 ? 16 : j);
}

enum { OPT_MODE = 256, OPT_TLS, OPT_VERIFY, OPT_MAX_STALL, OPT_ADDR };

static const struct option long_opts[] = {
    {"profile", required_argument, NULL, 'p'},
    {"mode", required_argument, NULL, OPT_MODE},
    {"tls", required_argument, NULL, OPT_TLS},
    {"verify", required_argument, NULL, OPT_VERIFY},
    {"all", no_argument, NULL, 'a'},
    {"hang-budget", required_argument, NULL, 'b'},
    {"max-stall", required_argument, NULL, OPT_MAX_STALL},
    {"jobs", required_argument, NULL, 'j'},
    {"addr", required_argument, NULL, OPT_ADDR},
    {"report-dir", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int pick(const char *v, const char *const *names, int n)
{
  for (int i = 0; i < n; i++)
    if (strcmp(v, names[i]) == 0)
      return i;
  return -1;
}

int sf_cmd_audit(int argc, char **argv)
{
  static struct live_profile prof;
  static struct scenario sc;
  static struct live_case cases[LIVE_MAX_FILES];
  static struct live_skip skipped[LIVE_MAX_FILES];
  static char *run_files[LIVE_MAX_FILES];
  static const char *run_names[LIVE_MAX_FILES];
  static char case_names[LIVE_MAX_FILES][SC_NAME_MAX]; /* each file's case, unique */
  static size_t skip_file[LIVE_MAX_FILES];
  static struct live_tls tls;
  struct live_files files = {0};
  struct live_audit_opts o;
  memset(&o, 0, sizeof(o));
  memset(&prof, 0, sizeof(prof));
  prof.mode = prof.tls = prof.verify = -1;
  o.hang_budget_ms = 5000;
  o.max_stall_ms = 1000;
  o.jobs = default_jobs();
  o.interrupted = &interrupted;
  const char *addr_text = "127.0.0.1", *report_dir = NULL, *profile_path = NULL;
  int all = 0, quiet = 0, have_cmd = 0, filtered = 0, have_tls = 0;
  int rc = SF_EXIT_USAGE;
  char err[700], scratch[PATH_MAX] = "";
  const char *reason;
  int own_scratch = 0;
  size_t nrun = 0, nskip = 0;

  /* Everything after the first "--" is the command (up to a second "--",
   * after which scenarios may follow); getopt sees what comes before. */
  int opt_end = argc;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--") == 0) {
      opt_end = i;
      break;
    }
  sf_opt_begin();
  int c;
  while ((c = getopt_long(opt_end, argv, ":p:ab:j:o:qh", long_opts, NULL)) != -1) {
    switch (c) {
    case 'h':
      fputs(audit_help, stdout);
      rc = SF_EXIT_OK;
      goto out;
    case 'p':
      profile_path = optarg;
      break;
    case OPT_MODE:
    case OPT_TLS:
    case OPT_VERIFY: {
      static const char *const names[3][3] = {{"plain", "starttls", "implicit"},
                                              {"none", "opportunistic", "required"},
                                              {"no", "yes", "-"}};
      int k = c - OPT_MODE, v = pick(optarg, names[k], k == 2 ? 2 : 3);
      if (v < 0) {
        fprintf(stderr, "smtpfuzz audit: --%s %s: %s\n", long_opts[k + 1].name, optarg,
                k == 0   ? "the mode is plain, starttls or implicit"
                : k == 1 ? "the tls policy is none, opportunistic or required"
                         : "verify is yes or no");
        goto out;
      }
      *(k == 0 ? &prof.mode : k == 1 ? &prof.tls : &prof.verify) = v;
      filtered = 1;
      break;
    }
    case 'a':
      all = 1;
      break;
    case 'b':
      if (parse_ms(optarg, &o.hang_budget_ms) != 0) {
        fprintf(stderr, "smtpfuzz audit: --hang-budget wants 1..600000 ms, not '%s'\n", optarg);
        goto out;
      }
      break;
    case OPT_MAX_STALL:
      if (parse_ms(optarg, &o.max_stall_ms) != 0) {
        fprintf(stderr, "smtpfuzz audit: --max-stall wants 1..600000 ms, not '%s'\n", optarg);
        goto out;
      }
      break;
    case 'j': {
      char *end;
      errno = 0;
      unsigned long j = strtoul(optarg, &end, 10);
      if (errno || *end || end == optarg || optarg[0] == '-' || j < 1 || j > LIVE_MAX_JOBS) {
        fprintf(stderr, "smtpfuzz audit: --jobs wants 1..%d, not '%s'\n", LIVE_MAX_JOBS, optarg);
        goto out;
      }
      o.jobs = (unsigned)j;
      break;
    }
    case OPT_ADDR:
      addr_text = optarg;
      break;
    case 'o':
      report_dir = optarg;
      break;
    case 'q':
      quiet = 1;
      break;
    default:
      rc = sf_opt_refused("audit", c, argv, long_opts);
      goto out;
    }
  }
  for (int i = optind; i < opt_end; i++)
    if (live_files_add(&files, argv[i], err, sizeof(err)) != 0) {
      fprintf(stderr, "smtpfuzz audit: %s\n", err);
      goto out;
    }
  if (opt_end < argc) {
    int i = opt_end + 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
      if (live_profile_add_arg(&prof, argv[i]) != 0) {
        fprintf(stderr, "smtpfuzz audit: the command has too many or too long arguments\n");
        goto out;
      }
      if (live_template_check(argv[i], err, sizeof(err)) != 0) {
        sf_usage_error("audit", "argument %zu of the command, '%.100s': %s", prof.argc, argv[i],
                       err);
        goto out;
      }
    }
    have_cmd = 1;
    for (i++; i < argc; i++)
      if (live_files_add(&files, argv[i], err, sizeof(err)) != 0) {
        fprintf(stderr, "smtpfuzz audit: %s\n", err);
        goto out;
      }
  }
  if (profile_path) {
    if (have_cmd || filtered) {
      fprintf(stderr, "smtpfuzz audit: give either --profile or '-- COMMAND' (with --mode, --tls, "
                      "--verify), not both\n");
      goto out;
    }
    if (live_profile_load(&prof, profile_path, err, sizeof(err)) != 0) {
      fprintf(stderr, "smtpfuzz audit: %s\n", err);
      goto out;
    }
  } else if (!have_cmd || prof.argc == 0) {
    fprintf(stderr, "smtpfuzz audit: no client: give --profile FILE or '-- COMMAND ARGS...' (see "
                    "smtpfuzz audit --help)\n");
    goto out;
  }
  if (files.n == 0) {
    fprintf(stderr, "smtpfuzz audit: no scenarios given (see smtpfuzz audit --help)\n");
    goto out;
  }
  if (live_addr_parse(&o.addr, addr_text, 0, &reason) != 0) {
    fprintf(stderr, "smtpfuzz audit: --addr %s: %s\n", addr_text, reason);
    goto out;
  }
  if (o.addr.port != 0) {
    sf_usage_error("audit",
                   "--addr %s: give the address without a port: each scenario listens on a "
                   "fresh one",
                   addr_text);
    goto out;
  }
  /* Every scenario must parse before anything runs; the profile picks. */
  for (size_t k = 0; k < files.n; k++) {
    if (live_scenario_load(&sc, files.path[k], err, sizeof(err)) != 0) {
      fprintf(stderr, "smtpfuzz audit: %s\n", err);
      goto out;
    }
    snprintf(case_names[k], sizeof(case_names[k]), "%s", sc.name);
    char why[200];
    const char *skip = all ? NULL : live_profile_skips(&prof, &sc, why, sizeof(why));
    if (skip) {
      struct live_skip *s = &skipped[nskip++];
      skip_file[nskip - 1] = k;
      snprintf(s->file, sizeof(s->file), "%s", files.path[k]);
      snprintf(s->reason, sizeof(s->reason), "%s", skip);
      continue;
    }
    run_files[nrun] = files.path[k];
    run_names[nrun++] = case_names[k];
  }
  /* One name per case, for its row in every report, its transcript, its
   * log and its {dir}: scenarios that share one do not share those. */
  live_unique_names(case_names, files.n);
  for (size_t k = 0; k < nskip; k++)
    snprintf(skipped[k].name, sizeof(skipped[k].name), "%s", case_names[skip_file[k]]);
  const char *pname = prof.name[0] ? prof.name : prof.argv[0];
  if (!quiet && nskip)
    print_skipped(skipped, nskip);
  if (nrun == 0) {
    fprintf(stderr,
            "smtpfuzz audit: %s: none of the %zu scenarios fits (%s); nothing ran (--all runs "
            "them all)\n",
            pname, files.n, skipped[0].reason);
    goto out;
  }

  own_scratch = report_dir == NULL;
  if (own_scratch) {
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof(scratch), "%s/smtpfuzz-audit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
      fprintf(stderr, "smtpfuzz audit: cannot make a scratch folder: %s\n", strerror(errno));
      scratch[0] = '\0';
      goto out;
    }
  } else {
    snprintf(scratch, sizeof(scratch), "%s", report_dir);
  }
  static const char *const subs[] = {"", "/logs", "/transcripts", "/run"};
  for (size_t k = 0; k < 4; k++) {
    char sub[PATH_MAX + 16];
    snprintf(sub, sizeof(sub), "%s%s", scratch, subs[k]);
    if (mkdir_p(sub) != 0) {
      fprintf(stderr, "smtpfuzz audit: cannot make %s: %s\n", sub, strerror(errno));
      goto out;
    }
  }
  if (live_tls_init(&tls, prof.tls_name[0] ? prof.tls_name : NULL, NULL, NULL, err, sizeof(err)) !=
      0) {
    fprintf(stderr, "smtpfuzz audit: %s\n", err);
    goto out;
  }
  have_tls = 1;
  char cafile[PATH_MAX + 16];
  snprintf(cafile, sizeof(cafile), "%s/ca.pem", scratch);
  if (live_tls_write_ca(&tls, cafile) != 0) {
    fprintf(stderr, "smtpfuzz audit: cannot write %s\n", cafile);
    goto out;
  }
  o.tls = &tls;
  o.dir = scratch;
  o.cafile = cafile;
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  if (!quiet)
    printf("smtpfuzz audit: %s, %zu of %zu scenarios, %u at once, hang budget %u ms\n", pname, nrun,
           files.n, o.jobs, o.hang_budget_ms);
  fflush(stdout);
  time_t started = time(NULL);
  uint64_t t0 = live_now_ms();
  struct progress pg = {cases, 0, nrun, quiet};
  size_t ran = live_audit_run(&o, &prof, run_files, run_names, nrun, cases, on_done, &pg);
  size_t nunsafe = 0, nconn = 0, nslow = 0, nnoconn = 0;
  for (size_t k = 0; k < nrun; k++) {
    nunsafe += cases[k].unsafe != 0;
    nconn += cases[k].connected;
    nnoconn += !cases[k].error[0] && !cases[k].connected;
    nslow += (cases[k].verdicts & ORACLE_BIT(SC_V_SLOW)) != 0;
  }
  char cmdline[4096];
  command_line(argc, argv, cmdline, sizeof(cmdline));
  struct live_report rep = {
      &prof,   cases,   nrun,   skipped, nskip, live_now_ms() - t0, o.hang_budget_ms,
      started, scratch, cmdline};
  int report_bad = 0;
  if (report_dir) {
    report_bad |= write_report(report_dir, "report.md", &rep, live_report_markdown);
    report_bad |= write_report(report_dir, "report.json", &rep, live_report_json);
    report_bad |= write_report(report_dir, "report.xml", &rep, live_report_junit);
    report_bad |= write_report(report_dir, "report.sarif", &rep, live_report_sarif);
    report_bad |= write_report(report_dir, "verdicts.txt", &rep, live_report_verdicts);
  }
  if (!quiet)
    printf("smtpfuzz audit: %s: %zu scenarios, %zu with a finding, %zu SLOW, %zu never connected, "
           "%zu not run, %zu skipped, %.1f s%s%s\n",
           pname, nrun, nunsafe, nslow, nnoconn, nrun - ran, nskip, (double)rep.total_ms / 1000.0,
           report_dir ? "; reports in " : "", report_dir ? report_dir : "");
  if (interrupted)
    rc = EXIT_INTERRUPTED;
  else if (ran < nrun || report_bad)
    rc = SF_EXIT_USAGE;
  else if (nconn == 0) {
    fprintf(stderr,
            "smtpfuzz audit: %s never connected in any scenario: nothing was tested (its output "
            "is in %s/logs/ with --report-dir)\n",
            pname, report_dir ? report_dir : "DIR");
    rc = SF_EXIT_USAGE;
  } else
    rc = nunsafe ? SF_EXIT_FINDINGS : SF_EXIT_OK;
out:
  /* Our own scratch folder goes, whatever happened: what each case made
   * there (a client's {dir} of a case that could not run too). */
  if (own_scratch && scratch[0])
    live_remove_tree(scratch);
  if (have_tls)
    live_tls_free(&tls);
  live_files_free(&files);
  return rc;
}
