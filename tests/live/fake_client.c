/* A client program with one known way of waiting, for the audit's tests
 * (tests/live/audit_judge.sh): what `smtpfuzz audit` must make of each.
 *
 *   fake_client MODE ADDR PORT [FILE]
 *
 * MODE (the first seven wait for the answer to their EHLO, which the
 * server of tests/live/ehlo-unanswered.scn never gives):
 *   hang      EHLO, then a read on the connection with no timeout
 *   slow      EHLO, then poll() on the connection with a 30 s timeout
 *   rcvtimeo  EHLO, then a read with SO_RCVTIMEO 40 s
 *   alarm     EHLO, then a read with a SIGALRM handler and alarm(100)
 *   tick      EHLO, then poll() 200 ms after 200 ms, for ever
 *   threads-hang  EHLO, then a read with no timeout, while a second thread
 *             wakes every 50 ms (a runtime's housekeeping: a JVM has many)
 *   threads-slow  the same with poll() on the connection, 30 s timeout
 *   deadlock  EHLO and its answer, then poll() 30 s with nothing sent: it
 *             waits for an answer to a command it never sent
 *   nap       EHLO, then a 2 s sleep of its own, then QUIT, exit 0: neither
 *             SLOW nor HANG (FALSE_SUCCESS: it sent no message)
 *   quit      QUIT after the greeting, exit 0 (FALSE_SUCCESS: no message)
 *   crash     abort() after the greeting
 *   orphan    QUIT, then leave a setsid() grandchild that ignores SIGTERM
 *             (its pid written to FILE) and a child that ignores it too
 *   flood     16 MiB to stdout, then QUIT
 *   noconnect pause() without connecting
 *   refuse    exit 3 without connecting
 *   retry     EHLO, STARTTLS, then, as if its handshake had failed, a new
 *             connection that delivers in plaintext (the retry in clear
 *             some clients make)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A thread that keeps house: a timed wait of 50 ms, again and again
 * (bounded: about 80 minutes; the audit ends the client long before). */
static void *housekeeping(void *arg)
{
  (void)arg;
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  pthread_mutex_lock(&m);
  for (int i = 0; i < 100000; i++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&c, &m, &ts);
  }
  pthread_mutex_unlock(&m);
  return NULL;
}

static int conn(const char *addr, const char *port)
{
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)atoi(port));
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
    exit(2);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
    exit(2);
  return fd;
}

/* Reads until a reply's last line ("ddd ") has come. */
static void reply(int fd)
{
  char buf[4096];
  size_t used = 0;
  for (int guard = 0; guard < 1000 && used < sizeof(buf) - 1; guard++) {
    ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
    if (n <= 0)
      exit(1);
    used += (size_t)n;
    buf[used] = '\0';
    for (char *line = buf; line && *line;) {
      char *nl = strchr(line, '\n');
      if (!nl)
        break;
      if (nl - line >= 4 && line[3] == ' ')
        return;
      line = nl + 1;
    }
  }
}

static void say(int fd, const char *s)
{
  if (write(fd, s, strlen(s)) < 0)
    exit(1);
}

static void on_alarm(int sig)
{
  (void)sig;
  _exit(4);
}

int main(int argc, char **argv)
{
  if (argc < 4)
    return 2;
  const char *mode = argv[1];
  if (strcmp(mode, "noconnect") == 0) {
    pause();
    return 0;
  }
  if (strcmp(mode, "refuse") == 0)
    return 3;
  if (strcmp(mode, "flood") == 0) {
    static char block[65536];
    memset(block, 'y', sizeof(block));
    for (int i = 0; i < 256; i++)
      if (write(1, block, sizeof(block)) < 0)
        return 1;
  }
  int fd = conn(argv[2], argv[3]);
  reply(fd);
  char buf[4096];
  if (strcmp(mode, "crash") == 0)
    abort();
  if (strcmp(mode, "quit") == 0 || strcmp(mode, "flood") == 0 || strcmp(mode, "orphan") == 0) {
    say(fd, "QUIT\r\n");
    reply(fd);
    if (strcmp(mode, "orphan") == 0) {
      /* Both ignore SIGTERM from their first instant, and this process ends
       * only once the grandchild is set up: what the audit finds is known. */
      int ready[2];
      signal(SIGTERM, SIG_IGN);
      if (pipe(ready) != 0)
        return 1;
      if (fork() == 0) {
        if (fork() == 0) {
          setsid();
          FILE *f = argc > 4 ? fopen(argv[4], "w") : NULL;
          if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
          }
          if (write(ready[1], "x", 1) != 1)
            _exit(1);
          for (;;)
            pause();
        }
        for (;;)
          pause();
      }
      char x;
      if (read(ready[0], &x, 1) != 1)
        return 1;
    }
    return 0;
  }
  say(fd, "EHLO fake.invalid\r\n");
  const char *wait = strncmp(mode, "threads-", 8) == 0 ? mode + 8 : mode;
  int waits_for_ehlo = strcmp(wait, "hang") == 0 || strcmp(wait, "slow") == 0 ||
                       strcmp(wait, "rcvtimeo") == 0 || strcmp(wait, "alarm") == 0 ||
                       strcmp(wait, "tick") == 0;
  if (!waits_for_ehlo)
    reply(fd);
  if (strcmp(mode, "deadlock") == 0)
    mode = "slow";
  if (strcmp(mode, "retry") == 0) {
    say(fd, "STARTTLS\r\n");
    reply(fd);
    close(fd);
    fd = conn(argv[2], argv[3]);
    reply(fd);
    static const char *const plain[] = {
        "EHLO fake.invalid\r\n",         "MAIL FROM:<a@example.org>\r\n",
        "RCPT TO:<b@example.com>\r\n",   "DATA\r\n",
        "Subject: x\r\n\r\nhi\r\n.\r\n", "QUIT\r\n"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
      say(fd, plain[i]);
      reply(fd);
    }
    return 0;
  }
  if (strncmp(mode, "threads-", 8) == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, housekeeping, NULL) != 0)
      return 2;
    mode += 8; /* then as "hang" or "slow" */
  }
  if (strcmp(mode, "hang") == 0) {
    return read(fd, buf, sizeof(buf)) > 0 ? 0 : 1;
  }
  if (strcmp(mode, "slow") == 0) {
    struct pollfd pfd = {fd, POLLIN, 0};
    return poll(&pfd, 1, 30000) == 1 ? 0 : 1;
  }
  if (strcmp(mode, "rcvtimeo") == 0) {
    struct timeval tv = {40, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return read(fd, buf, sizeof(buf)) > 0 ? 0 : 1;
  }
  if (strcmp(mode, "alarm") == 0) {
    signal(SIGALRM, on_alarm);
    alarm(100);
    return read(fd, buf, sizeof(buf)) > 0 ? 0 : 1;
  }
  if (strcmp(mode, "nap") == 0) {
    struct timespec ts = {2, 0};
    nanosleep(&ts, NULL);
    say(fd, "QUIT\r\n");
    reply(fd);
    return 0;
  }
  if (strcmp(mode, "tick") == 0) {
    for (;;) {
      struct pollfd pfd = {fd, POLLIN, 0};
      if (poll(&pfd, 1, 200) == 1)
        return 0;
    }
  }
  return 2;
}
