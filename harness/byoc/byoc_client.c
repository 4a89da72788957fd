/* A client under test through the shim (byoc.h): the client vtable of
 * client.h over the virtual connection, and the client's own stack.
 *
 * The client runs on a fiber (ucontext). The simulator's calls (start,
 * take, feed, eof, tick) move bytes and time, then switch to the fiber; the
 * client runs until a wrapped call would wait, which switches back
 * (byoc_wait) with the client's deadline. With AddressSanitizer each switch
 * is announced (__sanitizer_start_switch_fiber / finish), so ASan knows
 * which stack is live.
 */
#include "byoc.h"

#include "sf_asan.h"
#include "shim_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#ifdef SF_HAVE_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* The client's stack: sanitizers and TLS libraries want room. A guard page
 * below it turns an overflow into a fault. */
#define FIBER_STACK (2u << 20)

struct byoc_fiber {
  ucontext_t sim_ctx, client_ctx;
  char *stack; /* FIBER_STACK bytes above a guard page; made once */
  const void *sim_bottom;
  size_t sim_size;
};

/* One run per process: the wrapped calls find it here. */
static struct byoc_fiber fiber;
static struct sc_byoc *current;

static void start_switch(void **fake, const void *bottom, size_t size)
{
#ifdef SF_HAVE_ASAN
  __sanitizer_start_switch_fiber(fake, bottom, size);
#else
  (void)fake;
  (void)bottom;
  (void)size;
#endif
}

static void finish_switch(void *fake, const void **bottom, size_t *size)
{
#ifdef SF_HAVE_ASAN
  __sanitizer_finish_switch_fiber(fake, bottom, size);
#else
  (void)fake;
  (void)bottom;
  (void)size;
#endif
}

static int stack_ready(void)
{
  if (fiber.stack)
    return 1;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  char *p =
      mmap(NULL, FIBER_STACK + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return 0;
  mprotect(p, page, PROT_NONE);
  fiber.stack = p + page;
  return 1;
}

/* ---- on the client's stack ---------------------------------------------------- */

/* The step form's loop: a step, then a wait until its deadline or until
 * the connection changes. While the run is being wound down every call
 * fails, and the loop is bounded. */
static enum sc_client_status step_loop(struct sc_byoc *b)
{
  for (unsigned cancelled = 0; cancelled < SC_BYOC_CANCEL_ROUNDS;) {
    int64_t wait_ms = -1;
    unsigned changes = shim_changes();
    enum sc_client_status st = b->ops->step(b, &wait_ms);
    if (st != SC_CLIENT_RUNNING)
      return st;
    if (shim_cancelled()) {
      cancelled++;
      continue;
    }
    /* The connection changed while it stepped (an eager server answered a
     * write, byoc_yield()): it steps again before it waits for the next
     * change. */
    if (shim_changes() != changes)
      continue;
    uint64_t now = sc_byoc_now();
    /* A client that asks to be called at once, again and again, gets a
     * millisecond at a time (bounded by the simulator's clock bound). */
    byoc_wait(wait_ms < 0 ? SC_NO_DEADLINE : now + (uint64_t)(wait_ms > 0 ? wait_ms : 1));
  }
  sc_byoc_diagnose(b, "the client went on after the run ended and was abandoned");
  return SC_CLIENT_FAILED;
}

static void fiber_main(void)
{
  finish_switch(NULL, &fiber.sim_bottom, &fiber.sim_size);
  struct sc_byoc *b = current;
  enum sc_client_status st = b->ops->run ? b->ops->run(b) : step_loop(b);
  if (b->ops->cleanup)
    b->ops->cleanup(b);
  b->status = st == SC_CLIENT_RUNNING ? SC_CLIENT_FAILED : st;
  b->deadline = SC_NO_DEADLINE;
  b->fiber_live = 0;
  /* The fiber ends: NULL tells ASan to drop its fake stack. uc_link
   * returns to the simulator. */
  start_switch(NULL, fiber.sim_bottom, fiber.sim_size);
}

int byoc_wait(uint64_t deadline)
{
  struct sc_byoc *b = current;
  if (!b || !b->in_fiber || shim_cancelled())
    return -1;
  b->deadline = deadline;
  void *fake = NULL;
  b->in_fiber = 0;
  start_switch(&fake, fiber.sim_bottom, fiber.sim_size);
  swapcontext(&fiber.client_ctx, &fiber.sim_ctx);
  finish_switch(fake, &fiber.sim_bottom, &fiber.sim_size);
  b->in_fiber = 1;
  return 0;
}

int byoc_yield(void)
{
  struct sc_byoc *b = current;
  if (!b)
    return -1;
  /* Resumed by the server's answer, which may come in the same instant; a
   * server that has nothing to say (or reads nothing) lets the write
   * return a millisecond later. */
  b->yielded = 1;
  int r = byoc_wait(sc_byoc_now() + 1);
  b->yielded = 0;
  return r;
}

/* ---- on the simulator's stack ------------------------------------------------- */

/* Let the client run until it waits or ends. */
static void resume(struct sc_byoc *b)
{
  if (!b->fiber_live || b->in_fiber)
    return;
  void *fake = NULL;
  b->in_fiber = 1;
  start_switch(&fake, fiber.stack, FIBER_STACK);
  swapcontext(&fiber.sim_ctx, &fiber.client_ctx);
  finish_switch(fake, NULL, NULL);
  b->in_fiber = 0;
}

static struct sc_byoc *self(struct sc_client *c)
{
  return (struct sc_byoc *)c;
}

static const struct sc_byoc *cself(const struct sc_client *c)
{
  return (const struct sc_byoc *)c;
}

static void bc_start(struct sc_client *c, uint64_t now)
{
  struct sc_byoc *b = self(c);
  shim_set_now(now);
  if (b->started)
    return;
  b->started = 1;
  if (!stack_ready() || getcontext(&fiber.client_ctx) != 0) {
    b->status = SC_CLIENT_FAILED;
    sc_byoc_diagnose(b, "the shim could not make the client's stack");
    return;
  }
  fiber.client_ctx.uc_stack.ss_sp = fiber.stack;
  fiber.client_ctx.uc_stack.ss_size = FIBER_STACK;
  fiber.client_ctx.uc_link = &fiber.sim_ctx;
  makecontext(&fiber.client_ctx, fiber_main, 0);
  /* Switches restore registers only; the stack's size matters to
   * makecontext alone. Left in place, it makes ASan's swapcontext clear the
   * whole stack's shadow at every switch (a 256 KB remap each time); the
   * stack is unpoisoned once per run here instead. */
  fiber.client_ctx.uc_stack.ss_size = 0;
#ifdef SF_HAVE_ASAN
  __asan_unpoison_memory_region(fiber.stack, FIBER_STACK);
#endif
  b->fiber_live = 1;
  resume(b);
}

static size_t bc_take(struct sc_client *c, uint8_t *out, size_t cap, uint64_t now)
{
  struct sc_byoc *b = self(c);
  shim_set_now(now);
  size_t n = shim_take(out, cap);
  /* Room to write again; but a client that yielded (byoc_yield()) waits
   * for the server to read this and answer. */
  if (n > 0 && !b->yielded)
    resume(b);
  return n;
}

static size_t bc_feed(struct sc_client *c, const uint8_t *in, size_t len, uint64_t now)
{
  struct sc_byoc *b = self(c);
  shim_set_now(now);
  size_t n = shim_feed(in, len);
  if (n > 0)
    resume(b);
  return n;
}

static void bc_eof(struct sc_client *c, uint64_t now)
{
  shim_set_now(now);
  shim_eof();
  resume(self(c));
}

static void bc_tick(struct sc_client *c, uint64_t now)
{
  struct sc_byoc *b = self(c);
  shim_set_now(now);
  if (now >= b->deadline)
    resume(b);
}

static uint64_t bc_deadline(const struct sc_client *c)
{
  return cself(c)->deadline;
}

static enum sc_client_status bc_status(const struct sc_client *c)
{
  return cself(c)->status;
}

static enum sf_err bc_error(const struct sc_client *c)
{
  (void)c;
  return SF_ERR_OK; /* a third-party client names no error of ours */
}

static const char *bc_diagnosis(const struct sc_client *c)
{
  return cself(c)->diagnosis;
}

static const struct sc_client_ops byoc_ops = {
    .name = "byoc",
    .reports_errors = 0,
    .start = bc_start,
    .take = bc_take,
    .feed = bc_feed,
    .eof = bc_eof,
    .tick = bc_tick,
    .deadline = bc_deadline,
    .status = bc_status,
    .error = bc_error,
    .diagnosis = bc_diagnosis,
};

int sc_byoc_init(struct sc_byoc *b, const char *name, const struct sc_byoc_ops *ops,
                 const struct sf_config *cfg)
{
  (void)name;
  if (current || shim_engage(cfg) != 0)
    return -1;
  memset(b, 0, sizeof *b);
  b->base.ops = &byoc_ops;
  b->ops = ops;
  b->cfg = cfg;
  b->status = SC_CLIENT_RUNNING;
  b->deadline = SC_NO_DEADLINE;
  b->fiber = &fiber;
  current = b;
  return 0;
}

void sc_byoc_cleanup(struct sc_byoc *b)
{
  if (current != b)
    return;
  if (b->fiber_live) {
    /* The run ended with the client still waiting: every call fails from
     * now on, so it winds down through its own error paths. */
    shim_cancel();
    for (int round = 0; round < SC_BYOC_CANCEL_ROUNDS && b->fiber_live; round++)
      resume(b);
    if (b->fiber_live)
      fprintf(stderr, "byoc: the client did not end after the run; its stack is abandoned\n");
    b->fiber_live = 0;
  }
  if (b->status == SC_CLIENT_RUNNING)
    b->status = SC_CLIENT_FAILED;
  shim_release();
  current = NULL;
}

void sc_byoc_diagnose(struct sc_byoc *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b->diagnosis, sizeof b->diagnosis, fmt, ap);
  va_end(ap);
}
