#define _GNU_SOURCE /* pipe2, sigabbrev_np */
#include "live/live_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *lookup(const struct live_vars *v, const char *name, size_t n)
{
  static const struct {
    const char *name;
    size_t off;
  } table[] = {
#define VAR(x) {#x, offsetof(struct live_vars, x)}
      VAR(host),   VAR(addr), VAR(port), VAR(user),    VAR(password),
      VAR(cafile), VAR(from), VAR(to),   VAR(message), VAR(dir),
#undef VAR
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strlen(table[i].name) == n && memcmp(table[i].name, name, n) == 0) {
      const char *s = *(const char *const *)((const char *)v + table[i].off);
      return s ? s : "";
    }
  return NULL;
}

int live_expand(const char *tmpl, const struct live_vars *v, char *out, size_t cap,
                const char **reason)
{
  size_t used = 0;
  for (const char *p = tmpl; *p;) {
    const char *piece = p;
    size_t len = 1;
    if (p[0] == '{' && p[1] == '{') {
      p += 2;
    } else if (p[0] == '{') {
      const char *end = strchr(p, '}');
      if (!end) {
        *reason = "unterminated '{' in a command argument";
        return -1;
      }
      piece = lookup(v, p + 1, (size_t)(end - p - 1));
      if (!piece) {
        *reason = "unknown placeholder (known: {host} {addr} {port} {user} {password} {cafile} "
                  "{from} {to} {message} {dir})";
        return -1;
      }
      len = strlen(piece);
      p = end + 1;
    } else {
      p++;
    }
    if (used + len >= cap) {
      *reason = "a command argument is too long after expansion";
      return -1;
    }
    memcpy(out + used, piece, len);
    used += len;
  }
  out[used] = '\0';
  return 0;
}

#define MAX_ENV 1024

int live_spawn(struct live_child *ch, char *const argv[], const char *stdin_path, int out_fd,
               const char *home)
{
  static char *env[MAX_ENV + 2];
  static char home_var[LIVE_ARG_MAX + 8];
  char **envp = environ;
  if (home) {
    size_t n = 0;
    for (char **e = environ; *e && n < MAX_ENV; e++)
      if (strncmp(*e, "HOME=", 5) != 0)
        env[n++] = *e;
    snprintf(home_var, sizeof(home_var), "HOME=%s", home);
    env[n++] = home_var;
    env[n] = NULL;
    envp = env;
  }
  memset(ch, 0, sizeof(*ch));
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, stdin_path ? stdin_path : "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  /* Default dispositions for everything we might ignore or catch. */
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  sigaddset(&def, SIGINT);
  sigaddset(&def, SIGTERM);
  sigaddset(&def, SIGCHLD);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return rc;
  ch->pid = pid;
  return 0;
}

static void reaped(struct live_child *ch, int st)
{
  ch->exited = WIFEXITED(st);
  ch->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  ch->signaled = WIFSIGNALED(st);
  ch->sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

pid_t live_fork_piped(int *fd)
{
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0)
    return -1;
  fflush(NULL); /* nothing buffered is written twice */
  pid_t pid = fork();
  if (pid < 0) {
    close(pfd[0]);
    close(pfd[1]);
    return -1;
  }
  close(pfd[pid == 0 ? 0 : 1]);
  *fd = pfd[pid == 0 ? 1 : 0];
  return pid;
}

int live_child_poll(struct live_child *ch)
{
  if (ch->pid <= 0)
    return 1;
  int st = 0;
  pid_t r = waitpid(ch->pid, &st, WNOHANG);
  if (r == ch->pid) {
    reaped(ch, st);
    ch->pid = -ch->pid; /* remember it ended; never signal it again */
    return 1;
  }
  if (r < 0 && errno == ECHILD) {
    ch->pid = -ch->pid;
    return 1;
  }
  return 0;
}

void live_child_describe(const struct live_child *ch, char *out, size_t cap)
{
  if (ch->exited) {
    snprintf(out, cap, "exit status %d", ch->status);
    return;
  }
  if (ch->signaled) {
    const char *name = sigabbrev_np(ch->sig);
    snprintf(out, cap, "killed by signal %d%s%s%s", ch->sig, name ? " (SIG" : "", name ? name : "",
             name ? ")" : "");
    return;
  }
  snprintf(out, cap, "ended, status unknown");
}

/* ---- the client's output ----------------------------------------------------------- */

int live_output_open(struct live_output *o, const char *log_path, size_t cap)
{
  memset(o, 0, sizeof(*o));
  o->read_fd = o->write_fd = o->log_fd = -1;
  o->cap = cap;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0)
    return -1;
  o->read_fd = p[0];
  o->write_fd = p[1];
  (void)fcntl(o->read_fd, F_SETFL, fcntl(o->read_fd, F_GETFL) | O_NONBLOCK);
  if (log_path) {
    o->log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (o->log_fd < 0) {
      int e = errno;
      close(p[0]);
      close(p[1]);
      o->read_fd = o->write_fd = -1;
      errno = e;
      return -1;
    }
  }
  return 0;
}

void live_output_drain(struct live_output *o)
{
  char buf[16384];
  for (int guard = 0; guard < 64 && o->read_fd >= 0; guard++) {
    ssize_t n = read(o->read_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    size_t room = o->kept < o->cap ? o->cap - o->kept : 0;
    size_t k = (size_t)n < room ? (size_t)n : room;
    if (k > 0 && o->log_fd >= 0 && write(o->log_fd, buf, k) != (ssize_t)k)
      k = 0;
    o->kept += k;
    o->dropped += (size_t)n - k;
  }
}

void live_output_close(struct live_output *o)
{
  if (o->write_fd >= 0)
    close(o->write_fd);
  o->write_fd = -1;
  live_output_drain(o);
  if (o->log_fd >= 0 && o->dropped) {
    char note[160];
    int n = snprintf(note, sizeof(note),
                     "\n[smtpfuzz: the log was cut at %zu bytes; %zu more were dropped]\n", o->cap,
                     o->dropped);
    if (n > 0 && write(o->log_fd, note, (size_t)n) < 0) {
      /* a log that cannot be written loses only its note */
    }
  }
  if (o->log_fd >= 0)
    close(o->log_fd);
  if (o->read_fd >= 0)
    close(o->read_fd);
  o->log_fd = o->read_fd = -1;
}
