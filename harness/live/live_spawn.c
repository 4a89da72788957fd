#include "live/live_spawn.h"

#include "live/live_conn.h"

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

int live_spawn(struct live_child *ch, char *const argv[], const char *stdin_path,
               const char *log_path)
{
  memset(ch, 0, sizeof(*ch));
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, stdin_path ? stdin_path : "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_path ? log_path : "/dev/null",
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  /* Default dispositions for everything we might ignore (SIGPIPE). */
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  sigaddset(&def, SIGINT);
  sigaddset(&def, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &def);
  (void)all;
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
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

void live_child_kill(struct live_child *ch)
{
  if (ch->pid <= 0)
    return;
  ch->killed = 1;
  kill(-ch->pid, SIGKILL); /* the group we created: the client and its helpers */
  for (int i = 0; i < 200 && !live_child_poll(ch); i++)
    poll(NULL, 0, 10);
  if (ch->pid > 0) /* not reaped within 2 s (uninterruptible sleep): give up on it */
    ch->pid = -ch->pid;
}

int live_child_wait(struct live_child *ch, uint64_t deadline_ms)
{
  for (int i = 0; i < 100000; i++) {
    if (live_child_poll(ch))
      return 1;
    uint64_t now = live_now_ms();
    if (now >= deadline_ms)
      break;
    uint64_t left = deadline_ms - now;
    poll(NULL, 0, left < 10 ? (int)left : 10);
  }
  live_child_kill(ch);
  return 0;
}
