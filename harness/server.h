/* The scripted server, I/O-free: what the scenario's server does next, in
 * answer to what its client says.
 *
 * The simulator (sim.c) and the live server (live/live_conn.c) both drive
 * this one core. They move bytes, run the TLS server side, keep time and
 * record the wire; the core reads the client's commands (cmd_reader.h),
 * picks each answer (personality.h) and hands its steps out one at a time:
 *
 *   sc_server_init(&srv, sc);                the connection opened
 *   while (sc_server_next(&srv, &act))       send, stall, close, tls, hang
 *     ...do it; after a tls action, sc_server_tls_up() once the handshake
 *        is done (or sc_server_close() when it failed)
 *   sc_server_input(&srv, bytes, n);         client application bytes
 *
 * Nothing here waits: a stall is the driver's to perform (in virtual or real
 * time), and a step is never taken while the TLS handshake it started is
 * still due. A SEND's bytes go `repeat` times (the driver streams them); after
 * a DEAF step the driver reads nothing from the client any more. Every loop
 * is bounded.
 */
#ifndef SC_SERVER_H
#define SC_SERVER_H

#include "cmd_reader.h"
#include "personality.h"
#include "scenario.h"

#include <stddef.h>
#include <stdint.h>

/* Commands one connection answers at most; a client that never stops
 * talking is bounded by this as well as by bytes and time. */
#define SC_SERVER_MAX_COMMANDS 4096

struct sc_server {
  const struct scenario *sc;
  int tls;         /* TLS is up on the server side */
  int hello_due;   /* TLS started here; the client's hello is due */
  int closed;      /* the script closed, or the driver ended the connection */
  int hung;        /* the script said hang: nothing more, ever */
  int deaf;        /* the script said deaf: the driver reads nothing more */
  size_t commands; /* answered so far, the connection itself included */
  /* The SASL exchange in progress (RFC 4954 4), to answer as a real server
   * would for the form the client chose. */
  int sasl;         /* enum in server.c */
  int sasl_user_ok; /* LOGIN: the user name was the scenario's */
  /* A TLS record the client sent while the server spoke plaintext: how
   * many of its bytes are still to come (it may span several reads). */
  size_t plain_record_left;
  struct sc_step steps[SC_MAX_STEPS];
  size_t nsteps, next_step;
  /* Last: sc_server_init() clears what comes before it, cmd_reader_init()
   * the reader. */
  struct cmd_reader rd; /* what the client says, as the server reads it */
};

/* The connection opened: the answer to SC_VERB_CONNECT is queued. */
void sc_server_init(struct sc_server *srv, const struct scenario *sc);

/* The next thing to do, 1 with it in *step; 0 when there is nothing until the
 * client says more (or the handshake is done, or never: closed or hung).
 * A SEND's bytes also change how the client's next lines read (after a 334,
 * SASL data; after a 354, the message). */
int sc_server_next(struct sc_server *srv, struct sc_step *step);

/* Client application bytes: plaintext, or decrypted once TLS is up. Returns
 * how many fit (CMD_READER_BUF bounds what waits to be acted on). */
size_t sc_server_input(struct sc_server *srv, const uint8_t *p, size_t n);

/* Client bytes that reach the server while it speaks plaintext: how many of
 * the `n` at `p` belong to a TLS record the client sent (a hello sent before
 * the server started TLS, one the server never asked for, or the alert of a
 * client that gave up on a plaintext answer), counted
 * across reads by the record header's length; 0 if `p` starts plaintext.
 * The driver records those bytes as a hello, never as plaintext the client
 * said, and still passes them to sc_server_input(): to a server that has
 * not started TLS they are just bytes. */
size_t sc_server_plain_tls_bytes(struct sc_server *srv, const uint8_t *p, size_t n);

/* Client bytes that reach the server while it speaks plaintext and start as
 * plaintext (sc_server_plain_tls_bytes() said 0): how many of them to take
 * as text. While commands are read, the text ends with a line that a TLS
 * record follows in the same read (a client that starts TLS right behind
 * its STARTTLS, before the answer): that record is then a hello, not text.
 * In message data everything is text. */
size_t sc_server_plain_text_bytes(const struct sc_server *srv, const uint8_t *p, size_t n);

/* Client bytes that arrived before the server started TLS and were not acted
 * on yet: they meet the handshake, as on any server. Moves up to `cap` of
 * them to `out` and returns how many. */
size_t sc_server_take_unread(struct sc_server *srv, uint8_t *out, size_t cap);

/* The driver finished the server's side of the handshake. */
void sc_server_tls_up(struct sc_server *srv);
/* The connection ended (the client left, TLS failed, a bound was reached):
 * no more steps. */
void sc_server_close(struct sc_server *srv);
/* The steps of the current answer are dropped (the client hung up during a
 * stall): the server has nobody left to say them to. */
void sc_server_drop_steps(struct sc_server *srv);
/* 1 while steps of the current answer remain. */
int sc_server_busy(const struct sc_server *srv);

#endif
