/* An outside project's adapter, built against the installed smtpfuzz
 * harness only (tests/install_outside.sh): a tiny SMTP client that never
 * starts TLS, put under one scenario with the simulated server, judged by
 * the oracles.
 *
 *   adapter SCENARIO.scn    prints "verdicts: NAME..." ("none" when none)
 *
 * It sends EHLO, then AUTH PLAIN with the scenario's credentials whatever
 * the server offered, then QUIT: on a STARTTLS server that is LEAK_AUTH. */
#include "client.h"
#include "oracle.h"
#include "scenario.h"
#include "scenario_text.h"
#include "sim.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 30000 /* every wait's deadline, in virtual time */

enum step { GREETING, EHLO, AUTH, QUIT, END };

struct tiny_client {
  struct sc_client base;
  const struct sf_config *cfg;
  enum step step;
  int failed;
  uint64_t deadline;
  char out[1024];
  size_t out_len;
  char line[1024];
  size_t line_len;
};

static void say(struct tiny_client *t, const char *text)
{
  size_t n = strlen(text);
  if (n <= sizeof t->out - t->out_len) {
    memcpy(t->out + t->out_len, text, n);
    t->out_len += n;
  }
}

static void b64(const unsigned char *in, size_t n, char *out)
{
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16;
    v |= i + 1 < n ? (unsigned)in[i + 1] << 8 : 0;
    v |= i + 2 < n ? in[i + 2] : 0;
    *out++ = abc[v >> 18];
    *out++ = abc[(v >> 12) & 63];
    *out++ = i + 1 < n ? abc[(v >> 6) & 63] : '=';
    *out++ = i + 2 < n ? abc[v & 63] : '=';
  }
  *out = '\0';
}

/* The last line of a reply ("250 ..."): go to the next step. */
static void on_reply(struct tiny_client *t, uint64_t now)
{
  char cmd[700];
  unsigned char token[300];
  char encoded[420];
  size_t ulen = strlen(t->cfg->user ? t->cfg->user : "");
  size_t plen = strlen(t->cfg->password ? t->cfg->password : "");
  switch (t->step) {
  case GREETING:
    say(t, "EHLO outside.example\r\n");
    t->step = EHLO;
    break;
  case EHLO:
    /* RFC 4616: authzid NUL authcid NUL passwd. */
    if (ulen + plen + 2 > sizeof token) {
      t->failed = 1;
      t->step = END;
      return;
    }
    token[0] = '\0';
    memcpy(token + 1, t->cfg->user, ulen);
    token[1 + ulen] = '\0';
    memcpy(token + 2 + ulen, t->cfg->password, plen);
    b64(token, ulen + plen + 2, encoded);
    snprintf(cmd, sizeof cmd, "AUTH PLAIN %s\r\n", encoded);
    say(t, cmd);
    t->step = AUTH;
    break;
  case AUTH:
    say(t, "QUIT\r\n");
    t->step = QUIT;
    break;
  case QUIT:
  case END:
    t->step = END;
    return;
  }
  t->deadline = now + WAIT_MS;
}

static struct tiny_client *self(struct sc_client *c)
{
  return (struct tiny_client *)c;
}

static void tiny_start(struct sc_client *c, uint64_t now)
{
  self(c)->deadline = now + WAIT_MS;
}

static size_t tiny_take(struct sc_client *c, uint8_t *out, size_t cap, uint64_t now)
{
  struct tiny_client *t = self(c);
  (void)now;
  size_t n = t->out_len < cap ? t->out_len : cap;
  memcpy(out, t->out, n);
  memmove(t->out, t->out + n, t->out_len - n);
  t->out_len -= n;
  return n;
}

static size_t tiny_feed(struct sc_client *c, const uint8_t *in, size_t len, uint64_t now)
{
  struct tiny_client *t = self(c);
  for (size_t i = 0; i < len && t->step != END; i++) {
    if (t->line_len < sizeof t->line)
      t->line[t->line_len++] = (char)in[i];
    if (in[i] != '\n')
      continue;
    /* "ddd " ends a reply (RFC 5321 4.2.1); 4xx and 5xx end the session. */
    if (t->line_len >= 4 && t->line[3] == ' ') {
      if (t->line[0] != '2' && t->line[0] != '3') {
        t->failed = t->step != QUIT;
        t->step = END;
      } else {
        on_reply(t, now);
      }
    }
    t->line_len = 0;
  }
  return len;
}

static void tiny_eof(struct sc_client *c, uint64_t now)
{
  (void)now;
  self(c)->failed |= self(c)->step != END;
  self(c)->step = END;
}

static void tiny_tick(struct sc_client *c, uint64_t now)
{
  struct tiny_client *t = self(c);
  if (t->step != END && now >= t->deadline) {
    t->failed = 1;
    t->step = END;
  }
}

static uint64_t tiny_deadline(const struct sc_client *c)
{
  const struct tiny_client *t = (const struct tiny_client *)c;
  return t->step == END ? SC_NO_DEADLINE : t->deadline;
}

static enum sc_client_status tiny_status(const struct sc_client *c)
{
  const struct tiny_client *t = (const struct tiny_client *)c;
  if (t->step != END)
    return SC_CLIENT_RUNNING;
  return t->failed ? SC_CLIENT_FAILED : SC_CLIENT_DONE;
}

static enum sf_err tiny_error(const struct sc_client *c)
{
  (void)c;
  return SF_ERR_OK;
}

static const char *tiny_diagnosis(const struct sc_client *c)
{
  return tiny_status(c) == SC_CLIENT_RUNNING ? "" : "the tiny client ended";
}

static const struct sc_client_ops tiny_ops = {
    .name = "tiny",
    .reports_errors = 0,
    .start = tiny_start,
    .take = tiny_take,
    .feed = tiny_feed,
    .eof = tiny_eof,
    .tick = tiny_tick,
    .deadline = tiny_deadline,
    .status = tiny_status,
    .error = tiny_error,
    .diagnosis = tiny_diagnosis,
};

int main(int argc, char **argv)
{
  static char text[65536];
  static struct scenario sc;
  static struct tiny_client client;
  static struct wire w;
  static struct sim_result res;
  static struct oracle_report rep;
  if (argc != 2) {
    fprintf(stderr, "usage: adapter SCENARIO.scn\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  size_t len = f ? fread(text, 1, sizeof text, f) : 0;
  if (f == NULL || len == sizeof text) {
    fprintf(stderr, "adapter: cannot read %s\n", argv[1]);
    return 2;
  }
  fclose(f);
  size_t line = 0;
  const char *reason = "";
  if (scenario_parse_text(&sc, text, len, &line, &reason) != SF_ERR_OK) {
    fprintf(stderr, "%s:%zu: %s\n", argv[1], line, reason);
    return 2;
  }
  client.base.ops = &tiny_ops;
  client.cfg = &sc.cfg;
  sim_run(&sc, &client.base, &w, &res);
  unsigned verdicts = oracle_judge(&sc, &w, &res, &rep);
  printf("client ended: %s\nverdicts:", sc_client_status_name(res.status));
  for (int v = 0; v < SC_V_COUNT; v++)
    if (verdicts & ORACLE_BIT(v))
      printf(" %s", sc_verdict_name((enum sc_verdict)v));
  puts(verdicts ? "" : " none");
  return 0;
}
