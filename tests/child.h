/* For the tests that need a crash: run a function in a child process and
 * keep what it wrote to stderr (a sanitizer's report). */
#ifndef SF_TEST_CHILD_H
#define SF_TEST_CHILD_H

#include <stddef.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long a child may run: SIGALRM ends one that hangs, so the read and
 * the wait below end too (the status then shows no abort). */
#define CHILD_SECONDS 60

/* Runs f() in a child, its stderr read into out (cap bytes, NUL-terminated,
 * the rest dropped); returns its wait status, or -1 if it could not run. */
static inline int child_run(void (*f)(void), char *out, size_t cap)
{
  int fd[2];
  if (cap == 0 || pipe(fd) != 0)
    return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fd[0]);
    close(fd[1]);
    return -1;
  }
  if (pid == 0) {
    close(fd[0]);
    dup2(fd[1], 2);
    alarm(CHILD_SECONDS);
    f();
    _exit(0);
  }
  close(fd[1]);
  size_t len = 0;
  ssize_t n;
  while (len < cap - 1 && (n = read(fd[0], out + len, cap - 1 - len)) > 0)
    len += (size_t)n;
  out[len] = '\0';
  close(fd[0]);
  int status = 0;
  return waitpid(pid, &status, 0) == pid ? status : -1;
}

#endif
