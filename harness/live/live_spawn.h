/* Starting a client program under test: an argument vector with
 * placeholders, expanded per scenario, started with posix_spawnp (never a
 * shell) in its own process group, and stopped by that group's id.
 *
 * Placeholders: {host} (the name the client must expect in the certificate),
 * {addr} (the loopback address it connects to), {port}, {user}, {password},
 * {cafile}, {from}, {to} (the first recipient), {message} (a file holding the
 * message), {dir} (a private scratch folder), and {{ for a literal "{".
 */
#ifndef SF_LIVE_SPAWN_H
#define SF_LIVE_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LIVE_MAX_ARGS 64
#define LIVE_ARG_MAX  1024

struct live_vars {
  const char *host, *addr, *port, *user, *password, *cafile, *from, *to, *message, *dir;
};

/* Expands one template argument into out; 0, or -1 with *reason (unknown
 * placeholder, unterminated brace, too long). */
int live_expand(const char *tmpl, const struct live_vars *v, char *out, size_t cap,
                const char **reason);

struct live_child {
  pid_t pid; /* also the process group id */
  int exited, signaled, status, sig;
  int killed; /* we stopped it at its budget */
};

/* Starts argv (argv[0] looked up in PATH) in a new process group with stdin
 * from `stdin_path` (NULL: /dev/null) and stdout+stderr to `log_path` (NULL:
 * /dev/null). Returns 0, or an errno value (the program cannot be started). */
int live_spawn(struct live_child *ch, char *const argv[], const char *stdin_path,
               const char *log_path);
/* Reaps the child if it has ended; 1 if it has. */
int live_child_poll(struct live_child *ch);
/* Waits until the child ends or `deadline_ms` (live_now_ms clock); then, if
 * it still runs, kills its process group (SIGKILL, by the group id we made)
 * and reaps it. Returns 1 if it ended by itself. */
int live_child_wait(struct live_child *ch, uint64_t deadline_ms);
/* Kills the group at once and reaps (bounded). */
void live_child_kill(struct live_child *ch);

#endif
