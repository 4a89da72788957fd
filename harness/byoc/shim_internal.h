/* Between the shim's wrapped calls (shim.c) and the client runner
 * (byoc_client.c): the virtual connection's two ends and the wait. Not for
 * adapters. */
#ifndef SC_BYOC_SHIM_INTERNAL_H
#define SC_BYOC_SHIM_INTERNAL_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>

/* Starts a run against the server for `cfg`: virtual clocks at 0, one
 * connection to make. Returns -1 if a run is already in progress. */
int shim_engage(const struct sf_config *cfg);
void shim_release(void);
void shim_set_now(uint64_t now);
/* The simulator's side of the connection. */
size_t shim_take(uint8_t *out, size_t cap);
size_t shim_feed(const uint8_t *in, size_t len);
void shim_eof(void);
/* How many times the simulator has changed the connection (taken bytes,
 * fed bytes, closed it) in this run. */
unsigned shim_changes(void);
/* From now on every call on a virtual descriptor fails at once. */
void shim_cancel(void);
int shim_cancelled(void);

/* The runner's side (byoc_client.c): the client waits until `deadline`
 * (SC_NO_DEADLINE: forever) or until the connection changes. Returns 0
 * after the simulator resumed it, -1 if it cannot wait (not running on the
 * client's stack, or being wound down): the caller then reports "nothing
 * yet" as a non-blocking call would. */
int byoc_wait(uint64_t deadline);
/* The client lets the server read what it just wrote, and answer, before
 * it goes on (sc_adapter_eager_server()): it waits until the server's
 * answer comes, with no time passing, or a millisecond (a server with
 * nothing to say, or that reads nothing). Same returns as byoc_wait(). */
int byoc_yield(void);

#endif
