/* smtpfuzz probe: what a loopback port speaks. */
#include "cli/commands.h"
#include "cli/options.h"
#include "live/live_addr.h"
#include "live/live_probe.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char probe_help[] =
    "usage: smtpfuzz probe [OPTIONS] HOST:PORT...\n"
    "\n"
    "Tells what each port speaks, from the server's own answers and in bounded\n"
    "time: plaintext SMTP with STARTTLS required or optional (a MAIL command before\n"
    "TLS says which), without STARTTLS, implicit TLS, or what else it is (a 421\n"
    "greeting, STARTTLS refused or followed by no TLS, STARTTLS offered again over\n"
    "TLS, no answer to EHLO or one that never ends, HTTP over TLS, a peer that\n"
    "closes at once or stays silent, a port nothing listens on). A plaintext and a\n"
    "TLS attempt run at once, so an implicit-TLS port answers in one round trip.\n"
    "Over STARTTLS it checks the server for STARTTLS command injection\n"
    "(CVE-2011-0411 class: STARTTLS and NOOP in one write, on a connection of its\n"
    "own; vulnerable when the NOOP is answered inside TLS, not tested with the\n"
    "reason when it cannot tell). It shows the certificate (names, issuer,\n"
    "self-signed or not, verified against the system store or --ca, days to\n"
    "expiry), every server byte escaped, the client mode that fits, and a warning\n"
    "where the port's convention (465 implicit, 587 STARTTLS, 25 relay) and its\n"
    "behaviour disagree. Loopback only.\n"
    "\n"
    "  -t, --timeout MS   wait at most MS for each step (10..60000, default 10000)\n"
    "      --ca FILE      verify certificates against this CA (PEM) instead of\n"
    "                     the system store\n"
    "      --name HOST    the name the certificate should carry (also sent as SNI)\n"
    "  -j, --json         one JSON object per target and line: mode (plain,\n"
    "                     starttls, implicit, none), starttls (required, optional,\n"
    "                     absent, unknown, refused, broken), starttls_command_injection\n"
    "                     (vulnerable, safe, not tested), ms, and the details\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 every target speaks SMTP in some mode, 1 one does not (or the\n"
    "probe could not run), 2 bad usage.\n";

static const struct option long_opts[] = {
    {"timeout", required_argument, NULL, 't'}, {"ca", required_argument, NULL, 'c'},
    {"name", required_argument, NULL, 'n'},    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
};

int sf_cmd_probe(int argc, char **argv)
{
  struct live_probe_opts o = {10000, NULL, NULL};
  int json = 0, c;
  char why[160];
  sf_opt_begin();
  while ((c = getopt_long(argc, argv, ":t:jh", long_opts, NULL)) != -1) {
    switch (c) {
    case 'h':
      fputs(probe_help, stdout);
      return SF_EXIT_OK;
    case 't': {
      char *end;
      errno = 0;
      unsigned long v = strtoul(optarg, &end, 10);
      if (errno || *end || end == optarg || optarg[0] == '-' || v < 10 || v > 60000)
        return sf_usage_error("probe", "--timeout wants 10..60000 ms, not '%s'", optarg);
      o.timeout_ms = (uint32_t)v;
      break;
    }
    case 'c':
      /* Read now, before anything connects: a CA that does not load would
       * otherwise pass for a server chain that does not verify. */
      if (live_pem_check(optarg, LIVE_PEM_CERTS, why, sizeof(why)) != 0) {
        fprintf(stderr, "smtpfuzz probe: --ca %s: %s\n", optarg, why);
        return SF_EXIT_USAGE;
      }
      o.cafile = optarg;
      break;
    case 'n':
      o.name = optarg;
      break;
    case 'j':
      json = 1;
      break;
    default:
      return sf_opt_refused("probe", c, argv, long_opts);
    }
  }
  if (optind >= argc)
    return sf_usage_error("probe", "no HOST:PORT given");
  /* Every target must be a loopback address before anything connects. */
  for (int i = optind; i < argc; i++) {
    struct live_addr a;
    const char *reason;
    if (live_addr_parse(&a, argv[i], 1, &reason) != 0) {
      fprintf(stderr, "smtpfuzz probe: %s: %s\n", argv[i], reason);
      return SF_EXIT_USAGE;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  int bad = 0;
  for (int i = optind; i < argc; i++) {
    struct live_addr a;
    const char *reason;
    (void)live_addr_parse(&a, argv[i], 1, &reason);
    static struct live_probe p;
    if (live_probe_run(&a, &o, &p) != 0) {
      fprintf(stderr, "smtpfuzz probe: %s: cannot probe: %s\n", argv[i], strerror(errno));
      bad = 1;
      continue;
    }
    if (json)
      live_probe_json(&a, &p, stdout);
    else
      live_probe_print(&a, &p, stdout);
    fflush(stdout);
    bad |= p.mode == LIVE_MODE_NONE;
  }
  return bad ? SF_EXIT_FINDINGS : SF_EXIT_OK;
}
