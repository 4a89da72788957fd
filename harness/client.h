/* The client under test, as the harness sees it: bytes in, bytes out, a
 * deadline, and how it ended. Nothing else.
 *
 * The simulated server (sim.h), the oracles (oracle.h) and the fuzz targets
 * drive every client through this vtable only, so our engine, a third-party
 * library and the deliberately flawed test clients are judged by the same
 * code. Time is passed in (`now`, virtual milliseconds); a client never
 * reads a clock. This is the interface to implement to put a client of your
 * own under smtpfuzz:
 *
 *   - a client written as an I/O-free state machine implements these
 *     functions directly (harness/client_engine.c does it for our engine in
 *     about a hundred lines);
 *   - an unmodified client that makes its own socket calls and reads its own
 *     clocks runs through the socket and clock shim (harness/byoc/byoc.h),
 *     which implements this vtable for it; its adapter is one small file
 *     defining a `struct sc_adapter` (adapter.h).
 *
 * The simulator calls, in this order: start once; then, as long as status
 * says RUNNING, any of take, feed, eof and tick, each with the current
 * virtual time (never decreasing); deadline and status between calls. A
 * client must consume, produce and decide only inside these calls.
 *
 * This header and the ones it includes (errors.h from src/) are all an
 * outside client needs to implement the vtable.
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
  /* Network bytes the client wants to send; returns how many were written
   * (at most cap). */
  size_t (*take)(struct sc_client *c, uint8_t *out, size_t cap, uint64_t now);
  /* Network bytes from the server; returns how many were consumed (the rest
   * is offered again later, as a full socket buffer holds it back). */
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
