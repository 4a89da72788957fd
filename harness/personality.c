/* Personalities: the default answer to every command, and the lookup that
 * lets a scenario's rules override them (scenario_answer, personality.h). */
#include "personality.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Personalities: the default answer to every command                  */

#define SEND(s)                                                                                    \
  {                                                                                                \
    .kind = SC_ACT_SEND, .bytes = (const uint8_t *)(s), .len = sizeof(s) - 1                       \
  }
#define DO(what)                                                                                   \
  {                                                                                                \
    .kind = SC_ACT_##what                                                                          \
  }

#define GREETING_ESMTP  "220 mx.example.com ESMTP smtpfuzz\r\n"
#define GREETING_LEGACY "220 mx.example.com SMTP service ready\r\n"

static const struct sc_step a_hang[] = {DO(HANG)};
static const struct sc_step a_greeting[] = {SEND(GREETING_ESMTP)};
static const struct sc_step a_greeting_legacy[] = {SEND(GREETING_LEGACY)};
/* RFC 8314 3: TLS from the first byte, then the greeting inside it. */
static const struct sc_step a_greeting_implicit[] = {DO(TLS), SEND(GREETING_ESMTP)};
/* RFC 3207 4: no AUTH before TLS, so nothing worth stealing is offered. */
static const struct sc_step a_ehlo_submission_plain[] = {SEND("250-mx.example.com\r\n"
                                                              "250-PIPELINING\r\n"
                                                              "250-SIZE 35882577\r\n"
                                                              "250-STARTTLS\r\n"
                                                              "250-8BITMIME\r\n"
                                                              "250 ENHANCEDSTATUSCODES\r\n")};
/* RFC 3207 4.2: STARTTLS is not offered again once TLS is up. */
static const struct sc_step a_ehlo_auth[] = {SEND("250-mx.example.com\r\n"
                                                  "250-PIPELINING\r\n"
                                                  "250-SIZE 35882577\r\n"
                                                  "250-AUTH PLAIN LOGIN\r\n"
                                                  "250-8BITMIME\r\n"
                                                  "250 ENHANCEDSTATUSCODES\r\n")};
static const struct sc_step a_ehlo_relay_tls[] = {SEND("250-mx.example.com\r\n"
                                                       "250-PIPELINING\r\n"
                                                       "250-SIZE 35882577\r\n"
                                                       "250-8BITMIME\r\n"
                                                       "250 ENHANCEDSTATUSCODES\r\n")};
static const struct sc_step a_ehlo_legacy[] = {SEND("502 5.5.2 Error: command not recognized\r\n")};
static const struct sc_step a_helo[] = {SEND("250 mx.example.com\r\n")};
static const struct sc_step a_starttls[] = {SEND("220 2.0.0 Ready to start TLS\r\n"), DO(TLS)};
static const struct sc_step a_starttls_again[] = {SEND("503 5.5.1 Error: TLS already active\r\n")};
static const struct sc_step a_not_implemented[] = {
    SEND("502 5.5.1 Error: command not implemented\r\n")};
/* RFC 3207 4: the reply for a command that needs TLS first. */
static const struct sc_step a_auth_needs_tls[] = {
    SEND("530 5.7.0 Must issue a STARTTLS command first\r\n")};
static const struct sc_step a_auth_disabled[] = {
    SEND("503 5.5.1 Error: authentication not enabled\r\n")};
static const struct sc_step a_auth_ok[] = {SEND("235 2.7.0 Authentication successful\r\n")};
/* draft-murchison-sasl-login: "Username:" and "Password:" in base64. */
static const struct sc_step a_auth_login_user[] = {SEND("334 VXNlcm5hbWU6\r\n")};
static const struct sc_step a_auth_login_password[] = {SEND("334 UGFzc3dvcmQ6\r\n")};
/* RFC 4954 4: a mechanism with no initial response gets an empty challenge. */
static const struct sc_step a_auth_ask[] = {SEND("334 \r\n")};
static const struct sc_step a_auth_bad[] = {
    SEND("535 5.7.8 Authentication credentials invalid\r\n")};
static const struct sc_step a_auth_aborted[] = {SEND("501 5.7.0 Authentication aborted\r\n")};
static const struct sc_step a_auth_unknown[] = {
    SEND("504 5.5.4 Unrecognized authentication type\r\n")};
static const struct sc_step a_mail[] = {SEND("250 2.1.0 Ok\r\n")};
static const struct sc_step a_rcpt[] = {SEND("250 2.1.5 Ok\r\n")};
static const struct sc_step a_data[] = {SEND("354 End data with <CR><LF>.<CR><LF>\r\n")};
static const struct sc_step a_body[] = {SEND("250 2.0.0 Ok: queued as 4F1A2B3C\r\n")};
static const struct sc_step a_chunk[] = {SEND("250 2.0.0 Ok: chunk received\r\n")};
static const struct sc_step a_chunk_bad[] = {SEND("501 5.5.4 Syntax: BDAT <size> [LAST]\r\n")};
static const struct sc_step a_ok[] = {SEND("250 2.0.0 Ok\r\n")};
static const struct sc_step a_quit[] = {SEND("221 2.0.0 Bye\r\n"), DO(CLOSE)};
static const struct sc_step a_other[] = {SEND("500 5.5.2 Error: command not recognized\r\n")};

struct default_row {
  unsigned pers; /* bit per personality */
  unsigned verb; /* SC_VERB_COUNT: every verb */
  enum sc_chan chan;
  enum sc_hint hint; /* SC_HINT_NONE: whatever the server core read */
  const struct sc_step *steps;
  size_t nsteps;
};

#define P(x)     (1u << SC_PERS_##x)
#define SPEAKING (P(SUBMISSION) | P(IMPLICIT) | P(RELAY) | P(LEGACY))
#define ANY_VERB SC_VERB_COUNT
#define ROW(pers, verb, chan, hint, steps)                                                         \
  {                                                                                                \
    pers, verb, SC_CHAN_##chan, SC_HINT_##hint, steps, sizeof steps / sizeof steps[0]              \
  }

/* First match wins: specific rows come before general ones. */
static const struct default_row default_rows[] = {
    ROW(P(SILENT), ANY_VERB, ANY, NONE, a_hang),

    ROW(P(SUBMISSION) | P(RELAY), SC_VERB_CONNECT, ANY, NONE, a_greeting),
    ROW(P(IMPLICIT), SC_VERB_CONNECT, ANY, NONE, a_greeting_implicit),
    ROW(P(LEGACY), SC_VERB_CONNECT, ANY, NONE, a_greeting_legacy),

    ROW(P(SUBMISSION) | P(RELAY), SC_VERB_EHLO, PLAIN, NONE, a_ehlo_submission_plain),
    ROW(P(SUBMISSION) | P(IMPLICIT), SC_VERB_EHLO, ANY, NONE, a_ehlo_auth),
    ROW(P(RELAY), SC_VERB_EHLO, ANY, NONE, a_ehlo_relay_tls),
    ROW(P(LEGACY), SC_VERB_EHLO, ANY, NONE, a_ehlo_legacy),

    ROW(SPEAKING, SC_VERB_HELO, ANY, NONE, a_helo),

    ROW(P(SUBMISSION) | P(RELAY), SC_VERB_STARTTLS, PLAIN, NONE, a_starttls),
    ROW(P(SUBMISSION) | P(RELAY) | P(IMPLICIT), SC_VERB_STARTTLS, ANY, NONE, a_starttls_again),
    ROW(P(LEGACY), SC_VERB_STARTTLS, ANY, NONE, a_not_implemented),

    /* AUTH where the personality offers it: answered as the client asked,
     * mechanism by mechanism (RFC 4954 4), with its credentials checked. */
    ROW(P(SUBMISSION), SC_VERB_AUTH, PLAIN, NONE, a_auth_needs_tls),
    ROW(P(RELAY), SC_VERB_AUTH, ANY, NONE, a_auth_disabled),
    ROW(P(LEGACY), SC_VERB_AUTH, ANY, NONE, a_not_implemented),
    ROW(SPEAKING, ANY_VERB, ANY, AUTH_ASK, a_auth_ask),
    ROW(SPEAKING, ANY_VERB, ANY, AUTH_ASK_USER, a_auth_login_user),
    ROW(SPEAKING, ANY_VERB, ANY, AUTH_ASK_PASSWORD, a_auth_login_password),
    ROW(SPEAKING, ANY_VERB, ANY, AUTH_OK, a_auth_ok),
    ROW(SPEAKING, ANY_VERB, ANY, AUTH_BAD, a_auth_bad),
    ROW(SPEAKING, ANY_VERB, ANY, AUTH_ABORTED, a_auth_aborted),
    ROW(SPEAKING, ANY_VERB, ANY, AUTH_UNKNOWN, a_auth_unknown),
    /* SASL data nobody's mechanism asked for (a rule sent the 334): whoever
     * sent it chose to go on, so the exchange ends well. */
    ROW(SPEAKING, SC_VERB_AUTH_DATA, ANY, NONE, a_auth_ok),
    ROW(SPEAKING, SC_VERB_AUTH, ANY, NONE, a_auth_unknown),

    ROW(SPEAKING, SC_VERB_MAIL, ANY, NONE, a_mail),
    ROW(SPEAKING, SC_VERB_RCPT, ANY, NONE, a_rcpt),
    ROW(SPEAKING, SC_VERB_DATA, ANY, NONE, a_data),
    ROW(SPEAKING, SC_VERB_BODY, ANY, NONE, a_body),
    /* RFC 3030 2: each chunk is answered; the LAST one ends the message. */
    ROW(SPEAKING, SC_VERB_BDAT, ANY, CHUNK_BAD, a_chunk_bad),
    ROW(SPEAKING, SC_VERB_BDAT, ANY, CHUNK_LAST, a_body),
    ROW(SPEAKING, SC_VERB_BDAT, ANY, NONE, a_chunk),
    ROW(SPEAKING, SC_VERB_RSET, ANY, NONE, a_ok),
    ROW(SPEAKING, SC_VERB_NOOP, ANY, NONE, a_ok),
    ROW(SPEAKING, SC_VERB_QUIT, ANY, NONE, a_quit),
    ROW(SPEAKING, SC_VERB_OTHER, ANY, NONE, a_other),
};

#define NDEFAULT_ROWS (sizeof default_rows / sizeof default_rows[0])

static const struct default_row *default_answer(const struct scenario *sc, enum sc_verb verb,
                                                int tls, enum sc_hint hint)
{
  enum sc_chan here = tls ? SC_CHAN_TLS : SC_CHAN_PLAIN;
  unsigned pers = (unsigned)sc->personality < SC_PERS_COUNT ? 1u << sc->personality : 0;
  for (size_t i = 0; i < NDEFAULT_ROWS; i++) {
    const struct default_row *row = &default_rows[i];
    if ((row->pers & pers) == 0 || (row->verb != ANY_VERB && row->verb != (unsigned)verb))
      continue;
    if (row->chan != SC_CHAN_ANY && row->chan != here)
      continue;
    if (row->hint != SC_HINT_NONE && row->hint != hint)
      continue;
    return row;
  }
  return NULL;
}

size_t scenario_answer(const struct scenario *sc, enum sc_verb verb, int tls, unsigned occurrence,
                       enum sc_hint hint, struct sc_step *out, size_t cap)
{
  enum sc_chan here = tls ? SC_CHAN_TLS : SC_CHAN_PLAIN;
  const struct sc_rule *best = NULL;
  int best_score = -1;
  size_t nrules = sc->nrules < SC_MAX_RULES ? sc->nrules : SC_MAX_RULES;
  for (size_t i = 0; i < nrules; i++) {
    const struct sc_rule *r = &sc->rules[i];
    if (r->verb != verb || (r->chan != SC_CHAN_ANY && r->chan != here))
      continue;
    if (r->nth != 0 && r->nth != occurrence)
      continue;
    /* The occurrence is the stronger qualifier, then the channel. */
    int score = (r->nth != 0) * 2 + (r->chan != SC_CHAN_ANY);
    if (score > best_score) {
      best = r;
      best_score = score;
    }
  }

  size_t n = 0;
  if (best != NULL) {
    const struct sc_action *a;
    size_t na = scenario_rule_actions(sc, best, &a);
    for (size_t k = 0; k < na && n < cap; k++, n++) {
      out[n] = (struct sc_step){.kind = a[k].kind};
      if (sc_act_has_bytes(a[k].kind)) {
        out[n].bytes = scenario_send_bytes(sc, &a[k], &out[n].len);
        out[n].repeat = a[k].repeat;
      }
      if (a[k].kind == SC_ACT_STALL)
        out[n].ms = a[k].ms;
    }
    return n;
  }
  const struct default_row *row = default_answer(sc, verb, tls, hint);
  if (row == NULL)
    return 0;
  for (; n < row->nsteps && n < cap; n++)
    out[n] = row->steps[n];
  return n;
}
