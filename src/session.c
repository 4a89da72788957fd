#include "session.h"

#include "base64.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Profile masks used in the table. */
#define P   SF_PROF_PLAIN
#define O   SF_PROF_OPP
#define R   SF_PROF_REQ
#define I   SF_PROF_IMPLICIT
#define ALL SF_PROF_ALL
#define PRE (P | O | R) /* profiles that start in plaintext */
#define TLS (O | R | I) /* profiles that can have TLS up */

#define E(state, profiles)                                                                         \
  {                                                                                                \
    SF_ST_##state, (profiles)                                                                      \
  }

/* One row per state. Edges are the only transitions the engine may take
 * (sf_session checks each one at run time), so the properties tests prove of
 * this table hold for every session. */
static const struct sf_state_row table[SF_ST_COUNT] = {
    [SF_ST_CONNECT] = {"connect",
                       NULL,
                       0,
                       0,
                       SF_PHASE_GREETING,
                       "-",
                       {E(GREETING, PRE), E(TLS_IMPLICIT, I), E(FAILED, ALL)},
                       3},
    [SF_ST_GREETING] = {"greeting",
                        NULL,
                        0,
                        1,
                        SF_PHASE_GREETING,
                        "220; 421 and others end",
                        {E(EHLO, PRE), E(FAILED, PRE)},
                        2},
    /* RFC 3207 4: STARTTLS is only offered in an EHLO reply. Under R there is
     * no edge from here to AUTH or MAIL: only STARTTLS or the end. */
    [SF_ST_EHLO] = {"ehlo",
                    "EHLO",
                    0,
                    1,
                    SF_PHASE_EHLO,
                    "250; 5xx -> HELO where allowed",
                    {E(STARTTLS, O | R), E(HELO, P | O), E(AUTH_PLAIN, P | O), E(AUTH_LOGIN, P | O),
                     E(MAIL, P | O), E(QUIT, P | O), E(FAILED, PRE)},
                    7},
    [SF_ST_HELO] = {"helo",
                    "HELO",
                    0,
                    1,
                    SF_PHASE_EHLO,
                    "250",
                    {E(MAIL, P | O), E(QUIT, P | O), E(FAILED, P | O)},
                    3},
    /* RFC 8314 5.2: under R a refusal leads only to the end. */
    [SF_ST_STARTTLS] = {"starttls",
                        "STARTTLS",
                        0,
                        1,
                        SF_PHASE_STARTTLS,
                        "220; others: plaintext under opportunistic, the end under required",
                        {E(TLS_HANDSHAKE, O | R), E(AUTH_PLAIN, O), E(AUTH_LOGIN, O), E(MAIL, O),
                         E(QUIT, O), E(FAILED, O | R)},
                        6},
    [SF_ST_TLS_HANDSHAKE] = {"tls-handshake",
                             NULL,
                             0,
                             1,
                             SF_PHASE_TLS,
                             "a TLS handshake",
                             {E(EHLO_TLS, O | R), E(FAILED, O | R)},
                             2},
    [SF_ST_TLS_IMPLICIT] = {"tls-implicit",
                            NULL,
                            0,
                            1,
                            SF_PHASE_TLS,
                            "a TLS handshake",
                            {E(GREETING_TLS, I), E(FAILED, I)},
                            2},
    [SF_ST_GREETING_TLS] =
        {"greeting-tls", NULL, 1, 1, SF_PHASE_GREETING, "220", {E(EHLO_TLS, I), E(FAILED, I)}, 2},
    /* RFC 3207 4.2: the first command over TLS is EHLO, with fresh capabilities. */
    [SF_ST_EHLO_TLS] = {"ehlo-tls",
                        "EHLO",
                        1,
                        1,
                        SF_PHASE_EHLO,
                        "250; 5xx -> HELO where allowed",
                        {E(HELO_TLS, TLS), E(AUTH_PLAIN, TLS), E(AUTH_LOGIN, TLS), E(MAIL, TLS),
                         E(QUIT, TLS), E(FAILED, TLS)},
                        6},
    [SF_ST_HELO_TLS] = {"helo-tls",
                        "HELO",
                        1,
                        1,
                        SF_PHASE_EHLO,
                        "250",
                        {E(MAIL, TLS), E(QUIT, TLS), E(FAILED, TLS)},
                        3},
    [SF_ST_AUTH_PLAIN] = {"auth-plain",
                          "AUTH PLAIN",
                          -1,
                          1,
                          SF_PHASE_AUTH,
                          "235",
                          {E(MAIL, ALL), E(QUIT, ALL), E(FAILED, ALL)},
                          3},
    [SF_ST_AUTH_LOGIN] = {"auth-login",
                          "AUTH LOGIN",
                          -1,
                          1,
                          SF_PHASE_AUTH,
                          "334",
                          {E(AUTH_LOGIN_USER, ALL), E(FAILED, ALL)},
                          2},
    [SF_ST_AUTH_LOGIN_USER] = {"auth-login-user",
                               "(user name)",
                               -1,
                               1,
                               SF_PHASE_AUTH,
                               "334",
                               {E(AUTH_LOGIN_PASS, ALL), E(FAILED, ALL)},
                               2},
    [SF_ST_AUTH_LOGIN_PASS] = {"auth-login-pass",
                               "(password)",
                               -1,
                               1,
                               SF_PHASE_AUTH,
                               "235",
                               {E(MAIL, ALL), E(QUIT, ALL), E(FAILED, ALL)},
                               3},
    [SF_ST_MAIL] =
        {"mail", "MAIL FROM", -1, 1, SF_PHASE_MAIL, "250", {E(RCPT, ALL), E(FAILED, ALL)}, 2},
    [SF_ST_RCPT] = {"rcpt",
                    "RCPT TO",
                    -1,
                    1,
                    SF_PHASE_RCPT,
                    "250, 251",
                    {E(RCPT, ALL), E(DATA, ALL), E(FAILED, ALL)},
                    3},
    [SF_ST_DATA] = {"data", "DATA", -1, 1, SF_PHASE_DATA, "354", {E(BODY, ALL), E(FAILED, ALL)}, 2},
    [SF_ST_BODY] =
        {"body", "(message)", -1, 1, SF_PHASE_BODY, "250", {E(QUIT, ALL), E(FAILED, ALL)}, 2},
    [SF_ST_QUIT] = {"quit",
                    "QUIT",
                    -1,
                    1,
                    SF_PHASE_QUIT,
                    "221 (any reply or a close ends it)",
                    {E(DONE, ALL), E(FAILED, ALL)},
                    2},
    [SF_ST_DONE] = {"done", NULL, -1, 0, SF_PHASE_QUIT, "-", {{SF_ST_DONE, 0}}, 0},
    [SF_ST_FAILED] = {"failed", NULL, -1, 0, SF_PHASE_QUIT, "-", {{SF_ST_FAILED, 0}}, 0},
};

#undef E

const struct sf_state_row *sf_session_table(void)
{
  return table;
}

const char *sf_state_name(enum sf_state st)
{
  if ((unsigned)st >= SF_ST_COUNT)
    return "?";
  return table[st].name;
}

unsigned sf_config_profile(const struct sf_config *cfg)
{
  if (cfg->mode == SF_MODE_PLAIN && cfg->tls == SF_TLS_NONE)
    return P;
  if (cfg->mode == SF_MODE_STARTTLS && cfg->tls == SF_TLS_OPPORTUNISTIC)
    return O;
  if (cfg->mode == SF_MODE_STARTTLS && cfg->tls == SF_TLS_REQUIRED)
    return R;
  if (cfg->mode == SF_MODE_IMPLICIT && cfg->tls == SF_TLS_REQUIRED)
    return I;
  return 0;
}

/* ---- failure and diagnosis ---------------------------------------------- */

static int terminal(const struct sf_session *s)
{
  return s->state == SF_ST_DONE || s->state == SF_ST_FAILED;
}

static size_t out_pending(const struct sf_session *s)
{
  return s->out_tail - s->out_head;
}

/* Queue the strings part[0..n) for the server as one piece: all of them,
 * or nothing and 0 if they do not fit. A command is queued only once
 * everything before it has been taken (a reply is never read while our
 * command is still queued, and fail() empties the queue first), so it
 * always starts an empty buffer. */
static int queue(struct sf_session *s, const char *const *part, size_t n)
{
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += strlen(part[i]);
  if (s->out_head == s->out_tail)
    s->out_head = s->out_tail = 0;
  if (total > sizeof(s->out) - s->out_tail)
    return 0;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(part[i]);
    memcpy(s->out + s->out_tail, part[i], len);
    s->out_tail += len;
  }
  return 1;
}

/* Whether the command, or the message after a 354, has not all left: it is
 * still in our queue, or in TLS records the caller has not taken. */
static int queued(const struct sf_session *s)
{
  return out_pending(s) > 0 || (s->state == SF_ST_BODY && !s->body_done) ||
         (s->tls_net_owed > 0 && s->tls->vt->pending_net(s->tls) > 0);
}

/* Record the error and end the session. With `quit`, the channel is still
 * in step with the server, so say goodbye (QUIT is allowed before TLS, RFC
 * 8314 5.2); after a protocol violation or a 421 nothing more is sent. */
static enum sf_state fail(struct sf_session *s, enum sf_err err, int quit, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum sf_state fail(struct sf_session *s, enum sf_err err, int quit, const char *fmt, ...)
{
  if (s->err == SF_ERR_OK) {
    s->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->diag, sizeof(s->diag), fmt, ap);
    va_end(ap);
  }
  s->body_done = 1;
  s->out_head = s->out_tail = 0;
  /* Our last records still in the TLS layer cannot be taken back, and
   * nothing can follow them if they are dropped: the session stops there. */
  s->tls_mute = s->tls_up && s->tls_net_owed > 0 && s->tls->vt->pending_net(s->tls) > 0;
  if (quit && !s->tls_mute)
    queue(s, (const char *const[]){"QUIT\r\n"}, 1);
  s->closing = 1;
  return SF_ST_FAILED;
}

/* The first line of a reply, bounded, for diagnoses. */
static const char *reply_text(const struct sf_reply *r, char *buf, size_t cap)
{
  size_t n = r->text[0].len < cap - 1 ? r->text[0].len : cap - 1;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)r->text[0].ptr[i];
    buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
  }
  buf[n] = '\0';
  return buf;
}

/* Whether QUIT can still be understood as a command. After a 3xx where none
 * belongs, the server may be reading message text (354) or a SASL response
 * (334): a QUIT would land there, so the session ends without a word. */
static int quit_ok(const struct sf_reply *r)
{
  return sf_reply_class(r) != 3;
}

static enum sf_state rejected(struct sf_session *s, const struct sf_reply *r, const char *what)
{
  char text[96];
  if (r->code == 421)
    return fail(s, SF_ERR_SESSION_SERVER_CLOSING, 0,
                "the server closes the session during %s: 421 %s", what,
                reply_text(r, text, sizeof(text)));
  return fail(s, SF_ERR_SESSION_REJECTED, quit_ok(r), "%s answered %d %s", what, r->code,
              reply_text(r, text, sizeof(text)));
}

/* ---- commands ------------------------------------------------------------ */

/* A value placed inside a command must not end the command early: a CR or LF
 * in an address would let the configuration inject commands. */
static int safe_arg(const char *v)
{
  return strpbrk(v, "\r\n") == NULL;
}

/* Queues verb, arg and close (either may be NULL) and CRLF as one line. */
static int queue_command(struct sf_session *s, const char *verb, const char *arg, const char *close)
{
  if (arg && !safe_arg(arg)) {
    fail(s, SF_ERR_CONFIG_BAD_VALUE, 0, "the %s argument contains CR or LF", verb);
    return 0;
  }
  const char *const part[] = {verb, arg ? arg : "", close ? close : "", "\r\n"};
  if (!queue(s, part, 4)) {
    fail(s, SF_ERR_CONFIG_TOO_LONG, 0, "the %s command does not fit the output buffer", verb);
    return 0;
  }
  return 1;
}

/* sf_config_validate() holds user and password together to what one AUTH
 * line carries; these buffers are sized from that bound, so encoding them
 * cannot fail (RFC 4616 2: NUL user NUL password; base64 takes 4 octets for
 * every 3). */
#define AUTH_MSG_MAX (SF_CONFIG_MAX_CREDENTIALS + 2)
_Static_assert((AUTH_MSG_MAX + 2) / 3 * 4 < SF_SESSION_OUT_BUF / 2,
               "an AUTH line must fit its encoding buffer");

static void queue_base64(struct sf_session *s, const char *prefix, const unsigned char *data,
                         size_t len)
{
  char enc[SF_SESSION_OUT_BUF / 2];
  size_t n = sf_base64_encode(data, len, enc, sizeof(enc) - 1);
  enc[n] = '\0';
  queue_command(s, prefix, enc, NULL);
}

static void queue_auth_plain(struct sf_session *s)
{
  /* RFC 4616 2: authzid NUL authcid NUL passwd, sent as the initial
   * response (RFC 4954 4). strnlen() keeps the copy in bounds whatever the
   * configuration; validation made sure nothing is cut. */
  unsigned char msg[AUTH_MSG_MAX];
  size_t ulen = strnlen(s->cfg->user, SF_CONFIG_MAX_CREDENTIALS);
  size_t plen = strnlen(s->cfg->password, SF_CONFIG_MAX_CREDENTIALS - ulen);
  msg[0] = '\0';
  memcpy(msg + 1, s->cfg->user, ulen);
  msg[1 + ulen] = '\0';
  memcpy(msg + 2 + ulen, s->cfg->password, plen);
  queue_base64(s, "AUTH PLAIN ", msg, ulen + plen + 2);
}

/* Actions on entering a state: what the row says it sends. */
static void on_enter(struct sf_session *s)
{
  const struct sf_config *c = s->cfg;
  switch (s->state) {
  case SF_ST_EHLO:
  case SF_ST_EHLO_TLS:
    queue_command(s, "EHLO ", c->helo_name, NULL);
    break;
  case SF_ST_HELO:
  case SF_ST_HELO_TLS:
    queue_command(s, "HELO ", c->helo_name, NULL);
    break;
  case SF_ST_STARTTLS:
    queue_command(s, "STARTTLS", NULL, NULL);
    break;
  case SF_ST_TLS_HANDSHAKE:
  case SF_ST_TLS_IMPLICIT:
    s->tls_started = 1;
    s->tls_net_seen = 0;
    s->tls->vt->start(s->tls, c->host, c->verify);
    break;
  case SF_ST_AUTH_PLAIN:
    queue_auth_plain(s);
    break;
  case SF_ST_AUTH_LOGIN:
    queue_command(s, "AUTH LOGIN", NULL, NULL);
    break;
  case SF_ST_AUTH_LOGIN_USER:
    queue_base64(s, "", (const unsigned char *)c->user,
                 strnlen(c->user, SF_CONFIG_MAX_CREDENTIALS));
    break;
  case SF_ST_AUTH_LOGIN_PASS:
    queue_base64(s, "", (const unsigned char *)c->password,
                 strnlen(c->password, SF_CONFIG_MAX_CREDENTIALS));
    break;
  case SF_ST_MAIL:
    queue_command(s, "MAIL FROM:<", c->mail_from, ">");
    break;
  case SF_ST_RCPT:
    queue_command(s, "RCPT TO:<", c->rcpt[s->rcpt_next++], ">");
    break;
  case SF_ST_DATA:
    queue_command(s, "DATA", NULL, NULL);
    break;
  case SF_ST_BODY:
    s->body_pos = 0;
    s->body_bol = 1;
    s->body_done = 0;
    break;
  case SF_ST_QUIT:
    queue_command(s, "QUIT", NULL, NULL);
    break;
  case SF_ST_DONE:
    s->closing = 1;
    break;
  case SF_ST_CONNECT:
  case SF_ST_GREETING:
  case SF_ST_GREETING_TLS:
  case SF_ST_FAILED:
  case SF_ST_COUNT:
    break;
  }
}

static int edge_allowed(const struct sf_session *s, enum sf_state to)
{
  const struct sf_state_row *row = &table[s->state];
  for (size_t i = 0; i < row->nnext; i++)
    if (row->next[i].to == to && (row->next[i].profiles & s->profile))
      return 1;
  return 0;
}

/* Whether bytes we mean to send have not all left yet: the command or the
 * message is still in our queue, or in the TLS layer's. */
static int sending(const struct sf_session *s)
{
  return queued(s) || (s->tls_started && s->tls->vt->pending_net(s->tls) > 0);
}

/* RFC 5321 4.5.3.2: the timer for a reply starts once its command has left;
 * until then each send is bounded by the data-block timer (4.5.3.2.5), so a
 * peer that stops reading cannot stall us either. */
static void arm(struct sf_session *s, uint64_t now)
{
  if (terminal(s) || !table[s->state].waits) {
    s->deadline = SF_NO_DEADLINE;
    return;
  }
  enum sf_phase phase = sending(s) ? SF_PHASE_BLOCK : table[s->state].phase;
  s->deadline = now + s->cfg->timeout_ms[phase];
}

static void enter(struct sf_session *s, enum sf_state to, uint64_t now)
{
  if (!edge_allowed(s, to))
    to = fail(s, SF_ERR_SESSION_TABLE, 0, "no edge %s -> %s for this profile", table[s->state].name,
              table[to].name);
  if (terminal(s))
    return;
  s->state = to;
  if (s->ntrace < SF_SESSION_TRACE)
    s->trace[s->ntrace++] = to;
  on_enter(s);
  if (s->err != SF_ERR_OK && s->state != SF_ST_FAILED) {
    /* on_enter failed (a command did not fit). */
    s->state = SF_ST_FAILED;
    if (s->ntrace < SF_SESSION_TRACE)
      s->trace[s->ntrace++] = SF_ST_FAILED;
  }
  arm(s, now);
}

/* ---- decisions ----------------------------------------------------------- */

/* After the last hello over the channel we will use: authenticate, send
 * the envelope, or say goodbye. */
static enum sf_state after_hello(struct sf_session *s)
{
  const struct sf_config *c = s->cfg;
  if (c->auth != SF_AUTH_NONE) {
    /* RFC 8314 5.2 / RFC 4954 4: credentials never in the clear unless the
     * configuration says so by name. */
    if (!s->tls_up && !c->allow_plaintext_auth)
      return fail(s, SF_ERR_PLAINTEXT_AUTH_REFUSED, 1,
                  "AUTH would be sent in plaintext; refusing (set tls = required, or "
                  "allow_plaintext_auth only on a trusted network)");
    unsigned want = c->auth == SF_AUTH_PLAIN ? SF_AUTH_MECH_PLAIN : SF_AUTH_MECH_LOGIN;
    if (!s->have_caps || !(s->caps.auth & want))
      return fail(s, SF_ERR_AUTH_UNSUPPORTED, 1, "the server does not offer AUTH %s",
                  sf_auth_name(c->auth));
    return c->auth == SF_AUTH_PLAIN ? SF_ST_AUTH_PLAIN : SF_ST_AUTH_LOGIN;
  }
  return c->mail_from ? SF_ST_MAIL : SF_ST_QUIT;
}

static enum sf_state after_auth(struct sf_session *s)
{
  return s->cfg->mail_from ? SF_ST_MAIL : SF_ST_QUIT;
}

/* RFC 5321 4.1.4: 500, 501, 502, 504 (and 550 in practice) mean "EHLO not
 * understood": HELO is the fallback, where the policy allows it. */
static int ehlo_not_supported(int code)
{
  return code == 500 || code == 501 || code == 502 || code == 504 || code == 550;
}

static enum sf_state on_ehlo(struct sf_session *s, const struct sf_reply *r, int over_tls)
{
  if (r->code != 250) {
    if (!ehlo_not_supported(r->code) || !s->cfg->allow_helo)
      return fail(s, SF_ERR_SESSION_EHLO_REJECTED, quit_ok(r),
                  "EHLO answered %d and HELO fallback is %s", r->code,
                  s->cfg->allow_helo ? "not meant for this code" : "off");
    /* Without EHLO there is no STARTTLS: under tls=required HELO is no way
     * forward (the table has no such edge). */
    if (!over_tls && s->profile == R)
      return fail(s, SF_ERR_STARTTLS_MISSING, 1,
                  "EHLO answered %d: no STARTTLS without EHLO, and TLS is required", r->code);
    return over_tls ? SF_ST_HELO_TLS : SF_ST_HELO;
  }
  size_t bad = 0;
  enum sf_err err = sf_caps_parse(r, &s->caps, &bad);
  s->caps.domain = (struct sf_span){0};
  if (err != SF_ERR_OK)
    return fail(s, err, 1, "EHLO reply line %zu: %s", bad, sf_err_desc(err));
  s->have_caps = 1;
  if (over_tls || s->profile == P)
    return after_hello(s);
  if (s->caps.flags & SF_CAP_STARTTLS)
    return SF_ST_STARTTLS;
  if (s->profile == R)
    return fail(s, SF_ERR_STARTTLS_MISSING, 1,
                "the server does not offer STARTTLS and tls = required (RFC 8314 5.2): "
                "refusing to continue in plaintext");
  return after_hello(s);
}

static enum sf_state on_starttls(struct sf_session *s, const struct sf_reply *r, size_t leftover)
{
  char text[96];
  if (r->code == 220) {
    /* RFC 3207 4.2 and CVE-2021-22947: anything after the 220 was sent in
     * plaintext before TLS and must never be read as if it came over TLS. */
    if (leftover > 0)
      return fail(s, SF_ERR_STARTTLS_INJECTION, 0,
                  "%zu plaintext bytes followed the 220 to STARTTLS (response injection); "
                  "aborting",
                  leftover);
    return SF_ST_TLS_HANDSHAKE;
  }
  /* A 421 never gets here: on_reply() ends every state on it. A 3xx to STARTTLS puts the server out
   * of step with us: plaintext commands would be read as data, so even opportunistic TLS stops
   * here. */
  if (s->profile == O && !quit_ok(r))
    return rejected(s, r, "STARTTLS");
  if (s->profile == R)
    return fail(s, SF_ERR_STARTTLS_REFUSED, quit_ok(r),
                "STARTTLS answered %d %s; tls = required forbids going on in plaintext "
                "(RFC 8314 5.2)",
                r->code, reply_text(r, text, sizeof(text)));
  return after_hello(s);
}

/* The transition for a complete reply in the current state. */
static enum sf_state on_reply(struct sf_session *s, const struct sf_reply *r, size_t leftover)
{
  if (r->code == 421 && s->state != SF_ST_QUIT)
    return rejected(s, r, table[s->state].name);
  switch (s->state) {
  case SF_ST_GREETING:
  case SF_ST_GREETING_TLS:
    if (r->code != 220)
      return rejected(s, r, "the greeting");
    return s->state == SF_ST_GREETING ? SF_ST_EHLO : SF_ST_EHLO_TLS;
  case SF_ST_EHLO:
    return on_ehlo(s, r, 0);
  case SF_ST_EHLO_TLS:
    return on_ehlo(s, r, 1);
  case SF_ST_HELO:
  case SF_ST_HELO_TLS:
    if (r->code != 250)
      return rejected(s, r, "HELO");
    return after_hello(s);
  case SF_ST_STARTTLS:
    return on_starttls(s, r, leftover);
  case SF_ST_AUTH_PLAIN:
  case SF_ST_AUTH_LOGIN_PASS:
    if (r->code != 235)
      return rejected(s, r, "AUTH");
    return after_auth(s);
  case SF_ST_AUTH_LOGIN:
  case SF_ST_AUTH_LOGIN_USER:
    if (r->code != 334)
      return rejected(s, r, "AUTH LOGIN");
    return s->state == SF_ST_AUTH_LOGIN ? SF_ST_AUTH_LOGIN_USER : SF_ST_AUTH_LOGIN_PASS;
  case SF_ST_MAIL:
    if (r->code != 250)
      return rejected(s, r, "MAIL");
    return SF_ST_RCPT;
  case SF_ST_RCPT:
    if (r->code != 250 && r->code != 251)
      return rejected(s, r, "RCPT");
    return s->rcpt_next < s->cfg->nrcpt ? SF_ST_RCPT : SF_ST_DATA;
  case SF_ST_DATA:
    if (r->code != 354)
      return rejected(s, r, "DATA");
    return SF_ST_BODY;
  case SF_ST_BODY:
    if (r->code != 250)
      return rejected(s, r, "the message");
    return SF_ST_QUIT;
  case SF_ST_QUIT:
    /* The transaction is over whatever the server answers. */
    return SF_ST_DONE;
  default: /* states that wait for no reply: process_replies() never asks */
    break;
  }
  return fail(s, SF_ERR_SESSION_UNSOLICITED, 0, "a reply arrived in state %s, which expects none",
              table[s->state].name);
}

/* ---- input --------------------------------------------------------------- */

static int waits_for_reply(const struct sf_session *s)
{
  return table[s->state].waits && s->state != SF_ST_TLS_HANDSHAKE && s->state != SF_ST_TLS_IMPLICIT;
}

/* Parse and act on every complete reply in the input buffer. */
static void process_replies(struct sf_session *s, uint64_t now)
{
  while (!terminal(s) && s->in_len > 0) {
    /* Nothing asked for a reply, or our command has not left yet, so the
     * server cannot be answering it. After a 354 the command is the whole
     * message: a reply before its "." has left answers nothing we said. */
    if (!waits_for_reply(s) || queued(s)) {
      enter(s,
            fail(s, SF_ERR_SESSION_UNSOLICITED, 0,
                 "%zu bytes arrived before the %s command was sent (unsolicited or pipelined "
                 "injection)",
                 s->in_len, table[s->state].name),
            now);
      break;
    }
    int n = sf_reply_parse(&s->parser, s->in, s->in_len, &s->reply);
    if (n == 0)
      break;
    if (n < 0) {
      uint64_t off = 0;
      enum sf_err err = sf_reply_parser_error(&s->parser, &off);
      enter(s,
            fail(s, err, 0, "malformed reply during %s at byte %llu: %s", table[s->state].name,
                 (unsigned long long)off, sf_err_desc(err)),
            now);
      break;
    }
    size_t leftover = s->in_len - (size_t)n;
    enum sf_state next = on_reply(s, &s->reply, leftover);
    /* Bytes beyond the reply that ended the session were never asked for:
     * the server is out of step, and a goodbye would land in whatever it
     * thinks comes next. */
    if (next == SF_ST_FAILED && leftover > 0)
      s->out_head = s->out_tail = 0;
    memmove(s->in, s->in + n, leftover);
    s->in_len = leftover;
    enter(s, next, now);
  }
}

/* The hint for a peer that never greets, the same on every path that ends at
 * the greeting: an implicit-TLS server (RFC 8314 3) waits for our TLS hello
 * and, at its own timeout, closes. */
static const char *greeting_hint(const struct sf_session *s)
{
  if (s->cfg->port == 465)
    return "port 465 expects implicit TLS: use mode = implicit";
  return "a peer that never greets usually expects implicit TLS (as port 465 does): try mode = "
         "implicit";
}

static void check_deadline(struct sf_session *s, uint64_t now)
{
  if (terminal(s) || s->deadline == SF_NO_DEADLINE || now < s->deadline)
    return;
  const struct sf_config *c = s->cfg;
  unsigned ms = c->timeout_ms[table[s->state].phase];
  enum sf_state st;
  /* The transaction was complete before QUIT: a server that never answers
   * it must not make the caller believe the mail failed (and resend it). */
  if (s->state == SF_ST_QUIT) {
    enter(s, SF_ST_DONE, now);
    return;
  }
  if (sending(s))
    st = fail(s, SF_ERR_SESSION_TIMEOUT, 0,
              "could not send during %s within %u ms: the peer does not read", table[s->state].name,
              c->timeout_ms[SF_PHASE_BLOCK]);
  else if (s->state == SF_ST_GREETING)
    st = fail(s, SF_ERR_SESSION_TIMEOUT, 0, "no greeting within %u ms; %s", ms, greeting_hint(s));
  else if (s->state == SF_ST_TLS_IMPLICIT)
    st = fail(s, SF_ERR_SESSION_TIMEOUT, 0, "no TLS handshake answer within %u ms", ms);
  else
    st = fail(s, SF_ERR_SESSION_TIMEOUT, 0, "no answer during %s within %u ms",
              table[s->state].name, ms);
  enter(s, st, now);
}

/* The TLS layer moved: a finished handshake leads on, a failed one ends. */
static void tls_progress(struct sf_session *s, uint64_t now)
{
  if (!s->tls_started || s->tls_up || terminal(s))
    return;
  enum sf_tls_state st = s->tls->vt->state(s->tls);
  if (st == SF_TLS_FAILED) {
    const char *reason = "";
    enum sf_err err = s->tls->vt->error(s->tls, &reason);
    enter(s, fail(s, err, 0, "TLS handshake failed: %s", reason), now);
    return;
  }
  if (st != SF_TLS_ESTABLISHED)
    return;
  s->tls_up = 1;
  /* RFC 3207 4.2: forget everything learned before TLS. */
  memset(&s->caps, 0, sizeof(s->caps));
  s->have_caps = 0;
  sf_reply_parser_init(&s->parser, s->cfg->lenient);
  enter(s, s->state == SF_ST_TLS_IMPLICIT ? SF_ST_GREETING_TLS : SF_ST_EHLO_TLS, now);
}

/* After the handshake the TLS layer can still fail (a bad record, an alert)
 * or be closed by the peer (close_notify): either ends the session at once,
 * rather than at the phase's deadline. */
static void tls_health(struct sf_session *s, uint64_t now)
{
  if (!s->tls_up || terminal(s))
    return;
  enum sf_tls_state st = s->tls->vt->state(s->tls);
  if (st == SF_TLS_FAILED) {
    const char *reason = "";
    enum sf_err err = s->tls->vt->error(s->tls, &reason);
    enter(s, fail(s, err, 0, "TLS failed during %s: %s", table[s->state].name, reason), now);
  } else if (st == SF_TLS_CLOSED) {
    if (s->state == SF_ST_QUIT)
      enter(s, SF_ST_DONE, now);
    else
      enter(s,
            fail(s, SF_ERR_SESSION_PEER_CLOSED, 0, "the peer closed TLS (close_notify) during %s",
                 table[s->state].name),
            now);
  }
}

/* A TLS record starts with a content type 20..24; a digit means the peer
 * is talking SMTP in the clear. */
static void check_first_tls_byte(struct sf_session *s, uint8_t first, uint64_t now)
{
  s->tls_net_seen = 1;
  if (first < '0' || first > '9')
    return;
  if (s->state == SF_ST_TLS_IMPLICIT)
    enter(s,
          fail(s, SF_ERR_TLS_PEER_PLAINTEXT, 0,
               "the peer speaks plaintext SMTP; this port expects STARTTLS: use mode = starttls"),
          now);
  else
    enter(s,
          fail(s, SF_ERR_STARTTLS_INJECTION, 0,
               "plaintext SMTP arrived after the 220 to STARTTLS where a TLS record was "
               "expected (response injection); aborting"),
          now);
}

static size_t room(const struct sf_session *s)
{
  return sizeof(s->in) - s->in_len;
}

size_t sf_session_feed(struct sf_session *s, const uint8_t *data, size_t len, uint64_t now)
{
  check_deadline(s, now);
  if (terminal(s))
    return len; /* nothing more is read after the end */
  size_t used = 0;
  if (!s->tls_started) {
    used = len < room(s) ? len : room(s);
    memcpy(s->in + s->in_len, data, used);
    s->in_len += used;
    process_replies(s, now);
    /* The 220 to STARTTLS may have started TLS mid-buffer: the rest is
     * rejected above as injection, never handed to TLS. */
    return terminal(s) ? len : used;
  }
  if (!s->tls_net_seen && len > 0) {
    check_first_tls_byte(s, data[0], now);
    if (terminal(s))
      return len;
  }
  for (;;) {
    size_t n = s->tls->vt->feed_net(s->tls, data + used, len - used);
    used += n;
    tls_progress(s, now);
    size_t got = 0;
    if (s->tls_up && !terminal(s)) {
      got = s->tls->vt->read_app(s->tls, (uint8_t *)s->in + s->in_len, room(s));
      s->in_len += got;
      process_replies(s, now);
      tls_health(s, now);
    }
    if (terminal(s))
      return len;
    if (used == len || (n == 0 && got == 0))
      return used;
  }
}

/* ---- output -------------------------------------------------------------- */

/* Bytes of `p` before its first CR or LF, `n` if none. */
static size_t line_run(const char *p, size_t n)
{
  const char *lf = memchr(p, '\n', n);
  if (lf != NULL)
    n = (size_t)(lf - p);
  const char *cr = memchr(p, '\r', n);
  return cr != NULL ? (size_t)(cr - p) : n;
}

/* Stream the message with CRLF line ends and dot-stuffing (RFC 5321 4.5.2),
 * then the terminating ".".
 *
 * RFC 5321 2.3.8: in DATA a line ends in CRLF and in nothing else. A bare CR
 * or LF in the message is how SMTP smuggling works: one server reads
 * "<LF>.<CR><LF>" or "<CR>.<CR>" as the end of the data where the next one
 * does not, and takes what follows for commands of a second message. So every
 * bare CR, bare LF and CRLF of the message leaves as exactly one CRLF, and a
 * dot at the start of any line so made is doubled. The bytes of a line go
 * over in runs, as many as `out` has room for, not one at a time. */
static void refill_body(struct sf_session *s)
{
  const struct sf_config *c = s->cfg;
  while (!s->body_done) {
    if (s->out_head == s->out_tail)
      s->out_head = s->out_tail = 0;
    size_t room = sizeof(s->out) - s->out_tail;
    if (room < 8) {
      if (s->out_head == 0)
        return;
      memmove(s->out, s->out + s->out_head, out_pending(s));
      s->out_tail -= s->out_head;
      s->out_head = 0;
      continue;
    }
    uint8_t *o = s->out + s->out_tail;
    size_t k = 0;
    if (s->body_pos == c->message_len) {
      if (!s->body_bol) {
        o[k++] = '\r';
        o[k++] = '\n';
      }
      memcpy(o + k, ".\r\n", 3);
      s->out_tail += k + 3;
      s->body_done = 1;
      return;
    }
    const char *p = c->message + s->body_pos;
    size_t left = c->message_len - s->body_pos;
    if (*p == '\r' || *p == '\n') {
      s->body_pos += *p == '\r' && left > 1 && p[1] == '\n' ? 2 : 1;
      o[k++] = '\r';
      o[k++] = '\n';
      s->body_bol = 1;
      s->out_tail += k;
      continue;
    }
    if (s->body_bol && *p == '.')
      o[k++] = '.';
    size_t run = line_run(p, left < room - k ? left : room - k);
    memcpy(o + k, p, run);
    s->body_pos += run;
    s->body_bol = 0;
    s->out_tail += k + run;
  }
}

static size_t take_plain(struct sf_session *s, uint8_t *out, size_t cap)
{
  size_t total = 0;
  for (;;) {
    if (s->state == SF_ST_BODY)
      refill_body(s);
    size_t n = out_pending(s) < cap - total ? out_pending(s) : cap - total;
    if (n == 0)
      return total;
    memcpy(out + total, s->out + s->out_head, n);
    s->out_head += n;
    total += n;
  }
}

static void feed_tls_app(struct sf_session *s)
{
  for (;;) {
    if (s->state == SF_ST_BODY)
      refill_body(s);
    if (out_pending(s) == 0)
      return;
    size_t n = s->tls->vt->write_app(s->tls, s->out + s->out_head, out_pending(s));
    if (n == 0)
      return;
    s->out_head += n;
    /* Their records end the layer's output so far (what it makes later,
     * as a KeyUpdate, comes after them). */
    s->tls_net_owed = s->tls->vt->pending_net(s->tls);
  }
}

static size_t take(struct sf_session *s, uint8_t *out, size_t cap)
{
  if (!s->tls_started)
    return take_plain(s, out, cap);
  /* A handshake we abandoned is not continued: no ClientHello after the end. */
  if ((terminal(s) && !s->tls_up) || s->tls_mute)
    return 0;
  if (s->tls_up)
    feed_tls_app(s);
  /* close_notify once everything we meant to say has gone into TLS. */
  if (terminal(s) && s->tls_up && out_pending(s) == 0 &&
      s->tls->vt->state(s->tls) == SF_TLS_ESTABLISHED)
    s->tls->vt->close(s->tls);
  size_t n = s->tls->vt->take_net(s->tls, out, cap);
  s->tls_net_owed -= n < s->tls_net_owed ? n : s->tls_net_owed;
  return n;
}

size_t sf_session_take(struct sf_session *s, uint8_t *out, size_t cap, uint64_t now)
{
  check_deadline(s, now);
  size_t n = take(s, out, cap);
  /* Bytes left: the wait for the reply starts now, or the next send's. */
  if (n > 0)
    arm(s, now);
  return n;
}

/* ---- lifecycle ----------------------------------------------------------- */

void sf_session_init(struct sf_session *s, const struct sf_config *cfg, struct sf_tls *tls)
{
  memset(s, 0, offsetof(struct sf_session, in));
  s->cfg = cfg;
  s->tls = tls;
  s->state = SF_ST_CONNECT;
  s->deadline = SF_NO_DEADLINE;
  s->trace[s->ntrace++] = SF_ST_CONNECT;
  sf_reply_parser_init(&s->parser, cfg->lenient);
}

void sf_session_start(struct sf_session *s, uint64_t now)
{
  if (s->state != SF_ST_CONNECT)
    return;
  const char *reason = "";
  enum sf_err err = sf_config_validate(s->cfg, &reason);
  s->profile = sf_config_profile(s->cfg);
  if (err != SF_ERR_OK) {
    s->profile = SF_PROF_ALL; /* so the FAILED edge is valid */
    enter(s, fail(s, err, 0, "invalid configuration: %s", reason), now);
    return;
  }
  if (s->profile != P && !s->tls) {
    enter(s, fail(s, SF_ERR_TLS_INTERNAL, 0, "TLS is configured but no TLS layer was given"), now);
    return;
  }
  enter(s, s->profile == I ? SF_ST_TLS_IMPLICIT : SF_ST_GREETING, now);
}

void sf_session_eof(struct sf_session *s, uint64_t now)
{
  check_deadline(s, now);
  if (terminal(s))
    return;
  if (s->state == SF_ST_QUIT) {
    enter(s, SF_ST_DONE, now);
    return;
  }
  /* Closed before a byte of greeting: as silent as a timeout, and as likely
   * an implicit-TLS server giving up on a client that never said hello. */
  int mute = s->state == SF_ST_GREETING && s->in_len == 0;
  enter(s,
        fail(s, SF_ERR_SESSION_PEER_CLOSED, 0, "the peer closed the connection during %s%s%s",
             table[s->state].name, mute ? "; " : "", mute ? greeting_hint(s) : ""),
        now);
}

void sf_session_tick(struct sf_session *s, uint64_t now)
{
  check_deadline(s, now);
}

unsigned sf_session_status(const struct sf_session *s)
{
  unsigned st = 0;
  int pending =
      queued(s) ||
      (s->tls_started && (s->tls_up || !terminal(s)) && s->tls->vt->pending_net(s->tls) > 0) ||
      (terminal(s) && s->tls_up && s->tls->vt->state(s->tls) == SF_TLS_ESTABLISHED);
  if (s->tls_mute)
    pending = 0;
  if (pending)
    st |= SF_WANT_SEND;
  if (s->state == SF_ST_DONE)
    return st | SF_DONE;
  if (s->state == SF_ST_FAILED)
    return st | SF_FAILED;
  if (table[s->state].waits)
    st |= SF_WANT_RECV;
  return st;
}

uint64_t sf_session_deadline(const struct sf_session *s)
{
  return terminal(s) ? SF_NO_DEADLINE : s->deadline;
}

enum sf_err sf_session_error(const struct sf_session *s)
{
  return s->err;
}

const char *sf_session_diagnosis(const struct sf_session *s)
{
  return s->diag;
}
