/* smtpfuzz probe: what a loopback port speaks. */
#include "cli/commands.h"
#include "live/live_addr.h"
#include "live/live_probe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char probe_help[] =
    "usage: smtpfuzz probe [--timeout MS] HOST:PORT...\n"
    "\n"
    "Tells what a port speaks, without hanging: plaintext SMTP (greeting,\n"
    "capabilities, STARTTLS offered or not and, when offered, the TLS version,\n"
    "cipher and certificate after upgrading), implicit TLS (version, cipher,\n"
    "certificate subject, issuer and validity, the greeting after the handshake),\n"
    "or a silent or non-SMTP peer. Ends with the client mode that fits and a\n"
    "warning where the port's convention (465 implicit, 587 STARTTLS, 25 relay)\n"
    "and its behaviour disagree. Loopback addresses only.\n"
    "\n"
    "  --timeout MS   wait at most MS for each step (default 2000)\n"
    "\n"
    "Exit status: 0 SMTP found, 1 silent, not SMTP or refused, 2 bad usage.\n";

int sf_cmd_probe(int argc, char **argv)
{
  unsigned long timeout = 2000;
  int n = 0, bad = 0;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(probe_help, stdout);
      return SF_EXIT_OK;
    }
  signal(SIGPIPE, SIG_IGN);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--timeout") == 0) {
      char *end;
      errno = 0;
      timeout = i + 1 < argc ? strtoul(argv[++i], &end, 10) : 0;
      if (i >= argc || errno || *end || timeout < 10 || timeout > 60000) {
        fprintf(stderr, "smtpfuzz probe: --timeout wants 10..60000 ms\n");
        return SF_EXIT_USAGE;
      }
      continue;
    }
    struct live_addr a;
    const char *reason;
    if (live_addr_parse(&a, argv[i], 1, &reason) != 0) {
      fprintf(stderr, "smtpfuzz probe: %s: %s\n", argv[i], reason);
      return SF_EXIT_USAGE;
    }
    struct live_probe p;
    if (live_probe_run(&a, (uint32_t)timeout, &p) != 0) {
      fprintf(stderr, "smtpfuzz probe: %s: cannot probe (OpenSSL)\n", argv[i]);
      return SF_EXIT_USAGE;
    }
    live_probe_print(&a, &p, stdout);
    n++;
    bad |= p.speaks != LIVE_SPEAKS_PLAIN && p.speaks != LIVE_SPEAKS_STARTTLS &&
           p.speaks != LIVE_SPEAKS_IMPLICIT;
  }
  if (n == 0) {
    fprintf(stderr, "smtpfuzz probe: no HOST:PORT given (see smtpfuzz probe --help)\n");
    return SF_EXIT_USAGE;
  }
  return bad ? SF_EXIT_FINDINGS : SF_EXIT_OK;
}
