/* The reply parser against its contract (src/reply_parser.h).
 *
 * Each vector is fed whole, at every split point (a prefix, then the rest)
 * and one byte at a time through a caller-like buffer that drops each reply
 * once parsed; every feeding must give the same replies and the same error
 * at the same stream offset. Each vector is also parsed where it ends right
 * before a PROT_NONE page, whole and every prefix, so an over-read crashes
 * (the picohttpparser way). Errors are checked for the byte that decides
 * them: no prefix that stops short of it may report the error.
 */
#include "check.h"
#include "reply_parser.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_REPLIES   8
#define MAX_WANT_TEXT 12

/* ---- what a run produced ---------------------------------------------- */

struct got_reply {
  uint64_t off; /* stream offset of the reply's first byte */
  int code;
  size_t nlines;
  size_t size;
  struct sf_enhanced enhanced;
  uint64_t text_off[SF_REPLY_MAX_LINES]; /* stream offsets */
  size_t text_len[SF_REPLY_MAX_LINES];
};

struct result {
  size_t nreplies;
  struct got_reply reply[MAX_REPLIES];
  enum sf_err err;
  uint64_t err_off;
  size_t pending; /* bytes of an incomplete reply at the end, 0 after an error */
};

/* ---- what a vector expects -------------------------------------------- */

struct want_reply {
  int code;
  size_t nlines;
  /* Each line's text, checked when nlines <= MAX_WANT_TEXT. */
  const char *text[MAX_WANT_TEXT];
  const char *enhanced; /* "c.s.d" of the first line, NULL if none */
  size_t size;
};

struct vector {
  const char *name;
  const char *in;
  size_t len;
  unsigned lenient;
  size_t nreplies;
  struct want_reply reply[MAX_REPLIES];
  enum sf_err err;
  uint64_t err_off;    /* stream offset the parser reports */
  uint64_t decided_at; /* stream offset of the byte that decides the error */
  size_t pending;
};

#define IN(s) .in = (s), .len = sizeof(s) - 1

/* ---- the driver: a caller's receive buffer ---------------------------- */

/* Appends reply `rep` (returned as `ret` from `buf`, stream offset `base`)
 * to `res`, checking what holds for any reply. */
static void record(struct result *res, const char *name, const char *in, const char *buf,
                   uint64_t base, int ret, const struct sf_reply *rep)
{
  CHECKF(rep->size == (size_t)ret, "%s: size %zu, returned %d", name, rep->size, ret);
  CHECKF(rep->nlines >= 1 && rep->nlines <= SF_REPLY_MAX_LINES, "%s: %zu lines", name, rep->nlines);
  CHECKF(buf[rep->size - 1] == '\n', "%s: reply does not end in LF", name);
  if (res->nreplies == MAX_REPLIES) {
    CHECKF(0, "%s: more than %d replies", name, MAX_REPLIES);
    return;
  }
  struct got_reply *g = &res->reply[res->nreplies++];
  g->off = base;
  g->code = rep->code;
  g->nlines = rep->nlines;
  g->size = rep->size;
  g->enhanced = rep->enhanced;
  for (size_t k = 0; k < rep->nlines && k < SF_REPLY_MAX_LINES; k++) {
    struct sf_span t = rep->text[k];
    CHECKF(t.ptr >= buf && t.ptr + t.len <= buf + rep->size, "%s: line %zu outside the reply", name,
           k);
    g->text_off[k] = base + (uint64_t)(t.ptr - buf);
    g->text_len[k] = t.len;
    CHECKF(memcmp(t.ptr, in + g->text_off[k], t.len) == 0, "%s: line %zu differs from the input",
           name, k);
  }
}

/* Error sticks: one more call, with the same bytes, still fails the same. */
static void record_error(struct result *res, const char *name, struct sf_reply_parser *p,
                         const char *buf, size_t have)
{
  struct sf_reply rep;
  uint64_t off = 0;

  res->err = sf_reply_parser_error(p, &res->err_off);
  CHECKF(res->err != SF_ERR_OK, "%s: parse < 0 without an error", name);
  CHECKF(sf_reply_parse(p, buf, have, &rep) < 0 && sf_reply_parser_error(p, &off) == res->err &&
             off == res->err_off,
         "%s: error not sticky", name);
  res->pending = 0;
}

/* Feeds `in` in chunks: up to `split` first, then the rest, or one byte at a
 * time if `bytewise`. The buffer holds only the current reply's bytes and
 * more, as a caller's does. */
static void run_chunked(const char *name, const char *in, size_t len, unsigned lenient,
                        size_t split, int bytewise, struct result *res)
{
  struct sf_reply_parser p;
  struct sf_reply rep;
  char *buf = malloc(len + 1);
  size_t have = 0, fed = 0;
  uint64_t base = 0;

  memset(res, 0, sizeof *res);
  sf_reply_parser_init(&p, lenient);
  while (fed < len) {
    size_t end = bytewise ? fed + 1 : fed < split ? split : len;
    memcpy(buf + have, in + fed, end - fed);
    have += end - fed;
    fed = end;
    for (;;) {
      int ret = sf_reply_parse(&p, buf, have, &rep);
      if (ret < 0) {
        record_error(res, name, &p, buf, have);
        free(buf);
        return;
      }
      if (ret == 0) {
        /* Asking again without new bytes changes nothing. */
        CHECKF(sf_reply_parse(&p, buf, have, &rep) == 0, "%s: second call differs", name);
        break;
      }
      CHECKF((size_t)ret <= have, "%s: returned %d > %zu", name, ret, have);
      record(res, name, in, buf, base, ret, &rep);
      memmove(buf, buf + ret, have - (size_t)ret);
      have -= (size_t)ret;
      base += (uint64_t)ret;
    }
  }
  res->pending = have;
  free(buf);
}

/* Parses `len` bytes at `at` in one buffer, advancing past each reply. */
static void run_whole_at(const char *name, const char *in, const char *at, size_t len,
                         unsigned lenient, struct result *res)
{
  struct sf_reply_parser p;
  struct sf_reply rep;
  size_t off = 0;

  memset(res, 0, sizeof *res);
  sf_reply_parser_init(&p, lenient);
  for (;;) {
    int ret = sf_reply_parse(&p, at + off, len - off, &rep);
    if (ret < 0) {
      record_error(res, name, &p, at + off, len - off);
      return;
    }
    if (ret == 0)
      break;
    record(res, name, in, at + off, off, ret, &rep);
    off += (size_t)ret;
  }
  res->pending = len - off;
}

static int same_got(const struct got_reply *a, const struct got_reply *b)
{
  if (a->off != b->off || a->code != b->code || a->nlines != b->nlines || a->size != b->size ||
      memcmp(&a->enhanced, &b->enhanced, sizeof a->enhanced) != 0)
    return 0;
  for (size_t k = 0; k < a->nlines; k++)
    if (a->text_off[k] != b->text_off[k] || a->text_len[k] != b->text_len[k])
      return 0;
  return 1;
}

static int same_result(const struct result *a, const struct result *b)
{
  if (a->nreplies != b->nreplies || a->err != b->err || a->err_off != b->err_off ||
      a->pending != b->pending)
    return 0;
  for (size_t i = 0; i < a->nreplies; i++)
    if (!same_got(&a->reply[i], &b->reply[i]))
      return 0;
  return 1;
}

/* A run on a prefix of the input: its replies are the first replies of the
 * whole run, and an error it reports is the whole run's error. */
static int is_prefix_result(const struct result *pre, const struct result *all)
{
  if (pre->nreplies > all->nreplies)
    return 0;
  for (size_t i = 0; i < pre->nreplies; i++)
    if (!same_got(&pre->reply[i], &all->reply[i]))
      return 0;
  return pre->err == SF_ERR_OK || (pre->err == all->err && pre->err_off == all->err_off);
}

/* ---- checks against the expectation ----------------------------------- */

static void check_want(const struct vector *v, const struct result *r)
{
  CHECKF(r->nreplies == v->nreplies, "%s: %zu replies, want %zu", v->name, r->nreplies,
         v->nreplies);
  CHECKF(r->err == v->err && r->err_off == v->err_off, "%s: %s at %llu, want %s at %llu", v->name,
         sf_err_name(r->err), (unsigned long long)r->err_off, sf_err_name(v->err),
         (unsigned long long)v->err_off);
  CHECKF(r->pending == v->pending, "%s: %zu pending, want %zu", v->name, r->pending, v->pending);
  for (size_t i = 0; i < r->nreplies && i < v->nreplies; i++) {
    const struct got_reply *g = &r->reply[i];
    const struct want_reply *w = &v->reply[i];
    CHECKF(g->code == w->code, "%s: reply %zu: code %d, want %d", v->name, i, g->code, w->code);
    CHECKF(g->nlines == w->nlines, "%s: reply %zu: %zu lines, want %zu", v->name, i, g->nlines,
           w->nlines);
    CHECKF(g->size == w->size, "%s: reply %zu: size %zu, want %zu", v->name, i, g->size, w->size);
    if (g->nlines == w->nlines && w->nlines <= MAX_WANT_TEXT)
      for (size_t k = 0; k < w->nlines; k++) {
        const char *t = w->text[k] ? w->text[k] : "";
        CHECKF(g->text_len[k] == strlen(t) && memcmp(v->in + g->text_off[k], t, strlen(t)) == 0,
               "%s: reply %zu line %zu: \"%.*s\", want \"%s\"", v->name, i, k, (int)g->text_len[k],
               v->in + g->text_off[k], t);
      }
    char eh[32] = "";
    if (g->enhanced.present)
      snprintf(eh, sizeof eh, "%u.%u.%u", g->enhanced.cls, g->enhanced.subject, g->enhanced.detail);
    CHECKF(strcmp(eh, w->enhanced ? w->enhanced : "") == 0,
           "%s: reply %zu: enhanced '%s', want '%s'", v->name, i, eh,
           w->enhanced ? w->enhanced : "");
  }
}

/* ---- the guard page --------------------------------------------------- */

struct guard {
  char *map;
  size_t size; /* readable bytes before the guard page */
};

static int guard_open(struct guard *g, size_t len)
{
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  g->size = (len + page - 1) / page * page;
  if (g->size == 0)
    g->size = page;
  g->map = mmap(NULL, g->size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g->map == MAP_FAILED)
    return 0;
  if (mprotect(g->map + g->size, page, PROT_NONE) != 0) {
    munmap(g->map, g->size + page);
    return 0;
  }
  return 1;
}

/* `n` bytes ending right at the guard page. */
static const char *guard_place(const struct guard *g, const char *in, size_t n)
{
  char *at = g->map + g->size - n;
  memcpy(at, in, n);
  return at;
}

static void guard_close(struct guard *g)
{
  munmap(g->map, g->size + (size_t)sysconf(_SC_PAGESIZE));
}

/* ---- one vector, every way -------------------------------------------- */

static void run_vector(const struct vector *v)
{
  struct result whole, other;

  /* Whole, as one buffer: the reference for every other feeding. */
  run_chunked(v->name, v->in, v->len, v->lenient, v->len, 0, &whole);
  check_want(v, &whole);

  for (size_t k = 0; k <= v->len; k++) {
    run_chunked(v->name, v->in, v->len, v->lenient, k, 0, &other);
    CHECKF(same_result(&whole, &other), "%s: split at %zu differs from whole", v->name, k);
  }
  run_chunked(v->name, v->in, v->len, v->lenient, 0, 1, &other);
  CHECKF(same_result(&whole, &other), "%s: byte by byte differs from whole", v->name);

  struct guard g;
  if (!guard_open(&g, v->len)) {
    CHECKF(0, "%s: cannot map a guard page", v->name);
    return;
  }
  run_whole_at(v->name, v->in, guard_place(&g, v->in, v->len), v->len, v->lenient, &other);
  CHECKF(same_result(&whole, &other), "%s: at the guard page differs from whole", v->name);
  for (size_t k = 0; k <= v->len; k++) {
    run_whole_at(v->name, v->in, guard_place(&g, v->in, k), k, v->lenient, &other);
    CHECKF(is_prefix_result(&other, &whole), "%s: prefix of %zu is not a prefix of whole", v->name,
           k);
    /* The contract: an error is decided at one byte, never before. */
    if (v->err != SF_ERR_OK)
      CHECKF((other.err != SF_ERR_OK) == (k > v->decided_at),
             "%s: prefix of %zu: %s, decided at %llu", v->name, k, sf_err_name(other.err),
             (unsigned long long)v->decided_at);
  }
  guard_close(&g);
}

/* ---- vectors ---------------------------------------------------------- */

static const struct vector vectors[] = {
    /* RFC 5321 4.2.1: the multiline example, a text beginning with digits. */
    {.name = "rfc5321-4.2.1-multiline",
     IN("250-First line\r\n250-Second line\r\n250-234 Text beginning with numbers\r\n250 The "
        "last line\r\n"),
     .nreplies = 1,
     .reply = {{250,
                4,
                {"First line", "Second line", "234 Text beginning with numbers", "The last line"},
                NULL,
                89}}},
    /* RFC 5321 4.2 / 4.3.1 greeting forms: one line, an address literal,
     * multiline with an empty continuation and a last "220" without text. */
    {.name = "greeting-d1",
     IN("220 foo.com Simple Mail Transfer Service Ready\r\n"),
     .nreplies = 1,
     .reply = {{220, 1, {"foo.com Simple Mail Transfer Service Ready"}, NULL, 48}}},
    {.name = "greeting-address-literal",
     IN("220 [192.0.2.1] ESMTP ready\r\n"),
     .nreplies = 1,
     .reply = {{220, 1, {"[192.0.2.1] ESMTP ready"}, NULL, 29}}},
    {.name = "greeting-multiline",
     IN("220-mail.example.com ESMTP\r\n220-\r\n220\r\n"),
     .nreplies = 1,
     .reply = {{220, 3, {"mail.example.com ESMTP", "", ""}, NULL, 39}}},
    /* RFC 5321 3.1: the refusing greeting. */
    {.name = "greeting-554",
     IN("554 No SMTP service here\r\n"),
     .nreplies = 1,
     .reply = {{554, 1, {"No SMTP service here"}, NULL, 26}}},
    /* A real EHLO reply (Postfix's default set). */
    {.name = "ehlo-postfix",
     IN("250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
        "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8\r\n"),
     .nreplies = 1,
     .reply = {{250,
                10,
                {"mail.example.com", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS",
                 "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8"},
                NULL,
                153}}},
    {.name = "no-text", IN("250\r\n"), .nreplies = 1, .reply = {{250, 1, {""}, NULL, 5}}},
    {.name = "no-text-continuation",
     IN("250-\r\n250 ok\r\n"),
     .nreplies = 1,
     .reply = {{250, 2, {"", "ok"}, NULL, 14}}},
    {.name = "space-then-nothing",
     IN("250 \r\n"),
     .nreplies = 1,
     .reply = {{250, 1, {""}, NULL, 6}}},
    /* RFC 3463 / RFC 2034 enhanced codes. */
    {.name = "enhanced-ok",
     IN("250 2.1.0 Ok\r\n"),
     .nreplies = 1,
     .reply = {{250, 1, {"2.1.0 Ok"}, "2.1.0", 14}}},
    {.name = "enhanced-rcpt-rejected",
     IN("550 5.1.1 <x>: Recipient address rejected\r\n"),
     .nreplies = 1,
     .reply = {{550, 1, {"5.1.1 <x>: Recipient address rejected"}, "5.1.1", 43}}},
    {.name = "enhanced-whole-text",
     IN("250 2.0.0\r\n"),
     .nreplies = 1,
     .reply = {{250, 1, {"2.0.0"}, "2.0.0", 11}}},
    {.name = "enhanced-max-digits",
     IN("535 5.123.456 x\r\n"),
     .nreplies = 1,
     .reply = {{535, 1, {"5.123.456 x"}, "5.123.456", 17}}},
    {.name = "enhanced-four-digits-is-text",
     IN("535 5.7.1390 x\r\n"),
     .nreplies = 1,
     .reply = {{535, 1, {"5.7.1390 x"}, NULL, 16}}},
    {.name = "enhanced-fourth-field-is-text",
     IN("550 5.1.1.1 x\r\n"),
     .nreplies = 1,
     .reply = {{550, 1, {"5.1.1.1 x"}, NULL, 15}}},
    {.name = "enhanced-four-digit-subject-is-text",
     IN("550 5.1234.1 x\r\n"),
     .nreplies = 1,
     .reply = {{550, 1, {"5.1234.1 x"}, NULL, 16}}},
    {.name = "enhanced-empty-subject-is-text",
     IN("550 5..1 x\r\n"),
     .nreplies = 1,
     .reply = {{550, 1, {"5..1 x"}, NULL, 12}}},
    {.name = "enhanced-glued-to-text-is-text",
     IN("250 2.1.0Ok\r\n"),
     .nreplies = 1,
     .reply = {{250, 1, {"2.1.0Ok"}, NULL, 13}}},
    {.name = "greeting-domain-is-not-enhanced",
     IN("220 2.example.com ESMTP\r\n"),
     .nreplies = 1,
     .reply = {{220, 1, {"2.example.com ESMTP"}, NULL, 25}}},
    {.name = "greeting-address-is-not-enhanced",
     IN("220 1.2.3.4\r\n"),
     .nreplies = 1,
     .reply = {{220, 1, {"1.2.3.4"}, NULL, 13}}},
    {.name = "enhanced-class-mismatch-looks-like-text",
     IN("250 5.1.x\r\n"),
     .nreplies = 1,
     .reply = {{250, 1, {"5.1.x"}, NULL, 11}}},
    /* RFC 3463 has no class 3: a 3xx reply's enhanced code is not checked. */
    {.name = "enhanced-3xx",
     IN("354 2.0.0 End data with <CR><LF>.<CR><LF>\r\n"),
     .nreplies = 1,
     .reply = {{354, 1, {"2.0.0 End data with <CR><LF>.<CR><LF>"}, "2.0.0", 43}}},
    {.name = "enhanced-multiline",
     IN("535-5.7.8 Username and Password not accepted.\r\n535 5.7.8 Learn more\r\n"),
     .nreplies = 1,
     .reply = {{535,
                2,
                {"5.7.8 Username and Password not accepted.", "5.7.8 Learn more"},
                "5.7.8",
                69}}},
    {.name = "enhanced-only-on-second-line",
     IN("550-blocked\r\n550 5.7.1 policy\r\n"),
     .nreplies = 1,
     .reply = {{550, 2, {"blocked", "5.7.1 policy"}, NULL, 31}}},
    /* Several replies in one stream (RFC 2920 pipelining, AUTH). */
    {.name = "two-replies",
     IN("220 ready\r\n250 ok\r\n"),
     .nreplies = 2,
     .reply = {{220, 1, {"ready"}, NULL, 11}, {250, 1, {"ok"}, NULL, 8}}},
    {.name = "pipelined-mail-rcpt-data",
     IN("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"),
     .nreplies = 3,
     .reply = {{250, 1, {"2.1.0 Ok"}, "2.1.0", 14},
               {250, 1, {"2.1.5 Ok"}, "2.1.5", 14},
               {354, 1, {"End data with <CR><LF>.<CR><LF>"}, NULL, 37}}},
    {.name = "auth-334",
     IN("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n"),
     .nreplies = 3,
     .reply = {{334, 1, {"VXNlcm5hbWU6"}, NULL, 18},
               {334, 1, {"UGFzc3dvcmQ6"}, NULL, 18},
               {235, 1, {"2.7.0 Authentication successful"}, "2.7.0", 37}}},
    /* Incomplete tails wait for more bytes. */
    {.name = "partial-tail",
     IN("250 ok\r\n250-more"),
     .nreplies = 1,
     .reply = {{250, 1, {"ok"}, NULL, 8}},
     .pending = 8},
    {.name = "cr-at-end", IN("250 ok\r"), .pending = 7},
    {.name = "empty-stream", .in = "", .len = 0},

    /* One broken rule each: error, stream offset, deciding byte. */
    {.name = "code-syntax",
     IN("2x0 ok\r\n"),
     .err = SF_ERR_REPLY_CODE_SYNTAX,
     .err_off = 1,
     .decided_at = 1},
    {.name = "code-syntax-short",
     IN("25\r\n"),
     .err = SF_ERR_REPLY_CODE_SYNTAX,
     .err_off = 2,
     .decided_at = 2},
    {.name = "code-syntax-empty-line",
     IN("\r\n"),
     .err = SF_ERR_REPLY_CODE_SYNTAX,
     .err_off = 0,
     .decided_at = 0},
    {.name = "code-syntax-lenient-lf",
     IN("25\n"),
     .lenient = SF_LENIENT_BARE_LF,
     .err = SF_ERR_REPLY_CODE_SYNTAX,
     .err_off = 2,
     .decided_at = 2},
    {.name = "code-range-first",
     IN("199 x\r\n"),
     .err = SF_ERR_REPLY_CODE_RANGE,
     .err_off = 0,
     .decided_at = 0},
    {.name = "code-range-second",
     IN("260 x\r\n"),
     .err = SF_ERR_REPLY_CODE_RANGE,
     .err_off = 1,
     .decided_at = 1},
    {.name = "code-range-continuation",
     IN("250-a\r\n650 b\r\n"),
     .err = SF_ERR_REPLY_CODE_RANGE,
     .err_off = 7,
     .decided_at = 7},
    {.name = "code-mismatch",
     IN("250-a\r\n251 b\r\n"),
     .err = SF_ERR_REPLY_CODE_MISMATCH,
     .err_off = 9,
     .decided_at = 9},
    {.name = "code-mismatch-first-digit",
     IN("550-a\r\n550-b\r\n450 c\r\n"),
     .err = SF_ERR_REPLY_CODE_MISMATCH,
     .err_off = 14,
     .decided_at = 14},
    {.name = "separator",
     IN("250x\r\n"),
     .err = SF_ERR_REPLY_SEPARATOR,
     .err_off = 3,
     .decided_at = 3},
    {.name = "separator-tab",
     IN("250-a\r\n250\tb\r\n"),
     .err = SF_ERR_REPLY_SEPARATOR,
     .err_off = 10,
     .decided_at = 10},
    {.name = "bare-lf-strict",
     IN("250 ok\n"),
     .err = SF_ERR_REPLY_BARE_LF,
     .err_off = 6,
     .decided_at = 6},
    {.name = "bare-lf-lenient",
     IN("250 ok\n"),
     .lenient = SF_LENIENT_BARE_LF,
     .nreplies = 1,
     .reply = {{250, 1, {"ok"}, NULL, 7}}},
    {.name = "bare-lf-after-code-strict",
     IN("250\n"),
     .err = SF_ERR_REPLY_BARE_LF,
     .err_off = 3,
     .decided_at = 3},
    {.name = "bare-lf-after-code-lenient",
     IN("250\n"),
     .lenient = SF_LENIENT_BARE_LF,
     .nreplies = 1,
     .reply = {{250, 1, {""}, NULL, 4}}},
    {.name = "bare-lf-mixed-strict",
     IN("250-a\n250 2.0.0 b\r\n"),
     .err = SF_ERR_REPLY_BARE_LF,
     .err_off = 5,
     .decided_at = 5},
    {.name = "bare-lf-mixed-lenient",
     IN("250-a\n250 2.0.0 b\r\n220 c\n"),
     .lenient = SF_LENIENT_BARE_LF,
     .nreplies = 2,
     .reply = {{250, 2, {"a", "2.0.0 b"}, NULL, 19}, {220, 1, {"c"}, NULL, 6}}},
    {.name = "bare-cr",
     IN("250 o\rk\r\n"),
     .err = SF_ERR_REPLY_BARE_CR,
     .err_off = 5,
     .decided_at = 6},
    {.name = "bare-cr-after-code",
     IN("250\rx"),
     .err = SF_ERR_REPLY_BARE_CR,
     .err_off = 3,
     .decided_at = 4},
    {.name = "bare-cr-lenient",
     IN("250 o\r\r\n"),
     .lenient = SF_LENIENT_BARE_LF,
     .err = SF_ERR_REPLY_BARE_CR,
     .err_off = 5,
     .decided_at = 6},
    {.name = "nul-in-text",
     IN("250 o\0k\r\n"),
     .err = SF_ERR_REPLY_NUL,
     .err_off = 5,
     .decided_at = 5},
    {.name = "nul-in-code", IN("2\0"), .err = SF_ERR_REPLY_NUL, .err_off = 1, .decided_at = 1},
    /* NUL is checked ahead of a pending CR. */
    {.name = "nul-after-cr",
     IN("250 ok\r\0"),
     .err = SF_ERR_REPLY_NUL,
     .err_off = 7,
     .decided_at = 7},
    /* Decided at the line end, so a NUL before it wins. */
    {.name = "nul-before-enhanced-class",
     IN("250 5.1.1 x\0"),
     .err = SF_ERR_REPLY_NUL,
     .err_off = 11,
     .decided_at = 11},
    {.name = "enhanced-class",
     IN("250 5.1.1 x\r\n"),
     .err = SF_ERR_REPLY_ENHANCED_CLASS,
     .err_off = 4,
     .decided_at = 12},
    {.name = "enhanced-class-whole-text",
     IN("550 2.0.0\r\n"),
     .err = SF_ERR_REPLY_ENHANCED_CLASS,
     .err_off = 4,
     .decided_at = 10},
    {.name = "enhanced-class-second-line",
     IN("550-5.1.1 a\r\n550 4.1.1 b\r\n"),
     .err = SF_ERR_REPLY_ENHANCED_CLASS,
     .err_off = 17,
     .decided_at = 25},
    {.name = "enhanced-class-lenient-lf",
     IN("451 5.7.1 x\n"),
     .lenient = SF_LENIENT_BARE_LF,
     .err = SF_ERR_REPLY_ENHANCED_CLASS,
     .err_off = 4,
     .decided_at = 11},
    /* A reply, then a broken one: the offset counts the first one. */
    {.name = "reply-then-code-syntax",
     IN("250 ok\r\n25x\r\n"),
     .nreplies = 1,
     .reply = {{250, 1, {"ok"}, NULL, 8}},
     .err = SF_ERR_REPLY_CODE_SYNTAX,
     .err_off = 10,
     .decided_at = 10},
    {.name = "reply-then-enhanced-class",
     IN("250 ok\r\n550 2.1.0 x\r\n"),
     .nreplies = 1,
     .reply = {{250, 1, {"ok"}, NULL, 8}},
     .err = SF_ERR_REPLY_ENHANCED_CLASS,
     .err_off = 12,
     .decided_at = 20},
    {.name = "two-replies-then-bare-lf",
     IN("220 a\r\n250-b\r\n250 c\r\n221 bye\n"),
     .nreplies = 2,
     .reply = {{220, 1, {"a"}, NULL, 7}, {250, 2, {"b", "c"}, NULL, 14}},
     .err = SF_ERR_REPLY_BARE_LF,
     .err_off = 28,
     .decided_at = 28},
};

/* ---- vectors built at run time: the limits ---------------------------- */

/* `n` lines "250-x" CRLF then a last line "250 x" CRLF if `last`. */
static size_t build_lines(char *out, size_t n, int last)
{
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    memcpy(out + len, "250-x\r\n", 7);
    len += 7;
  }
  if (last) {
    memcpy(out + len, "250 x\r\n", 7);
    len += 7;
  }
  return len;
}

/* "250 " + `ntext` octets of 'a' + the line end `eol`, after `prefix`. */
static size_t build_long(char *out, const char *prefix, size_t ntext, const char *eol)
{
  size_t len = strlen(prefix);
  memcpy(out, prefix, len);
  memcpy(out + len, "250 ", 4);
  len += 4;
  memset(out + len, 'a', ntext);
  len += ntext;
  memcpy(out + len, eol, strlen(eol));
  return len + strlen(eol);
}

static void test_limits(void)
{
  static char in[2048], text[SF_REPLY_MAX_LINE];
  struct vector v;
  /* RFC 5321 4.5.3.1.5: 510 octets before the line end. */
  const size_t max_text = SF_REPLY_MAX_LINE - 2 - 4;

  memset(text, 'a', max_text);
  text[max_text] = '\0';

  v = (struct vector){.name = "line-512-octets", .in = in, .nreplies = 1};
  v.len = build_long(in, "", max_text, "\r\n");
  v.reply[0] = (struct want_reply){250, 1, {text}, NULL, SF_REPLY_MAX_LINE};
  CHECK(v.len == SF_REPLY_MAX_LINE);
  run_vector(&v);

  v = (struct vector){.name = "line-511-octets-lenient-lf", .in = in, .nreplies = 1};
  v.lenient = SF_LENIENT_BARE_LF;
  v.len = build_long(in, "", max_text, "\n");
  v.reply[0] = (struct want_reply){250, 1, {text}, NULL, SF_REPLY_MAX_LINE - 1};
  run_vector(&v);

  v = (struct vector){.name = "line-513-octets", .in = in};
  v.len = build_long(in, "", max_text + 1, "\r\n");
  v.err = SF_ERR_REPLY_LINE_TOO_LONG;
  v.err_off = v.decided_at = SF_REPLY_MAX_LINE - 2;
  run_vector(&v);

  /* The limit does not wait for a line end that may never come. */
  v = (struct vector){.name = "line-too-long-no-end", .in = in};
  v.len = build_long(in, "", max_text + 1, "");
  v.err = SF_ERR_REPLY_LINE_TOO_LONG;
  v.err_off = v.decided_at = SF_REPLY_MAX_LINE - 2;
  run_vector(&v);

  v = (struct vector){.name = "line-too-long-lenient", .in = in};
  v.lenient = SF_LENIENT_BARE_LF;
  v.len = build_long(in, "", max_text + 1, "\n");
  v.err = SF_ERR_REPLY_LINE_TOO_LONG;
  v.err_off = v.decided_at = SF_REPLY_MAX_LINE - 2;
  run_vector(&v);

  v = (struct vector){.name = "line-too-long-second-reply", .in = in, .nreplies = 1};
  v.len = build_long(in, "250 ok\r\n", max_text + 1, "\r\n");
  v.reply[0] = (struct want_reply){250, 1, {"ok"}, NULL, 8};
  v.err = SF_ERR_REPLY_LINE_TOO_LONG;
  v.err_off = v.decided_at = 8 + SF_REPLY_MAX_LINE - 2;
  run_vector(&v);

  /* A bare LF or CR where the CRLF of a 512-octet line goes. */
  v = (struct vector){.name = "line-512-bare-lf-strict", .in = in};
  v.len = build_long(in, "", max_text, "\n");
  v.err = SF_ERR_REPLY_BARE_LF;
  v.err_off = v.decided_at = SF_REPLY_MAX_LINE - 2;
  run_vector(&v);

  v = (struct vector){.name = "line-512-bare-cr", .in = in};
  v.len = build_long(in, "", max_text, "\rx");
  v.err = SF_ERR_REPLY_BARE_CR;
  v.err_off = SF_REPLY_MAX_LINE - 2;
  v.decided_at = SF_REPLY_MAX_LINE - 1;
  run_vector(&v);

  v = (struct vector){.name = "max-lines", .in = in, .nreplies = 1};
  v.len = build_lines(in, SF_REPLY_MAX_LINES - 1, 1);
  v.reply[0] = (struct want_reply){250, SF_REPLY_MAX_LINES, {NULL}, NULL, v.len};
  run_vector(&v);

  v = (struct vector){.name = "too-many-lines", .in = in};
  v.len = build_lines(in, SF_REPLY_MAX_LINES, 1);
  v.err = SF_ERR_REPLY_TOO_MANY_LINES;
  v.err_off = v.decided_at = (SF_REPLY_MAX_LINES - 1) * 7 + 3;
  run_vector(&v);
}

/* The scan for a line's end tests 16 bytes at a time, then 8, then the
 * last few one by one, and reads a block's place off its mask: every place
 * of a CRLF, a bare LF, a bare CR and a NUL in the first blocks of a text,
 * so that each kind ends up in each of the three. */
static void test_every_place_in_a_block(void)
{
  static char in[64], text[64], name[64];
  struct vector v;
  for (size_t n = 0; n <= 40; n++) {
    memset(text, 'a', n);
    text[n] = '\0';

    snprintf(name, sizeof name, "crlf-after-%zu", n);
    v = (struct vector){.name = name, .in = in, .nreplies = 1};
    v.len = build_long(in, "", n, "\r\n");
    v.reply[0] = (struct want_reply){250, 1, {text}, NULL, n + 6};
    run_vector(&v);

    snprintf(name, sizeof name, "bare-lf-after-%zu", n);
    v = (struct vector){.name = name, .in = in, .lenient = SF_LENIENT_BARE_LF, .nreplies = 1};
    v.len = build_long(in, "", n, "\n");
    v.reply[0] = (struct want_reply){250, 1, {text}, NULL, n + 5};
    run_vector(&v);

    snprintf(name, sizeof name, "bare-cr-after-%zu", n);
    v = (struct vector){.name = name, .in = in};
    v.len = build_long(in, "", n, "\rx\r\n");
    v.err = SF_ERR_REPLY_BARE_CR;
    v.err_off = 4 + n;
    v.decided_at = 5 + n;
    run_vector(&v);

    snprintf(name, sizeof name, "nul-after-%zu", n);
    v = (struct vector){.name = name, .in = in};
    v.len = build_long(in, "", n, ""); /* the NUL ends no string: added by hand */
    memcpy(in + v.len, "\0x\r\n", 4);
    v.len += 4;
    v.err = SF_ERR_REPLY_NUL;
    v.err_off = v.decided_at = 4 + n;
    run_vector(&v);
  }
}

/* ---- the rest of the contract ----------------------------------------- */

static void test_sticky_and_api(void)
{
  struct sf_reply_parser p;
  struct sf_reply rep;
  uint64_t off = 99;

  sf_reply_parser_init(&p, 0);
  CHECK(sf_reply_parser_error(&p, &off) == SF_ERR_OK && off == 0);
  CHECK(sf_reply_parse(&p, "", 0, &rep) == 0);
  CHECK(sf_reply_parse(&p, "250 ok\r\n", 8, &rep) == 8);
  CHECK(rep.code == 250 && sf_reply_class(&rep) == 2 && rep.nlines == 1 && rep.size == 8);
  CHECK(sf_reply_parse(&p, "2x", 2, &rep) < 0);
  CHECK(sf_reply_parser_error(&p, NULL) == SF_ERR_REPLY_CODE_SYNTAX);
  CHECK(sf_reply_parser_error(&p, &off) == SF_ERR_REPLY_CODE_SYNTAX && off == 9);
  /* Sticky even when handed a valid reply afterwards. */
  CHECK(sf_reply_parse(&p, "250 ok\r\n", 8, &rep) < 0);
  CHECK(sf_reply_parser_error(&p, &off) == SF_ERR_REPLY_CODE_SYNTAX && off == 9);
  /* init starts afresh. */
  sf_reply_parser_init(&p, 0);
  CHECK(sf_reply_parser_error(&p, NULL) == SF_ERR_OK);
  CHECK(sf_reply_parse(&p, "421 4.4.2 bye\r\n", 15, &rep) == 15);
  CHECK(rep.code == 421 && rep.enhanced.present && rep.enhanced.cls == 4 &&
        rep.enhanced.subject == 4 && rep.enhanced.detail == 2);
}

/* Spans point into the buffer of the call that completes the reply, even
 * when earlier calls were given a different copy of the same bytes. */
static void test_spans_in_last_buffer(void)
{
  static const char in[] = "250-a\r\n250 bc\r\n";
  char first[sizeof in], second[sizeof in];
  struct sf_reply_parser p;
  struct sf_reply rep;

  memcpy(first, in, sizeof in);
  memcpy(second, in, sizeof in);
  sf_reply_parser_init(&p, 0);
  CHECK(sf_reply_parse(&p, first, 9, &rep) == 0);
  memset(first, 'z', sizeof first);
  CHECK(sf_reply_parse(&p, second, sizeof in - 1, &rep) == (int)sizeof in - 1);
  CHECK(rep.nlines == 2 && rep.text[0].ptr == second + 4 && rep.text[0].len == 1 &&
        rep.text[1].ptr == second + 11 && rep.text[1].len == 2);
}

int main(void)
{
  for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++)
    run_vector(&vectors[i]);
  test_limits();
  test_every_place_in_a_block();
  test_sticky_and_api();
  test_spans_in_last_buffer();
  return check_report("test_reply_parser");
}
