/* The scripted server core (harness/server.h): commands read as a real
 * server reads them, AUTH answered for the form the client chose with its
 * credentials checked (RFC 4954 4), BDAT chunks taken by their size (RFC
 * 3030 2). */
#include "check.h"
#include "scenario.h"
#include "scenario_text.h"
#include "server.h"

#include <string.h>

static struct scenario sc;
static struct sc_server srv;

/* Everything the server sends now, as one string ("" when it waits). */
static const char *answers(void)
{
  static char out[8192];
  size_t o = 0;
  struct sc_step st;
  out[0] = '\0';
  for (int guard = 0; guard < 64 && sc_server_next(&srv, &st); guard++) {
    if (st.kind == SC_ACT_SEND && o + st.len < sizeof out) {
      memcpy(out + o, st.bytes, st.len);
      o += st.len;
    }
    if (st.kind == SC_ACT_TLS)
      sc_server_tls_up(&srv);
  }
  out[o] = '\0';
  return out;
}

static int starts(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A submission server over TLS, the greeting and EHLO done. */
static void over_tls(void)
{
  scenario_init(&sc); /* user alice, password s3cret-Pa55 */
  sc_server_init(&srv, &sc);
  CHECK(starts(answers(), "220 "));
  sc_server_input(&srv, (const uint8_t *)"STARTTLS\r\n", 10);
  CHECK(starts(answers(), "220 2.0.0"));
  CHECK(srv.tls);
}

static const char *say(const char *line)
{
  sc_server_input(&srv, (const uint8_t *)line, strlen(line));
  return answers();
}

static void test_auth_forms(void)
{
  /* base64 of "\0alice\0s3cret-Pa55", of "alice" and of "s3cret-Pa55". */
  const char *plain = "AGFsaWNlAHMzY3JldC1QYTU1";
  over_tls();
  char line[256];
  snprintf(line, sizeof line, "AUTH PLAIN %s\r\n", plain);
  CHECK(starts(say(line), "235 "));
  over_tls();
  CHECK(starts(say("AUTH PLAIN AGFsaWNlAHdyb25n\r\n"), "535 5.7.8")); /* \0alice\0wrong */
  over_tls();
  CHECK(starts(say("AUTH PLAIN bm90IGJhc2U2NA\r\n"), "535 ")); /* not base64 */
  /* Without an initial response: an empty challenge, then the response. */
  over_tls();
  CHECK(strcmp(say("auth\tplain\r\n"), "334 \r\n") == 0);
  snprintf(line, sizeof line, "%s\r\n", plain);
  CHECK(starts(say(line), "235 "));
  /* With an authorization identity, as some clients send. */
  over_tls();
  CHECK(starts(say("AUTH PLAIN YWxpY2UAYWxpY2UAczNjcmV0LVBhNTU=\r\n"), "235 "));
  /* LOGIN: two prompts; with an initial response, only the second. */
  over_tls();
  CHECK(starts(say("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6"));
  CHECK(starts(say("YWxpY2U=\r\n"), "334 UGFzc3dvcmQ6"));
  CHECK(starts(say("czNjcmV0LVBhNTU=\r\n"), "235 "));
  over_tls();
  CHECK(starts(say("AUTH LOGIN YWxpY2U=\r\n"), "334 UGFzc3dvcmQ6"));
  CHECK(starts(say("czNjcmV0LVBhNTU=\r\n"), "235 "));
  over_tls();
  CHECK(starts(say("AUTH LOGIN Ym9i\r\n"), "334 UGFzc3dvcmQ6")); /* bob */
  CHECK(starts(say("czNjcmV0LVBhNTU=\r\n"), "535 "));
  /* "*" cancels (RFC 4954 4); a mechanism not offered is refused. */
  over_tls();
  CHECK(starts(say("AUTH LOGIN\r\n"), "334 "));
  CHECK(starts(say("*\r\n"), "501 "));
  over_tls();
  CHECK(starts(say("AUTH CRAM-MD5\r\n"), "504 "));
  /* Before TLS the submission server wants STARTTLS first, whatever the form. */
  scenario_init(&sc);
  sc_server_init(&srv, &sc);
  answers();
  CHECK(starts(say("AUTH PLAIN AGFsaWNlAHMzY3JldC1QYTU1\r\n"), "530 "));
  /* A rule still wins over the default answer. */
  size_t line_no;
  const char *reason;
  const char *text = "on auth tls: send \"454 4.7.0 try later\\r\\n\"\n";
  CHECK(scenario_parse_text(&sc, text, strlen(text), &line_no, &reason) == SF_ERR_OK);
  sc_server_init(&srv, &sc);
  answers();
  say("STARTTLS\r\n");
  CHECK(starts(say("AUTH PLAIN AGFsaWNlAHMzY3JldC1QYTU1\r\n"), "454 "));
}

static void test_bdat(void)
{
  over_tls();
  /* The chunk is taken by its size, CRLF and dots and all, answered once. */
  CHECK(strcmp(say("BDAT 13\r\n"), "") == 0);
  CHECK(strcmp(say("line\r\n.\r\nQUI"), "") == 0);
  CHECK(starts(say("T"), "250 2.0.0 Ok: chunk"));
  CHECK(starts(say("BDAT 0 LAST\r\n"), "250 2.0.0 Ok: queued"));
  CHECK(starts(say("bdat 3 last\r\nabc"), "250 2.0.0 Ok: queued"));
  CHECK(starts(say("BDAT x\r\n"), "501 "));
  CHECK(starts(say("BDAT 5 NOW\r\n"), "501 "));
  /* Afterwards, lines are commands again. */
  CHECK(starts(say("QUIT\r\n"), "221 "));
  uint64_t size;
  int last;
  CHECK(cmd_bdat_parse((const uint8_t *)"BDAT 100 LAST", 13, &size, &last) && size == 100 && last);
  CHECK(!cmd_bdat_parse((const uint8_t *)"BDAT  100", 9, &size, &last));
  CHECK(!cmd_bdat_parse((const uint8_t *)"BDATE 1", 7, &size, &last));
}

static void test_deaf_and_repeat(void)
{
  size_t line_no;
  const char *reason;
  const char *text =
      "on connect: send \"220-\"; send \"x\" * 600; send \"\\r\\n220 ok\\r\\n\"; deaf\n";
  CHECK(scenario_parse_text(&sc, text, strlen(text), &line_no, &reason) == SF_ERR_OK);
  sc_server_init(&srv, &sc);
  struct sc_step st;
  CHECK(sc_server_next(&srv, &st) && st.kind == SC_ACT_SEND && st.len == 4);
  CHECK(sc_server_next(&srv, &st) && st.kind == SC_ACT_SEND && st.len == 1 && st.repeat == 600);
  CHECK(sc_server_next(&srv, &st) && st.kind == SC_ACT_SEND);
  CHECK(sc_server_next(&srv, &st) && st.kind == SC_ACT_DEAF && srv.deaf);
  CHECK(!sc_server_next(&srv, &st));
}

int main(void)
{
  test_auth_forms();
  test_bdat();
  test_deaf_and_repeat();
  return check_report("server");
}
