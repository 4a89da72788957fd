#include "live/live_audit.h"

#include "live/live_conn.h"
#include "tls_peer.h"
#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- profiles ------------------------------------------------------------- */

static char *keep(struct live_profile *p, const char *s, size_t n)
{
  if (p->used + n + 1 > sizeof(p->storage))
    return NULL;
  char *d = p->storage + p->used;
  memcpy(d, s, n);
  d[n] = '\0';
  p->used += n + 1;
  return d;
}

int live_profile_add_arg(struct live_profile *p, const char *arg)
{
  if (p->argc >= LIVE_MAX_ARGS)
    return -1;
  char *a = keep(p, arg, strlen(arg));
  if (!a)
    return -1;
  p->argv[p->argc++] = a;
  p->argv[p->argc] = NULL;
  return 0;
}

static int pick(const char *v, const char *const *names, int n)
{
  if (strcmp(v, "any") == 0)
    return -1;
  for (int i = 0; i < n; i++)
    if (strcmp(v, names[i]) == 0)
      return i;
  return -2;
}

int live_profile_parse(struct live_profile *p, const char *text, size_t len, size_t *line,
                       const char **reason)
{
  static const char *const modes[] = {"plain", "starttls", "implicit"};
  static const char *const tlss[] = {"none", "opportunistic", "required"};
  static const char *const yesno[] = {"no", "yes"};
  memset(p, 0, sizeof(*p));
  p->mode = p->tls = p->verify = -1;
  *line = 0;
  size_t pos = 0;
  while (pos < len) {
    char buf[LIVE_ARG_MAX + 64];
    size_t end = pos;
    while (end < len && text[end] != '\n')
      end++;
    ++*line;
    size_t n = end - pos;
    if (n >= sizeof(buf)) {
      *reason = "line too long";
      return -1;
    }
    memcpy(buf, text + pos, n);
    buf[n] = '\0';
    pos = end + 1;
    while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
      buf[--n] = '\0';
    char *k = buf;
    while (*k == ' ' || *k == '\t')
      k++;
    if (*k == '\0' || *k == '#')
      continue;
    char *eq = strchr(k, '=');
    if (!eq) {
      *reason = "expected 'key = value'";
      return -1;
    }
    char *v = eq + 1;
    while (eq > k && (eq[-1] == ' ' || eq[-1] == '\t'))
      eq--;
    *eq = '\0';
    while (*v == ' ' || *v == '\t')
      v++;
    int x;
    if (strcmp(k, "name") == 0) {
      snprintf(p->name, sizeof(p->name), "%s", v);
    } else if (strcmp(k, "description") == 0) {
      snprintf(p->description, sizeof(p->description), "%s", v);
    } else if (strcmp(k, "mode") == 0) {
      if ((x = pick(v, modes, 3)) == -2) {
        *reason = "mode must be plain, starttls, implicit or any";
        return -1;
      }
      p->mode = x;
    } else if (strcmp(k, "tls") == 0) {
      if ((x = pick(v, tlss, 3)) == -2) {
        *reason = "tls must be none, opportunistic, required or any";
        return -1;
      }
      p->tls = x;
    } else if (strcmp(k, "verify") == 0) {
      if ((x = pick(v, yesno, 2)) == -2) {
        *reason = "verify must be yes, no or any";
        return -1;
      }
      p->verify = x;
    } else if (strcmp(k, "tls_name") == 0) {
      if (strlen(v) >= sizeof(p->tls_name) ||
          strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(v)) {
        *reason = "tls_name must be a host name (letters, digits, '.', '-')";
        return -1;
      }
      snprintf(p->tls_name, sizeof(p->tls_name), "%s", v);
    } else if (strcmp(k, "stdin") == 0) {
      snprintf(p->stdin_tmpl, sizeof(p->stdin_tmpl), "%s", v);
    } else if (strcmp(k, "arg") == 0) {
      if (live_profile_add_arg(p, v) != 0) {
        *reason = "too many or too long arguments";
        return -1;
      }
    } else {
      *reason = "unknown key (name, description, mode, tls, verify, tls_name, stdin, arg)";
      return -1;
    }
  }
  if (p->argc == 0) {
    *reason = "no 'arg' lines: the profile has no command";
    return -1;
  }
  return 0;
}

int live_profile_selects(const struct live_profile *p, const struct scenario *sc)
{
  if (p->mode >= 0 && (int)sc->cfg.mode != p->mode)
    return 0;
  if (p->tls >= 0 && (int)sc->cfg.tls != p->tls)
    return 0;
  if (p->verify >= 0 && (sc->cfg.verify != 0) != p->verify)
    return 0;
  /* A scenario about a client refusing its own configuration (no host to
   * verify, a sender without a recipient, values too long for one command)
   * says nothing of a program configured by its profile. */
  if (sc->expect_error_set && sc->expect_error >= SF_ERR_CONFIG_SYNTAX &&
      sc->expect_error <= SF_ERR_CONFIG_NO_HOST)
    return 0;
  /* Nor one about the name the client expects (an address literal, say):
   * the program is told {host}, the name the live server's certificates
   * carry, and would be judged against a name it was never given. */
  if (!sc->cfg.host || strcasecmp(sc->cfg.host, TLS_PEER_HOST) != 0)
    return 0;
  return 1;
}

/* ---- one case ----------------------------------------------------------------- */

unsigned live_unsafe(const struct scenario *sc, unsigned verdicts)
{
  return verdicts & ~ORACLE_BIT(SC_V_OUTCOME) & ~sc->expect_verdicts;
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

/* Waits for the client to connect, or to end first, until the deadline. */
static int accept_client(int lfd, struct live_child *ch, uint64_t deadline)
{
  for (int guard = 0; guard < 100000; guard++) {
    uint64_t now = live_now_ms();
    if (now >= deadline)
      return -1;
    struct pollfd pfd = {lfd, POLLIN, 0};
    uint64_t left = deadline - now;
    if (poll(&pfd, 1, left < 20 ? (int)left : 20) == 1) {
      int fd = accept(lfd, NULL, NULL);
      if (fd >= 0)
        return fd;
    }
    if (live_child_poll(ch))
      return -1;
  }
  return -1;
}

static int crash_signal(int sig)
{
  return sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
         sig == SIGTRAP || sig == SIGSYS;
}

int live_audit_case(const struct live_audit_opts *o, const struct live_profile *p,
                    const struct scenario *sc, struct live_case *out)
{
  static struct wire w;
  memset(out, 0, sizeof(*out));
  snprintf(out->name, sizeof(out->name), "%s", sc->name);
  struct live_addr addr = o->addr;
  live_addr_set_port(&addr, 0);
  int lfd = live_listen(&addr, 4);
  if (lfd < 0) {
    snprintf(out->error, sizeof(out->error), "cannot listen on %s: %s", addr.text, strerror(errno));
    return -1;
  }
  char port[8], msg_path[512], log_path[512], stdin_path[LIVE_ARG_MAX];
  snprintf(port, sizeof(port), "%u", addr.port);
  snprintf(msg_path, sizeof(msg_path), "%s/message.eml", o->dir);
  snprintf(log_path, sizeof(log_path), "%s/logs/%s.log", o->dir, sc->name[0] ? sc->name : "x");
  static const char fallback_msg[] =
      "From: alice@example.org\nTo: bob@example.com\nSubject: smtpfuzz\n\nHello.\n";
  const char *msg = sc->cfg.message ? sc->cfg.message : fallback_msg;
  size_t msg_len = sc->cfg.message ? sc->cfg.message_len : sizeof(fallback_msg) - 1;
  if (write_file(msg_path, msg, msg_len) != 0) {
    close(lfd);
    snprintf(out->error, sizeof(out->error), "cannot write %.150s", msg_path);
    return -1;
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
      .dir = o->dir,
  };
  static char args[LIVE_MAX_ARGS][LIVE_ARG_MAX];
  char *argv[LIVE_MAX_ARGS + 1];
  const char *reason = NULL;
  for (size_t i = 0; i < p->argc; i++) {
    if (live_expand(p->argv[i], &v, args[i], sizeof(args[i]), &reason) != 0) {
      close(lfd);
      snprintf(out->error, sizeof(out->error), "argument %zu '%s': %s", i + 1, p->argv[i], reason);
      return -1;
    }
    argv[i] = args[i];
  }
  argv[p->argc] = NULL;
  if (p->stdin_tmpl[0] &&
      live_expand(p->stdin_tmpl, &v, stdin_path, sizeof(stdin_path), &reason) != 0) {
    close(lfd);
    snprintf(out->error, sizeof(out->error), "stdin: %s", reason);
    return -1;
  }

  struct live_child ch;
  uint64_t t0 = live_now_ms();
  uint64_t deadline = t0 + o->hang_budget_ms;
  int rc = live_spawn(&ch, argv, p->stdin_tmpl[0] ? stdin_path : NULL, log_path);
  if (rc != 0) {
    close(lfd);
    snprintf(out->error, sizeof(out->error), "cannot start '%s': %s", argv[0], strerror(rc));
    return -1;
  }
  int fd = accept_client(lfd, &ch, deadline);
  close(lfd);
  wire_init(&w);
  if (fd >= 0) {
    out->connected = 1;
    struct live_conn_opts co = {
        .tls = o->tls, .max_stall_ms = o->max_stall_ms, .deadline_ms = deadline, .t0_ms = t0};
    struct live_conn_result cr;
    live_conn_run(fd, sc, &co, &w, &cr);
    /* At the budget the client is stopped before its socket closes: a
     * close first would let it end on the EOF, racing the kill. */
    if (cr.end != LIVE_END_DEADLINE) {
      close(fd);
      fd = -1;
    }
  }
  int ended = live_child_wait(&ch, deadline);
  if (fd >= 0)
    close(fd);
  uint64_t t_end = live_now_ms() - t0;
  out->ms = t_end;
  char why[160];
  if (!ended) {
    snprintf(why, sizeof(why), "the client still ran at the hang budget (%u ms) and was killed",
             o->hang_budget_ms);
    wire_add(&w, WIRE_HANG, 0, t_end, why, strlen(why), 0, SF_ERR_OK);
    snprintf(out->end, sizeof(out->end), "killed at the hang budget");
  } else {
    enum sc_client_status st = ch.exited && ch.status == 0 ? SC_CLIENT_DONE : SC_CLIENT_FAILED;
    if (ch.exited)
      snprintf(out->end, sizeof(out->end), "exit %d", ch.status);
    else
      snprintf(out->end, sizeof(out->end), "signal %d", ch.sig);
    wire_add(&w, WIRE_END, 0, t_end, out->end, strlen(out->end), (uint64_t)st, SF_ERR_OK);
  }
  struct oracle_report rep;
  unsigned bits = oracle_judge(sc, &w, NULL, &rep);
  memcpy(out->reason, rep.reason, sizeof(out->reason));
  if (ended && ch.signaled && crash_signal(ch.sig)) {
    bits |= ORACLE_BIT(SC_V_CRASH);
    snprintf(out->reason[SC_V_CRASH], ORACLE_REASON_MAX, "the client died of signal %d", ch.sig);
  }
  out->verdicts = bits;
  out->unsafe = live_unsafe(sc, bits);
  /* The transcript, for the report and for reproducing by hand. */
  char tpath[512];
  snprintf(tpath, sizeof(tpath), "%s/transcripts/%s.txt", o->dir, sc->name[0] ? sc->name : "x");
  FILE *tf = fopen(tpath, "w");
  if (tf) {
    fprintf(tf, "# %s: %s\n# client: %s\n", sc->name, out->file, out->end);
    oracle_transcript_file(sc, &w, &rep, tf);
    fclose(tf);
  }
  return 0;
}

/* ---- reports -------------------------------------------------------------------- */

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

static void json_str(FILE *f, const char *s)
{
  fputc('"', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20 || ch == 0x7f)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

static void xml_str(FILE *f, const char *s)
{
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    switch (ch) {
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '&':
      fputs("&amp;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    default:
      if (ch < 0x20 && ch != '\n' && ch != '\t')
        fputc('?', f);
      else
        fputc(ch, f);
    }
  }
}

static void md_str(FILE *f, const char *s)
{
  for (; *s; s++) {
    if (*s == '|')
      fputs("\\|", f);
    else if (*s == '\n')
      fputc(' ', f);
    else
      fputc(*s, f);
  }
}

static size_t count_unsafe(const struct live_report *r, size_t *errors)
{
  size_t n = 0;
  *errors = 0;
  for (size_t i = 0; i < r->ncases; i++) {
    n += r->cases[i].unsafe != 0;
    *errors += r->cases[i].error[0] != '\0';
  }
  return n;
}

int live_report_markdown(const struct live_report *r, FILE *f)
{
  size_t errors, unsafe = count_unsafe(r, &errors);
  fprintf(f, "# smtpfuzz audit: %s\n\n", r->p->name[0] ? r->p->name : r->p->argv[0]);
  if (r->p->description[0])
    fprintf(f, "%s\n\n", r->p->description);
  fputs("Command:", f);
  for (size_t i = 0; i < r->p->argc; i++)
    fprintf(f, " `%s`", r->p->argv[i]);
  fprintf(f,
          "\n\n%zu scenarios, %zu with a finding, %zu not run; hang budget %u ms; %llu ms in "
          "all.\n\n",
          r->ncases, unsafe, errors, r->hang_budget_ms, (unsigned long long)r->total_ms);
  fputs("| scenario | verdicts | client | ms | why |\n|---|---|---|---|---|\n", f);
  for (size_t i = 0; i < r->ncases; i++) {
    const struct live_case *c = &r->cases[i];
    char list[200];
    live_verdict_list(c->verdicts, list, sizeof(list));
    fprintf(f, "| `%s` | %s%s%s | ", c->name, c->unsafe ? "**" : "", c->error[0] ? "not run" : list,
            c->unsafe ? "**" : "");
    md_str(f, c->end);
    fprintf(f, " | %llu | ", (unsigned long long)c->ms);
    if (c->error[0])
      md_str(f, c->error);
    for (int v = 0; v < SC_V_COUNT; v++)
      if (c->verdicts & ORACLE_BIT(v)) {
        fprintf(f, "%s: ", sc_verdict_name(v));
        md_str(f, c->reason[v]);
        fputs("; ", f);
      }
    fputs(" |\n", f);
  }
  return ferror(f) ? -1 : 0;
}

int live_report_json(const struct live_report *r, FILE *f)
{
  size_t errors, unsafe = count_unsafe(r, &errors);
  fputs("{\n  \"profile\": ", f);
  json_str(f, r->p->name);
  fputs(",\n  \"argv\": [", f);
  for (size_t i = 0; i < r->p->argc; i++) {
    fputs(i ? ", " : "", f);
    json_str(f, r->p->argv[i]);
  }
  fprintf(f,
          "],\n  \"hang_budget_ms\": %u,\n  \"total_ms\": %llu,\n  \"unsafe\": %zu,\n  "
          "\"not_run\": %zu,\n  \"cases\": [\n",
          r->hang_budget_ms, (unsigned long long)r->total_ms, unsafe, errors);
  for (size_t i = 0; i < r->ncases; i++) {
    const struct live_case *c = &r->cases[i];
    fputs("    {\"scenario\": ", f);
    json_str(f, c->name);
    fputs(", \"file\": ", f);
    json_str(f, c->file);
    fputs(", \"verdicts\": [", f);
    int first = 1;
    for (int v = 0; v < SC_V_COUNT; v++)
      if (c->verdicts & ORACLE_BIT(v)) {
        fputs(first ? "" : ", ", f);
        json_str(f, sc_verdict_name(v));
        first = 0;
      }
    fputs("], \"reasons\": {", f);
    first = 1;
    for (int v = 0; v < SC_V_COUNT; v++)
      if (c->verdicts & ORACLE_BIT(v)) {
        fputs(first ? "" : ", ", f);
        json_str(f, sc_verdict_name(v));
        fputs(": ", f);
        json_str(f, c->reason[v]);
        first = 0;
      }
    fprintf(f, "}, \"unsafe\": %s, \"client\": ", c->unsafe ? "true" : "false");
    json_str(f, c->end);
    fprintf(f, ", \"connected\": %s, \"ms\": %llu, \"error\": ", c->connected ? "true" : "false",
            (unsigned long long)c->ms);
    json_str(f, c->error);
    fprintf(f, "}%s\n", i + 1 < r->ncases ? "," : "");
  }
  fputs("  ]\n}\n", f);
  return ferror(f) ? -1 : 0;
}

int live_report_junit(const struct live_report *r, FILE *f)
{
  size_t errors, unsafe = count_unsafe(r, &errors);
  const char *name = r->p->name[0] ? r->p->name : r->p->argv[0];
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"smtpfuzz.audit.", f);
  xml_str(f, name);
  fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n", r->ncases, unsafe,
          errors, (double)r->total_ms / 1000.0);
  for (size_t i = 0; i < r->ncases; i++) {
    const struct live_case *c = &r->cases[i];
    fputs("  <testcase classname=\"smtpfuzz.audit.", f);
    xml_str(f, name);
    fputs("\" name=\"", f);
    xml_str(f, c->name);
    fprintf(f, "\" time=\"%.3f\">", (double)c->ms / 1000.0);
    if (c->error[0]) {
      fputs("<error message=\"", f);
      xml_str(f, c->error);
      fputs("\"/>", f);
    } else if (c->unsafe) {
      char list[200];
      live_verdict_list(c->unsafe, list, sizeof(list));
      fputs("<failure type=\"", f);
      xml_str(f, list);
      fputs("\" message=\"", f);
      for (int v = 0; v < SC_V_COUNT; v++)
        if (c->unsafe & ORACLE_BIT(v)) {
          xml_str(f, sc_verdict_name(v));
          fputs(": ", f);
          xml_str(f, c->reason[v]);
          fputs("; ", f);
        }
      fputs("\"/>", f);
    }
    fputs("</testcase>\n", f);
  }
  fputs("</testsuite>\n", f);
  return ferror(f) ? -1 : 0;
}

int live_report_verdicts(const struct live_report *r, FILE *f)
{
  for (size_t i = 0; i < r->ncases; i++) {
    char list[200];
    live_verdict_list(r->cases[i].verdicts, list, sizeof(list));
    fprintf(f, "%s %s\n", r->cases[i].name, r->cases[i].error[0] ? "NOT_RUN" : list);
  }
  return ferror(f) ? -1 : 0;
}
