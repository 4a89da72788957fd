/* The scripted server's command reader (harness/cmd_reader.h): the same
 * client bytes must give the same commands however they are cut into adds,
 * a message of many lines included, larger than the reader's buffer. */
#include "check.h"
#include "cmd_reader.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CMDS 64

struct got {
  enum sc_verb verb[MAX_CMDS];
  size_t len[MAX_CMDS];
  uint64_t chunk_size[MAX_CMDS];
  int chunk_last[MAX_CMDS];
  size_t n;
};

/* A fresh reader and an empty record of what it gave (static: the reader's
 * buffers are large). */
struct run {
  struct cmd_reader r;
  struct got g;
};

static struct run *start(void)
{
  static struct run run;
  cmd_reader_init(&run.r);
  memset(&run.g, 0, sizeof run.g);
  return &run;
}

static void drain(struct run *run)
{
  struct got *g = &run->g;
  struct cmd c;
  while (g->n < MAX_CMDS && cmd_reader_next(&run->r, 0, &c)) {
    g->verb[g->n] = c.verb;
    g->len[g->n] = c.len;
    g->chunk_size[g->n] = c.chunk_size;
    g->chunk_last[g->n] = c.chunk_last;
    g->n++;
  }
}

/* p[0..n) in adds of at most `step` bytes, the commands taken after each;
 * what does not fit is offered again once they are. */
static void feed(struct run *run, const char *p, size_t n, size_t step)
{
  size_t off = 0;
  for (int guard = 0; off < n && guard < 1000000; guard++) {
    size_t want = n - off < step ? n - off : step;
    off += cmd_reader_add(&run->r, (const uint8_t *)p + off, want);
    drain(run);
  }
  CHECKF(off == n, "%zu of %zu bytes taken", off, n);
}

static char *message_of_lines(size_t lines, size_t *len)
{
  char *m = malloc(lines * 16 + 16);
  size_t k = 0;
  for (size_t i = 0; i < lines; i++)
    k += (size_t)sprintf(m + k, "line %06zu\r\n", i);
  k += (size_t)sprintf(m + k, ".\r\nQUIT\r\n");
  *len = k;
  return m;
}

/* A message three times the buffer, then QUIT: one BODY, one QUIT, whatever
 * the adds. */
static void test_long_message(size_t step)
{
  struct run *t = start();
  const char *cmds = "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n";
  feed(t, cmds, strlen(cmds), step);
  const char *go = "354 go ahead\r\n";
  cmd_reader_server_sent(&t->r, (const uint8_t *)go, strlen(go));
  size_t len;
  char *m = message_of_lines(3 * CMD_READER_BUF / 13, &len);
  CHECK(len > 2 * CMD_READER_BUF);
  feed(t, m, len, step);
  free(m);
  enum sc_verb want[] = {SC_VERB_EHLO, SC_VERB_MAIL, SC_VERB_RCPT,
                         SC_VERB_DATA, SC_VERB_BODY, SC_VERB_QUIT};
  CHECKF(t->g.n == 6, "step %zu: %zu commands", step, t->g.n);
  for (size_t i = 0; i < 6 && i < t->g.n; i++)
    CHECKF(t->g.verb[i] == want[i], "step %zu: command %zu is verb %d", step, i, (int)t->g.verb[i]);
}

/* A BDAT chunk whose bytes look like commands, cut anywhere. */
static void test_bdat(size_t step)
{
  struct run *t = start();
  const char *s = "BDAT 12 LAST\r\nQUIT\r\nRSET\r\nNOOP\r\n";
  feed(t, s, strlen(s), step);
  CHECKF(t->g.n == 2, "step %zu: %zu commands", step, t->g.n);
  if (t->g.n == 2) {
    CHECK(t->g.verb[0] == SC_VERB_BDAT && t->g.chunk_size[0] == 12 && t->g.chunk_last[0] == 1);
    CHECK(t->g.verb[1] == SC_VERB_NOOP);
  }
}

/* A line longer than the buffer is acted on once the buffer holds nothing
 * else and is full (not as soon as the bytes before it, here a NOOP in the
 * same add, have filled it), and its rest is a line of its own. */
static void test_endless_line(size_t step)
{
  struct run *t = start();
  size_t n = CMD_READER_BUF + 100;
  char *a = malloc(n + 8);
  memcpy(a, "NOOP\r\n", 6);
  memset(a + 6, 'A', n);
  memcpy(a + 6 + n, "\r\n", 2);
  feed(t, a, 6 + n, step);
  CHECKF(t->g.n == 2, "step %zu: %zu commands before the line end", step, t->g.n);
  feed(t, a + 6 + n, 2, step);
  free(a);
  CHECKF(t->g.n == 3, "step %zu: %zu commands", step, t->g.n);
  if (t->g.n == 3) {
    CHECK(t->g.verb[0] == SC_VERB_NOOP);
    CHECK(t->g.verb[1] == SC_VERB_OTHER && t->g.len[1] == CMD_LINE_MAX);
    CHECK(t->g.verb[2] == SC_VERB_OTHER && t->g.len[2] == 100);
  }
}

/* What follows STARTTLS in the same bytes (a TLS hello, or bytes a client
 * sent too early) is taken out unread, exactly those bytes, in order, in
 * pieces of `cap`, after the commands before them were read; the reader
 * then reads on as if empty. */
static void test_take_unread(size_t step, size_t cap)
{
  struct run *t = start();
  static const char in[] = "EHLO a\r\nSTARTTLS\r\n\x16\x03\x01\x00\x05hello";
  static const size_t rest = 10; /* the bytes after "STARTTLS\r\n" */
  feed(t, in, sizeof in - 1, step);
  CHECKF(t->g.n == 2 && t->g.verb[1] == SC_VERB_STARTTLS, "step %zu: %zu commands", step, t->g.n);
  uint8_t out[64];
  size_t got = 0;
  for (size_t k; got < sizeof out && (k = cmd_reader_take_unread(&t->r, out + got, cap)) > 0;)
    got += k;
  CHECKF(got == rest && memcmp(out, in + sizeof in - 1 - rest, rest) == 0,
         "step %zu, cap %zu: took %zu bytes", step, cap, got);
  feed(t, "NOOP\r\n", 6, step);
  CHECKF(t->g.n == 3 && t->g.verb[2] == SC_VERB_NOOP && t->g.len[2] == 4,
         "step %zu, cap %zu: after the take, %zu commands", step, cap, t->g.n);
}

int main(void)
{
  size_t steps[] = {1, 7, 512, 5000, CMD_READER_BUF, 1 << 20};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    test_long_message(steps[i]);
    test_bdat(steps[i]);
    test_endless_line(steps[i]);
    test_take_unread(steps[i], 1);
    test_take_unread(steps[i], 64);
  }
  return check_report("test_cmd_reader");
}
