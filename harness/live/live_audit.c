#define _GNU_SOURCE /* accept4, nftw */
#include "live/live_audit.h"

#include "live/live_conn.h"
#include "live/live_files.h"
#include "live/live_proc.h"
#include "live/live_spawn.h"
#include "tls_peer.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Consecutive identical readings of the client's state before a wait is
 * judged: a thread woken by our last bytes has run by then. */
#define STABLE_READINGS 2

unsigned live_unsafe(const struct scenario *sc, unsigned verdicts)
{
  return verdicts & ~ORACLE_BIT(SC_V_OUTCOME) & ~ORACLE_BIT(SC_V_SLOW) & ~sc->expect_verdicts;
}

/* ---- the watcher: judging waits from the client's state ---------------------------- */

enum phase { PH_ACCEPT, PH_CONN, PH_AFTER };

struct watch {
  const struct live_audit_opts *o;
  struct live_tree tree;
  struct live_tree_ctx tctx;
  struct live_output *out;
  const struct wire *w; /* PH_CONN: its events mark the client's activity */
  int fd;               /* PH_CONN: our end of the connection */
  enum phase phase;
  size_t seen_events;
  uint64_t last_t, idle_ms;
  uint64_t sleep_ms; /* time the client spent in plain sleeps of its own */
  int was_idle, stable;
  uint64_t same_since; /* the wait has not changed, and nothing was in flight, since then */
  uint64_t last_sig;
  /* The wait of the thread on the connection (live_tree_state.conn_*) and
   * how long, asleep while the server waited, it has stayed the same. */
  uint64_t conn_sig, conn_same_ms;
  /* The judgement: 0 (none), SC_V_HANG, SC_V_SLOW, -1 for a client that
   * never connected, -2 for one stopped after the connection without a
   * verdict; why says it in words. */
  int judged;
  char why[ORACLE_REASON_MAX];
  char detail[1024]; /* every thread's wait when judged */
};

static void seconds(char *out, size_t cap, uint64_t ms)
{
  if (ms % 1000 == 0)
    snprintf(out, cap, "%llu s", (unsigned long long)(ms / 1000));
  else
    snprintf(out, cap, "%.1f s", (double)ms / 1000.0);
}

/* Nothing on its way that could end the wait: none of our bytes towards
 * the client (it may be about to be woken by them), none unread by a client
 * that waits on the connection, and none of its towards us (we are about to answer them; Nagle's
 * algorithm holds a small segment until the one before is acknowledged,
 * and acknowledgements may be delayed). A deaf server reads nothing: what
 * the client sent stays where it is. */
static int conn_quiet(const struct watch *wt, enum live_srv_wait what, int on_conn)
{
  if (wt->phase != PH_CONN || wt->fd < 0)
    return 1;
  struct live_tcp_state t;
  int rc = live_tcp_peer(wt->fd, &t);
  if (rc == 1)
    return 1; /* the client's end is gone: nothing more can come */
  if (rc != 0)
    return 0; /* cannot be told: never judge on a guess */
  /* Ours still unacknowledged may yet be on its way (under load the
   * loopback delivery itself can lag), whatever the client waits on. */
  if (t.our_out || (on_conn && t.client_in))
    return 0;
  return what == LIVE_SRV_DEAF || (t.client_out == 0 && t.our_in == 0);
}

static struct live_tree_state last_state; /* the reading a judgement rests on */

static enum live_watch judge(struct watch *wt, int verdict, const char *fmt, const char *a,
                             const char *b)
{
  snprintf(wt->detail, sizeof(wt->detail), "%s", last_state.detail);
  char what[ORACLE_REASON_MAX];
  if (snprintf(what, sizeof(what), fmt, a, b) < 0) /* a long wait is cut short */
    what[0] = '\0';
  const char *pre = wt->phase == PH_ACCEPT  ? "never connected: "
                    : wt->phase == PH_AFTER ? "after the connection ended, "
                                            : "";
  wt->judged = wt->phase == PH_ACCEPT ? -1 : verdict;
  snprintf(wt->why, sizeof(wt->why), "%s%.*s", pre, (int)(sizeof(wt->why) - 1 - strlen(pre)), what);
  return LIVE_WATCH_STOP;
}

/* After the connection the server waits for nothing: a client that waits
 * for ever still never ends (HANG), one with a deadline or a timer of its
 * own is only slow to exit. It gets time to (its exit status tells how it
 * ended), then it is stopped without a verdict. */
static enum live_watch after_decide(struct watch *wt, const struct live_tree_state *st, int settled)
{
  char t[32];
  if (settled && st->kind == LIVE_TREE_FOREVER)
    return judge(wt, SC_V_HANG, "waits with no deadline: %s%s", st->what, "");
  uint64_t allowed = wt->o->hang_budget_ms > LIVE_SLEEP_MS ? wt->o->hang_budget_ms : LIVE_SLEEP_MS;
  int far = settled && st->kind == LIVE_TREE_DEADLINE && st->deadline_ms > allowed;
  uint64_t asleep = wt->idle_ms + wt->sleep_ms;
  if (far || asleep >= allowed) {
    seconds(t, sizeof(t), far ? st->deadline_ms : asleep);
    return judge(wt, -2, far ? "its next wake-up is %s away: %s" : "still asleep after %s: %s", t,
                 st->what);
  }
  return LIVE_WATCH_WAIT;
}

static enum live_watch decide(struct watch *wt, enum live_srv_wait what, uint64_t stall_left)
{
  const struct live_audit_opts *o = wt->o;
  uint64_t now = live_now_ms();
  if (wt->w && wt->w->nev != wt->seen_events) {
    wt->seen_events = wt->w->nev; /* the client did something: a new wait starts */
    wt->idle_ms = wt->sleep_ms = wt->conn_same_ms = 0;
    wt->stable = 0;
  }
  if (wt->phase == PH_CONN && wt->fd >= 0 && wt->tctx.conn_ino == 0) {
    struct live_tcp_state ts; /* not found at accept: the words "on the connection" need it */
    if (live_tcp_peer(wt->fd, &ts) == 0)
      wt->tctx.conn_ino = ts.client_ino;
  }
  struct live_tree_state *stp = &last_state;
  (void)live_tree_inspect(&wt->tree, &wt->tctx, stp);
  const struct live_tree_state st = *stp;
  int idle = st.kind != LIVE_TREE_BUSY && st.kind != LIVE_TREE_GONE;
  int sleeping = st.kind == LIVE_TREE_DEADLINE && st.sleep_only;
  /* Only time the client spent asleep while the server waited on it counts
   * towards the budget: a loaded machine that keeps it from running does
   * not. A plain sleep of its own (an error shown for a few seconds) is
   * its own business, waited out up to LIVE_SLEEP_MS. */
  if (idle && wt->was_idle && what != LIVE_SRV_STALLS)
    *(sleeping ? &wt->sleep_ms : &wt->idle_ms) += now - wt->last_t;
  if (st.conn_kind == LIVE_TREE_BUSY || st.conn_sig != wt->conn_sig)
    wt->conn_same_ms = 0;
  else if (idle && wt->was_idle && what != LIVE_SRV_STALLS)
    wt->conn_same_ms += now - wt->last_t;
  wt->conn_sig = st.conn_sig;
  wt->was_idle = idle;
  wt->last_t = now;
  wt->stable = idle && st.signature == wt->last_sig ? wt->stable + 1 : 0;
  wt->last_sig = st.signature;
  if (!idle)
    return LIVE_WATCH_WAIT;
  /* A verdict that stops the client rests on a wait that stayed the same,
   * with nothing in flight at any reading, for LIVE_SETTLE_MS: what the
   * kernel has not finished moving yet gets that long to show. */
  int quiet = conn_quiet(wt, what, st.on_conn);
  if (wt->stable == 0 || !quiet)
    wt->same_since = now;
  int settled = wt->stable >= STABLE_READINGS && quiet && now - wt->same_since >= LIVE_SETTLE_MS;
  char t[32];
  if (wt->phase == PH_AFTER)
    return after_decide(wt, &st, settled);
  uint64_t nap = o->hang_budget_ms > LIVE_SLEEP_MS ? o->hang_budget_ms : LIVE_SLEEP_MS;
  if (sleeping && what != LIVE_SRV_STALLS) {
    if (settled && st.deadline_ms > nap) {
      seconds(t, sizeof(t), st.deadline_ms);
      return judge(wt, SC_V_SLOW, "sleeps up to %s while the server waits: %s", t, st.what);
    }
    if (wt->sleep_ms >= nap) {
      seconds(t, sizeof(t), wt->sleep_ms);
      return judge(wt, SC_V_SLOW, "still sleeping after %s while the server waits: %s", t, st.what);
    }
    return LIVE_WATCH_WAIT;
  }
  /* Ending a stall early changes no verdict: two readings are enough. */
  if (what == LIVE_SRV_STALLS && wt->stable >= STABLE_READINGS && quiet)
    return st.kind == LIVE_TREE_FOREVER ||
                   (st.kind == LIVE_TREE_DEADLINE && st.deadline_ms >= stall_left)
               ? LIVE_WATCH_END_STALL
               : LIVE_WATCH_WAIT;
  if (settled && what != LIVE_SRV_STALLS) {
    if (st.kind == LIVE_TREE_FOREVER)
      return judge(wt, SC_V_HANG, "waits with no deadline: %s%s", st.what, "");
    if (st.kind == LIVE_TREE_DEADLINE) {
      if (st.deadline_ms > o->hang_budget_ms) {
        seconds(t, sizeof(t), st.deadline_ms);
        return judge(wt, SC_V_SLOW, "gives up after %s at the latest: %s", t, st.what);
      }
    }
  }
  /* A client whose other threads keep house on short timeouts (a JVM, a
   * runtime's timers) never settles, and its nearest timeout is theirs: the
   * thread that waits on the connection decides, once its wait has stayed
   * the same for the whole budget. Not where a timer of the process's own
   * (a signal, a POSIX timer) could end it: that stays the last resort's. */
  if (what != LIVE_SRV_STALLS && quiet && st.conn_kind != LIVE_TREE_BUSY &&
      wt->conn_same_ms >= o->hang_budget_ms && st.kind != LIVE_TREE_UNSEEN && !st.unreadable) {
    seconds(t, sizeof(t), wt->conn_same_ms);
    if (st.conn_kind == LIVE_TREE_FOREVER)
      return judge(wt, SC_V_HANG,
                   "waits with no deadline: %s (the same wait for %s, while its other threads "
                   "woke and slept)",
                   st.what, t);
    if (st.conn_ms > o->hang_budget_ms) {
      seconds(t, sizeof(t), st.conn_ms);
      return judge(wt, SC_V_SLOW, "gives up after %s at the latest: %s", t, st.what);
    }
  }
  /* A wait on the connection that the rule above would judge gets its whole
   * budget there (its thread may have woken once meanwhile), up to twice
   * the budget in all. */
  int conn_long = st.conn_kind == LIVE_TREE_FOREVER ||
                  (st.conn_kind == LIVE_TREE_DEADLINE && st.conn_ms > o->hang_budget_ms);
  int conn_judging =
      conn_long && wt->conn_same_ms < o->hang_budget_ms && wt->idle_ms < 2 * o->hang_budget_ms;
  /* The last resort: asleep for the whole budget, woken only by something
   * whose time cannot be read (a timer signal, a loop of short waits). */
  if (what != LIVE_SRV_STALLS && wt->idle_ms >= o->hang_budget_ms && quiet && !conn_judging) {
    seconds(t, sizeof(t), wt->idle_ms);
    if (st.unreadable)
      return judge(wt, SC_V_HANG, "still waiting after %s (its state could not be read: %s)", t,
                   st.what);
    return judge(wt, SC_V_SLOW,
                 "still waiting after %s, with no timeout that can be read from outside: %s", t,
                 st.what);
  }
  return LIVE_WATCH_WAIT;
}

static enum live_watch conn_watch(void *ctx, enum live_srv_wait what, uint64_t stall_left)
{
  return decide(ctx, what, stall_left);
}

static void conn_drain(void *ctx)
{
  live_output_drain(ctx);
}

/* Waits for the client to connect. The fd, or -1: it ended first, was
 * judged (wt->judged), or the time cap passed. */
static int accept_phase(struct watch *wt, int lfd, struct live_child *ch, uint64_t cap_at)
{
  for (int guard = 0; guard < 10000000; guard++) {
    uint64_t now = live_now_ms();
    if (now >= cap_at || (wt->o->interrupted && *wt->o->interrupted))
      return -1;
    struct pollfd pfd[2] = {{lfd, POLLIN, 0}, {wt->out->read_fd, POLLIN, 0}};
    uint64_t left = cap_at - now;
    int k = poll(pfd, 2, left < LIVE_WATCH_MS ? (int)left : LIVE_WATCH_MS);
    if (k > 0 && (pfd[1].revents & (POLLIN | POLLHUP)))
      live_output_drain(wt->out);
    if (k > 0 && (pfd[0].revents & POLLIN)) {
      int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
      if (fd >= 0)
        return fd;
    }
    if (live_child_poll(ch)) {
      /* Ended; a helper it left behind may still connect, while one lives. */
      struct live_tree_state st;
      (void)live_tree_inspect(&wt->tree, &wt->tctx, &st);
      if (st.kind == LIVE_TREE_GONE)
        return -1;
    }
    if (decide(wt, LIVE_SRV_READS, 0) == LIVE_WATCH_STOP)
      return -1;
  }
  return -1;
}

/* After a connection: waits for the client itself to end, or (lfd >= 0)
 * to connect again, as a client that retries does (*fd set). 1 if it
 * ended, 0 if judged, at the cap or connected again. */
static int after_phase(struct watch *wt, struct live_child *ch, uint64_t cap_at, int lfd, int *fd)
{
  wt->phase = PH_AFTER;
  wt->w = NULL;
  wt->idle_ms = wt->sleep_ms = 0;
  wt->stable = 0;
  *fd = -1;
  for (int guard = 0; guard < 10000000; guard++) {
    if (live_child_poll(ch))
      return 1;
    uint64_t now = live_now_ms();
    if (now >= cap_at || (wt->o->interrupted && *wt->o->interrupted))
      return 0;
    struct pollfd pfd[2] = {{wt->out->read_fd, POLLIN, 0}, {lfd, POLLIN, 0}};
    uint64_t left = cap_at - now;
    int k = poll(pfd, 2, left < LIVE_WATCH_MS ? (int)left : LIVE_WATCH_MS);
    if (k > 0 && (pfd[0].revents & (POLLIN | POLLHUP)))
      live_output_drain(wt->out);
    if (k > 0 && (pfd[1].revents & POLLIN) && (*fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
      return 0;
    if (live_child_poll(ch))
      return 1;
    if (decide(wt, LIVE_SRV_READS, 0) == LIVE_WATCH_STOP)
      return 0;
  }
  return 0;
}

static int write_file(const char *path, const void *p, size_t n)
{
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  int bad = fwrite(p, 1, n, f) != n;
  bad |= fclose(f) != 0;
  return bad ? -1 : 0;
}

static int crash_signal(int sig)
{
  return sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
         sig == SIGTRAP || sig == SIGSYS;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st, (void)flag, (void)ftw;
  (void)remove(path);
  return 0;
}

/* What the client left there is its own scratch; nftw does not follow
 * symbolic links out of it. */
void live_remove_tree(const char *dir)
{
  (void)nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A name that is a file name of its own: never "", "." or "..". */
static const char *file_name(const char *name)
{
  return name && name[0] && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 ? name : "x";
}

static int name_taken(char (*names)[SC_NAME_MAX], const uint8_t *keep, size_t upto, size_t n,
                      const char *s)
{
  for (size_t j = 0; j < n; j++)
    if ((keep[j] || j < upto) && strcmp(names[j], s) == 0)
      return 1;
  return 0;
}

void live_unique_names(char (*names)[SC_NAME_MAX], size_t n)
{
  static uint8_t keep[LIVE_MAX_FILES];
  if (n > LIVE_MAX_FILES)
    n = LIVE_MAX_FILES;
  for (size_t i = 0; i < n; i++) {
    const char *f = file_name(names[i]);
    if (f != names[i])
      snprintf(names[i], SC_NAME_MAX, "%s", f);
  }
  /* The first of each name keeps it; the others get the first "-N" that
   * is nobody's name. */
  for (size_t i = 0; i < n; i++) {
    keep[i] = 1;
    for (size_t j = 0; j < i && keep[i]; j++)
      keep[i] = strcmp(names[i], names[j]) != 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (keep[i])
      continue;
    char base[SC_NAME_MAX], cand[SC_NAME_MAX] = "x";
    snprintf(base, sizeof(base), "%s", names[i]);
    for (size_t k = 2; k < 2 * n + 3; k++) {
      char suffix[24];
      int sl = snprintf(suffix, sizeof(suffix), "-%zu", k);
      snprintf(cand, sizeof(cand), "%.*s%s", SC_NAME_MAX - 1 - sl, base, suffix);
      if (!name_taken(names, keep, i, n, cand))
        break;
    }
    snprintf(names[i], SC_NAME_MAX, "%s", cand);
  }
}

int live_audit_case(const struct live_audit_opts *o, const struct live_profile *p,
                    const struct scenario *sc, const char *file, const char *name,
                    struct live_case *out)
{
  /* One wire per connection: a client that retries (after a failed
   * handshake, say, in plaintext) is served the scenario again, fresh, up
   * to LIVE_MAX_CONNS times, and every connection is judged. */
  static struct wire w[LIVE_MAX_CONNS];
  static struct watch wt;
  memset(out, 0, sizeof(*out));
  /* Its name, and the name of its transcript, its log and its {dir}. */
  snprintf(out->name, sizeof(out->name), "%s", file_name(name ? name : sc->name));
  snprintf(out->file, sizeof(out->file), "%s", file ? file : "");
  struct live_addr addr = o->addr;
  live_addr_set_port(&addr, 0);
  int lfd = live_listen(&addr, 4);
  if (lfd < 0) {
    snprintf(out->error, sizeof(out->error), "cannot listen on %s: %s", addr.text, strerror(errno));
    return -1;
  }
  char port[8], run_dir[1024], msg_path[1100], log_path[1100], stdin_path[LIVE_ARG_MAX];
  snprintf(port, sizeof(port), "%u", addr.port);
  snprintf(run_dir, sizeof(run_dir), "%s/run/%s", o->dir, out->name);
  snprintf(msg_path, sizeof(msg_path), "%s/message.eml", run_dir);
  snprintf(log_path, sizeof(log_path), "%s/logs/%s.log", o->dir, out->name);
  static const char fallback_msg[] =
      "From: alice@example.org\nTo: bob@example.com\nSubject: smtpfuzz\n\nHello.\n";
  const char *msg = sc->cfg.message ? sc->cfg.message : fallback_msg;
  size_t msg_len = sc->cfg.message ? sc->cfg.message_len : sizeof(fallback_msg) - 1;
  live_remove_tree(run_dir);
  if ((mkdir(run_dir, 0700) != 0 && errno != EEXIST) || write_file(msg_path, msg, msg_len) != 0) {
    snprintf(out->error, sizeof(out->error), "cannot write %.200s", msg_path);
    goto not_run;
  }
  struct live_vars v = {
      .host = p->tls_name[0] ? p->tls_name : TLS_PEER_HOST,
      .addr = addr.text,
      .port = port,
      .user = sc->cfg.user,
      .password = sc->cfg.password,
      .cafile = o->cafile,
      .from = sc->cfg.mail_from ? sc->cfg.mail_from : "alice@example.org",
      .to = sc->cfg.nrcpt ? sc->cfg.rcpt[0] : "bob@example.com",
      .message = msg_path,
      .dir = run_dir,
  };
  static char args[LIVE_MAX_ARGS][LIVE_ARG_MAX];
  char *argv[LIVE_MAX_ARGS + 1];
  const char *reason = NULL;
  for (size_t i = 0; i < p->argc; i++) {
    if (live_expand(p->argv[i], &v, args[i], sizeof(args[i]), &reason) != 0) {
      snprintf(out->error, sizeof(out->error), "argument %zu '%.100s': %s", i + 1, p->argv[i],
               reason);
      goto not_run;
    }
    argv[i] = args[i];
  }
  argv[p->argc] = NULL;
  if (p->stdin_tmpl[0] &&
      live_expand(p->stdin_tmpl, &v, stdin_path, sizeof(stdin_path), &reason) != 0) {
    snprintf(out->error, sizeof(out->error), "stdin: %s", reason);
    goto not_run;
  }

  struct live_output log;
  if (live_output_open(&log, log_path, LIVE_LOG_CAP) != 0) {
    snprintf(out->error, sizeof(out->error), "cannot write %.200s: %s", log_path, strerror(errno));
    goto not_run;
  }
  struct live_child ch;
  uint64_t t0 = live_now_ms();
  uint64_t cap_at = t0 + (o->time_cap_ms ? o->time_cap_ms : LIVE_TIME_CAP);
  /* HOME is the client's own {dir}: the user's configuration files do not
   * change what it does, and what it saves (a copy of the message, a
   * dead.letter, a lock) neither lands in the user's home nor meets
   * another scenario's running at the same time. */
  int rc = live_spawn(&ch, argv, p->stdin_tmpl[0] ? stdin_path : NULL, log.write_fd, run_dir);
  close(log.write_fd); /* the client holds it now: its end means EOF for us */
  log.write_fd = -1;
  if (rc != 0) {
    live_output_close(&log);
    snprintf(out->error, sizeof(out->error), "cannot start '%.100s': %s", argv[0], strerror(rc));
    goto not_run;
  }
  memset(&wt, 0, sizeof(wt));
  wt.o = o;
  wt.out = &log;
  wt.fd = -1;
  wt.phase = PH_ACCEPT;
  wt.last_t = t0;
  live_tree_init(&wt.tree, getpid());
  struct stat pst;
  if (fstat(log.read_fd, &pst) == 0)
    wt.tctx.log_ino = pst.st_ino;

  int fd = accept_phase(&wt, lfd, &ch, cap_at);
  int ended = 0;
  size_t nconn = 0;
  uint64_t conn_t0 = 0; /* wire time 0 of the last connection: its start, not the client's */
  if (fd < 0 && !wt.judged)
    ended = live_child_poll(&ch);
  while (fd >= 0) {
    struct wire *cw = &w[nconn++];
    wire_init(cw);
    conn_t0 = live_now_ms();
    out->connected = 1;
    struct live_tcp_state ts;
    if (live_tcp_peer(fd, &ts) == 0)
      wt.tctx.conn_ino = ts.client_ino;
    wt.phase = PH_CONN;
    wt.fd = fd;
    wt.w = cw;
    wt.seen_events = 0;
    struct live_conn_opts co = {.tls = o->tls,
                                .max_stall_ms = o->max_stall_ms,
                                .deadline_ms = cap_at,
                                .t0_ms = conn_t0,
                                .watch = conn_watch,
                                .watch_ctx = &wt,
                                .watch_ms = LIVE_WATCH_MS,
                                .drain_fd = log.read_fd,
                                .drain = conn_drain,
                                .drain_ctx = &log};
    struct live_conn_result cr;
    live_conn_run(fd, sc, &co, cw, &cr);
    wt.fd = -1;
    /* Judged or at the cap, the client is stopped before its socket
     * closes: a close first would let it end on the EOF. */
    if (cr.end == LIVE_END_JUDGED || cr.end == LIVE_END_DEADLINE)
      break;
    close(fd);
    ended = after_phase(&wt, &ch, cap_at, nconn < LIVE_MAX_CONNS ? lfd : -1, &fd);
  }
  close(lfd);
  if (ended)
    live_child_describe(&ch, out->end, sizeof(out->end));
  /* The scenario's end: nothing of the client outlives it. */
  unsigned forced = live_tree_kill(getpid(), LIVE_GRACE_MS);
  if (fd >= 0)
    close(fd);
  live_output_close(&log);
  live_remove_tree(run_dir);
  uint64_t t_end = live_now_ms() - t0, wire_end = live_now_ms() - conn_t0;
  out->ms = t_end;

  int judged = wt.judged;
  if (!ended && !judged) {
    char t[32];
    seconds(t, sizeof(t), t_end);
    judged = out->connected ? SC_V_HANG : -1;
    snprintf(wt.why, sizeof(wt.why), "%sstill running at the time cap (%s)%s",
             out->connected ? "" : "never connected: ", t,
             o->interrupted && *o->interrupted ? ", interrupted" : "");
  }
  if (judged) {
    /* A HANG or SLOW judged from the client's state, or none. */
    snprintf(out->end, sizeof(out->end), "stopped by smtpfuzz: %s%s%s",
             judged > 0 ? sc_verdict_name((enum sc_verdict)judged) : "", judged > 0 ? ", " : "",
             wt.why);
  }
  if (forced) {
    size_t n = strlen(out->end);
    snprintf(out->end + n, sizeof(out->end) - n, "; %u leftover process%s killed", forced,
             forced == 1 ? "" : "es");
  }

  /* The verdicts: a client that never connected has none (its own result).
   * Each connection is judged on its own; how the client ended belongs to
   * the last, and so does the outcome. */
  static struct oracle_report rep, conn_rep[LIVE_MAX_CONNS];
  memset(&rep, 0, sizeof(rep));
  unsigned bits = 0;
  if (out->connected) {
    struct wire *last = &w[nconn - 1];
    if (judged == SC_V_HANG)
      wire_add(last, WIRE_HANG, 0, wire_end, wt.why, strlen(wt.why), 0, SF_ERR_OK);
    else if (ended) {
      enum sc_client_status st = ch.exited && ch.status == 0 ? SC_CLIENT_DONE : SC_CLIENT_FAILED;
      wire_add(last, WIRE_END, 0, wire_end, out->end, strlen(out->end), (uint64_t)st, SF_ERR_OK);
    }
    for (size_t k = 0; k < nconn; k++) {
      struct oracle_report *r = &conn_rep[k];
      memset(r, 0, sizeof(*r));
      unsigned got = oracle_judge(sc, &w[k], NULL, r);
      if (k + 1 < nconn) { /* the client went on: no outcome, no HANG yet */
        got &= ~(ORACLE_BIT(SC_V_OUTCOME) | ORACLE_BIT(SC_V_HANG));
        r->verdicts = got;
      }
      rep.after_421 |= r->after_421;
      for (int b = 0; b < SC_V_COUNT; b++)
        if ((got & ORACLE_BIT(b)) && !(rep.verdicts & ORACLE_BIT(b))) {
          rep.verdicts |= ORACLE_BIT(b);
          if (nconn > 1)
            snprintf(rep.reason[b], ORACLE_REASON_MAX, "connection %zu of %zu: %.*s", k + 1, nconn,
                     ORACLE_REASON_MAX - 40, r->reason[b]);
          else
            memcpy(rep.reason[b], r->reason[b], ORACLE_REASON_MAX);
        }
    }
    /* HANG live is the watcher's alone: the oracles also time the gaps on
     * the wire against the scenario's timeouts, which a program configured
     * by its profile does not have, and which a loaded machine stretches. */
    if (judged != SC_V_HANG) {
      rep.verdicts &= ~ORACLE_BIT(SC_V_HANG);
      rep.reason[SC_V_HANG][0] = '\0';
    }
    /* Slow to give up on a server that owes it nothing is no slow server:
     * the client waits for the answer to a command it has not sent, and
     * would wait so on any server (a deadlock of its own, bounded only by
     * its timer). */
    if (judged == SC_V_SLOW && conn_rep[nconn - 1].owes_nothing) {
      rep.verdicts |= ORACLE_BIT(SC_V_HANG);
      static const char tail[] = ", though every command had its answer: a deadlock";
      _Static_assert(sizeof tail < ORACLE_REASON_MAX / 2, "room for the client's wait");
      snprintf(rep.reason[SC_V_HANG], ORACLE_REASON_MAX, "%.*s%s",
               (int)(ORACLE_REASON_MAX - sizeof tail), wt.why, tail);
    } else if (judged == SC_V_SLOW) {
      rep.verdicts |= ORACLE_BIT(SC_V_SLOW);
      snprintf(rep.reason[SC_V_SLOW], ORACLE_REASON_MAX, "%s", wt.why);
    }
    if (ended && ch.signaled && crash_signal(ch.sig)) {
      rep.verdicts |= ORACLE_BIT(SC_V_CRASH);
      snprintf(rep.reason[SC_V_CRASH], ORACLE_REASON_MAX, "the client died of signal %d", ch.sig);
    }
    bits = rep.verdicts;
  }
  memcpy(out->reason, rep.reason, sizeof(out->reason));
  out->verdicts = bits;
  out->unsafe = live_unsafe(sc, bits);
  /* The transcript, for the report and for reproducing by hand. */
  char tpath[1100];
  snprintf(tpath, sizeof(tpath), "%s/transcripts/%s.txt", o->dir, out->name);
  FILE *tf = fopen(tpath, "w");
  if (tf) {
    if (strcmp(out->name, sc->name) != 0) /* another scenario has its name */
      fprintf(tf, "# %s (scenario '%s'): %s\n# client: %s\n", out->name, sc->name, out->file,
              out->end);
    else
      fprintf(tf, "# %s: %s\n# client: %s\n", sc->name, out->file, out->end);
    for (size_t k = 0; k < nconn; k++) {
      if (nconn > 1)
        fprintf(tf, "# connection %zu of %zu\n", k + 1, nconn);
      /* The last with every verdict of the case, as the report has them. */
      oracle_transcript_file(sc, &w[k], k + 1 == nconn ? &rep : &conn_rep[k], tf);
    }
    if (!out->connected)
      fputs("# the client never connected: nothing crossed the wire\n", tf);
    if (wt.detail[0])
      fprintf(tf, "# the client's threads when judged (pid/tid: wait): %s\n", wt.detail);
    fprintf(tf, "# end: %s after %llu ms%s\n", out->end, (unsigned long long)t_end,
            log.dropped ? "; its output was cut (see its log)" : "");
    fclose(tf);
  }
  return 0;

not_run: /* nothing of it is left behind: not its {dir} either */
  close(lfd);
  live_remove_tree(run_dir);
  return -1;
}

/* ---- many cases, several at once -------------------------------------------------- */

struct worker {
  pid_t pid;
  int fd;
  size_t index, got;
  uint64_t started;
  struct live_case buf;
};

static void worker_main(const struct live_audit_opts *o, const struct live_profile *p,
                        const char *file, const char *name, int fd)
{
  static struct scenario sc;
  static struct live_case c;
  char err[600];
  (void)live_become_subreaper();
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  memset(&c, 0, sizeof(c));
  if (live_scenario_load(&sc, file, err, sizeof(err)) != 0) {
    snprintf(c.file, sizeof(c.file), "%s", file);
    snprintf(c.name, sizeof(c.name), "%s", file_name(name));
    snprintf(c.error, sizeof(c.error), "%.250s", err);
  } else {
    (void)live_audit_case(o, p, &sc, file, name, &c);
  }
  const char *b = (const char *)&c;
  size_t left = sizeof(c);
  for (int guard = 0; guard < 1000 && left > 0; guard++) {
    ssize_t k = write(fd, b, left);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      break;
    b += k;
    left -= (size_t)k;
  }
  _exit(0);
}

static int start_worker(struct worker *wk, const struct live_audit_opts *o,
                        const struct live_profile *p, const char *file, const char *name,
                        size_t index)
{
  int fd;
  pid_t pid = live_fork_piped(&fd);
  if (pid < 0)
    return -1;
  if (pid == 0)
    worker_main(o, p, file, name, fd);
  memset(wk, 0, sizeof(*wk));
  wk->pid = pid;
  wk->fd = fd;
  wk->index = index;
  wk->started = live_now_ms();
  return 0;
}

/* A worker's pipe is readable: take its bytes; at EOF, reap it and fill
 * its case. Returns 1 when it is done. */
static int worker_read(struct worker *wk, struct live_case *cases, const char *file,
                       const char *name)
{
  char *b = (char *)&wk->buf;
  ssize_t k = read(wk->fd, b + wk->got, sizeof(wk->buf) - wk->got);
  if (k < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (k > 0) {
    wk->got += (size_t)k;
    if (wk->got < sizeof(wk->buf))
      return 0;
  }
  close(wk->fd);
  int st = 0;
  (void)waitpid(wk->pid, &st, 0);
  struct live_case *c = &cases[wk->index];
  if (wk->got == sizeof(wk->buf)) {
    *c = wk->buf;
  } else {
    memset(c, 0, sizeof(*c));
    snprintf(c->file, sizeof(c->file), "%s", file);
    const char *base = strrchr(file, '/');
    snprintf(c->name, sizeof(c->name), "%.63s", name ? name : base ? base + 1 : file);
    snprintf(c->error, sizeof(c->error), "the worker running it ended early (%s %d)",
             WIFSIGNALED(st) ? "signal" : "status",
             WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  }
  return 1;
}

/* The case's name before it ran, for the reports of one that could not. */
static void not_run(struct live_case *c, const char *file, const char *name)
{
  memset(c, 0, sizeof(*c));
  snprintf(c->file, sizeof(c->file), "%s", file);
  if (name)
    snprintf(c->name, sizeof(c->name), "%s", name);
}

size_t live_audit_run(const struct live_audit_opts *o, const struct live_profile *p,
                      char *const *files, const char *const *names, size_t n,
                      struct live_case *cases, void (*done)(void *ctx, size_t i), void *ctx)
{
  struct worker wk[LIVE_MAX_JOBS];
  unsigned jobs = o->jobs == 0 ? 1 : o->jobs > LIVE_MAX_JOBS ? LIVE_MAX_JOBS : o->jobs;
  size_t next = 0, running = 0, ran = 0;
  uint64_t backstop = (o->time_cap_ms ? o->time_cap_ms : LIVE_TIME_CAP) + 30000;
  /* Orphans of a worker that died come here: we end them last. */
  (void)live_become_subreaper();
  for (int guard = 0; guard < 100000000 && (next < n || running > 0); guard++) {
    int stopping = o->interrupted && *o->interrupted;
    while (!stopping && next < n && running < jobs) {
      if (start_worker(&wk[running], o, p, files[next], names ? names[next] : NULL, next) != 0) {
        struct live_case *c = &cases[next];
        not_run(c, files[next], names ? names[next] : NULL);
        snprintf(c->error, sizeof(c->error), "cannot start a worker: %s", strerror(errno));
        if (done)
          done(ctx, next);
        next++;
        continue;
      }
      running++;
      next++;
    }
    if (stopping && next < n) {
      for (; next < n; next++) {
        not_run(&cases[next], files[next], names ? names[next] : NULL);
        snprintf(cases[next].error, sizeof(cases[next].error), "interrupted before it ran");
      }
    }
    if (running == 0)
      continue;
    struct pollfd pfd[LIVE_MAX_JOBS];
    for (size_t i = 0; i < running; i++)
      pfd[i] = (struct pollfd){wk[i].fd, POLLIN, 0};
    (void)poll(pfd, running, 100);
    uint64_t now = live_now_ms();
    for (size_t i = 0; i < running;) {
      if (now - wk[i].started > backstop)
        kill(wk[i].pid, SIGKILL); /* ours, by its id; its pipe then ends */
      if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
          worker_read(&wk[i], cases, files[wk[i].index], names ? names[wk[i].index] : NULL)) {
        size_t idx = wk[i].index;
        ran += cases[idx].error[0] == '\0';
        if (done)
          done(ctx, idx);
        wk[i] = wk[running - 1];
        pfd[i] = pfd[running - 1];
        running--;
        continue;
      }
      i++;
    }
  }
  (void)live_tree_kill(getpid(), LIVE_GRACE_MS);
  return ran;
}

/* ---- words ---------------------------------------------------------------------------- */

void live_verdict_list(unsigned bits, char *out, size_t cap)
{
  size_t used = 0;
  out[0] = '\0';
  for (int v = 0; v < SC_V_COUNT; v++) {
    if (!(bits & ORACLE_BIT(v)))
      continue;
    int k = snprintf(out + used, cap - used, "%s%s", used ? "," : "", sc_verdict_name(v));
    if (k < 0 || (size_t)k >= cap - used)
      return;
    used += (size_t)k;
  }
  if (used == 0)
    snprintf(out, cap, "none");
}

void live_case_result(const struct live_case *c, char *out, size_t cap)
{
  if (c->error[0])
    snprintf(out, cap, "NOT_RUN");
  else if (!c->connected)
    snprintf(out, cap, "NO_CONNECTION");
  else
    live_verdict_list(c->verdicts, out, cap);
}
