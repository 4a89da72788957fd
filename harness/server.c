#include "server.h"

#include <string.h>

static void dispatch(struct sc_server *srv, enum sc_verb verb, unsigned occurrence)
{
  srv->commands++;
  srv->nsteps = scenario_answer(srv->sc, verb, srv->tls, occurrence, srv->steps, SC_MAX_STEPS);
  if (srv->nsteps > SC_MAX_STEPS)
    srv->nsteps = SC_MAX_STEPS;
  srv->next_step = 0;
}

void sc_server_init(struct sc_server *srv, const struct scenario *sc)
{
  memset(srv, 0, sizeof(*srv));
  srv->sc = sc;
  cmd_reader_init(&srv->rd);
  dispatch(srv, SC_VERB_CONNECT, cmd_reader_occurrence(&srv->rd, SC_VERB_CONNECT, 0));
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
      case SC_ACT_STALL:
        break;
      }
      return 1;
    }
    if (srv->commands >= SC_SERVER_MAX_COMMANDS)
      return 0;
    enum sc_verb verb;
    unsigned occurrence;
    if (!cmd_reader_next(&srv->rd, srv->tls, &verb, &occurrence))
      return 0;
    dispatch(srv, verb, occurrence);
  }
  return 0;
}

size_t sc_server_input(struct sc_server *srv, const uint8_t *p, size_t n)
{
  return cmd_reader_add(&srv->rd, p, n);
}

size_t sc_server_take_unread(struct sc_server *srv, uint8_t *out, size_t cap)
{
  size_t n = srv->rd.len < cap ? srv->rd.len : cap;
  memcpy(out, srv->rd.buf, n);
  memmove(srv->rd.buf, srv->rd.buf + n, srv->rd.len - n);
  srv->rd.len -= n;
  return n;
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
