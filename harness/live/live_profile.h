/* A client profile: the command template that runs one client program and
 * which scenarios it fits (the .profile files in profiles/, format in profiles/README.md).
 */
#ifndef SF_LIVE_PROFILE_H
#define SF_LIVE_PROFILE_H

#include "live/live_spawn.h"
#include "scenario.h"

#include <stddef.h>

struct live_profile {
  char name[64];
  char description[200];
  int mode;   /* enum sf_mode, or -1: any */
  int tls;    /* enum sf_tls_policy, or -1: any */
  int verify; /* 1: the command verifies certificates, 0: it does not, -1: any */
  char stdin_tmpl[LIVE_ARG_MAX];
  /* The name the test certificates carry and {host} expands to; "": the
   * scenario's host. For clients that cannot verify one name while
   * connecting to an address (no --resolve), "localhost". */
  char tls_name[64];
  char *argv[LIVE_MAX_ARGS + 1];
  size_t argc;
  char storage[16384];
  size_t used;
  char why[400]; /* a reason live_profile_parse words itself (it points here) */
};

/* Reads a profile ("key = value" lines: name, description, mode, tls,
 * verify, tls_name, stdin, arg; only `arg` may repeat). A value of `arg` or
 * `stdin` that starts with "./" or "../" is a path relative to the
 * profile's folder `base` (NULL: left as it is). Every placeholder of
 * `arg` and `stdin` must be known (live_expand). Returns 0, or -1 with
 * *line and *reason; *line 0: the reason is about the whole profile (an
 * empty one, one with no command). */
int live_profile_parse(struct live_profile *p, const char *text, size_t len, const char *base,
                       size_t *line, const char **reason);
/* Reads the profile file at `path` (paths in it relative to its folder).
 * 0, or -1 with "path:line: reason", "path: reason" (about the whole
 * profile) or why it cannot be read, in err. */
int live_profile_load(struct live_profile *p, const char *path, char *err, size_t cap);
/* Appends one argument (from a command line after "--"). 0 or -1. */
int live_profile_add_arg(struct live_profile *p, const char *arg);
/* Checks a command template's placeholders as the audit will expand them:
 * 0, or -1 with why in `why` ("unknown placeholder {hots} (known: {host}
 * ...)", "unterminated '{' ..."). */
int live_template_check(const char *tmpl, char *why, size_t cap);
/* Whether the profile runs scenario `sc`: NULL if it does, else why not
 * ("the client mode is implicit, the profile's is starttls"), in buf. */
const char *live_profile_skips(const struct live_profile *p, const struct scenario *sc, char *buf,
                               size_t cap);

#endif
