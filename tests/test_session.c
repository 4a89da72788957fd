/* The session against scripted servers: one correct session per mode, and
 * one test per rule the engine enforces, each showing its named error. */
#include "session_script.h"

#include <stdio.h>
#include <string.h>

static void expect_end(const struct run *r, unsigned status, enum sf_err err, const char *what)
{
  unsigned st = sf_session_status(&r->s);
  CHECKF((st & (SF_DONE | SF_FAILED)) == status, "%s: status %#x, want %#x (%s: %s)", what, st,
         status, sf_err_name(sf_session_error(&r->s)), sf_session_diagnosis(&r->s));
  CHECKF(sf_session_error(&r->s) == err, "%s: error %s, want %s (%s)", what,
         sf_err_name(sf_session_error(&r->s)), sf_err_name(err), sf_session_diagnosis(&r->s));
  CHECKF(!(st & SF_WANT_SEND), "%s: output left unsent", what);
}

static int diag_has(const struct run *r, const char *needle)
{
  return strstr(sf_session_diagnosis(&r->s), needle) != NULL;
}

/* ---- correct sessions ----------------------------------------------------- */

static void test_plain_delivery(void)
{
  struct run r;
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  run_envelope(&r, "Subject: hi\n\n.hidden dot\nlast line");
  const struct step steps[] = {
      {SERVER, GREETING, 0},
      {CLIENT, HELLO, 0},
      {SERVER, "250-mx.example.com\r\n250 SIZE 1000\r\n", 0},
      {CLIENT, "MAIL FROM:<alice@example.org>\r\n", 0},
      {SERVER, "250 2.1.0 Ok\r\n", 0},
      {CLIENT, "RCPT TO:<bob@example.com>\r\n", 0},
      {SERVER, "250 2.1.5 Ok\r\n", 0},
      {CLIENT, "DATA\r\n", 0},
      {SERVER, "354 End data with <CR><LF>.<CR><LF>\r\n", 0},
      /* RFC 5321 4.5.2: a leading dot is doubled; LF becomes CRLF. */
      {CLIENT, "Subject: hi\r\n\r\n..hidden dot\r\nlast line\r\n.\r\n", 0},
      {SERVER, "250 2.0.0 Ok: queued\r\n", 0},
      {CLIENT, "QUIT\r\n", 0},
      {SERVER, "221 2.0.0 Bye\r\n", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_DONE, SF_ERR_OK, "plain delivery");
  CHECK(!trace_has(&r.s, SF_ST_TLS_HANDSHAKE, SF_ST_COUNT));
}

static void test_starttls_delivery(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  run_envelope(&r, "hello\r\n");
  r.cfg.auth = SF_AUTH_PLAIN;
  r.cfg.user = "alice";
  r.cfg.password = "s3cret";
  const struct step steps[] = {
      TO_STARTTLS,
      {SERVER, "220 2.0.0 Ready to start TLS\r\n", 0},
      {CLIENT, SF_PT_CLIENT_HELLO, 0},
      {TLS_HELLO, "valid mx.example.com", 0},
      {CLIENT, HELLO, 0},
      {SERVER, EHLO_POST, 0},
      /* base64("\0alice\0s3cret") */
      {CLIENT, "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n", 0},
      {SERVER, "235 2.7.0 Authentication successful\r\n", 0},
      {CLIENT, "MAIL FROM:<alice@example.org>\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {CLIENT, "RCPT TO:<bob@example.com>\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {CLIENT, "DATA\r\n", 0},
      {SERVER, "354 go\r\n", 0},
      {CLIENT, "hello\r\n.\r\n", 0},
      {SERVER, "250 queued\r\n", 0},
      {CLIENT, "QUIT\r\n", 0},
      {SERVER, "221 bye\r\n", 0},
      {CLIENT, SF_PT_CLOSE, 0}, /* close_notify */
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_DONE, SF_ERR_OK, "starttls delivery");
  CHECK(trace_has(&r.s, SF_ST_EHLO_TLS, SF_ST_TLS_HANDSHAKE));
}

static void test_implicit_delivery_auth_login(void)
{
  struct run r;
  run_config(&r, SF_MODE_IMPLICIT, SF_TLS_REQUIRED);
  run_envelope(&r, "x");
  r.cfg.auth = SF_AUTH_LOGIN;
  r.cfg.user = "alice";
  r.cfg.password = "pw";
  const struct step steps[] = {
      {CLIENT, SF_PT_CLIENT_HELLO, 0},
      {TLS_HELLO, "valid MX.Example.COM", 0}, /* host names compare without case */
      {SERVER, GREETING, 0},
      {CLIENT, HELLO, 0},
      {SERVER, EHLO_POST, 0},
      {CLIENT, "AUTH LOGIN\r\n", 0},
      {SERVER, "334 VXNlcm5hbWU6\r\n", 0},
      {CLIENT, "YWxpY2U=\r\n", 0},
      {SERVER, "334 UGFzc3dvcmQ6\r\n", 0},
      {CLIENT, "cHc=\r\n", 0},
      {SERVER, "235 ok\r\n", 0},
      {CLIENT, "MAIL FROM:<alice@example.org>\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {CLIENT, "RCPT TO:<bob@example.com>\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {CLIENT, "DATA\r\n", 0},
      {SERVER, "354 go\r\n", 0},
      {CLIENT, "x\r\n.\r\n", 0},
      {SERVER, "250 queued\r\n", 0},
      {CLIENT, "QUIT\r\n", 0},
      {CLOSE, NULL, 0}, /* a close instead of 221 still ends QUIT */
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_DONE, SF_ERR_OK, "implicit delivery");
  CHECK(trace_has(&r.s, SF_ST_EHLO_TLS, SF_ST_GREETING_TLS));
  CHECK(!trace_has(&r.s, SF_ST_GREETING, SF_ST_COUNT));
}

static void test_opportunistic_upgrades_when_offered(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_OPPORTUNISTIC);
  const struct step steps[] = {
      TO_STARTTLS,
      {SERVER, "220 go\r\n", 0},
      {CLIENT, SF_PT_CLIENT_HELLO, 0},
      {TLS_HELLO, "valid mx.example.com", 0},
      {CLIENT, HELLO, 0},
      {SERVER, EHLO_POST, 0},
      {CLIENT, "QUIT\r\n", 0},
      {SERVER, "221 bye\r\n", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_DONE, SF_ERR_OK, "opportunistic upgrade");
}

/* ---- response injection (CVE-2021-22947 class) ----------------------------- */

static void test_injection_same_flight(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  const struct step steps[] = {
      TO_STARTTLS,
      {SERVER, "220 go ahead\r\n250-evil\r\n250 AUTH PLAIN\r\n", 0},
      /* Nothing more leaves the client: no ClientHello, no EHLO. */
      {CLIENT, "", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_STARTTLS_INJECTION, "injection in the 220 flight");
  CHECK(diag_has(&r, "injection"));
}

static void test_injection_next_flight(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  const struct step steps[] = {
      TO_STARTTLS,
      {SERVER, "220 go\r\n", 0},
      {CLIENT, SF_PT_CLIENT_HELLO, 0},
      {SERVER, "250 evil\r\n", 0},
      {CLIENT, "", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_STARTTLS_INJECTION, "plaintext after the 220");
}

/* ---- RFC 3207 4.2: capabilities are forgotten, EHLO is sent again --------- */

static void test_caps_forgotten_after_tls(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  r.cfg.auth = SF_AUTH_PLAIN;
  r.cfg.user = "alice";
  r.cfg.password = "pw";
  const struct step steps[] = {
      {SERVER, GREETING, 0},
      {CLIENT, HELLO, 0},
      /* AUTH PLAIN announced only before TLS */
      {SERVER, "250-mx\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n", 0},
      {CLIENT, "STARTTLS\r\n", 0},
      {SERVER, "220 go\r\n", 0},
      {CLIENT, SF_PT_CLIENT_HELLO, 0},
      {TLS_HELLO, "valid mx.example.com", 0},
      {CLIENT, HELLO, 0}, /* EHLO again */
      {SERVER, "250-mx\r\n250 8BITMIME\r\n", 0},
      {CLIENT, "QUIT\r\n" SF_PT_CLOSE, 0}, /* no AUTH on stale capabilities */
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_AUTH_UNSUPPORTED, "stale caps");
  CHECK(!wire_contains(&r, "AUTH"));
  CHECK(r.s.caps.auth == 0);
}

/* ---- RFC 8314 5.2: tls=required never continues in plaintext --------------- */

static void required_refusal(const char *answer, enum sf_err err, const char *after)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  run_envelope(&r, "secret message");
  r.cfg.auth = SF_AUTH_PLAIN;
  r.cfg.user = "alice";
  r.cfg.password = "pw";
  const struct step steps[] = {
      TO_STARTTLS,
      {SERVER, answer, 0},
      {CLIENT, after, 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, err, answer);
  CHECK(!wire_contains(&r, "AUTH") && !wire_contains(&r, "MAIL"));
}

static void test_required_refusals(void)
{
  required_refusal("454 4.7.0 TLS not available due to temporary reason\r\n",
                   SF_ERR_STARTTLS_REFUSED, "QUIT\r\n");
  required_refusal("502 5.5.1 command not implemented\r\n", SF_ERR_STARTTLS_REFUSED, "QUIT\r\n");
  required_refusal("554 5.7.3 no\r\n", SF_ERR_STARTTLS_REFUSED, "QUIT\r\n");
  required_refusal("250 sure, no TLS\r\n", SF_ERR_STARTTLS_REFUSED, "QUIT\r\n");
  /* After a 3xx the server may be reading message text: not even QUIT. */
  required_refusal("354 odd\r\n", SF_ERR_STARTTLS_REFUSED, "");
}

static void test_required_starttls_missing(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  run_envelope(&r, "m");
  const struct step steps[] = {
      {SERVER, GREETING, 0},
      {CLIENT, HELLO, 0},
      {SERVER, "250-mx\r\n250-STARTTLSX\r\n250 AUTH PLAIN\r\n", 0}, /* STARTTLSX is not STARTTLS */
      {CLIENT, "QUIT\r\n", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_STARTTLS_MISSING, "stripped STARTTLS");
}

static void test_required_no_helo_fallback(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  r.cfg.allow_helo = 1;
  const struct step steps[] = {
      {SERVER, GREETING, 0},
      {CLIENT, HELLO, 0},
      {SERVER, "502 5.5.2 EHLO not implemented\r\n", 0},
      {CLIENT, "QUIT\r\n", 0}, /* no HELO: it would skip STARTTLS */
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_STARTTLS_MISSING, "HELO under required");
}

static void test_helo_fallback_where_allowed(void)
{
  struct run r;
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  run_envelope(&r, "m");
  r.cfg.allow_helo = 1;
  const struct step steps[] = {
      {SERVER, GREETING, 0},
      {CLIENT, HELLO, 0},
      {SERVER, "500 5.5.1 what?\r\n", 0},
      {CLIENT, "HELO client.example.org\r\n", 0},
      {SERVER, "250 mx\r\n", 0},
      {CLIENT, "MAIL FROM:<alice@example.org>\r\n", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);

  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE); /* allow_helo off */
  const struct step off[] = {
      {SERVER, GREETING, 0},   {CLIENT, HELLO, 0}, {SERVER, "500 what?\r\n", 0},
      {CLIENT, "QUIT\r\n", 0}, {END, NULL, 0},
  };
  CHECK(run_script(&r, off) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_EHLO_REJECTED, "HELO off");
}

static void cert_failure(const char *cert, enum sf_err err)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  run_envelope(&r, "m");
  const struct step steps[] = {
      TO_STARTTLS,          {SERVER, "220 go\r\n", 0}, {CLIENT, SF_PT_CLIENT_HELLO, 0},
      {TLS_HELLO, cert, 0}, {CLIENT, "", 0},           {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, err, cert);
  CHECK(!wire_contains(&r, "MAIL"));
}

static void test_tls_failures(void)
{
  cert_failure("self-signed mx.example.com", SF_ERR_TLS_CERT_SELF_SIGNED);
  cert_failure("unknown-issuer mx.example.com", SF_ERR_TLS_CERT_UNKNOWN_ISSUER);
  cert_failure("expired mx.example.com", SF_ERR_TLS_CERT_EXPIRED);
  cert_failure("not-yet-valid mx.example.com", SF_ERR_TLS_CERT_NOT_YET_VALID);
  cert_failure("wrong-host mx.example.com", SF_ERR_TLS_CERT_WRONG_HOST);
  cert_failure("valid other.example.net", SF_ERR_TLS_CERT_WRONG_HOST);
  cert_failure("name-in-cn-only mx.example.com", SF_ERR_TLS_CERT_WRONG_HOST);
  cert_failure("nul-in-name mx.example.com", SF_ERR_TLS_CERT_WRONG_HOST);
  cert_failure("wildcard-too-wide mx.example.com", SF_ERR_TLS_CERT_WRONG_HOST);
  cert_failure("forged-signature mx.example.com", SF_ERR_TLS_CERT_OTHER);
  cert_failure("issuer-not-ca mx.example.com", SF_ERR_TLS_CERT_OTHER);
  cert_failure("client-auth-only mx.example.com", SF_ERR_TLS_CERT_OTHER);
  cert_failure("bogus mx.example.com", SF_ERR_TLS_HANDSHAKE);

  /* Verification off accepts a self-signed certificate (lint calls it out). */
  struct run r;
  run_config(&r, SF_MODE_IMPLICIT, SF_TLS_REQUIRED);
  r.cfg.verify = 0;
  const struct step steps[] = {
      {CLIENT, SF_PT_CLIENT_HELLO, 0},
      {TLS_HELLO, "self-signed evil", 0},
      {SERVER, GREETING, 0},
      {CLIENT, HELLO, 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
}

/* ---- AUTH never in plaintext ------------------------------------------------ */

static void test_opportunistic_stripped_never_auths(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_OPPORTUNISTIC);
  run_envelope(&r, "m");
  r.cfg.auth = SF_AUTH_PLAIN;
  r.cfg.user = "alice";
  r.cfg.password = "pw";
  const struct step steps[] = {
      {SERVER, GREETING, 0},
      {CLIENT, HELLO, 0},
      {SERVER, "250-mx\r\n250 AUTH PLAIN\r\n", 0}, /* STARTTLS stripped */
      {CLIENT, "QUIT\r\n", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_PLAINTEXT_AUTH_REFUSED, "stripped + auth");

  /* Refused with 454: the same. */
  const struct step refused[] = {
      TO_STARTTLS,
      {SERVER, "454 no\r\n", 0},
      {CLIENT, "QUIT\r\n", 0},
      {END, NULL, 0},
  };
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_OPPORTUNISTIC);
  r.cfg.auth = SF_AUTH_LOGIN;
  r.cfg.user = "alice";
  r.cfg.password = "pw";
  CHECK(run_script(&r, refused) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_PLAINTEXT_AUTH_REFUSED, "454 + auth");
}

static void test_opportunistic_without_auth_continues(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_OPPORTUNISTIC);
  run_envelope(&r, "m");
  const struct step steps[] = {
      TO_STARTTLS,
      {SERVER, "454 4.7.0 no\r\n", 0},
      {CLIENT, "MAIL FROM:<alice@example.org>\r\n", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
}

static void test_plaintext_auth_only_by_name(void)
{
  struct run r;
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  r.cfg.auth = SF_AUTH_PLAIN;
  r.cfg.user = "u";
  r.cfg.password = "p";
  const struct step steps[] = {
      {SERVER, GREETING, 0},   {CLIENT, HELLO, 0}, {SERVER, "250-mx\r\n250 AUTH PLAIN\r\n", 0},
      {CLIENT, "QUIT\r\n", 0}, {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_PLAINTEXT_AUTH_REFUSED, "plain + auth");

  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  r.cfg.auth = SF_AUTH_PLAIN;
  r.cfg.user = "u";
  r.cfg.password = "p";
  r.cfg.allow_plaintext_auth = 1;
  const struct step allowed[] = {
      {SERVER, GREETING, 0},
      {CLIENT, HELLO, 0},
      {SERVER, "250-mx\r\n250 AUTH PLAIN\r\n", 0},
      {CLIENT, "AUTH PLAIN AHUAcA==\r\n", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, allowed) == -1);
}

/* ---- 421 at any point ------------------------------------------------------ */

/* A full STARTTLS+AUTH LOGIN delivery; `at` is the index of a SERVER step
 * that is replaced by a 421. */
static void test_421_everywhere(void)
{
  const struct step full[] = {
      TO_STARTTLS,
      {SERVER, "220 go\r\n", 0},
      {CLIENT, SF_PT_CLIENT_HELLO, 0},
      {TLS_HELLO, "valid mx.example.com", 0},
      {CLIENT, HELLO, 0},
      {SERVER, EHLO_POST, 0},
      {CLIENT, "AUTH LOGIN\r\n", 0},
      {SERVER, "334 VXNlcm5hbWU6\r\n", 0},
      {CLIENT, "dQ==\r\n", 0},
      {SERVER, "334 UGFzc3dvcmQ6\r\n", 0},
      {CLIENT, "cA==\r\n", 0},
      {SERVER, "235 ok\r\n", 0},
      {CLIENT, "MAIL FROM:<alice@example.org>\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {CLIENT, "RCPT TO:<bob@example.com>\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {CLIENT, "DATA\r\n", 0},
      {SERVER, "354 go\r\n", 0},
      {CLIENT, "m\r\n.\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {CLIENT, "QUIT\r\n", 0},
      {SERVER, "221 bye\r\n", 0},
      {END, NULL, 0},
  };
  size_t n = sizeof(full) / sizeof(full[0]);
  int tried = 0;
  for (size_t at = 0; at + 1 < n; at++) {
    if (full[at].op != SERVER || at + 2 == n) /* the 221 slot: a 421 to QUIT just ends it */
      continue;
    struct step steps[sizeof(full) / sizeof(full[0])];
    memcpy(steps, full, sizeof(full));
    steps[at].data = "421 4.3.2 Service shutting down\r\n";
    steps[at + 1] = (struct step){END, NULL, 0};
    struct run r;
    run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
    run_envelope(&r, "m");
    r.cfg.auth = SF_AUTH_LOGIN;
    r.cfg.user = "u";
    r.cfg.password = "p";
    CHECK(run_script(&r, steps) == -1);
    /* Nothing is sent after the 421 but, over TLS, close_notify. */
    const char *after = r.wire + r.checked;
    size_t n_after = r.wire_len - r.checked;
    int quiet = n_after == 0 || (r.s.tls_up && n_after == strlen(SF_PT_CLOSE) &&
                                 memcmp(after, SF_PT_CLOSE, n_after) == 0);
    CHECKF(quiet, "421 at step %zu: client sent '%.*s'", at, (int)n_after, after);
    expect_end(&r, SF_FAILED, SF_ERR_SESSION_SERVER_CLOSING, "421");
    tried++;
  }
  CHECK(tried >= 10);
}

/* ---- deadlines -------------------------------------------------------------- */

static void test_silent_465_is_diagnosed(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  r.cfg.port = 465;
  const struct step steps[] = {
      {WAIT, NULL, 299999},
      {CLIENT, "", 0},
      {WAIT, NULL, 1},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_TIMEOUT, "silent 465");
  CHECK(diag_has(&r, "port 465 expects implicit TLS"));
  CHECK(r.now == 300000); /* RFC 5321 4.5.3.2.1: five minutes */
}

static void test_every_wait_has_a_deadline(void)
{
  /* Walk a full STARTTLS session; before each server step the client must
   * have a finite deadline. */
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  run_envelope(&r, "m");
  sf_tls_passthrough_init(&r.pt);
  sf_session_init(&r.s, &r.cfg, &r.pt.base);
  sf_session_start(&r.s, 0);
  const char *server[] = {GREETING,     EHLO_PRE,     "220 go\r\n", NULL,         EHLO_POST,
                          "250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 ok\r\n", "221 bye\r\n"};
  for (size_t i = 0; i < sizeof(server) / sizeof(server[0]); i++) {
    run_drain(&r);
    CHECKF(sf_session_status(&r.s) & SF_WANT_RECV, "step %zu", i);
    CHECKF(sf_session_deadline(&r.s) != SF_NO_DEADLINE, "no deadline in %s",
           sf_state_name(r.s.state));
    char hello[128];
    const char *data = server[i];
    if (!data) {
      snprintf(hello, sizeof(hello), "%svalid mx.example.com\n", SF_PT_SERVER_HELLO);
      data = hello;
    }
    sf_session_feed(&r.s, (const uint8_t *)data, strlen(data), 0);
  }
  run_drain(&r);
  expect_end(&r, SF_DONE, SF_ERR_OK, "deadline walk");

  /* A silent server after DATA: the 10-minute DATA termination timeout. */
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  run_envelope(&r, "m");
  const struct step steps[] = {
      {SERVER, GREETING, 0},
      {SERVER, "250 mx\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {SERVER, "354 go\r\n", 0},
      {WAIT, NULL, 600000},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_TIMEOUT, "silent after body");
}

/* ---- port/mode mismatch diagnoses ------------------------------------------ */

static void test_implicit_against_plaintext_peer(void)
{
  struct run r;
  run_config(&r, SF_MODE_IMPLICIT, SF_TLS_REQUIRED);
  r.cfg.port = 587;
  const struct step steps[] = {
      {CLIENT, SF_PT_CLIENT_HELLO, 0},
      {SERVER, GREETING, 0},
      {CLIENT, "", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_TLS_PEER_PLAINTEXT, "implicit vs 587");
  CHECK(diag_has(&r, "the peer speaks plaintext SMTP; this port expects STARTTLS"));
}

static void test_close_at_greeting_on_465(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  r.cfg.port = 465;
  const struct step steps[] = {{CLOSE, NULL, 0}, {END, NULL, 0}};
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_PEER_CLOSED, "close on 465");
  CHECK(diag_has(&r, "implicit TLS"));
}

/* ---- malformed and unsolicited input --------------------------------------- */

static void test_parser_errors_end_the_session(void)
{
  struct run r;
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  const struct step steps[] = {
      {SERVER, "220-mx\r\n221 bye\r\n", 0},
      {CLIENT, "", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_REPLY_CODE_MISMATCH, "code mismatch");

  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  const struct step bare[] = {{SERVER, "220 mx\n", 0}, {END, NULL, 0}};
  CHECK(run_script(&r, bare) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_REPLY_BARE_LF, "bare LF");

  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  r.cfg.lenient = SF_LENIENT_BARE_LF;
  const struct step lenient[] = {{SERVER, "220 mx\n", 0}, {CLIENT, HELLO, 0}, {END, NULL, 0}};
  CHECK(run_script(&r, lenient) == -1);

  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  const struct step caps[] = {
      {SERVER, GREETING, 0},
      {SERVER, "250-mx\r\n250 SIZE 99999999999999999999999\r\n", 0},
      {CLIENT, HELLO "QUIT\r\n", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, caps) == -1);
  CHECK(sf_session_error(&r.s) == SF_ERR_CAPS_SIZE_OVERFLOW ||
        sf_session_error(&r.s) == SF_ERR_CAPS_SIZE_SYNTAX);
}

/* A plain session of `r` that delivers `message`: run_script()'s result,
 * with `answer` as the server's answer to DATA and `wire` as what the client
 * must send after it. */
static int send_message(struct run *r, const char *message, const char *answer, const char *wire)
{
  run_config(r, SF_MODE_PLAIN, SF_TLS_NONE);
  run_envelope(r, message);
  const struct step steps[] = {
      {SERVER, GREETING, 0},
      {SERVER, "250 mx\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {SERVER, "250 ok\r\n", 0},
      {CLIENT, HELLO "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n", 0},
      {SERVER, answer, 0},
      {CLIENT, wire, 0},
      {END, NULL, 0},
  };
  return run_script(r, steps);
}

static void test_unsolicited_bytes(void)
{
  struct run r;
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  /* Greeting and an EHLO answer before the client asked. */
  const struct step steps[] = {
      {SERVER, GREETING "250 mx\r\n", 0},
      {CLIENT, "", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_UNSOLICITED, "unsolicited");
  /* A 250 right behind the 354, before the message has left, answers
   * nothing: taken for the message's acceptance, it would report a mail
   * delivered that was never sent, and put QUIT where the server reads
   * message text (found by fuzz_starttls). Nothing more is sent. */
  CHECK(send_message(&r, "m", "354 go\r\n250 ok\r\n", "") == -1);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_UNSOLICITED, "a reply before the message left");
}

/* The same over TLS: the message and its "." handed to the TLS layer, but
 * not one of their records taken by the caller (a server that stopped
 * reading), have not left, and a 250 then answers nothing. The session
 * ends, and those records stay unsent: one dropped, nothing could follow
 * it. Once they have all been taken, the same 250 is the message's
 * answer. */
static void test_reply_before_message_left_tls(void)
{
  for (int taken = 0; taken < 2; taken++) {
    struct run r;
    run_config(&r, SF_MODE_IMPLICIT, SF_TLS_REQUIRED);
    run_envelope(&r, "m");
    const struct step steps[] = {{CLIENT, SF_PT_CLIENT_HELLO, 0},
                                 {TLS_HELLO, "valid mx.example.com", 0},
                                 {SERVER, GREETING, 0},
                                 {SERVER, EHLO_POST, 0},
                                 {SERVER, "250 ok\r\n", 0},
                                 {SERVER, "250 ok\r\n", 0},
                                 {END, NULL, 0}};
    CHECK(run_script(&r, steps) == -1);
    CHECK(wire_contains(&r, "DATA\r\n"));
    sf_session_feed(&r.s, (const uint8_t *)"354 go\r\n", 8, r.now);
    uint8_t none[1];
    CHECK(sf_session_take(&r.s, none, 0, r.now) == 0); /* into TLS, not out of it */
    if (taken)
      run_drain(&r);
    sf_session_feed(&r.s, (const uint8_t *)"250 queued\r\n", 12, r.now);
    size_t sent = r.wire_len;
    run_drain(&r);
    if (taken) {
      CHECKF(sf_session_error(&r.s) == SF_ERR_OK, "taken: %s", sf_err_name(sf_session_error(&r.s)));
      CHECK(wire_contains(&r, "\r\n.\r\n"));
    } else {
      expect_end(&r, SF_FAILED, SF_ERR_SESSION_UNSOLICITED, "a reply before the message left TLS");
      CHECKF(r.wire_len == sent, "%zu bytes sent after the failure", r.wire_len - sent);
    }
  }
}

static void test_config_is_checked(void)
{
  struct run r;
  run_config(&r, SF_MODE_IMPLICIT, SF_TLS_OPPORTUNISTIC);
  const struct step steps[] = {{CLIENT, "", 0}, {END, NULL, 0}};
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_CONFIG_INCONSISTENT, "implicit+opportunistic");

  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  run_envelope(&r, "m");
  /* An address that would end its command early, or add a parameter, is
   * refused before a byte is sent. */
  static const char *const bad[] = {"a@b\r\nRCPT TO:<evil@x>", "a@b.example> BODY=8BITMIME",
                                    "a b@example.org", "a@b\x01"};
  const struct step none[] = {{CLIENT, "", 0}, {END, NULL, 0}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
    run_envelope(&r, "m");
    r.cfg.mail_from = bad[i];
    CHECK(run_script(&r, none) == -1);
    expect_end(&r, SF_FAILED, SF_ERR_CONFIG_BAD_VALUE, bad[i]);
  }
  /* A helo_name set through the API with a CR: no EHLO goes out. */
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  r.cfg.helo_name = "client\rRSET";
  const struct step greeted[] = {{SERVER, GREETING, 0}, {CLIENT, "", 0}, {END, NULL, 0}};
  CHECK(run_script(&r, greeted) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_CONFIG_BAD_VALUE, "helo_name with a CR");
  /* A quoted local part may hold what a bare one may not. */
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  run_envelope(&r, "m");
  r.cfg.mail_from = "\"a b<c>\"@example.org";
  const struct step ok[] = {
      {SERVER, GREETING, 0},
      {CLIENT, "EHLO client.example.org\r\n", 0},
      {SERVER, "250 mx\r\n", 0},
      {CLIENT, "MAIL FROM:<\"a b<c>\"@example.org>\r\n", 0},
      {END, NULL, 0},
  };
  CHECK(run_script(&r, ok) == -1);
}

/* Every split of the server's bytes gives the same session. */
static void test_byte_at_a_time(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  run_envelope(&r, "m");
  sf_tls_passthrough_init(&r.pt);
  sf_session_init(&r.s, &r.cfg, &r.pt.base);
  sf_session_start(&r.s, 0);
  char hello[128];
  snprintf(hello, sizeof(hello), "%svalid mx.example.com\n", SF_PT_SERVER_HELLO);
  const char *server[] = {GREETING,     EHLO_PRE,     "220 go\r\n", hello,        EHLO_POST,
                          "250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 ok\r\n", "221 bye\r\n"};
  for (size_t i = 0; i < sizeof(server) / sizeof(server[0]); i++) {
    run_drain(&r);
    for (size_t k = 0; server[i][k]; k++)
      sf_session_feed(&r.s, (const uint8_t *)server[i] + k, 1, 0);
  }
  run_drain(&r);
  expect_end(&r, SF_DONE, SF_ERR_OK, "byte at a time");
}

/* ---- TLS failing after the handshake --------------------------------------- */

/* The pass-through layer, made to fail (or close) once the test says so. */
static struct sf_tls_vtable breaking_vt;
static enum sf_tls_state broken_state;

static enum sf_tls_state breaking_state(const struct sf_tls *tls)
{
  enum sf_tls_state st = sf_tls_passthrough_vtable()->state(tls);
  return st == SF_TLS_ESTABLISHED && broken_state != SF_TLS_ESTABLISHED ? broken_state : st;
}

static enum sf_err breaking_error(const struct sf_tls *tls, const char **reason)
{
  if (broken_state == SF_TLS_FAILED) {
    *reason = "alert bad_record_mac";
    return SF_ERR_TLS_ALERT;
  }
  return sf_tls_passthrough_vtable()->error(tls, reason);
}

static void tls_breaks(enum sf_tls_state how, enum sf_err want, unsigned status)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  run_envelope(&r, "m");
  breaking_vt = *sf_tls_passthrough_vtable();
  breaking_vt.state = breaking_state;
  breaking_vt.error = breaking_error;
  broken_state = SF_TLS_ESTABLISHED;
  sf_tls_passthrough_init(&r.pt);
  r.pt.base.vt = &breaking_vt;
  sf_session_init(&r.s, &r.cfg, &r.pt.base);
  sf_session_start(&r.s, 0);
  char hello[128];
  snprintf(hello, sizeof(hello), "%svalid mx.example.com\n", SF_PT_SERVER_HELLO);
  const char *server[] = {GREETING, EHLO_PRE, "220 go\r\n", hello, EHLO_POST, "250 ok\r\n"};
  for (size_t i = 0; i < sizeof(server) / sizeof(server[0]); i++) {
    run_drain(&r);
    if (i == 5)
      broken_state = how; /* the record carrying the MAIL answer breaks TLS */
    sf_session_feed(&r.s, (const uint8_t *)server[i], strlen(server[i]), 1000);
  }
  run_drain(&r);
  unsigned st = sf_session_status(&r.s);
  CHECKF((st & (SF_DONE | SF_FAILED)) == status, "status %#x", st);
  CHECKF(sf_session_error(&r.s) == want, "error %s: %s", sf_err_name(sf_session_error(&r.s)),
         sf_session_diagnosis(&r.s));
  /* At once, not at the RCPT deadline. */
  CHECK(sf_session_deadline(&r.s) == SF_NO_DEADLINE);
}

static void test_tls_fails_after_handshake(void)
{
  tls_breaks(SF_TLS_FAILED, SF_ERR_TLS_ALERT, SF_FAILED);
  tls_breaks(SF_TLS_CLOSED, SF_ERR_SESSION_PEER_CLOSED, SF_FAILED);
}

/* ---- the engine bugs reading found (issue 11), one test each ---------------- */

/* Verification with no name to check accepted any trusted certificate for any
 * name: now a named configuration error, before a byte is sent, and the
 * pass-through layer refuses it the same way. */
static void test_verify_needs_host(void)
{
  static const char *const hosts[] = {NULL, ""};
  for (size_t i = 0; i < 2; i++) {
    struct run r;
    run_config(&r, i ? SF_MODE_IMPLICIT : SF_MODE_STARTTLS, SF_TLS_REQUIRED);
    r.cfg.host = hosts[i];
    const struct step steps[] = {{SERVER, GREETING, 0}, {CLIENT, "", 0}, {END, NULL, 0}};
    CHECK(run_script(&r, steps) == -1);
    expect_end(&r, SF_FAILED, SF_ERR_CONFIG_NO_HOST, "verify without host");
    CHECK(diag_has(&r, "host"));
  }
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_OPPORTUNISTIC);
  r.cfg.host = NULL;
  r.cfg.verify = 0; /* stated: no certificate check, so no name needed */
  const struct step ok[] = {{SERVER, GREETING, 0}, {CLIENT, HELLO, 0}, {END, NULL, 0}};
  CHECK(run_script(&r, ok) == -1);

  struct sf_tls_passthrough pt;
  sf_tls_passthrough_init(&pt);
  pt.base.vt->start(&pt.base, "", 1);
  uint8_t buf[64];
  CHECK(pt.base.vt->state(&pt.base) == SF_TLS_FAILED);
  CHECK(pt.base.vt->error(&pt.base, NULL) == SF_ERR_CONFIG_NO_HOST);
  CHECK(pt.base.vt->take_net(&pt.base, buf, sizeof(buf)) == 0); /* no hello */
}

/* The pass-through verifier compares addresses as addresses (RFC 6125 6). */
static void test_passthrough_names(void)
{
  static const struct {
    const char *host, *hello;
    enum sf_err want;
  } cases[] = {
      {"2001:db8::10", "valid 2001:DB8:0::10", SF_ERR_OK},
      {"192.0.2.10", "valid 192.0.2.10", SF_ERR_OK},
      {"192.0.2.10", "valid 192.0.2.11", SF_ERR_TLS_CERT_WRONG_HOST},
      {"192.0.2.10", "valid mx.example.com", SF_ERR_TLS_CERT_WRONG_HOST},
      {"MX.example.com", "valid mx.EXAMPLE.com", SF_ERR_OK},
      {"mx.example.com", "valid *.example.com", SF_ERR_TLS_CERT_WRONG_HOST},
      /* A host named like a marker is a host (fuzz_portmode found it read as
       * the marker, and the hello left without one). */
      {"certificate-required", "valid certificate-required", SF_ERR_OK},
      {"resumed", "valid resumed", SF_ERR_OK},
      {"mx.example.com", "valid mx.example.com certificate-required", SF_ERR_TLS_ALERT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct sf_tls_passthrough pt;
    sf_tls_passthrough_init(&pt);
    pt.base.vt->start(&pt.base, cases[i].host, 1);
    char hello[SF_PT_MAX_HELLO];
    int n = snprintf(hello, sizeof(hello), "%s%s\n", SF_PT_SERVER_HELLO, cases[i].hello);
    pt.base.vt->feed_net(&pt.base, (const uint8_t *)hello, (size_t)n);
    enum sf_tls_state st = pt.base.vt->state(&pt.base);
    enum sf_err err = st == SF_TLS_FAILED ? pt.base.vt->error(&pt.base, NULL) : SF_ERR_OK;
    CHECKF(err == cases[i].want && (err != SF_ERR_OK || st == SF_TLS_ESTABLISHED),
           "host %s vs %s: %s", cases[i].host, cases[i].hello, sf_err_name(err));
  }
  /* A server that refuses the handshake: its alert, named as OpenSSL names it. */
  static const struct {
    const char *hello;
    enum sf_err want;
  } alerts[] = {{"alert protocol-version", SF_ERR_TLS_PROTOCOL_VERSION},
                {"alert certificate-required", SF_ERR_TLS_ALERT}};
  for (size_t i = 0; i < sizeof alerts / sizeof alerts[0]; i++) {
    struct sf_tls_passthrough pt;
    sf_tls_passthrough_init(&pt);
    pt.base.vt->start(&pt.base, "mx.example.com", 1);
    char hello[SF_PT_MAX_HELLO];
    int n = snprintf(hello, sizeof(hello), "%s%s\n", SF_PT_SERVER_HELLO, alerts[i].hello);
    pt.base.vt->feed_net(&pt.base, (const uint8_t *)hello, (size_t)n);
    CHECK(pt.base.vt->state(&pt.base) == SF_TLS_FAILED);
    CHECK(pt.base.vt->error(&pt.base, NULL) == alerts[i].want);
  }
  /* Neither TLS nor SMTP: named at the first byte, as the OpenSSL layer does. */
  struct sf_tls_passthrough pt;
  sf_tls_passthrough_init(&pt);
  pt.base.vt->start(&pt.base, "mx.example.com", 1);
  pt.base.vt->feed_net(&pt.base, (const uint8_t *)"SSH-2.0-OpenSSH_9.2\r\n", 21);
  CHECK(pt.base.vt->error(&pt.base, NULL) == SF_ERR_TLS_PEER_NOT_TLS);
  /* A real ServerHello where ours was due (a man in the middle answering
   * the ClientHello): its version is judged as OpenSSL judges it, byte by
   * byte as it comes; the header alone decides nothing. */
  static const struct {
    uint8_t hs_type, major, minor;
    enum sf_err want;
  } real[] = {{0x02, 3, 1, SF_ERR_TLS_PROTOCOL_VERSION},
              {0x02, 3, 0, SF_ERR_TLS_PROTOCOL_VERSION},
              {0x02, 0x7f, 0x17, SF_ERR_TLS_PROTOCOL_VERSION},
              {0x02, 3, 3, SF_ERR_TLS_HANDSHAKE},
              {0x0b, 3, 1, SF_ERR_TLS_HANDSHAKE}};
  for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
    const uint8_t rec[] = {0x16, 0x03, 0x01, 0x00,          0x2a,          real[i].hs_type,
                           0x00, 0x00, 0x26, real[i].major, real[i].minor, 0x00};
    sf_tls_passthrough_init(&pt);
    pt.base.vt->start(&pt.base, "mx.example.com", 1);
    size_t k = 0;
    while (k < sizeof rec && pt.base.vt->state(&pt.base) == SF_TLS_HANDSHAKING)
      k += pt.base.vt->feed_net(&pt.base, rec + k, 1);
    CHECKF(k == (real[i].hs_type == 0x02 ? 11u : 6u), "case %zu: decided at byte %zu", i, k);
    CHECKF(pt.base.vt->error(&pt.base, NULL) == real[i].want, "case %zu: %s", i,
           sf_err_name(pt.base.vt->error(&pt.base, NULL)));
  }
}

/* RFC 5321 3.3: MAIL without a recipient sent "RCPT TO:<>", DATA and an empty
 * body; now a configuration error. */
static void test_envelope_needs_recipient(void)
{
  struct run r;
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  r.cfg.mail_from = "alice@example.org";
  const struct step steps[] = {{SERVER, GREETING, 0}, {CLIENT, "", 0}, {END, NULL, 0}};
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_CONFIG_MISSING, "from without to");
  CHECK(!wire_contains(&r, "RCPT"));
}

/* Every bare CR and bare LF of a message leaves as CRLF before dot-stuffing
 * (RFC 5321 2.3.8; SMTP smuggling): "x<CR>.<CR><LF>" must never reach the wire. */
static void test_message_line_ends(void)
{
  static const struct {
    const char *message, *wire;
  } cases[] = {
      {"x\r.\r\n.y\nz\r", "x\r\n..\r\n..y\r\nz\r\n.\r\n"},
      {"a\n\r\nb", "a\r\n\r\nb\r\n.\r\n"},
      {"\r\r\n.", "\r\n\r\n..\r\n.\r\n"},
      {"end\n.\n", "end\r\n..\r\n.\r\n"},
      {"\n.\r", "\r\n..\r\n.\r\n"},
      {"", ".\r\n"},
  };
  struct run r;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECKF(send_message(&r, cases[i].message, "354 go\r\n", cases[i].wire) == -1, "message %zu", i);
}

/* The message as the rules above make it, one byte at a time: the model the
 * session's streaming in runs is held to. */
static size_t stuffed(const char *m, size_t n, char *out)
{
  size_t k = 0;
  int bol = 1;
  for (size_t i = 0; i < n; i++) {
    if (m[i] == '\r' || m[i] == '\n') {
      i += m[i] == '\r' && i + 1 < n && m[i + 1] == '\n';
      out[k++] = '\r';
      out[k++] = '\n';
      bol = 1;
      continue;
    }
    if (bol && m[i] == '.')
      out[k++] = '.';
    out[k++] = m[i];
    bol = 0;
  }
  if (!bol) {
    out[k++] = '\r';
    out[k++] = '\n';
  }
  memcpy(out + k, ".\r\n", 4);
  return k + 3;
}

/* Messages of up to 6000 bytes of 'a', '.', CR and LF, long lines and runs
 * of line ends among them, leave exactly as the model says, however the
 * output buffer cuts them. */
static void test_message_streamed_in_runs(void)
{
  static const char alphabet[] = "aaaaaaaa.\r\n";
  static char message[6001], wire[12100];
  struct run r;
  uint32_t x = 2463534242u; /* xorshift32 */
  for (int round = 0; round < 300; round++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    size_t n = x % (sizeof message);
    int long_lines = round % 3 == 0; /* then line ends are rare */
    for (size_t i = 0; i < n; i++) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      message[i] = long_lines && x % 97 ? 'a' : alphabet[x % (sizeof alphabet - 1)];
    }
    message[n] = '\0';
    stuffed(message, n, wire);
    CHECKF(send_message(&r, message, "354 go\r\n", wire) == -1, "round %d: a message of %zu bytes",
           round, n);
  }
}

/* RFC 5321 4.5.3.2: a reply's timer starts when its command has left, and a
 * command or message that cannot leave is bounded by the data-block timer. */
static void test_timers_start_when_sent(void)
{
  uint8_t buf[4096];
  struct run r;
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  sf_session_init(&r.s, &r.cfg, NULL);
  sf_session_start(&r.s, 0);
  sf_session_feed(&r.s, (const uint8_t *)GREETING, strlen(GREETING), 0);
  /* EHLO is queued at 0 but only taken at 100 s: its five minutes start then. */
  CHECK(sf_session_deadline(&r.s) == r.cfg.timeout_ms[SF_PHASE_BLOCK]);
  CHECK(sf_session_take(&r.s, buf, sizeof(buf), 100000) == strlen(HELLO));
  CHECK(sf_session_deadline(&r.s) == 100000 + r.cfg.timeout_ms[SF_PHASE_EHLO]);
  sf_session_tick(&r.s, 399999);
  CHECK(sf_session_status(&r.s) & SF_WANT_RECV);
  sf_session_tick(&r.s, 400000);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_TIMEOUT, "EHLO timer from the send");

  /* A peer that never reads: the command never leaves, and the block timer
   * ends the wait with its own diagnosis. */
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  sf_session_init(&r.s, &r.cfg, NULL);
  sf_session_start(&r.s, 0);
  sf_session_feed(&r.s, (const uint8_t *)GREETING, strlen(GREETING), 0);
  sf_session_tick(&r.s, r.cfg.timeout_ms[SF_PHASE_BLOCK]);
  CHECK(sf_session_error(&r.s) == SF_ERR_SESSION_TIMEOUT);
  CHECK(diag_has(&r, "does not read"));

  /* The message, sent in pieces: each piece restarts the block timer, and
   * the ten-minute DATA termination timer starts after the final dot. */
  static char message[3 * SF_SESSION_OUT_BUF];
  memset(message, 'a', sizeof(message) - 1);
  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  run_envelope(&r, message);
  sf_session_init(&r.s, &r.cfg, NULL);
  sf_session_start(&r.s, 0);
  const char *server[] = {GREETING, "250 mx\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n"};
  for (size_t i = 0; i < sizeof server / sizeof server[0]; i++) {
    while (sf_session_take(&r.s, buf, sizeof(buf), 0) > 0)
      ;
    sf_session_feed(&r.s, (const uint8_t *)server[i], strlen(server[i]), 0);
  }
  uint64_t t = 0;
  size_t total = 0, n;
  for (int guard = 0; guard < 100 && (n = sf_session_take(&r.s, buf, 1000, t)) > 0; guard++) {
    total += n;
    CHECK(sf_session_status(&r.s) & SF_WANT_RECV);
    uint64_t d = sf_session_deadline(&r.s);
    int last = !(sf_session_status(&r.s) & SF_WANT_SEND);
    CHECKF(d == t + r.cfg.timeout_ms[last ? SF_PHASE_BODY : SF_PHASE_BLOCK], "at %zu bytes", total);
    t += r.cfg.timeout_ms[SF_PHASE_BLOCK] - 1; /* just inside each send's bound */
  }
  CHECK(total > sizeof(message));
  CHECK(sf_session_error(&r.s) == SF_ERR_OK);
}

/* The port/mode hint is the same on every path that ends at a mute greeting
 * (timeout or close), on every port; 465 gets the pointed one. */
static void test_greeting_hints(void)
{
  static const uint16_t ports[] = {25, 465, 587, 2525};
  for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
    for (int close = 0; close < 2; close++) {
      struct run r;
      run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
      r.cfg.port = ports[i];
      const struct step timeout[] = {{WAIT, NULL, 300000}, {END, NULL, 0}};
      const struct step closed[] = {{CLOSE, NULL, 0}, {END, NULL, 0}};
      CHECK(run_script(&r, close ? closed : timeout) == -1);
      CHECKF(
          diag_has(&r, ports[i] == 465 ? "port 465 expects implicit TLS" : "try mode = implicit"),
          "port %u, %s: %s", ports[i], close ? "close" : "timeout", sf_session_diagnosis(&r.s));
    }
  }
  /* Part of a greeting, then a close: a server that spoke, no hint. */
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  const struct step partial[] = {{SERVER, "220 mx", 0}, {CLOSE, NULL, 0}, {END, NULL, 0}};
  CHECK(run_script(&r, partial) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_PEER_CLOSED, "partial greeting");
  CHECK(!diag_has(&r, "implicit"));
}

/* The pass-through server hello is read the same however the network cuts
 * it: whole, byte by byte, or split at any offset; one byte past a full
 * buffer with no LF fails the handshake. */
static void test_passthrough_hello_splits(void)
{
  char hello[SF_PT_MAX_HELLO];
  int n = snprintf(hello, sizeof(hello), "%svalid mx.example.com\nAPP", SF_PT_SERVER_HELLO);
  for (int cut = 0; cut <= n; cut++) {
    struct sf_tls_passthrough pt;
    sf_tls_passthrough_init(&pt);
    pt.base.vt->start(&pt.base, "mx.example.com", 1);
    size_t used = pt.base.vt->feed_net(&pt.base, (const uint8_t *)hello, (size_t)cut);
    used += pt.base.vt->feed_net(&pt.base, (const uint8_t *)hello + used, (size_t)n - used);
    uint8_t app[8];
    size_t got = pt.base.vt->read_app(&pt.base, app, sizeof app);
    CHECKF(pt.base.vt->state(&pt.base) == SF_TLS_ESTABLISHED && used == (size_t)n && got == 3 &&
               memcmp(app, "APP", 3) == 0,
           "hello cut at %d: state %d, %zu of %d bytes used, %zu application bytes", cut,
           (int)pt.base.vt->state(&pt.base), used, n, got);
  }
  /* No LF: the prefix and SF_PT_MAX_HELLO - 1 bytes are kept, the next one
   * is refused, whether it comes alone or with the rest. */
  uint8_t endless[2 * SF_PT_MAX_HELLO];
  size_t plen = sizeof(SF_PT_SERVER_HELLO) - 1;
  memcpy(endless, SF_PT_SERVER_HELLO, plen);
  memset(endless + plen, 'x', sizeof endless - plen);
  for (int bytewise = 0; bytewise <= 1; bytewise++) {
    struct sf_tls_passthrough pt;
    sf_tls_passthrough_init(&pt);
    pt.base.vt->start(&pt.base, "mx.example.com", 1);
    size_t used = 0;
    while (used < sizeof endless && pt.base.vt->state(&pt.base) == SF_TLS_HANDSHAKING)
      used += pt.base.vt->feed_net(&pt.base, endless + used, bytewise ? 1 : sizeof endless - used);
    CHECKF(pt.base.vt->state(&pt.base) == SF_TLS_FAILED &&
               pt.base.vt->error(&pt.base, NULL) == SF_ERR_TLS_HANDSHAKE && used == SF_PT_MAX_HELLO,
           "endless hello fed %s: %zu bytes used", bytewise ? "byte by byte" : "whole", used);
  }
}

/* The server's bytes one at a time, the client's output taken before each. */
static void feed_bytewise(struct run *r, const char *bytes)
{
  for (const char *b = bytes; *b; b++) {
    run_drain(r);
    sf_session_feed(&r->s, (const uint8_t *)b, 1, r->now);
  }
  run_drain(r);
}

/* The smallest cases of rules tested with more bytes elsewhere (each found
 * missing by hand-made mutants of the engine that every other test let
 * pass): one plaintext byte after the 220 to STARTTLS is injection; one
 * byte after a refusal leaves the server out of step, so no QUIT; plaintext
 * where a TLS record was due, one byte per read, is still named for what it
 * is. */
static void test_one_byte_is_enough(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  const struct step after_220[] = {
      TO_STARTTLS, {SERVER, "220 go\r\n2", 0}, {CLIENT, "", 0}, {END, NULL, 0}};
  CHECK(run_script(&r, after_220) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_STARTTLS_INJECTION, "one byte after the 220");

  run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
  run_envelope(&r, "x");
  const struct step refused[] = {{SERVER, GREETING, 0},
                                 {SERVER, "250 mx\r\n", 0},
                                 {CLIENT, HELLO "MAIL FROM:<alice@example.org>\r\n", 0},
                                 {SERVER, "550 no\r\n5", 0},
                                 {CLIENT, "", 0},
                                 {END, NULL, 0}};
  CHECK(run_script(&r, refused) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_REJECTED, "one byte after a refusal");

  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  const struct step to_hello[] = {
      TO_STARTTLS, {SERVER, "220 go\r\n", 0}, {CLIENT, SF_PT_CLIENT_HELLO, 0}, {END, NULL, 0}};
  CHECK(run_script(&r, to_hello) == -1);
  feed_bytewise(&r, "250 x\r\n");
  expect_end(&r, SF_FAILED, SF_ERR_STARTTLS_INJECTION, "plaintext a byte at a time after the 220");

  run_config(&r, SF_MODE_IMPLICIT, SF_TLS_REQUIRED);
  const struct step hello[] = {{CLIENT, SF_PT_CLIENT_HELLO, 0}, {END, NULL, 0}};
  CHECK(run_script(&r, hello) == -1);
  feed_bytewise(&r, "220 x\r\n");
  expect_end(&r, SF_FAILED, SF_ERR_TLS_PEER_PLAINTEXT, "a greeting a byte at a time on 465");
}

/* After TLS the reply parser starts again: a parse error's offset counts
 * from the first byte over TLS, not from the connection's first byte. */
static void test_parser_restarts_with_tls(void)
{
  struct run r;
  run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
  const struct step steps[] = {TO_STARTTLS,
                               {SERVER, "220 go\r\n", 0},
                               {CLIENT, SF_PT_CLIENT_HELLO, 0},
                               {TLS_HELLO, "valid mx.example.com", 0},
                               {CLIENT, HELLO, 0},
                               {SERVER, "250-mx\r\n251 x\r\n", 0},
                               {END, NULL, 0}};
  CHECK(run_script(&r, steps) == -1);
  expect_end(&r, SF_FAILED, SF_ERR_REPLY_CODE_MISMATCH, "mismatch over TLS");
  CHECKF(diag_has(&r, "at byte 10:"), "diagnosis: %s", sf_session_diagnosis(&r.s));
}

/* Before the first byte is taken, the ClientHello waiting in the TLS layer
 * is bounded by the block timer (a peer that never reads), as any output. */
static void test_unsent_hello_is_bounded(void)
{
  struct run r;
  run_config(&r, SF_MODE_IMPLICIT, SF_TLS_REQUIRED);
  sf_tls_passthrough_init(&r.pt);
  sf_session_init(&r.s, &r.cfg, &r.pt.base);
  sf_session_start(&r.s, 0);
  CHECKF(sf_session_deadline(&r.s) == r.cfg.timeout_ms[SF_PHASE_BLOCK], "deadline %llu",
         (unsigned long long)sf_session_deadline(&r.s));
}

/* The server closes after the message's ".", before its answer: nothing
 * says the message was taken, so it was not delivered. */
static void test_close_before_message_answer(void)
{
  struct run r;
  CHECK(send_message(&r, "x", "354 go\r\n", "x\r\n.\r\n") == -1);
  sf_session_eof(&r.s, r.now);
  run_drain(&r);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_PEER_CLOSED, "close before the message's answer");
}

/* RFC 5321 4.1.1.10: once the message has been accepted, a 421 in answer to
 * QUIT (the server closing anyway) ends the session as done: the mail went
 * through and must not be reported failed (and sent again). */
static void test_421_to_quit_is_done(void)
{
  struct run r;
  CHECK(send_message(&r, "m", "354 go\r\n", "m\r\n.\r\n") == -1);
  const struct step rest[] = {{SERVER, "250 queued\r\n", 0},
                              {CLIENT, "QUIT\r\n", 0},
                              {SERVER, "421 4.3.2 shutting down\r\n", 0},
                              {END, NULL, 0}};
  for (int i = 0; rest[i].op != END; i++) {
    run_drain(&r);
    if (rest[i].op == SERVER)
      sf_session_feed(&r.s, (const uint8_t *)rest[i].data, strlen(rest[i].data), r.now);
    else
      CHECK(r.wire_len - r.checked == strlen(rest[i].data) &&
            memcmp(r.wire + r.checked, rest[i].data, strlen(rest[i].data)) == 0);
    r.checked = r.wire_len;
  }
  expect_end(&r, SF_DONE, SF_ERR_OK, "421 to QUIT");
}

/* RFC 4954 6: 235 is the one answer that means "authenticated"; any other
 * 2yz (here 230 and 250) to AUTH, or to the password of AUTH LOGIN, is a
 * refusal, and no MAIL follows it. */
static void test_auth_success_is_235_only(void)
{
  static const char *const answers[] = {"230 2.7.0 ok\r\n", "250 ok\r\n"};
  for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
    for (int login = 0; login < 2; login++) {
      struct run r;
      run_config(&r, SF_MODE_IMPLICIT, SF_TLS_REQUIRED);
      run_envelope(&r, "m");
      r.cfg.auth = login ? SF_AUTH_LOGIN : SF_AUTH_PLAIN;
      r.cfg.user = "u";
      r.cfg.password = "p";
      const struct step plain[] = {{CLIENT, SF_PT_CLIENT_HELLO, 0},
                                   {TLS_HELLO, "valid mx.example.com", 0},
                                   {SERVER, GREETING, 0},
                                   {CLIENT, HELLO, 0},
                                   {SERVER, EHLO_POST, 0},
                                   {CLIENT, "AUTH PLAIN AHUAcA==\r\n", 0},
                                   {SERVER, answers[i], 0},
                                   {CLIENT, "QUIT\r\n" SF_PT_CLOSE, 0},
                                   {END, NULL, 0}};
      const struct step login_steps[] = {{CLIENT, SF_PT_CLIENT_HELLO, 0},
                                         {TLS_HELLO, "valid mx.example.com", 0},
                                         {SERVER, GREETING, 0},
                                         {CLIENT, HELLO, 0},
                                         {SERVER, EHLO_POST, 0},
                                         {CLIENT, "AUTH LOGIN\r\n", 0},
                                         {SERVER, "334 VXNlcm5hbWU6\r\n", 0},
                                         {CLIENT, "dQ==\r\n", 0},
                                         {SERVER, "334 UGFzc3dvcmQ6\r\n", 0},
                                         {CLIENT, "cA==\r\n", 0},
                                         {SERVER, answers[i], 0},
                                         {CLIENT, "QUIT\r\n" SF_PT_CLOSE, 0},
                                         {END, NULL, 0}};
      CHECK(run_script(&r, login ? login_steps : plain) == -1);
      expect_end(&r, SF_FAILED, SF_ERR_SESSION_REJECTED, answers[i]);
      CHECK(!wire_contains(&r, "MAIL"));
    }
  }
}

/* RFC 5321 4.3.2: DATA goes on only after 354. Another 3yz (a 334 meant for
 * SASL, a 350) is out of step: no message text and, as after any stray 3xx,
 * not even QUIT. */
static void test_data_needs_354(void)
{
  static const char *const answers[] = {"334 go\r\n", "350 go\r\n"};
  for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
    struct run r;
    CHECK(send_message(&r, "secret", answers[i], "") == -1);
    expect_end(&r, SF_FAILED, SF_ERR_SESSION_REJECTED, answers[i]);
    CHECK(!wire_contains(&r, "secret"));
  }
}

/* A reply where the TLS handshake was due is injection whatever its first
 * digit: every byte '0' to '9' right after the 220 to STARTTLS is named
 * STARTTLS_INJECTION, and nothing more is sent. */
static void test_any_digit_after_220_is_injection(void)
{
  for (char d = '0'; d <= '9'; d++) {
    char byte[2] = {d, '\0'};
    struct run r;
    run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
    const struct step steps[] = {
        TO_STARTTLS,       {SERVER, "220 go\r\n", 0}, {CLIENT, SF_PT_CLIENT_HELLO, 0},
        {SERVER, byte, 0}, {CLIENT, "", 0},           {END, NULL, 0}};
    CHECK(run_script(&r, steps) == -1);
    expect_end(&r, SF_FAILED, SF_ERR_STARTTLS_INJECTION, byte);
  }
}

/* The message's end marker is written inside the session's output buffer
 * whatever the message's length: lengths around one buffer's worth, so that
 * the last text byte lands at every place near the buffer's end. The bytes
 * right after the session must stay as they were, and the wire must carry
 * the message and its end exactly. */
static void test_message_end_stays_in_buffer(void)
{
  static struct {
    struct sf_session s;
    unsigned char after[32];
  } g;
  static char message[SF_SESSION_OUT_BUF + 16];
  static char wire[SF_SESSION_OUT_BUF + 64];
  const unsigned char *tail = (const unsigned char *)(&g.s.out[0] + sizeof g.s.out);
  const unsigned char *end = (const unsigned char *)(&g + 1);
  for (size_t len = SF_SESSION_OUT_BUF - 12; len <= SF_SESSION_OUT_BUF + 4; len++) {
    struct run r;
    run_config(&r, SF_MODE_PLAIN, SF_TLS_NONE);
    memset(message, 'a', len);
    message[len] = '\0';
    run_envelope(&r, message);
    memset(&g, 0x5a, sizeof g);
    sf_session_init(&g.s, &r.cfg, NULL);
    sf_session_start(&g.s, 0);
    static const char *const server[] = {GREETING, "250 mx\r\n", "250 ok\r\n", "250 ok\r\n",
                                         "354 go\r\n"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof server / sizeof server[0]; i++) {
      n = sf_session_take(&g.s, (uint8_t *)wire, sizeof wire, 0);
      sf_session_feed(&g.s, (const uint8_t *)server[i], strlen(server[i]), 0);
    }
    n = sf_session_take(&g.s, (uint8_t *)wire, sizeof wire, 0);
    n += sf_session_take(&g.s, (uint8_t *)wire + n, sizeof wire - n, 0);
    int intact = 1;
    for (const unsigned char *b = tail; b < end; b++)
      intact &= *b == 0x5a;
    CHECKF(intact, "message of %zu bytes: written past the output buffer", len);
    CHECKF(n == len + 5 && memcmp(wire, message, len) == 0 &&
               memcmp(wire + len, "\r\n.\r\n", 5) == 0,
           "message of %zu bytes: %zu bytes on the wire", len, n);
  }
}

/* A handshake the session gave up on is not begun on the wire: when the
 * peer closes, or the send timer runs out, before the ClientHello was
 * taken, no byte of it leaves afterwards. */
static void test_no_hello_after_the_end(void)
{
  for (int how = 0; how < 2; how++) {
    struct run r;
    run_config(&r, SF_MODE_STARTTLS, SF_TLS_REQUIRED);
    const struct step steps[] = {TO_STARTTLS, {END, NULL, 0}};
    CHECK(run_script(&r, steps) == -1);
    sf_session_feed(&r.s, (const uint8_t *)"220 go\r\n", 8, r.now);
    CHECK(sf_session_status(&r.s) & SF_WANT_SEND); /* the ClientHello is ready */
    if (how == 0) {
      sf_session_eof(&r.s, r.now);
    } else {
      r.now += r.cfg.timeout_ms[SF_PHASE_BLOCK];
      sf_session_tick(&r.s, r.now);
    }
    uint8_t buf[256];
    size_t n = sf_session_take(&r.s, buf, sizeof buf, r.now);
    CHECKF(n == 0, "%s: %zu bytes sent after the end", how ? "timeout" : "close", n);
    CHECK(sf_session_status(&r.s) & SF_FAILED);
    CHECK(!(sf_session_status(&r.s) & SF_WANT_SEND));
  }
}

/* The pass-through layer with a small send window, as the OpenSSL layer
 * has (SF_TLS_OPENSSL_OUT_MAX): it takes application bytes only while fewer
 * than `narrow_window` network bytes wait to be taken. */
static struct sf_tls_vtable narrow_vt;
static size_t narrow_window;

static size_t narrow_write_app(struct sf_tls *tls, const uint8_t *data, size_t len)
{
  size_t pending = sf_tls_passthrough_vtable()->pending_net(tls);
  size_t room = pending < narrow_window ? narrow_window - pending : 0;
  return sf_tls_passthrough_vtable()->write_app(tls, data, len < room ? len : room);
}

/* close_notify goes only after everything the session meant to say has gone
 * into TLS: when the layer takes the QUIT after a refusal a few bytes at a
 * time, the whole QUIT goes before close_notify, not its first bytes only. */
static void test_quit_whole_before_close_notify(void)
{
  struct run r;
  run_config(&r, SF_MODE_IMPLICIT, SF_TLS_REQUIRED);
  run_envelope(&r, "m");
  narrow_vt = *sf_tls_passthrough_vtable();
  narrow_vt.write_app = narrow_write_app;
  narrow_window = 2;
  sf_tls_passthrough_init(&r.pt);
  r.pt.base.vt = &narrow_vt;
  sf_session_init(&r.s, &r.cfg, &r.pt.base);
  sf_session_start(&r.s, 0);
  char hello[128];
  snprintf(hello, sizeof(hello), "%svalid mx.example.com\n", SF_PT_SERVER_HELLO);
  const char *server[] = {hello, GREETING, EHLO_POST, "550 5.7.1 no\r\n"};
  for (size_t i = 0; i < sizeof(server) / sizeof(server[0]); i++) {
    run_drain(&r);
    sf_session_feed(&r.s, (const uint8_t *)server[i], strlen(server[i]), 0);
  }
  run_drain(&r);
  const char *want =
      SF_PT_CLIENT_HELLO HELLO "MAIL FROM:<alice@example.org>\r\nQUIT\r\n" SF_PT_CLOSE;
  CHECKF(r.wire_len == strlen(want) && memcmp(r.wire, want, r.wire_len) == 0,
         "the client sent '%.*s'", (int)r.wire_len, r.wire);
  expect_end(&r, SF_FAILED, SF_ERR_SESSION_REJECTED, "MAIL refused over a narrow TLS window");
}

/* The pass-through server hello says "resumed" only for a session the
 * client offered (as TLS: a server cannot resume what was never offered,
 * RFC 8446 4.2.11); offered, it is taken and recorded. */
static void test_passthrough_resumes_only_when_offered(void)
{
  for (int offer = 0; offer < 2; offer++) {
    struct sf_tls_passthrough pt;
    sf_tls_passthrough_init(&pt);
    sf_tls_passthrough_offer_resume(&pt, offer);
    pt.base.vt->start(&pt.base, "mx.example.com", 1);
    char hello[SF_PT_MAX_HELLO];
    int n = snprintf(hello, sizeof(hello), "%svalid mx.example.com%s\n", SF_PT_SERVER_HELLO,
                     SF_PT_RESUMED);
    pt.base.vt->feed_net(&pt.base, (const uint8_t *)hello, (size_t)n);
    if (offer) {
      CHECK(pt.base.vt->state(&pt.base) == SF_TLS_ESTABLISHED);
      CHECK(sf_tls_passthrough_resumed(&pt));
    } else {
      CHECK(pt.base.vt->state(&pt.base) == SF_TLS_FAILED);
      CHECK(pt.base.vt->error(&pt.base, NULL) == SF_ERR_TLS_HANDSHAKE);
      CHECK(!sf_tls_passthrough_resumed(&pt));
    }
  }
}

int main(void)
{
  test_plain_delivery();
  test_starttls_delivery();
  test_implicit_delivery_auth_login();
  test_opportunistic_upgrades_when_offered();
  test_injection_same_flight();
  test_injection_next_flight();
  test_caps_forgotten_after_tls();
  test_required_refusals();
  test_required_starttls_missing();
  test_required_no_helo_fallback();
  test_helo_fallback_where_allowed();
  test_tls_failures();
  test_opportunistic_stripped_never_auths();
  test_opportunistic_without_auth_continues();
  test_plaintext_auth_only_by_name();
  test_421_everywhere();
  test_silent_465_is_diagnosed();
  test_every_wait_has_a_deadline();
  test_implicit_against_plaintext_peer();
  test_close_at_greeting_on_465();
  test_parser_errors_end_the_session();
  test_unsolicited_bytes();
  test_config_is_checked();
  test_byte_at_a_time();
  test_tls_fails_after_handshake();
  test_verify_needs_host();
  test_passthrough_names();
  test_passthrough_hello_splits();
  test_envelope_needs_recipient();
  test_message_line_ends();
  test_message_streamed_in_runs();
  test_timers_start_when_sent();
  test_greeting_hints();
  test_one_byte_is_enough();
  test_parser_restarts_with_tls();
  test_unsent_hello_is_bounded();
  test_close_before_message_answer();
  test_421_to_quit_is_done();
  test_reply_before_message_left_tls();
  test_auth_success_is_235_only();
  test_data_needs_354();
  test_any_digit_after_220_is_injection();
  test_message_end_stays_in_buffer();
  test_no_hello_after_the_end();
  test_quit_whole_before_close_notify();
  test_passthrough_resumes_only_when_offered();
  return check_report("session");
}
