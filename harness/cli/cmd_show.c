/* smtpfuzz show: any fuzz input or scenario as a readable transcript.
 * smtpfuzz convert: a scenario between its text and binary forms. */
#include "caps.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "client_engine.h"
#include "flawed_client.h"
#include "oracle.h"
#include "reply_parser.h"
#include "scenario.h"
#include "scenario_binary.h"
#include "scenario_text.h"
#include "sim.h"
#include "tls_peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Far above any fuzz input or scenario file. */
#define MAX_FILE (1u << 20)

enum target { T_AUTO, T_SESSION, T_PORTMODE, T_STARTTLS, T_REPLY, T_EHLO };

static const char *const target_names[] = {"auto",     "session", "portmode",
                                           "starttls", "reply",   "ehlo"};

static const char show_help[] =
    "usage: smtpfuzz show [--target T] [--flaw NAME] FILE...\n"
    "       smtpfuzz show --list-flaws\n"
    "\n"
    "Shows a fuzz input or a scenario as an S:/C: transcript, with the TLS state\n"
    "and virtual time of every line, how the client ended, and the oracles'\n"
    "verdicts. Every finding is reproducible from its one file.\n"
    "\n"
    "  --target session|portmode|starttls|reply|ehlo\n"
    "                how to read FILE: session (a .scn text scenario or a binary\n"
    "                fuzz_session input), portmode (a fuzz_portmode input: the\n"
    "                port is folded onto 25/465/587/2525), starttls (a scenario or\n"
    "                fuzz_starttls input, replayed with real OpenSSL on both sides\n"
    "                and the TLS layer's consistency checks), reply (a fuzz_reply\n"
    "                input: chunk plan, then the byte stream), ehlo (a fuzz_ehlo\n"
    "                input: one EHLO reply). Default: from the path (a folder\n"
    "                named fuzz_reply, fuzz_ehlo, fuzz_portmode or fuzz_starttls),\n"
    "                else session.\n"
    "  --flaw NAME   put a deliberately flawed client under test instead of the\n"
    "                engine (session and portmode; the flawed clients speak\n"
    "                pass-through TLS only); --list-flaws names them\n"
    "  --list-flaws  print each flawed client: name, the verdict it earns, what\n"
    "                it does wrong (tab-separated), and exit\n"
    "  -h, --help    print this help and exit\n"
    "\n"
    "Exit status: 0 no verdict, 1 a verdict (or a reply/EHLO error, or a TLS layer\n"
    "inconsistent with the server), 2 bad usage or input.\n";

static const char convert_help[] =
    "usage: smtpfuzz convert IN OUT\n"
    "\n"
    "Converts a scenario between its forms, by OUT's name: OUT ending in .scn gets\n"
    "the text form, anything else the binary form that the scenario fuzz targets\n"
    "read. IN is read as text if it ends in .scn, else as binary. OUT must not\n"
    "exist yet (a corpus file is never overwritten). What is written is read back\n"
    "first: a conversion that would change the scenario writes nothing.\n"
    "\n"
    "  -h, --help   print this help and exit\n"
    "\n"
    "Exit status: 0 written, 2 bad usage, unreadable or invalid IN, OUT exists or\n"
    "cannot be written, or a conversion that would not keep the scenario whole.\n";

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Reads a whole file (at most MAX_FILE bytes) into a malloc'd buffer; `cmd`
 * names the command in the error. */
static unsigned char *read_file(const char *cmd, const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "smtpfuzz %s: cannot read %s: %s\n", cmd, path, strerror(errno));
    return NULL;
  }
  unsigned char *buf = malloc(MAX_FILE + 1);
  errno = 0;
  size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
  /* The read's own reason (EISDIR for a folder), or EIO if it gave none. */
  int why = !buf ? ENOMEM : ferror(f) ? (errno != 0 ? errno : EIO) : 0;
  fclose(f);
  if (why || n > MAX_FILE) {
    fprintf(stderr, "smtpfuzz %s: cannot read %s: %s\n", cmd, path,
            why ? strerror(why) : "larger than 1 MiB");
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

/* Loads a scenario: text for .scn, else binary. Returns 0 or prints why. */
static int load_scenario(const char *cmd, const char *path, struct scenario *sc, int *text)
{
  size_t len = 0;
  unsigned char *data = read_file(cmd, path, &len);
  if (!data)
    return -1;
  *text = ends_with(path, ".scn");
  if (*text) {
    size_t line = 0;
    const char *reason = "";
    enum sf_err err = scenario_parse_text(sc, (const char *)data, len, &line, &reason);
    free(data);
    if (err != SF_ERR_OK) {
      fprintf(stderr, "%s:%zu: error: %s (%s)\n", path, line, reason, sf_err_name(err));
      return -1;
    }
    return 0;
  }
  scenario_decode(sc, data, len);
  free(data);
  return 0;
}

static enum target guess_target(const char *path)
{
  if (strstr(path, "fuzz_reply"))
    return T_REPLY;
  if (strstr(path, "fuzz_ehlo"))
    return T_EHLO;
  if (strstr(path, "fuzz_portmode"))
    return T_PORTMODE;
  if (strstr(path, "fuzz_starttls"))
    return T_STARTTLS;
  return T_SESSION;
}

static int show_session(const char *path, enum target target, int flaw)
{
  static struct scenario sc;
  static struct wire w;
  static struct sim_result res;
  static struct oracle_report rep;
  static struct sc_engine_client engine;
  static struct sc_flawed_client flawed;
  int text = 0;
  if (load_scenario("show", path, &sc, &text) != 0)
    return SF_EXIT_USAGE;
  if (target == T_PORTMODE)
    scenario_as_portmode(&sc);
  struct sc_client *client = &engine.base;
  static struct tls_peer *peer;
  struct sim_options opt = {SIM_TLS_PASSTHROUGH, NULL, TLS_PEER_TLS12};
  char inconsistent[256] = "";
  if (target == T_STARTTLS) {
    if (!peer && !(peer = tls_peer_new())) {
      fprintf(stderr, "smtpfuzz show: the TLS peer could not be set up\n");
      return SF_EXIT_USAGE;
    }
    sc_engine_client_init_peer(&engine, &sc, peer, &opt);
  } else if (flaw < 0) {
    sc_engine_client_init(&engine, &sc.cfg);
    sc_engine_client_offer_resume(&engine, sc.resume);
  } else {
    sc_flawed_client_init(&flawed, &sc.cfg, (enum sc_flaw)flaw);
    sc_flawed_client_offer_resume(&flawed, sc.resume);
    client = &flawed.base;
  }
  sim_run_with(&sc, client, &w, &res, &opt);
  /* Reported after the transcript, as fuzz_starttls would report it. */
  if (target == T_STARTTLS)
    sc_engine_client_tls_consistent(&engine, &w, &res, inconsistent, sizeof inconsistent);
  sc_engine_client_cleanup(&engine);
  unsigned verdicts = oracle_judge(&sc, &w, &res, &rep);
  /* A binary input's stated outcome is fuzzed like the rest of it: the fuzz
   * targets ignore it, and so does show. */
  if (!text) {
    verdicts &= ~ORACLE_BIT(SC_V_OUTCOME);
    rep.verdicts = verdicts;
    rep.reason[SC_V_OUTCOME][0] = '\0';
  }
  printf("== %s (%s, client %s)\n", path, sc.name[0] ? sc.name : "unnamed", client->ops->name);
  printf("   port %u, mode %s, tls %s, server %s, cert %s\n", sc.cfg.port,
         sf_mode_name(sc.cfg.mode), sf_tls_policy_name(sc.cfg.tls),
         sc_personality_name(sc.personality), sc_cert_name(sc.cert));
  if (oracle_transcript_file(&sc, &w, &rep, stdout) != 0)
    return SF_EXIT_USAGE;
  printf("   ended: %s%s%s after %llu ms virtual (%s)%s%s\n", sc_client_status_name(res.status),
         res.reports_errors ? " " : "", res.reports_errors ? sf_err_name(res.error) : "",
         (unsigned long long)res.end_ms, sim_stop_name(res.stop), res.diagnosis[0] ? ": " : "",
         res.diagnosis);
  if (inconsistent[0])
    printf("   TLS layer inconsistent with the server (fuzz_starttls fails on it): %s\n",
           inconsistent);
  return verdicts || inconsistent[0] ? SF_EXIT_FINDINGS : SF_EXIT_OK;
}

static void print_text(const struct sf_span *t)
{
  for (size_t i = 0; i < t->len; i++) {
    unsigned char c = (unsigned char)t->ptr[i];
    if (c >= 0x20 && c < 0x7f && c != '\\')
      putchar(c);
    else
      printf("\\x%02x", c);
  }
}

/* Parses a stream whole and prints each reply; returns the parser's error. */
static enum sf_err show_replies(const char *buf, size_t len, struct sf_reply *last_ok)
{
  struct sf_reply_parser p;
  struct sf_reply r;
  sf_reply_parser_init(&p, 0);
  size_t off = 0;
  for (;;) {
    int n = sf_reply_parse(&p, buf + off, len - off, &r);
    if (n <= 0)
      break;
    for (size_t i = 0; i < r.nlines; i++) {
      printf("S: %d%c", r.code, i + 1 == r.nlines ? ' ' : '-');
      print_text(&r.text[i]);
      putchar('\n');
    }
    if (r.enhanced.present)
      printf("   enhanced status %u.%u.%u\n", r.enhanced.cls, r.enhanced.subject,
             r.enhanced.detail);
    if (last_ok)
      *last_ok = r;
    off += (size_t)n;
  }
  uint64_t at = 0;
  enum sf_err err = sf_reply_parser_error(&p, &at);
  if (err != SF_ERR_OK)
    printf("   error %s at byte %llu: %s\n", sf_err_name(err), (unsigned long long)at,
           sf_err_desc(err));
  else if (off < len)
    printf("   %zu bytes of an incomplete reply left\n", len - off);
  return err;
}

static int show_raw(const char *path, enum target target)
{
  size_t len = 0;
  unsigned char *data = read_file("show", path, &len);
  if (!data)
    return SF_EXIT_USAGE;
  const char *buf = (const char *)data;
  printf("== %s (%s input)\n", path, target_names[target]);
  int status = SF_EXIT_OK;
  if (target == T_REPLY) {
    /* The chunk plan (fuzz/fuzz_reply.c) does not change what is parsed. */
    size_t skip = len ? 1 + (data[0] & 7u) : 0;
    skip = skip > len ? len : skip;
    if (show_replies(buf + skip, len - skip, NULL) != SF_ERR_OK)
      status = SF_EXIT_FINDINGS;
  } else {
    static struct sf_reply r;
    r.nlines = 0;
    if (show_replies(buf, len, &r) != SF_ERR_OK)
      status = SF_EXIT_FINDINGS;
    if (r.nlines > 0) {
      struct sf_caps caps;
      size_t bad = 0;
      enum sf_err err = sf_caps_parse(&r, &caps, &bad);
      printf("   capabilities: flags %#x, size %llu, auth %#x (%u unknown), %u unknown keywords\n",
             caps.flags, (unsigned long long)caps.size, caps.auth, caps.auth_unknown, caps.unknown);
      if (err != SF_ERR_OK) {
        printf("   error %s on line %zu: %s\n", sf_err_name(err), bad, sf_err_desc(err));
        status = SF_EXIT_FINDINGS;
      }
    }
  }
  free(data);
  return status;
}

enum { OPT_TARGET = SF_OPT_LONG_ONLY, OPT_FLAW, OPT_LIST_FLAWS };

static const struct option show_options[] = {
    {"target", required_argument, NULL, OPT_TARGET},
    {"flaw", required_argument, NULL, OPT_FLAW},
    {"list-flaws", no_argument, NULL, OPT_LIST_FLAWS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int sf_cmd_show(int argc, char **argv)
{
  enum target target = T_AUTO;
  int flaw = -1, list = 0, c;
  sf_opt_begin();
  while ((c = getopt_long(argc, argv, ":h", show_options, NULL)) != -1) {
    switch (c) {
    case 'h':
      fputs(show_help, stdout);
      return SF_EXIT_OK;
    case OPT_LIST_FLAWS:
      list = 1;
      break;
    case OPT_TARGET:
      target = T_AUTO;
      for (int t = T_SESSION; t <= T_EHLO; t++)
        if (strcmp(optarg, target_names[t]) == 0)
          target = (enum target)t;
      if (target == T_AUTO)
        return sf_usage_error(
            "show", "unknown target '%s': session, portmode, starttls, reply or ehlo", optarg);
      break;
    case OPT_FLAW:
      flaw = -1;
      for (int f = 0; f < SC_FLAW_COUNT; f++)
        if (strcmp(optarg, sc_flaw_name((enum sc_flaw)f)) == 0)
          flaw = f;
      if (flaw < 0)
        return sf_usage_error("show", "unknown flaw '%s': --list-flaws names them", optarg);
      break;
    default:
      return sf_opt_refused("show", c, argv, show_options);
    }
  }
  if (list) {
    if (optind < argc)
      return sf_usage_error("show", "--list-flaws takes no FILE, got '%s'", argv[optind]);
    for (int f = 1; f < SC_FLAW_COUNT; f++)
      printf("%s\t%s\t%s\n", sc_flaw_name((enum sc_flaw)f), sc_flaw_verdict((enum sc_flaw)f),
             sc_flaw_what((enum sc_flaw)f));
    return SF_EXIT_OK;
  }
  if (optind == argc)
    return sf_usage_error("show", "no FILE given");
  /* Every file's target is known before any is shown: a flawed client
   * speaks pass-through TLS and SMTP sessions only. */
  for (int i = optind; flaw >= 0 && i < argc; i++) {
    enum target t = target == T_AUTO ? guess_target(argv[i]) : target;
    if (t != T_SESSION && t != T_PORTMODE)
      return sf_usage_error("show", "--flaw applies to session and portmode only, not %s (%s)",
                            target_names[t], argv[i]);
  }
  int worst = SF_EXIT_OK;
  for (int i = optind; i < argc; i++) {
    enum target t = target == T_AUTO ? guess_target(argv[i]) : target;
    int st = t == T_REPLY || t == T_EHLO ? show_raw(argv[i], t) : show_session(argv[i], t, flaw);
    worst = st > worst ? st : worst;
  }
  return worst;
}

static const struct option convert_options[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int sf_cmd_convert(int argc, char **argv)
{
  int c;
  sf_opt_begin();
  while ((c = getopt_long(argc, argv, ":h", convert_options, NULL)) != -1) {
    if (c != 'h')
      return sf_opt_refused("convert", c, argv, convert_options);
    fputs(convert_help, stdout);
    return SF_EXIT_OK;
  }
  if (argc - optind != 2)
    return sf_usage_error("convert", "needs IN and OUT, got %d file name%s", argc - optind,
                          argc - optind == 1 ? "" : "s");
  /* From here on argv[1] is IN and argv[2] OUT. */
  argv += optind - 1;
  static struct scenario sc;
  static char text[64 * 1024];
  static uint8_t bin[SC_BINARY_MAX];
  int is_text = 0;
  if (load_scenario("convert", argv[1], &sc, &is_text) != 0)
    return SF_EXIT_USAGE;
  const void *out;
  size_t len;
  static struct scenario back;
  if (ends_with(argv[2], ".scn")) {
    len = scenario_format_text(&sc, text, sizeof(text));
    if (len >= sizeof(text)) {
      fprintf(stderr, "smtpfuzz convert: %s: text form too large\n", argv[1]);
      return SF_EXIT_USAGE;
    }
    size_t line = 0;
    const char *reason = "";
    if (scenario_parse_text(&back, text, len, &line, &reason) != SF_ERR_OK) {
      fprintf(stderr, "smtpfuzz convert: %s: its text form would not read back (line %zu: %s)\n",
              argv[1], line, reason);
      return SF_EXIT_USAGE;
    }
    out = text;
  } else {
    len = scenario_encode(&sc, bin, sizeof(bin));
    if (len == 0) {
      fprintf(stderr, "smtpfuzz convert: %s: does not fit the binary form\n", argv[1]);
      return SF_EXIT_USAGE;
    }
    scenario_decode(&back, bin, len);
    out = bin;
  }
  /* Nothing is dropped silently: what is written must read back as the
   * same scenario, or nothing is written. */
  if (!scenario_equal(&sc, &back)) {
    fprintf(stderr,
            "smtpfuzz convert: %s: %s would not hold this scenario whole; nothing written\n",
            argv[1], ends_with(argv[2], ".scn") ? "the text form" : "the binary form");
    return SF_EXIT_USAGE;
  }
  /* "x": never overwrite (C11 exclusive mode). */
  FILE *f = fopen(argv[2], "wbx");
  if (!f) {
    fprintf(stderr, "smtpfuzz convert: cannot create %s: %s\n", argv[2], strerror(errno));
    return SF_EXIT_USAGE;
  }
  int bad = fwrite(out, 1, len, f) != len;
  bad |= fclose(f) != 0;
  if (bad) {
    fprintf(stderr, "smtpfuzz convert: cannot write %s\n", argv[2]);
    return SF_EXIT_USAGE;
  }
  return SF_EXIT_OK;
}
