#include "server.h"

#include "b64.h"
#include "judge_cmp.h"
#include "verbs.h"

#include <stddef.h>
#include <string.h>

enum sasl { SASL_NONE, SASL_PLAIN, SASL_LOGIN_USER, SASL_LOGIN_PASSWORD, SASL_OTHER };

/* The longest SASL response decoded for a credential check. */
#define SASL_MAX 1024

static int same(const uint8_t *p, size_t n, const char *want)
{
  return want && strlen(want) == n && jc_same(p, want, n);
}

/* RFC 4616 2: [authzid] NUL authcid NUL passwd. */
static enum sc_hint plain_response(const struct sc_server *srv, const uint8_t *b64, size_t n)
{
  /* Off the stack, as in login_field(). */
  static _Thread_local uint8_t msg[SASL_MAX];
  long len = sc_b64_decode(b64, n, msg, sizeof msg);
  if (len < 0)
    return SC_HINT_AUTH_BAD;
  const uint8_t *nul1 = memchr(msg, 0, (size_t)len);
  if (!nul1)
    return SC_HINT_AUTH_BAD;
  const uint8_t *user = nul1 + 1;
  const uint8_t *nul2 = memchr(user, 0, (size_t)(msg + len - user));
  if (!nul2)
    return SC_HINT_AUTH_BAD;
  const uint8_t *pass = nul2 + 1;
  const struct sf_config *c = &srv->sc->cfg;
  return same(user, (size_t)(nul2 - user), c->user) &&
                 same(pass, (size_t)(msg + len - pass), c->password)
             ? SC_HINT_AUTH_OK
             : SC_HINT_AUTH_BAD;
}

static int login_field(const uint8_t *b64, size_t n, const char *want)
{
  /* Off the stack: inlined, this buffer is in sc_server_next()'s frame,
   * and ASan poisons a frame's arrays on every call, dozens per input. */
  static _Thread_local uint8_t v[SASL_MAX];
  long len = sc_b64_decode(b64, n, v, sizeof v);
  return len >= 0 && same(v, (size_t)len, want);
}

/* What the server makes of an AUTH line or a SASL response, and where the
 * exchange stands after it. */
static enum sc_hint sasl_step(struct sc_server *srv, const struct cmd *cmd)
{
  const struct sf_config *c = &srv->sc->cfg;
  if (cmd->verb == SC_VERB_AUTH) {
    const uint8_t *ir;
    size_t ir_len;
    int has_ir;
    enum sc_mech mech = sc_auth_parse((const char *)cmd->line, cmd->len, &ir, &ir_len, &has_ir);
    srv->sasl = SASL_NONE;
    switch (mech) {
    case SC_MECH_PLAIN:
      if (has_ir)
        return plain_response(srv, ir, ir_len);
      srv->sasl = SASL_PLAIN;
      return SC_HINT_AUTH_ASK;
    case SC_MECH_LOGIN:
      /* An initial response to LOGIN is the user name. */
      if (has_ir) {
        srv->sasl_user_ok = login_field(ir, ir_len, c->user);
        srv->sasl = SASL_LOGIN_PASSWORD;
        return SC_HINT_AUTH_ASK_PASSWORD;
      }
      srv->sasl = SASL_LOGIN_USER;
      return SC_HINT_AUTH_ASK_USER;
    case SC_MECH_NONE:
    case SC_MECH_CRAM_MD5:
    case SC_MECH_XOAUTH2:
    case SC_MECH_OTHER:
      break;
    }
    return SC_HINT_AUTH_UNKNOWN;
  }
  /* RFC 4954 4: "*" cancels the exchange. */
  int state = srv->sasl;
  srv->sasl = SASL_NONE;
  if (cmd->len == 1 && cmd->line[0] == '*')
    return state == SASL_NONE ? SC_HINT_NONE : SC_HINT_AUTH_ABORTED;
  switch (state) {
  case SASL_PLAIN:
    return plain_response(srv, cmd->line, cmd->len);
  case SASL_LOGIN_USER:
    srv->sasl_user_ok = login_field(cmd->line, cmd->len, c->user);
    srv->sasl = SASL_LOGIN_PASSWORD;
    return SC_HINT_AUTH_ASK_PASSWORD;
  case SASL_LOGIN_PASSWORD:
    return srv->sasl_user_ok && login_field(cmd->line, cmd->len, c->password) ? SC_HINT_AUTH_OK
                                                                              : SC_HINT_AUTH_BAD;
  default:
    return SC_HINT_NONE;
  }
}

static enum sc_hint hint_for(struct sc_server *srv, const struct cmd *cmd)
{
  switch (cmd->verb) {
  case SC_VERB_AUTH:
  case SC_VERB_AUTH_DATA:
    return sasl_step(srv, cmd);
  case SC_VERB_BDAT:
    return cmd->chunk_bad ? SC_HINT_CHUNK_BAD : cmd->chunk_last ? SC_HINT_CHUNK_LAST : SC_HINT_NONE;
  default:
    /* Any other command ends a SASL exchange the client walked away from. */
    srv->sasl = SASL_NONE;
    return SC_HINT_NONE;
  }
}

static void dispatch(struct sc_server *srv, enum sc_verb verb, unsigned occurrence,
                     enum sc_hint hint)
{
  srv->commands++;
  srv->nsteps =
      scenario_answer(srv->sc, verb, srv->tls, occurrence, hint, srv->steps, SC_MAX_STEPS);
  if (srv->nsteps > SC_MAX_STEPS)
    srv->nsteps = SC_MAX_STEPS;
  srv->next_step = 0;
}

void sc_server_init(struct sc_server *srv, const struct scenario *sc)
{
  memset(srv, 0, offsetof(struct sc_server, rd));
  srv->sc = sc;
  cmd_reader_init(&srv->rd);
  dispatch(srv, SC_VERB_CONNECT, cmd_reader_occurrence(&srv->rd, SC_VERB_CONNECT, 0), SC_HINT_NONE);
}

int sc_server_busy(const struct sc_server *srv)
{
  return srv->next_step < srv->nsteps;
}

int sc_server_next(struct sc_server *srv, struct sc_step *step)
{
  for (int guard = 0; guard < SC_SERVER_MAX_COMMANDS; guard++) {
    if (srv->closed || srv->hung || srv->hello_due)
      return 0;
    if (srv->next_step < srv->nsteps) {
      *step = srv->steps[srv->next_step++];
      switch (step->kind) {
      case SC_ACT_SEND:
        cmd_reader_server_sent(&srv->rd, step->bytes, step->len);
        break;
      case SC_ACT_RAW:
        /* Before TLS raw bytes are what the client reads; inside it they are
         * no reply at all (a correct client fails on them). */
        if (!srv->tls)
          cmd_reader_server_sent(&srv->rd, step->bytes, step->len);
        break;
      case SC_ACT_CLOSE:
        sc_server_close(srv);
        break;
      case SC_ACT_TLS:
        /* A second TLS start on one connection is no start at all. */
        if (srv->tls)
          continue;
        srv->hello_due = 1;
        break;
      case SC_ACT_HANG:
        srv->hung = 1;
        sc_server_drop_steps(srv);
        break;
      case SC_ACT_DEAF:
        srv->deaf = 1;
        break;
      case SC_ACT_STALL:
        break;
      }
      return 1;
    }
    if (srv->commands >= SC_SERVER_MAX_COMMANDS)
      return 0;
    struct cmd cmd;
    if (!cmd_reader_next(&srv->rd, srv->tls, &cmd))
      return 0;
    dispatch(srv, cmd.verb, cmd.occurrence, hint_for(srv, &cmd));
  }
  return 0;
}

size_t sc_server_input(struct sc_server *srv, const uint8_t *p, size_t n)
{
  return cmd_reader_add(&srv->rd, p, n);
}

/* RFC 8446 5.1, RFC 5246 6.2.1: a record of a type a TLS client sends
 * (change_cipher_spec, alert, handshake, application_data: 20..23) and a 3.x
 * version. An alert counts: a client whose TLS gave up on what the server
 * sent (a plaintext greeting, say) says so in one. */
static int record_start(const uint8_t *p, size_t n)
{
  return n >= 3 && p[0] >= 20 && p[0] <= 23 && p[1] == 0x03;
}

size_t sc_server_plain_tls_bytes(struct sc_server *srv, const uint8_t *p, size_t n)
{
  if (srv->plain_record_left == 0) {
    if (!record_start(p, n))
      return 0;
    srv->plain_record_left = n >= 5 ? 5 + ((size_t)p[3] << 8 | p[4]) : n;
  }
  size_t k = srv->plain_record_left < n ? srv->plain_record_left : n;
  srv->plain_record_left -= k;
  return k;
}

size_t sc_server_plain_text_bytes(const struct sc_server *srv, const uint8_t *p, size_t n)
{
  if (srv->rd.mode != CMD_MODE_COMMAND)
    return n;
  for (size_t i = 0; i < n; i++)
    if (p[i] == '\n' && record_start(p + i + 1, n - i - 1))
      return i + 1;
  return n;
}

size_t sc_server_take_unread(struct sc_server *srv, uint8_t *out, size_t cap)
{
  return cmd_reader_take_unread(&srv->rd, out, cap);
}

void sc_server_tls_up(struct sc_server *srv)
{
  srv->tls = 1;
  srv->hello_due = 0;
  /* RFC 3207 4.2: the dialogue starts afresh inside TLS. */
  srv->rd.mode = CMD_MODE_COMMAND;
}

void sc_server_close(struct sc_server *srv)
{
  srv->closed = 1;
  sc_server_drop_steps(srv);
}

void sc_server_drop_steps(struct sc_server *srv)
{
  srv->nsteps = srv->next_step = 0;
}
