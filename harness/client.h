/* The client under test, as the harness sees it: bytes in, bytes out, a
 * deadline, and how it ended. Nothing else.
 *
 * The simulated server, the oracles and the fuzz targets drive every client
 * through this vtable only, so our engine, a third-party library adapter and
 * the deliberately flawed test clients are judged by the same code. Time is
 * passed in (`now`, virtual milliseconds); a client never reads a clock.
 */
#ifndef SC_CLIENT_H
#define SC_CLIENT_H

#include "errors.h"

#include <stddef.h>
#include <stdint.h>

/* A client with nothing scheduled waits forever: the harness calls that a
 * hang when the server waits too. Same value as SF_NO_DEADLINE. */
#define SC_NO_DEADLINE UINT64_MAX

enum sc_client_status {
  SC_CLIENT_RUNNING,
  SC_CLIENT_DONE,   /* finished what it was asked to do and said QUIT */
  SC_CLIENT_FAILED, /* gave up */
};

struct sc_client;

struct sc_client_ops {
  const char *name;
  /* 1 if error() names why the client failed (our engine); 0 if it always
   * says SF_ERR_OK, so outcome checks compare only the status. */
  int reports_errors;
  void (*start)(struct sc_client *c, uint64_t now);
  /* Network bytes the client wants to send; returns how many were written. */
  size_t (*take)(struct sc_client *c, uint8_t *out, size_t cap, uint64_t now);
  /* Network bytes from the server; returns how many were consumed (the rest
   * is offered again later). */
  size_t (*feed)(struct sc_client *c, const uint8_t *in, size_t len, uint64_t now);
  /* The server closed the connection. */
  void (*eof)(struct sc_client *c, uint64_t now);
  /* Time passed; deadlines at or before `now` fire. */
  void (*tick)(struct sc_client *c, uint64_t now);
  /* When the current wait ends, SC_NO_DEADLINE if never. */
  uint64_t (*deadline)(const struct sc_client *c);
  enum sc_client_status (*status)(const struct sc_client *c);
  enum sf_err (*error)(const struct sc_client *c);
  /* One line saying why it ended as it did ("" while running). */
  const char *(*diagnosis)(const struct sc_client *c);
};

/* Implementations embed this as their first member. */
struct sc_client {
  const struct sc_client_ops *ops;
};

const char *sc_client_status_name(enum sc_client_status st);

#endif
