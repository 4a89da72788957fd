#include "oracle.h"

#include "base64.h"
#include "caps.h"
#include "reply_parser.h"
#include "verbs.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>

#define PENDING_MAX 64
#define REPLY_TEXT  8192

/* A server reply assembled from its lines, for sf_caps_parse(). */
struct reply_acc {
  char text[REPLY_TEXT];
  size_t used;
  struct sf_reply reply;
};

struct judge {
  const struct scenario *sc;
  const struct sf_config *cfg;
  struct oracle_report *rep;
  /* Commands waiting for their reply, oldest first. */
  enum sc_verb pending[PENDING_MAX];
  int pending_tls[PENDING_MAX];
  size_t npending;
  struct reply_acc cur;
  /* Before TLS. */
  struct sf_caps pre_caps;
  int no_starttls; /* the last pre-TLS hello reply lacks STARTTLS */
  int refused;     /* STARTTLS answered otherwise than 220 */
  int after_220;   /* the 220 to STARTTLS came; TLS not up yet */
  int injected;    /* bytes followed the 220 to STARTTLS */
  struct reply_acc inj;
  struct sf_caps inj_caps;
  /* After TLS. */
  int tls_up;
  int tls_cmds;  /* commands sent over TLS */
  int tls_hello; /* EHLO or HELO sent over TLS */
  int have_post; /* a post-TLS EHLO reply parsed */
  struct sf_caps post_caps;
  int cert_bad;
  /* The client's previous command line: a line the server reads as SASL
   * data is the client's only if the client itself began AUTH. */
  enum sc_verb prev_client;
  int body_ended; /* that line was the "." ending a message */
  /* Time. */
  uint64_t last_t;
  enum sc_verb last_verb; /* SC_VERB_CONNECT: none yet */
  int last_hello;         /* the last client act was its TLS hello */
  int deaf;               /* the server stopped reading */
  /* End. */
  int ended;
  enum sc_client_status end_status;
  enum sf_err end_err;
  char end_diag[256];
};

static void verdict(struct judge *j, enum sc_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void verdict(struct judge *j, enum sc_verdict v, const char *fmt, ...)
{
  if (j->rep->verdicts & ORACLE_BIT(v))
    return; /* the first reason is the one kept */
  j->rep->verdicts |= ORACLE_BIT(v);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(j->rep->reason[v], sizeof(j->rep->reason[v]), fmt, ap);
  va_end(ap);
}

/* A short printable excerpt of a line for reasons. */
static const char *excerpt(const struct wire_item *it, char *buf, size_t cap)
{
  size_t k = 0;
  for (size_t i = 0; i < it->len && k + 1 < cap && i < 40; i++)
    buf[k++] = it->text[i] >= 0x20 && it->text[i] < 0x7f ? (char)it->text[i] : '.';
  buf[k] = '\0';
  return buf;
}

/* ---- replies and capabilities --------------------------------------------- */

static void reply_reset(struct reply_acc *r)
{
  r->used = 0;
  memset(&r->reply, 0, sizeof(r->reply));
}

static void reply_add_line(struct reply_acc *r, const struct wire_item *it)
{
  if (r->reply.nlines >= SF_REPLY_MAX_LINES)
    return;
  size_t skip = it->len >= 4 ? 4 : it->len;
  size_t n = it->len - skip;
  if (n > sizeof(r->text) - r->used)
    n = sizeof(r->text) - r->used;
  memcpy(r->text + r->used, it->text + skip, n);
  struct sf_span *sp = &r->reply.text[r->reply.nlines++];
  sp->ptr = r->text + r->used;
  sp->len = n;
  r->used += n;
  r->reply.code = it->code;
  r->reply.size += it->full_len + 2;
}

/* Capabilities of an EHLO reply; on a malformed one, what parsed before. */
static void caps_of(const struct reply_acc *r, struct sf_caps *caps)
{
  memset(caps, 0, sizeof(*caps));
  if (r->reply.code == 250)
    (void)sf_caps_parse(&r->reply, caps, NULL);
}

static unsigned mech_bit(const uint8_t *p, size_t len)
{
  return sf_caps_auth_mech((const char *)p, len);
}

/* Token k (0-based) of a line split on spaces. */
static int token(const struct wire_item *it, size_t k, const uint8_t **p, size_t *len)
{
  size_t i = 0;
  for (size_t t = 0;; t++) {
    while (i < it->len && it->text[i] == ' ')
      i++;
    if (i == it->len)
      return 0;
    size_t start = i;
    while (i < it->len && it->text[i] != ' ')
      i++;
    if (t == k) {
      *p = it->text + start;
      *len = i - start;
      return 1;
    }
  }
}

static int prefix_nocase(const uint8_t *p, size_t len, const char *pre)
{
  size_t n = strlen(pre);
  return len >= n && strncasecmp((const char *)p, pre, n) == 0;
}

/* The capability an ESMTP parameter of MAIL or RCPT relies on; 0 if none we
 * judge. */
static unsigned param_cap(const uint8_t *p, size_t len)
{
  if (prefix_nocase(p, len, "SIZE="))
    return SF_CAP_SIZE;
  if (prefix_nocase(p, len, "BODY=8BITMIME"))
    return SF_CAP_8BITMIME;
  if (prefix_nocase(p, len, "BODY=BINARYMIME"))
    return SF_CAP_CHUNKING;
  if (sf_caps_keyword_is((const char *)p, len, "SMTPUTF8"))
    return SF_CAP_SMTPUTF8;
  if (sf_caps_keyword_is((const char *)p, len, "REQUIRETLS"))
    return SF_CAP_REQUIRETLS;
  if (prefix_nocase(p, len, "RET=") || prefix_nocase(p, len, "ENVID=") ||
      prefix_nocase(p, len, "NOTIFY=") || prefix_nocase(p, len, "ORCPT="))
    return SF_CAP_DSN;
  return 0;
}

/* Over TLS the client relies on something the post-TLS EHLO did not
 * announce: blame the pre-TLS EHLO (stale) or the injected flight. */
static void relies_on(struct judge *j, int in_post, int in_pre, int in_inj, const char *what,
                      const char *line)
{
  if (in_post)
    return;
  if (in_inj)
    verdict(j, SC_V_INJECTION,
            "used %s over TLS, which only the bytes injected after the 220 to STARTTLS "
            "announced: '%s'",
            what, line);
  if (in_pre)
    verdict(j, SC_V_STALE_CAPS,
            "used %s over TLS, which only the pre-TLS EHLO announced (RFC 3207 4.2): '%s'", what,
            line);
}

/* ---- per item ----------------------------------------------------------------- */

static void on_reply(struct judge *j, const struct wire_item *it)
{
  enum sc_verb answered = SC_VERB_OTHER;
  int answered_tls = it->tls;
  if (j->npending > 0) {
    answered = j->pending[0];
    answered_tls = j->pending_tls[0];
    j->npending--;
    memmove(j->pending, j->pending + 1, j->npending * sizeof(j->pending[0]));
    memmove(j->pending_tls, j->pending_tls + 1, j->npending * sizeof(j->pending_tls[0]));
  }
  int code = j->cur.reply.code;
  if (!answered_tls && (answered == SC_VERB_EHLO || answered == SC_VERB_HELO)) {
    caps_of(&j->cur, &j->pre_caps);
    j->no_starttls = !(j->pre_caps.flags & SF_CAP_STARTTLS);
  } else if (answered_tls && answered == SC_VERB_EHLO && code == 250) {
    caps_of(&j->cur, &j->post_caps);
    j->have_post = 1;
  } else if (!answered_tls && answered == SC_VERB_STARTTLS) {
    if (code == 220)
      j->after_220 = 1;
    else
      j->refused = 1;
  }
}

static void on_server_line(struct judge *j, const struct wire_item *it)
{
  /* RFC 3207 4.2 / CVE-2021-22947: anything after the 220 to STARTTLS and
   * before the handshake was not sent by the TLS peer. */
  if (!it->tls && j->after_220 && !j->tls_up) {
    j->injected = 1;
    reply_add_line(&j->inj, it);
    if (it->final || it->code < 0) {
      struct sf_caps c;
      caps_of(&j->inj, &c);
      j->inj_caps.flags |= c.flags;
      j->inj_caps.auth |= c.auth;
      reply_reset(&j->inj);
    }
    return;
  }
  reply_add_line(&j->cur, it);
  if (!it->final && it->code >= 0)
    return;
  on_reply(j, it);
  reply_reset(&j->cur);
}

static int harmless_before_tls(enum sc_verb v)
{
  return v == SC_VERB_EHLO || v == SC_VERB_HELO || v == SC_VERB_STARTTLS || v == SC_VERB_QUIT ||
         v == SC_VERB_RSET || v == SC_VERB_NOOP;
}

static void push_pending(struct judge *j, const struct wire_item *it)
{
  if (it->verb == SC_VERB_BODY && !(it->full_len == 1 && it->text[0] == '.'))
    return; /* the message is one command, answered once */
  if (j->npending == PENDING_MAX)
    return;
  j->pending[j->npending] = it->verb;
  j->pending_tls[j->npending] = it->tls;
  j->npending++;
}

static void on_client_plain(struct judge *j, const struct wire_item *it, const char *line)
{
  const struct sf_config *cfg = j->cfg;
  enum sc_verb v = it->verb;
  int sasl = v == SC_VERB_AUTH || (v == SC_VERB_AUTH_DATA && (j->prev_client == SC_VERB_AUTH ||
                                                              j->prev_client == SC_VERB_AUTH_DATA));
  if (sasl && !cfg->allow_plaintext_auth)
    verdict(j, SC_V_LEAK_AUTH, "%s sent in plaintext at %llu ms: '%s'", sc_verb_name(v),
            (unsigned long long)it->t, line);
  int mail = v == SC_VERB_MAIL || v == SC_VERB_RCPT || v == SC_VERB_DATA || v == SC_VERB_BODY;
  if (mail && cfg->tls == SF_TLS_REQUIRED)
    verdict(j, SC_V_LEAK_MAIL, "%s sent in plaintext at %llu ms under tls=required: '%s'",
            sc_verb_name(v), (unsigned long long)it->t, line);
  if (cfg->tls == SF_TLS_REQUIRED && cfg->mode == SF_MODE_IMPLICIT)
    verdict(j, SC_V_DOWNGRADE, "implicit-TLS client sent SMTP in plaintext at %llu ms: '%s'",
            (unsigned long long)it->t, line);
  if (cfg->tls == SF_TLS_REQUIRED && cfg->mode == SF_MODE_STARTTLS &&
      (j->refused || j->no_starttls) && !harmless_before_tls(v))
    verdict(j, SC_V_DOWNGRADE,
            "went on in plaintext after STARTTLS was %s (RFC 8314 5.2): '%s' at %llu ms",
            j->refused ? "refused" : "not offered", line, (unsigned long long)it->t);
  if (j->injected && v != SC_VERB_QUIT)
    verdict(j, SC_V_INJECTION,
            "sent '%s' in plaintext after a STARTTLS answer that carried bytes after its 220",
            line);
}

static void on_client_tls(struct judge *j, const struct wire_item *it, const char *line)
{
  enum sc_verb v = it->verb;
  if (j->cert_bad && j->cfg->verify)
    verdict(j, SC_V_CERT, "sent '%s' over TLS after the server presented a %s certificate for %s",
            line, sc_cert_name(j->sc->cert),
            j->sc->cert_host[0] ? j->sc->cert_host
            : j->cfg->host      ? j->cfg->host
                                : "");
  int command = v != SC_VERB_BODY && v != SC_VERB_AUTH_DATA;
  if (command && j->tls_cmds++ == 0 && j->injected && v != SC_VERB_EHLO && v != SC_VERB_HELO)
    verdict(j, SC_V_INJECTION,
            "after a STARTTLS answer with injected bytes, the first command over TLS was '%s', "
            "not EHLO",
            line);
  if (v == SC_VERB_EHLO || v == SC_VERB_HELO) {
    j->tls_hello = 1;
    return;
  }
  if ((v == SC_VERB_AUTH || v == SC_VERB_MAIL) && !j->tls_hello)
    verdict(j, SC_V_STALE_CAPS, "sent '%s' over TLS without a post-TLS EHLO (RFC 3207 4.2)", line);
  const struct sf_caps *post = &j->post_caps;
  if (command && v != SC_VERB_QUIT && j->npending > 0)
    relies_on(j, (post->flags & SF_CAP_PIPELINING) != 0,
              (j->pre_caps.flags & SF_CAP_PIPELINING) != 0,
              (j->inj_caps.flags & SF_CAP_PIPELINING) != 0, "PIPELINING", line);
  const uint8_t *p;
  size_t len;
  if (v == SC_VERB_AUTH && token(it, 1, &p, &len)) {
    unsigned bit = mech_bit(p, len);
    relies_on(j, (post->auth & bit) != 0, (j->pre_caps.auth & bit) != 0,
              (j->inj_caps.auth & bit) != 0, "an AUTH mechanism", line);
  }
  if (v == SC_VERB_MAIL || v == SC_VERB_RCPT) {
    for (size_t k = 2; token(it, k, &p, &len); k++) {
      unsigned cap = param_cap(p, len);
      if (cap)
        relies_on(j, (post->flags & cap) != 0, (j->pre_caps.flags & cap) != 0,
                  (j->inj_caps.flags & cap) != 0, "an ESMTP parameter", line);
    }
  }
}

/* RFC 5321 4.5.3.2 timeouts: which one governs the wait after `v`. */
static uint32_t phase_timeout(const struct judge *j)
{
  const uint32_t *t = j->cfg->timeout_ms;
  uint32_t greet = t[SF_PHASE_GREETING] > t[SF_PHASE_TLS] ? t[SF_PHASE_GREETING] : t[SF_PHASE_TLS];
  if (j->last_hello)
    return j->cfg->mode == SF_MODE_IMPLICIT ? greet : t[SF_PHASE_TLS];
  switch (j->last_verb) {
  case SC_VERB_CONNECT:
    return j->cfg->mode == SF_MODE_IMPLICIT ? greet : t[SF_PHASE_GREETING];
  case SC_VERB_EHLO:
  case SC_VERB_HELO:
    return t[SF_PHASE_EHLO];
  case SC_VERB_STARTTLS:
    return t[SF_PHASE_STARTTLS] > t[SF_PHASE_TLS] ? t[SF_PHASE_STARTTLS] : t[SF_PHASE_TLS];
  case SC_VERB_AUTH:
  case SC_VERB_AUTH_DATA:
    return t[SF_PHASE_AUTH];
  case SC_VERB_MAIL:
    return t[SF_PHASE_MAIL];
  case SC_VERB_RCPT:
    return t[SF_PHASE_RCPT];
  case SC_VERB_DATA:
    return t[SF_PHASE_DATA];
  case SC_VERB_BODY:
    return t[SF_PHASE_BODY];
  case SC_VERB_QUIT:
    return t[SF_PHASE_QUIT];
  default: {
    uint32_t m = 0;
    for (int i = 0; i < SF_PHASE_COUNT; i++)
      m = t[i] > m ? t[i] : m;
    return m;
  }
  }
}

/* Activity on the wire: the gap since the last one must fit the timeout of
 * the phase the client was in. */
static void activity(struct judge *j, const struct wire_item *it)
{
  uint64_t limit = phase_timeout(j);
  /* A server that reads nothing keeps the client's next send from leaving:
   * that wait is bounded by the send timer (RFC 5321 4.5.3.2.5). */
  if (j->deaf && j->cfg->timeout_ms[SF_PHASE_BLOCK] > limit)
    limit = j->cfg->timeout_ms[SF_PHASE_BLOCK];
  limit += ORACLE_TIMEOUT_SLACK_MS;
  if (!j->ended && it->t > j->last_t && it->t - j->last_t > limit)
    verdict(j, SC_V_HANG, "waited %llu ms after %s (the phase's timeout is %u ms)",
            (unsigned long long)(it->t - j->last_t),
            j->last_hello ? "its TLS hello" : sc_verb_name(j->last_verb), phase_timeout(j));
  j->last_t = it->t;
}

/* A client line as the client meant it. The wire classifies lines as the
 * server reads them; after an unasked 334 or 354 the server takes a QUIT for
 * SASL data or message text, but it is neither a credential nor mail unless
 * the client itself began AUTH or DATA. */
static enum sc_verb client_verb(const struct judge *j, const struct wire_item *it)
{
  enum sc_verb prev = j->prev_client;
  if (it->verb == SC_VERB_AUTH_DATA && prev != SC_VERB_AUTH && prev != SC_VERB_AUTH_DATA)
    return sc_classify((const char *)it->text, it->len);
  if (it->verb == SC_VERB_BODY && prev != SC_VERB_DATA && !(prev == SC_VERB_BODY && !j->body_ended))
    return sc_classify((const char *)it->text, it->len);
  return it->verb;
}

static void on_item(void *ctx, const struct wire_item *wire_it)
{
  struct judge *j = ctx;
  char line[64];
  struct wire_item own = *wire_it;
  const struct wire_item *it = &own;
  if (own.kind == WIRE_C_DATA)
    own.verb = client_verb(j, wire_it);
  switch (it->kind) {
  case WIRE_S_DATA:
    activity(j, it);
    on_server_line(j, it);
    return;
  case WIRE_C_DATA:
    activity(j, it);
    excerpt(it, line, sizeof(line));
    if (it->tls)
      on_client_tls(j, it, line);
    else
      on_client_plain(j, it, line);
    j->prev_client = it->verb;
    j->body_ended = it->verb == SC_VERB_BODY && it->full_len == 1 && it->text[0] == '.';
    push_pending(j, it);
    if (it->verb != SC_VERB_BODY || (it->full_len == 1 && it->text[0] == '.')) {
      j->last_verb = it->verb;
      j->last_hello = 0;
    }
    return;
  case WIRE_C_HELLO:
    activity(j, it);
    j->last_hello = 1;
    return;
  case WIRE_TLS_UP:
    activity(j, it);
    j->tls_up = 1;
    j->after_220 = 0;
    return;
  case WIRE_HANG:
    verdict(j, SC_V_HANG, "%.*s", (int)it->len, (const char *)it->text);
    return;
  case WIRE_END:
    activity(j, it);
    j->ended = 1;
    j->end_status = (enum sc_client_status)it->ev->arg;
    j->end_err = it->ev->err;
    snprintf(j->end_diag, sizeof j->end_diag, "%.*s", (int)it->len, (const char *)it->text);
    return;
  case WIRE_S_HELLO:
  case WIRE_S_CLOSE:
  case WIRE_TLS_FAIL:
  case WIRE_C_CLOSE_NOTIFY:
    activity(j, it);
    return;
  case WIRE_SERVER_DEAF:
    j->deaf = 1;
    return;
  case WIRE_TLS_START:
  case WIRE_STALL:
  case WIRE_SERVER_HANG:
  case WIRE_KIND_COUNT:
    return;
  }
}

/* ---- credentials anywhere in plaintext ------------------------------------------ */

static int contains(const uint8_t *hay, size_t n, const char *needle, size_t m)
{
  if (m == 0 || m > n)
    return 0;
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0)
      return 1;
  return 0;
}

/* The password may leave without an AUTH verb the server recognised
 * (a mangled command, a flawed client's own format). */
static void scan_password(struct judge *j, const struct wire *w)
{
  const struct sf_config *cfg = j->cfg;
  if (!cfg->password || !cfg->password[0] || cfg->allow_plaintext_auth)
    return;
  char plain[600], b64_plain[820], b64_pass[360];
  const char *user = cfg->user ? cfg->user : "";
  size_t ul = strlen(user), pl = strlen(cfg->password);
  if (ul + pl + 2 > sizeof(plain) || pl > 256)
    return;
  plain[0] = '\0';
  memcpy(plain + 1, user, ul);
  plain[1 + ul] = '\0';
  memcpy(plain + 2 + ul, cfg->password, pl);
  size_t n1 =
      sf_base64_encode((const unsigned char *)plain, ul + pl + 2, b64_plain, sizeof(b64_plain));
  size_t n2 =
      sf_base64_encode((const unsigned char *)cfg->password, pl, b64_pass, sizeof(b64_pass));
  for (size_t i = 0; i < w->nev; i++) {
    const struct wire_event *e = &w->ev[i];
    if (e->kind != WIRE_C_DATA || e->tls)
      continue;
    const uint8_t *p = w->bytes + e->off;
    /* A very short password would match ordinary text; its encodings will not. */
    if ((pl >= 4 && contains(p, e->len, cfg->password, pl)) || contains(p, e->len, b64_plain, n1) ||
        contains(p, e->len, b64_pass, n2)) {
      verdict(j, SC_V_LEAK_AUTH,
              "the configured password (raw or base64) crossed in plaintext at "
              "%llu ms",
              (unsigned long long)e->t);
      return;
    }
  }
}

static void judge_outcome(struct judge *j, const struct sim_result *res)
{
  const struct scenario *sc = j->sc;
  enum sc_client_status st = res ? res->status : j->end_status;
  enum sf_err err = res ? res->error : j->end_err;
  int reports = res ? res->reports_errors : err != SF_ERR_OK;
  if (!res && !j->ended)
    return;
  if (sc->expect_result == SC_RESULT_DONE && st != SC_CLIENT_DONE)
    verdict(j, SC_V_OUTCOME, "expected the client to finish, it ended %s (%s)",
            sc_client_status_name(st), sf_err_name(err));
  else if (sc->expect_result == SC_RESULT_FAILED && st != SC_CLIENT_FAILED)
    verdict(j, SC_V_OUTCOME, "expected the client to fail, it ended %s", sc_client_status_name(st));
  if (res && res->stop == SIM_STOP_TIME_BOUND && !res->hung)
    verdict(j, SC_V_OUTCOME, "still running at the scenario's time bound (%llu ms)",
            (unsigned long long)res->time_bound_ms);
  if (sc->expect_error_set && reports && err != sc->expect_error)
    verdict(j, SC_V_OUTCOME, "expected error %s, the client ended with %s",
            sf_err_name(sc->expect_error), sf_err_name(err));
  const char *diag = res ? res->diagnosis : j->end_diag;
  if (sc->expect_diag[0] && reports && !strstr(diag, sc->expect_diag))
    verdict(j, SC_V_OUTCOME, "expected a diagnosis with '%.60s', the client said '%.60s'",
            sc->expect_diag, diag);
}

unsigned oracle_judge(const struct scenario *sc, const struct wire *w, const struct sim_result *res,
                      struct oracle_report *rep)
{
  memset(rep, 0, sizeof(*rep));
  struct judge state;
  struct judge *j = &state;
  memset(j, 0, sizeof(*j));
  j->sc = sc;
  j->cfg = &sc->cfg;
  j->rep = rep;
  j->last_verb = SC_VERB_CONNECT;
  j->pending[j->npending++] = SC_VERB_CONNECT; /* the greeting answers the connection */
  const char *host = sc->cfg.host ? sc->cfg.host : "";
  j->cert_bad = sc->cert != SC_CERT_VALID ||
                (sc->cert_host[0] != '\0' && strcasecmp(sc->cert_host, host) != 0);
  wire_each_item(w, on_item, j);
  scan_password(j, w);
  if (res && res->hung)
    verdict(j, SC_V_HANG, "%s", res->hang_reason);
  judge_outcome(j, res);
  return rep->verdicts;
}

/* ---- transcript ---------------------------------------------------------------- */

struct out {
  char *buf;
  size_t cap, len;
  FILE *f;
  int err;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (o->f) {
    if (vfprintf(o->f, fmt, ap) < 0)
      o->err = 1;
    va_end(ap);
    return;
  }
  size_t room = o->len < o->cap ? o->cap - o->len : 0;
  int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    o->len += (size_t)n;
}

static void put_escaped(struct out *o, const uint8_t *p, size_t len)
{
  char buf[4 * 64 + 1];
  size_t k = 0;
  for (size_t i = 0; i < len; i++) {
    uint8_t c = p[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      buf[k++] = (char)c;
    } else if (c == '\\') {
      buf[k++] = '\\';
      buf[k++] = '\\';
    } else {
      static const char hex[] = "0123456789abcdef";
      buf[k++] = '\\';
      buf[k++] = 'x';
      buf[k++] = hex[c >> 4];
      buf[k++] = hex[c & 15];
    }
    if (k > sizeof(buf) - 5) {
      buf[k] = '\0';
      put(o, "%s", buf);
      k = 0;
    }
  }
  buf[k] = '\0';
  put(o, "%s", buf);
}

static void on_transcript_item(void *ctx, const struct wire_item *it)
{
  struct out *o = ctx;
  const char *chan = it->tls ? "[tls]  " : "[plain]";
  put(o, "%9llu ms %s ", (unsigned long long)it->t, chan);
  switch (it->kind) {
  case WIRE_C_DATA:
  case WIRE_S_DATA:
    put(o, "%s: ", it->kind == WIRE_C_DATA ? "C" : "S");
    put_escaped(o, it->text, it->len);
    if (it->full_len > it->len)
      put(o, " ... (%zu bytes)", it->full_len);
    if (it->eol == 0)
      put(o, " <no line end>");
    else if (it->eol == 2)
      put(o, " <bare LF>");
    break;
  case WIRE_C_HELLO:
    put(o, "C: <TLS client hello%s>", it->tls ? "" : ", the server had not started TLS");
    break;
  case WIRE_S_HELLO:
    put(o, "S: <TLS server hello>");
    break;
  case WIRE_TLS_UP:
    put(o, "-- TLS up, certificate: ");
    put_escaped(o, it->text, it->len);
    break;
  case WIRE_TLS_START:
    put(o, "-- server starts TLS, waits for the client's hello");
    break;
  case WIRE_TLS_FAIL:
    put(o, "-- TLS handshake failed: ");
    put_escaped(o, it->text, it->len);
    break;
  case WIRE_C_CLOSE_NOTIFY:
    put(o, "C: <TLS close_notify>");
    break;
  case WIRE_S_CLOSE:
    put(o, "-- server closes the connection");
    break;
  case WIRE_STALL:
    put(o, "-- server stalls %llu ms", (unsigned long long)it->ev->arg);
    break;
  case WIRE_SERVER_HANG:
    put(o, "-- server will never speak again");
    break;
  case WIRE_SERVER_DEAF:
    put(o, "-- server reads nothing more");
    break;
  case WIRE_HANG:
    put(o, "-- HANG: ");
    put_escaped(o, it->text, it->len);
    break;
  case WIRE_END:
    put(o, "-- client ends: %s, %s", sc_client_status_name((enum sc_client_status)it->ev->arg),
        sf_err_name(it->ev->err));
    if (it->len) {
      put(o, ": ");
      put_escaped(o, it->text, it->len);
    }
    break;
  case WIRE_KIND_COUNT:
    break;
  }
  put(o, "\n");
}

static void transcript(const struct scenario *sc, const struct wire *w,
                       const struct oracle_report *rep, struct out *o)
{
  const struct sf_config *c = &sc->cfg;
  put(o, "# scenario '%s': server %s, certificate %s; client mode %s, tls %s, port %u\n", sc->name,
      sc_personality_name(sc->personality), sc_cert_name(sc->cert), sf_mode_name(c->mode),
      sf_tls_policy_name(c->tls), (unsigned)c->port);
  wire_each_item(w, on_transcript_item, o);
  if (w->truncated)
    put(o, "# the wire record was truncated\n");
  if (!rep)
    return;
  if (rep->verdicts == 0)
    put(o, "verdict: none\n");
  for (int v = 0; v < SC_V_COUNT; v++)
    if (rep->verdicts & ORACLE_BIT(v))
      put(o, "verdict: %s: %s\n", sc_verdict_name((enum sc_verdict)v), rep->reason[v]);
}

size_t oracle_transcript(const struct scenario *sc, const struct wire *w,
                         const struct oracle_report *rep, char *out, size_t cap)
{
  struct out o = {out, cap, 0, NULL, 0};
  if (cap > 0)
    out[0] = '\0';
  transcript(sc, w, rep, &o);
  return o.len;
}

int oracle_transcript_file(const struct scenario *sc, const struct wire *w,
                           const struct oracle_report *rep, FILE *f)
{
  struct out o = {NULL, 0, 0, f, 0};
  transcript(sc, w, rep, &o);
  return o.err ? -1 : 0;
}
