/* Reply parser throughput on a realistic mix of server replies, against a
 * plain memchr scan for line ends over the same bytes in the same run
 * (the goal: within 2x of memchr).
 *
 *   reply_throughput [MEGABYTES [REPETITIONS]]     defaults 8 and 9
 *
 * The mix: multiline EHLO replies as large providers send them, long
 * greetings and 4xx/5xx texts with enhanced status codes, and short codes
 * (250 OK, 354, 221). Each repetition parses the whole buffer from start to
 * end as one stream; the median of the repetitions is reported. Output: one
 * line "parser_mbps=... memchr_mbps=... ratio=... replies=... bytes=...".
 */
#include "reply_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const mix[] = {
    "250-mx.google.com at your service, [203.0.113.7]\r\n250-SIZE 35882577\r\n"
    "250-8BITMIME\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n"
    "250-CHUNKING\r\n250 SMTPUTF8\r\n",
    "250-smtp.office365.com Hello [198.51.100.23]\r\n250-SIZE 157286400\r\n"
    "250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH LOGIN XOAUTH2\r\n"
    "250-8BITMIME\r\n250-BINARYMIME\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n",
    "220 mail.example.org ESMTP Postfix (Debian/GNU) ready; unsolicited bulk e-mail is "
    "prohibited, all connections are logged and monitored by the operators of this "
    "service, see https://example.org/policy for details\r\n",
    "250 2.1.0 Ok\r\n",
    "250 2.1.5 Ok\r\n",
    "354 End data with <CR><LF>.<CR><LF>\r\n",
    "250 2.0.0 Ok: queued as 4Xk2Lq0zVbz9vD1\r\n",
    "221 2.0.0 Bye\r\n",
    "220 2.0.0 Ready to start TLS\r\n",
    "454-4.7.0 TLS not available due to local problem; the administrator has been "
    "notified\r\n454 4.7.0 please try again later or use port 465\r\n",
    "235 2.7.0 Authentication successful\r\n",
    "550 5.7.1 Service unavailable, client host [192.0.2.1] blocked using "
    "zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1\r\n",
};
#define NMIX (sizeof(mix) / sizeof(mix[0]))

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
  qsort(v, n, sizeof(*v), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Volatile sink so the scans are not optimised away. */
static volatile size_t sink;

int main(int argc, char **argv)
{
  size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 8;
  size_t reps = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 9;
  if (mb == 0 || mb > 1024 || reps == 0 || reps > 1000) {
    fprintf(stderr, "usage: reply_throughput [MEGABYTES (1..1024) [REPETITIONS (1..1000)]]\n");
    return 2;
  }
  size_t cap = mb << 20, len = 0, nreplies = 0;
  char *buf = malloc(cap);
  double *tp = malloc(reps * sizeof(double));
  double *tm = malloc(reps * sizeof(double));
  if (!buf || !tp || !tm)
    return 1;
  /* A fixed pseudo-random order, the same every run. */
  unsigned x = 12345;
  for (;;) {
    x = x * 1103515245u + 12345u;
    const char *r = mix[(x >> 16) % NMIX];
    size_t n = strlen(r);
    if (len + n > cap)
      break;
    memcpy(buf + len, r, n);
    len += n;
    nreplies++;
  }

  static struct sf_reply_parser p;
  static struct sf_reply reply;
  for (size_t k = 0; k < reps; k++) {
    double t0 = now_s();
    sf_reply_parser_init(&p, 0);
    size_t off = 0, got = 0;
    while (off < len) {
      int n = sf_reply_parse(&p, buf + off, len - off, &reply);
      if (n <= 0) {
        fprintf(stderr, "reply_throughput: parser stopped at %zu (%d)\n", off, n);
        return 1;
      }
      off += (size_t)n;
      got++;
    }
    tp[k] = now_s() - t0;
    if (got != nreplies) {
      fprintf(stderr, "reply_throughput: %zu replies parsed, %zu written\n", got, nreplies);
      return 1;
    }

    t0 = now_s();
    size_t lines = 0;
    const char *q = buf, *end = buf + len;
    while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
      lines++;
      q++;
    }
    tm[k] = now_s() - t0;
    sink = lines;
  }
  double mbytes = (double)len / 1e6;
  double pm = mbytes / median(tp, reps), mm = mbytes / median(tm, reps);
  printf("parser_mbps=%.1f memchr_mbps=%.1f ratio=%.2f replies=%zu bytes=%zu reps=%zu\n", pm, mm,
         mm / pm, nreplies, len, reps);
  free(buf);
  free(tp);
  free(tm);
  return 0;
}
