/* Properties of the session table itself. The engine refuses any transition
 * the table does not list, so what holds of the graph holds of every run. */
#include "session_script.h"

#include <string.h>

static const struct sf_state_row *T;

static const unsigned profiles[] = {SF_PROF_PLAIN, SF_PROF_OPP, SF_PROF_REQ, SF_PROF_IMPLICIT};
static const char *const profile_names[] = {"plain", "opportunistic", "required", "implicit"};

static enum sf_state start_of(unsigned profile)
{
  (void)profile;
  return SF_ST_CONNECT;
}

/* States reachable from CONNECT under `profile`, never entering `avoid`
 * (SF_ST_COUNT: avoid nothing). */
static void reach(unsigned profile, enum sf_state avoid, int seen[SF_ST_COUNT])
{
  enum sf_state stack[SF_ST_COUNT * SF_ROW_MAX_EDGES];
  size_t top = 0;
  memset(seen, 0, sizeof(int) * SF_ST_COUNT);
  stack[top++] = start_of(profile);
  seen[start_of(profile)] = 1;
  while (top > 0) {
    enum sf_state s = stack[--top];
    for (size_t i = 0; i < T[s].nnext; i++) {
      enum sf_state to = T[s].next[i].to;
      if (!(T[s].next[i].profiles & profile) || to == avoid || seen[to])
        continue;
      seen[to] = 1;
      stack[top++] = to;
    }
  }
}

/* Whether DONE is reachable from `from` under `profile`. */
static int can_finish(unsigned profile, enum sf_state from)
{
  int seen[SF_ST_COUNT] = {0};
  enum sf_state stack[SF_ST_COUNT * SF_ROW_MAX_EDGES];
  size_t top = 0;
  stack[top++] = from;
  seen[from] = 1;
  while (top > 0) {
    enum sf_state s = stack[--top];
    if (s == SF_ST_DONE)
      return 1;
    for (size_t i = 0; i < T[s].nnext; i++) {
      enum sf_state to = T[s].next[i].to;
      if ((T[s].next[i].profiles & profile) && !seen[to]) {
        seen[to] = 1;
        stack[top++] = to;
      }
    }
  }
  return 0;
}

static void test_rows_well_formed(void)
{
  for (int s = 0; s < SF_ST_COUNT; s++) {
    CHECKF(T[s].name && T[s].name[0], "row %d has no name", s);
    CHECKF(strcmp(T[s].name, sf_state_name((enum sf_state)s)) == 0, "row %d name", s);
    CHECKF(T[s].nnext <= SF_ROW_MAX_EDGES, "row %s", T[s].name);
    int is_terminal = s == SF_ST_DONE || s == SF_ST_FAILED;
    CHECKF(is_terminal == (T[s].nnext == 0), "row %s: edges iff not terminal", T[s].name);
    for (size_t i = 0; i < T[s].nnext; i++) {
      CHECKF((unsigned)T[s].next[i].to < SF_ST_COUNT, "row %s edge %zu", T[s].name, i);
      CHECKF(T[s].next[i].profiles != 0 && (T[s].next[i].profiles & ~SF_PROF_ALL) == 0,
             "row %s edge %zu has no profile", T[s].name, i);
    }
    /* A state that waits has a timeout: no wait without a deadline. */
    if (T[s].waits)
      CHECKF((unsigned)T[s].phase < SF_PHASE_COUNT, "row %s", T[s].name);
  }
}

static void test_every_state_reachable_and_no_dead_rows(void)
{
  int any[SF_ST_COUNT] = {0};
  for (size_t p = 0; p < 4; p++) {
    int seen[SF_ST_COUNT];
    reach(profiles[p], SF_ST_COUNT, seen);
    CHECKF(seen[SF_ST_DONE], "%s cannot finish", profile_names[p]);
    for (int s = 0; s < SF_ST_COUNT; s++) {
      any[s] |= seen[s];
      /* No dead rows: from every reachable state a session can still end
       * well (FAILED itself aside). */
      if (seen[s] && s != SF_ST_FAILED)
        CHECKF(can_finish(profiles[p], (enum sf_state)s), "%s: %s is a dead end", profile_names[p],
               T[s].name);
    }
  }
  for (int s = 0; s < SF_ST_COUNT; s++)
    CHECKF(any[s], "state %s is unreachable under every profile", T[s].name);
}

/* Under TLS profiles, no path reaches AUTH, MAIL or the message without the
 * post-TLS EHLO (RFC 3207 4.2, RFC 8314 5.2). */
static void test_tls_profiles_pass_post_tls_ehlo(void)
{
  const enum sf_state guarded[] = {SF_ST_AUTH_PLAIN, SF_ST_AUTH_LOGIN, SF_ST_MAIL,
                                   SF_ST_RCPT,       SF_ST_DATA,       SF_ST_BODY};
  const unsigned strict[] = {SF_PROF_REQ, SF_PROF_IMPLICIT};
  for (size_t p = 0; p < 2; p++) {
    int seen[SF_ST_COUNT];
    reach(strict[p], SF_ST_COUNT, seen);
    for (size_t g = 0; g < sizeof(guarded) / sizeof(guarded[0]); g++)
      CHECK(seen[guarded[g]]);
    reach(strict[p], SF_ST_EHLO_TLS, seen);
    for (size_t g = 0; g < sizeof(guarded) / sizeof(guarded[0]); g++)
      CHECKF(!seen[guarded[g]], "%s reachable without ehlo-tls", T[guarded[g]].name);
  }
  /* Under required, no pre-TLS row leads anywhere but STARTTLS, HELO-less
   * EHLO, TLS or the end. */
  for (int s = 0; s < SF_ST_COUNT; s++) {
    if (T[s].tls != 0)
      continue;
    for (size_t i = 0; i < T[s].nnext; i++) {
      if (!(T[s].next[i].profiles & SF_PROF_REQ))
        continue;
      enum sf_state to = T[s].next[i].to;
      CHECKF(to == SF_ST_GREETING || to == SF_ST_EHLO || to == SF_ST_STARTTLS ||
                 to == SF_ST_TLS_HANDSHAKE || to == SF_ST_EHLO_TLS || to == SF_ST_FAILED,
             "required: %s -> %s before TLS", T[s].name, T[to].name);
    }
  }
  /* Every TLS handshake row leads only to a post-TLS EHLO (or greeting, for
   * implicit TLS, then EHLO) or the end. */
  for (size_t i = 0; i < T[SF_ST_TLS_HANDSHAKE].nnext; i++)
    CHECK(T[SF_ST_TLS_HANDSHAKE].next[i].to == SF_ST_EHLO_TLS ||
          T[SF_ST_TLS_HANDSHAKE].next[i].to == SF_ST_FAILED);
  CHECK(T[SF_ST_EHLO_TLS].tls == 1 && strcmp(T[SF_ST_EHLO_TLS].sends, "EHLO") == 0);
}

/* The plain profile never touches a TLS row. */
static void test_plain_never_tls(void)
{
  int seen[SF_ST_COUNT];
  reach(SF_PROF_PLAIN, SF_ST_COUNT, seen);
  for (int s = 0; s < SF_ST_COUNT; s++)
    if (T[s].tls == 1 || s == SF_ST_STARTTLS || s == SF_ST_TLS_HANDSHAKE || s == SF_ST_TLS_IMPLICIT)
      CHECKF(!seen[s], "plain reaches %s", T[s].name);
}

/* Runs end the way the table says: a correct server for each TLS profile,
 * and the trace shows the post-TLS EHLO after the handshake. */
static void test_runs_follow_the_table(void)
{
  const struct {
    enum sf_mode mode;
    enum sf_tls_policy tls;
    enum sf_state handshake;
  } cases[] = {
      {SF_MODE_STARTTLS, SF_TLS_OPPORTUNISTIC, SF_ST_TLS_HANDSHAKE},
      {SF_MODE_STARTTLS, SF_TLS_REQUIRED, SF_ST_TLS_HANDSHAKE},
      {SF_MODE_IMPLICIT, SF_TLS_REQUIRED, SF_ST_TLS_IMPLICIT},
  };
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    struct run r;
    run_config(&r, cases[c].mode, cases[c].tls);
    run_envelope(&r, "m");
    const struct step starttls[] = {
        {SERVER, GREETING, 0},
        {SERVER, EHLO_PRE, 0},
        {SERVER, "220 go\r\n", 0},
        {TLS_HELLO, "valid mx.example.com", 0},
        {SERVER, EHLO_POST, 0},
        {SERVER, "250 ok\r\n", 0},
        {SERVER, "250 ok\r\n", 0},
        {SERVER, "354 go\r\n", 0},
        {SERVER, "250 ok\r\n", 0},
        {SERVER, "221 bye\r\n", 0},
        {END, NULL, 0},
    };
    const struct step implicit[] = {
        {TLS_HELLO, "valid mx.example.com", 0},
        {SERVER, GREETING, 0},
        {SERVER, EHLO_POST, 0},
        {SERVER, "250 ok\r\n", 0},
        {SERVER, "250 ok\r\n", 0},
        {SERVER, "354 go\r\n", 0},
        {SERVER, "250 ok\r\n", 0},
        {SERVER, "221 bye\r\n", 0},
        {END, NULL, 0},
    };
    run_script(&r, cases[c].mode == SF_MODE_IMPLICIT ? implicit : starttls);
    CHECKF(sf_session_status(&r.s) & SF_DONE, "case %zu: %s", c, sf_session_diagnosis(&r.s));
    CHECKF(trace_has(&r.s, SF_ST_EHLO_TLS, cases[c].handshake), "case %zu", c);
    /* Each consecutive pair in the trace is an edge of the table. */
    unsigned prof = sf_config_profile(&r.cfg);
    for (size_t i = 1; i < r.s.ntrace; i++) {
      const struct sf_state_row *row = &T[r.s.trace[i - 1]];
      int found = 0;
      for (size_t e = 0; e < row->nnext; e++)
        found |= row->next[e].to == r.s.trace[i] && (row->next[e].profiles & prof);
      CHECKF(found, "trace %s -> %s not in table", row->name, T[r.s.trace[i]].name);
    }
  }
}

int main(void)
{
  T = sf_session_table();
  test_rows_well_formed();
  test_every_state_reachable_and_no_dead_rows();
  test_tls_profiles_pass_post_tls_ehlo();
  test_plain_never_tls();
  test_runs_follow_the_table();
  return check_report("session table");
}
