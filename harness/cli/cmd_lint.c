/* smtpfuzz lint: parse, validate and lint client configurations.
 *
 *   smtpfuzz lint [--format text|json] FILE...      ('-' reads stdin)
 *   smtpfuzz lint [--format text|json] --set key=value...
 *
 * Findings go to stdout, input errors to stderr. Exit 0: no error-severity
 * finding; 1: at least one; 2: bad usage or input (unreadable, does not
 * parse, inconsistent). */
#include "cli/commands.h"
#include "cli/options.h"

#include "config.h"
#include "lint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A configuration is a few hundred bytes; a bigger file is not one. */
#define LINT_MAX_FILE (64 * 1024)

enum format { FORMAT_TEXT, FORMAT_JSON };

struct lint_run {
  enum format format;
  size_t count[SF_SEV_ERROR + 1]; /* findings by severity */
  size_t printed;                 /* JSON objects written so far */
  size_t linted;                  /* configurations that got as far as lint */
  int status;                     /* worst exit status so far */
};

/* Errors go to stderr; stdout is flushed first so that, with both on one
 * terminal or file, every message comes out in order. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void
say_error(const char *fmt, ...)
{
  va_list ap;
  fflush(stdout);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

static void raise_status(struct lint_run *run, int status)
{
  if (status > run->status)
    run->status = status;
}

static const char help_keys[] =
    "usage: smtpfuzz lint [--format text|json] FILE...\n"
    "       smtpfuzz lint [--format text|json] --set key=value [--set key=value]...\n"
    "\n"
    "Judge an SMTP client configuration against the port table (465: implicit TLS;\n"
    "587, 25 and 2525: plaintext greeting, then STARTTLS) and common mistakes.\n"
    "\n"
    "  --format text|json  how findings are printed (default text)\n"
    "  --set key=value     build the configuration on the command line instead of\n"
    "                      from a file, starting from the defaults; one key per\n"
    "                      --set, each key once (only to repeats: one recipient\n"
    "                      each), as in a file\n"
    "  -h, --help          print this help and exit\n"
    "\n"
    "FILE '-' reads standard input.\n"
    "\n"
    "Configuration: one 'key = value' per line; lines starting with '#' and blank\n"
    "lines are ignored. Each key at most once, except 'to'. Keys:\n"
    "  mode        plain | starttls | implicit (default starttls)\n"
    "  tls         none | opportunistic | required (default required); consistent:\n"
    "              plain+none, starttls+opportunistic, starttls+required,\n"
    "              implicit+required\n"
    "  verify      yes | no: verify the certificate and host name (default yes)\n"
    "  host        expected server host name (SNI and verification)\n"
    "  cafile      file of trust anchors\n"
    "  port        1..65535 (default 587); for diagnosis, never picks a mode\n"
    "  auth        none | plain | login (default none); needs user and password\n"
    "  user        AUTH user name\n"
    "  password    AUTH password\n"
    "  allow_plaintext_auth  yes | no: let AUTH go unencrypted (default no)\n"
    "  allow_helo  yes | no: fall back to HELO when EHLO is rejected (default no)\n"
    "  helo_name   domain sent in EHLO/HELO (default localhost)\n"
    "  from        envelope sender (empty: the null sender <>)\n"
    "  to          envelope recipient; repeat for more (at most 8)\n"
    "  message     the message on one line; \\n, \\r and \\\\ are decoded\n"
    "  lenient     none | bare-lf: accept bare LF line ends in replies\n"
    "  timeout.PHASE  milliseconds, 1..86400000; PHASE is one of:\n"
    "             ";

static const char help_tail[] =
    "Booleans: yes/no, true/false, on/off, 1/0.\n"
    "\n"
    "Output: one line per finding, 'FILE: SEVERITY: NAME: advice', then a summary;\n"
    "--format json prints an array of {\"file\", \"severity\", \"name\", \"advice\"}.\n"
    "Severities: error (mail or password at risk, or the session cannot work),\n"
    "warning (weaker than it could be), info (worth a look).\n"
    "\n"
    "Exit status: 0 no error finding; 1 at least one error finding;\n"
    "2 bad usage, unreadable file, parse or consistency error.\n";

static const struct {
  const char *name;
  enum sf_severity severity;
} checks[] = {
#define SF_LINT_HELP(id, sev, advice) {#id, SF_SEV_##sev},
    SF_LINT_LIST(SF_LINT_HELP)
#undef SF_LINT_HELP
};

static void print_help(void)
{
  fputs(help_keys, stdout);
  for (int i = 0; i < SF_PHASE_COUNT; i++)
    printf(" %s", sf_phase_name((enum sf_phase)i));
  fputs("\n\nChecks:\n", stdout);
  for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
    printf("  %-26s %s\n", checks[i].name, sf_severity_name(checks[i].severity));
  fputs("\n", stdout);
  fputs(help_tail, stdout);
}

static void json_string(const char *s)
{
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\')
      printf("\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", stdout);
    else if (*p < 0x20 || *p == 0x7f)
      printf("\\u%04x", *p);
    else
      putchar(*p);
  }
  putchar('"');
}

static void report(struct lint_run *run, const char *file, const struct sf_lint_finding *f)
{
  run->count[f->severity]++;
  if (f->severity == SF_SEV_ERROR)
    raise_status(run, SF_EXIT_FINDINGS);
  const char *sev = sf_severity_name(f->severity);
  if (run->format == FORMAT_TEXT) {
    printf("%s: %s: %s: %s\n", file, sev, f->name, f->advice);
    return;
  }
  fputs(run->printed++ == 0 ? "\n  {\"file\": " : ",\n  {\"file\": ", stdout);
  json_string(file);
  fputs(", \"severity\": ", stdout);
  json_string(sev);
  fputs(", \"name\": ", stdout);
  json_string(f->name);
  fputs(", \"advice\": ", stdout);
  json_string(f->advice);
  putchar('}');
}

/* Validate, then lint; `file` names the configuration in messages. */
static void lint_config(struct lint_run *run, const char *file, const struct sf_config *cfg)
{
  const char *reason = NULL;
  enum sf_err err = sf_config_validate(cfg, &reason);
  /* The engine refuses verification without a host name; lint explains it
   * as its NO_HOST_NAME finding, with the rest of what it sees. */
  if (err != SF_ERR_OK && err != SF_ERR_CONFIG_NO_HOST) {
    say_error("%s: error: %s (%s)\n", file, reason, sf_err_name(err));
    raise_status(run, SF_EXIT_USAGE);
    return;
  }
  run->linted++;
  struct sf_lint_finding findings[SF_LINT_COUNT];
  size_t n = sf_lint(cfg, findings, SF_LINT_COUNT);
  for (size_t i = 0; i < n && i < SF_LINT_COUNT; i++)
    report(run, file, &findings[i]);
}

/* Reads at most LINT_MAX_FILE bytes of `path` ('-': stdin) into buf. */
static int read_config(const char *path, char *buf, size_t *len)
{
  int is_stdin = strcmp(path, "-") == 0;
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  if (f == NULL) {
    say_error("smtpfuzz lint: cannot read %s: %s\n", path, strerror(errno));
    return 0;
  }
  errno = 0;
  *len = fread(buf, 1, LINT_MAX_FILE + 1, f);
  int failed = ferror(f);
  int saved = errno;
  if (!is_stdin)
    fclose(f);
  if (failed) {
    say_error("smtpfuzz lint: cannot read %s: %s\n", path, strerror(saved != 0 ? saved : EIO));
    return 0;
  }
  if (*len > LINT_MAX_FILE) {
    say_error("smtpfuzz lint: %s: larger than %d bytes, not a configuration\n", path,
              LINT_MAX_FILE);
    return 0;
  }
  return 1;
}

static void lint_file(struct lint_run *run, const char *path, char *buf)
{
  size_t len;
  if (!read_config(path, buf, &len)) {
    raise_status(run, SF_EXIT_USAGE);
    return;
  }
  const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
  struct sf_config cfg;
  sf_config_defaults(&cfg);
  size_t line = 0;
  const char *reason = NULL;
  enum sf_err err = sf_config_parse(&cfg, buf, len, &line, &reason);
  if (err != SF_ERR_OK) {
    say_error("%s:%zu: error: %s (%s)\n", name, line, reason, sf_err_name(err));
    raise_status(run, SF_EXIT_USAGE);
    return;
  }
  lint_config(run, name, &cfg);
}

/* Applies the --set values in the order given. */
static void lint_settings(struct lint_run *run, char **sets, int nsets)
{
  struct sf_config cfg;
  sf_config_defaults(&cfg);
  for (int i = 0; i < nsets; i++) {
    const char *arg = sets[i];
    const char *eq = strchr(arg, '=');
    const char *reason = "--set takes key=value";
    enum sf_err err = SF_ERR_CONFIG_SYNTAX;
    if (eq != NULL)
      err = sf_config_set(&cfg, arg, (size_t)(eq - arg), eq + 1, strlen(eq + 1), &reason);
    if (err != SF_ERR_OK) {
      say_error("--set %s: error: %s (%s)\n", arg, reason, sf_err_name(err));
      raise_status(run, SF_EXIT_USAGE);
      return;
    }
  }
  lint_config(run, "<command line>", &cfg);
}

enum { OPT_FORMAT = SF_OPT_LONG_ONLY, OPT_SET };

static const struct option lint_options[] = {
    {"format", required_argument, NULL, OPT_FORMAT},
    {"set", required_argument, NULL, OPT_SET},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int sf_cmd_lint(int argc, char **argv)
{
  struct lint_run run = {0};
  /* Each --set, in order: at most one per argument. */
  char **sets = malloc((size_t)argc * sizeof *sets);
  int nsets = 0, c;
  if (sets == NULL) {
    say_error("smtpfuzz lint: out of memory\n");
    return SF_EXIT_USAGE;
  }
  sf_opt_begin();
  while ((c = getopt_long(argc, argv, ":h", lint_options, NULL)) != -1) {
    int status = -1;
    if (c == 'h') {
      print_help();
      status = SF_EXIT_OK;
    } else if (c == OPT_FORMAT && strcmp(optarg, "text") == 0) {
      run.format = FORMAT_TEXT;
    } else if (c == OPT_FORMAT && strcmp(optarg, "json") == 0) {
      run.format = FORMAT_JSON;
    } else if (c == OPT_FORMAT) {
      status = sf_usage_error("lint", "--format must be text or json, not '%s'", optarg);
    } else if (c == OPT_SET) {
      sets[nsets++] = optarg;
    } else {
      status = sf_opt_refused("lint", c, argv, lint_options);
    }
    if (status >= 0) {
      free(sets);
      return status;
    }
  }
  /* What is left are the files ('-' is standard input). */
  int nfiles = argc - optind;
  int status = -1;
  if (nfiles == 0 && nsets == 0)
    status = sf_usage_error("lint", "no configuration: give FILE... or --set key=value");
  else if (nfiles > 0 && nsets > 0)
    status = sf_usage_error("lint", "give either FILE... or --set, not both");
  if (status >= 0) {
    free(sets);
    return status;
  }

  if (run.format == FORMAT_JSON)
    putchar('[');
  if (nsets > 0) {
    lint_settings(&run, sets, nsets);
  } else {
    char *buf = malloc(LINT_MAX_FILE + 1);
    if (buf == NULL) {
      free(sets);
      say_error("smtpfuzz lint: out of memory\n");
      return SF_EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++)
      lint_file(&run, argv[i], buf);
    free(buf);
  }
  free(sets);

  if (run.format == FORMAT_JSON)
    fputs(run.printed > 0 ? "\n]\n" : "]\n", stdout);
  else if (run.linted > 0)
    printf("%zu errors, %zu warnings, %zu info\n", run.count[SF_SEV_ERROR],
           run.count[SF_SEV_WARNING], run.count[SF_SEV_INFO]);
  if (fflush(stdout) != 0) {
    say_error("smtpfuzz lint: cannot write output: %s\n", strerror(errno));
    return SF_EXIT_USAGE;
  }
  return run.status;
}
