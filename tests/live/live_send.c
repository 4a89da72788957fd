/* live_send CONFIG ADDR:PORT [CAP_MS]: our engine delivers over a real
 * loopback socket with the configuration file CONFIG (src/config.h text
 * form). Prints how it ended; exit 0 if the session finished, 1 if it
 * failed, 2 on bad usage. For tests/live/postfix.sh. */
#include "config.h"
#include "errors.h"
#include "live/live_addr.h"
#include "live/live_drive.h"
#include "live/live_files.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
  if (argc < 3) {
    fputs("usage: live_send CONFIG ADDR:PORT [CAP_MS]\n", stderr);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  static struct sf_config cfg;
  size_t len = 0, line = 0;
  const char *reason = "";
  char *text = live_read_file(argv[1], &len);
  sf_config_defaults(&cfg);
  if (!text || sf_config_parse(&cfg, text, len, &line, &reason) != SF_ERR_OK) {
    fprintf(stderr, "live_send: %s:%zu: %s\n", argv[1], line, text ? reason : "cannot read");
    free(text);
    return 2;
  }
  free(text);
  struct live_addr a;
  if (live_addr_parse(&a, argv[2], 1, &reason) != 0) {
    fprintf(stderr, "live_send: %s: %s\n", argv[2], reason);
    return 2;
  }
  struct live_drive_result r;
  if (live_drive(&cfg, &a, argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 60000, &r) != 0) {
    fprintf(stderr, "live_send: %s\n", r.diagnosis);
    return 2;
  }
  printf("%s in %llu ms (%s%s): %s: %s\n", r.done ? "done" : "failed", (unsigned long long)r.ms,
         r.tls_version[0] ? r.tls_version : "no TLS", "", sf_err_name(r.err), r.diagnosis);
  return r.done ? 0 : 1;
}
