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
  pid_t pid; /* also the process group id; negative once reaped */
  int exited, signaled, status, sig;
};

/* Starts argv (argv[0] looked up in PATH) in a new process group with stdin
 * from `stdin_path` (NULL: /dev/null), stdout+stderr to `out_fd` (-1:
 * /dev/null) and our environment with HOME set to `home` (NULL: as it is).
 * Descriptors of ours are close-on-exec, so it inherits none. Returns 0,
 * or an errno value (the program cannot be started). */
int live_spawn(struct live_child *ch, char *const argv[], const char *stdin_path, int out_fd,
               const char *home);
/* Forks a worker of ours (no exec) with a pipe back to us, both ends
 * close-on-exec. Returns the pid with *fd the read end (the parent), 0 with
 * *fd the write end (the child), or -1 (no pipe or no fork; nothing left
 * open). */
pid_t live_fork_piped(int *fd);
/* Reaps the child if it has ended; 1 if it has. */
int live_child_poll(struct live_child *ch);
/* "exit status 1", "killed by signal 11 (SIGSEGV)". */
void live_child_describe(const struct live_child *ch, char *out, size_t cap);

/* A client's output: a pipe it writes to and we drain into a log file,
 * keeping at most `cap` bytes, so a client that writes without end neither
 * fills the disk nor blocks on a full pipe. */
struct live_output {
  int read_fd, write_fd; /* write_fd goes to the client, then is closed here */
  int log_fd;
  size_t cap, kept, dropped;
};

/* 0, or -1 with errno. `log_path` NULL: drained and dropped. */
int live_output_open(struct live_output *o, const char *log_path, size_t cap);
/* Reads what is there (never blocks); bounded per call. */
void live_output_drain(struct live_output *o);
/* Drains what is left, notes a cut, closes. */
void live_output_close(struct live_output *o);

#endif
