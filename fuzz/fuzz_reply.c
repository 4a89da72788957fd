/* fuzz_reply: the reply parser must not care how the network split its input.
 *
 * Input format (also in corpus/README.md):
 *
 *   byte 0        plan header: its low 3 bits are n, the number of plan bytes
 *                 that follow (0..7); bits 3..7 are reserved and ignored.
 *   bytes 1..n    chunk plan: chunk k of the stream is plan[k % n] + 1 bytes
 *                 (1..256). With n = 0 every chunk is one byte, so the parser
 *                 sees every split point.
 *   the rest      the stream: bytes as a server sends them.
 *
 * The stream is parsed four times: whole (one buffer holding everything, as
 * when all bytes arrived at once) and chunked (a caller's buffer that grows
 * by one chunk at a time and drops each reply once parsed), each strictly and
 * with the bare-LF leniency. Whole and chunked must agree on every reply
 * (code, lines, each line's text at the same stream offset, enhanced code,
 * size), on the bytes left pending and on the final error and its offset
 * (the contract in src/reply_parser.h). The strict replies must be a prefix
 * of the lenient ones, since a leniency only accepts more. Every reply must
 * also respect the parser's bounds. Any difference aborts with one line.
 */
#include "reply_parser.h"
#include "sf_asan.h"
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Under ASan the caller's buffer is poisoned past its valid bytes, so a
 * parser read beyond `len` is reported even though the memory is allocated
 * (picohttpparser's tests use a guard page for the same reason). */
#ifdef SF_HAVE_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define PLAN_MAX 7
/* A line is at least "ddd" and a line end (one byte with the bare-LF
 * leniency), so a stream of n bytes holds at most n / 4 lines. */
#define MIN_LINE_BYTES 4
/* RFC 5321 4.5.3.1.5: 510 octets before the line end, 4 of them "ddd-". */
#define MAX_TEXT (SF_REPLY_MAX_LINE - 2 - 4)

struct line_rec {
  uint64_t off; /* stream offset of the text */
  size_t len;
};

struct reply_rec {
  uint64_t off; /* stream offset of the reply's first byte */
  int code;
  size_t nlines;
  size_t size;
  struct sf_enhanced enhanced;
  size_t first_line; /* index into run.lines */
};

struct run {
  const char *name;
  struct reply_rec *replies;
  size_t nreplies;
  struct line_rec *lines;
  size_t nlines;
  size_t cap; /* of both arrays */
  enum sf_err err;
  uint64_t err_off;
  size_t pending; /* bytes of an incomplete reply left at the end */
};

struct input {
  const uint8_t *plan;
  size_t nplan;
  const char *stream;
  size_t len;
};

static size_t chunk_size(const struct input *in, size_t k)
{
  return in->nplan == 0 ? 1 : (size_t)in->plan[k % in->nplan] + 1;
}

static int is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* Reads "d.d{1,3}.d{1,3}" at the start of `t` independently of the parser;
 * returns 1 if the values match `e`. */
static int enhanced_matches(struct sf_span t, const struct sf_enhanced *e)
{
  size_t i = 0;
  unsigned v[3];
  for (int part = 0; part < 3; part++) {
    size_t start = i;
    unsigned n = 0;
    while (i < t.len && is_digit(t.ptr[i]) && i - start < 3)
      n = n * 10 + (unsigned)(t.ptr[i++] - '0');
    if (i == start)
      return 0;
    v[part] = n;
    if (part < 2 && (i >= t.len || t.ptr[i++] != '.'))
      return 0;
  }
  return v[0] == e->cls && v[1] == e->subject && v[2] == e->detail;
}

/* Checks the parser's bounds on one reply found at `buf` (stream offset
 * `base`, `avail` bytes valid) and appends it to `r`. */
static void record(struct run *r, const struct input *in, const char *buf, size_t avail,
                   uint64_t base, int ret, const struct sf_reply *rep)
{
  const char *n = r->name;
  size_t i;

  SF_FUZZ_CHECK((size_t)ret <= avail, "fuzz_reply: %s: reply %zu: returned %d > %zu bytes given", n,
                r->nreplies, ret, avail);
  SF_FUZZ_CHECK(rep->size == (size_t)ret, "fuzz_reply: %s: reply %zu: size %zu != returned %d", n,
                r->nreplies, rep->size, ret);
  SF_FUZZ_CHECK(rep->size <= SF_REPLY_MAX_BYTES, "fuzz_reply: %s: reply %zu: size %zu > max %d", n,
                r->nreplies, rep->size, SF_REPLY_MAX_BYTES);
  SF_FUZZ_CHECK(rep->code >= 200 && rep->code <= 559 && rep->code / 10 % 10 <= 5,
                "fuzz_reply: %s: reply %zu: code %d out of range", n, r->nreplies, rep->code);
  SF_FUZZ_CHECK(rep->nlines >= 1 && rep->nlines <= SF_REPLY_MAX_LINES,
                "fuzz_reply: %s: reply %zu: nlines %zu out of range", n, r->nreplies, rep->nlines);
  SF_FUZZ_CHECK(buf[rep->size - 1] == '\n', "fuzz_reply: %s: reply %zu: does not end in LF", n,
                r->nreplies);
  SF_FUZZ_CHECK(r->nreplies < r->cap && r->nlines + rep->nlines <= r->cap,
                "fuzz_reply: %s: more replies or lines than %zu bytes can hold", n, in->len);

  char code[3] = {(char)('0' + rep->code / 100), (char)('0' + rep->code / 10 % 10),
                  (char)('0' + rep->code % 10)};
  const char *prev_end = buf;
  for (i = 0; i < rep->nlines; i++) {
    struct sf_span t = rep->text[i];
    SF_FUZZ_CHECK(t.len <= MAX_TEXT, "fuzz_reply: %s: reply %zu line %zu: text %zu > %d octets", n,
                  r->nreplies, i, t.len, MAX_TEXT);
    r->lines[r->nlines + i].len = t.len;
    r->lines[r->nlines + i].off = 0;
    if (t.len == 0)
      continue;
    SF_FUZZ_CHECK(t.ptr >= prev_end + 4 && t.ptr + t.len <= buf + rep->size,
                  "fuzz_reply: %s: reply %zu line %zu: text span outside the reply", n, r->nreplies,
                  i);
    SF_FUZZ_CHECK(memcmp(t.ptr - 4, code, 3) == 0,
                  "fuzz_reply: %s: reply %zu line %zu: text not preceded by code %d", n,
                  r->nreplies, i, rep->code);
    SF_FUZZ_CHECK(t.ptr[-1] == (i + 1 < rep->nlines ? '-' : ' '),
                  "fuzz_reply: %s: reply %zu line %zu: text not preceded by its separator", n,
                  r->nreplies, i);
    SF_FUZZ_CHECK(i > 0 || t.ptr == buf + 4,
                  "fuzz_reply: %s: reply %zu: first text does not start at byte 4", n, r->nreplies);
    SF_FUZZ_CHECK(!memchr(t.ptr, '\r', t.len) && !memchr(t.ptr, '\n', t.len) &&
                      !memchr(t.ptr, '\0', t.len),
                  "fuzz_reply: %s: reply %zu line %zu: CR, LF or NUL in text", n, r->nreplies, i);
    uint64_t off = base + (uint64_t)(t.ptr - buf);
    SF_FUZZ_CHECK(off + t.len <= in->len && memcmp(t.ptr, in->stream + off, t.len) == 0,
                  "fuzz_reply: %s: reply %zu line %zu: text differs from the stream bytes", n,
                  r->nreplies, i);
    r->lines[r->nlines + i].off = off;
    prev_end = t.ptr + t.len;
  }

  const struct sf_enhanced *e = &rep->enhanced;
  SF_FUZZ_CHECK(e->present <= 1, "fuzz_reply: %s: reply %zu: enhanced.present %u", n, r->nreplies,
                e->present);
  if (e->present) {
    /* RFC 3463 2: classes 2, 4 and 5 only, and RFC 2034 ties the class to
     * the reply's first digit (a 3xx reply has no class of its own). */
    SF_FUZZ_CHECK(e->cls == 2 || e->cls == 4 || e->cls == 5,
                  "fuzz_reply: %s: reply %zu: enhanced class %u", n, r->nreplies, e->cls);
    SF_FUZZ_CHECK(rep->code / 100 == 3 || e->cls == rep->code / 100,
                  "fuzz_reply: %s: reply %zu: enhanced class %u with code %d", n, r->nreplies,
                  e->cls, rep->code);
    SF_FUZZ_CHECK(enhanced_matches(rep->text[0], e),
                  "fuzz_reply: %s: reply %zu: enhanced %u.%u.%u is not what the text starts with",
                  n, r->nreplies, e->cls, e->subject, e->detail);
  }

  struct reply_rec *rr = &r->replies[r->nreplies++];
  rr->off = base;
  rr->code = rep->code;
  rr->nlines = rep->nlines;
  rr->size = rep->size;
  rr->enhanced = *e;
  rr->first_line = r->nlines;
  r->nlines += rep->nlines;
}

/* After an error: it is sticky, and its offset is a byte of the stream that
 * belongs to the reply being parsed. */
static void finish_error(struct run *r, struct sf_reply_parser *p, const struct input *in,
                         uint64_t base, const char *buf, size_t avail)
{
  struct sf_reply rep;
  uint64_t off2 = 0;

  r->err = sf_reply_parser_error(p, &r->err_off);
  SF_FUZZ_CHECK(r->err != SF_ERR_OK, "fuzz_reply: %s: parse < 0 but no error recorded", r->name);
  SF_FUZZ_CHECK(sf_reply_parse(p, buf, avail, &rep) < 0 &&
                    sf_reply_parser_error(p, &off2) == r->err && off2 == r->err_off,
                "fuzz_reply: %s: error %s is not sticky", r->name, sf_err_name(r->err));
  SF_FUZZ_CHECK(r->err_off >= base && r->err_off < in->len,
                "fuzz_reply: %s: error %s at offset %llu outside [%llu, %zu)", r->name,
                sf_err_name(r->err), (unsigned long long)r->err_off, (unsigned long long)base,
                in->len);
  char at = in->stream[r->err_off];
  SF_FUZZ_CHECK(r->err != SF_ERR_REPLY_NUL || at == '\0',
                "fuzz_reply: %s: REPLY_NUL at offset %llu which is not NUL", r->name,
                (unsigned long long)r->err_off);
  SF_FUZZ_CHECK(r->err != SF_ERR_REPLY_BARE_LF || at == '\n',
                "fuzz_reply: %s: REPLY_BARE_LF at offset %llu which is not LF", r->name,
                (unsigned long long)r->err_off);
}

static void run_init(struct run *r, const char *name, size_t len)
{
  memset(r, 0, sizeof *r);
  r->name = name;
  r->cap = len / MIN_LINE_BYTES + 1;
  r->replies = malloc(r->cap * sizeof *r->replies);
  r->lines = malloc(r->cap * sizeof *r->lines);
  SF_FUZZ_CHECK(r->replies && r->lines, "fuzz_reply: out of memory");
}

static void run_free(struct run *r)
{
  free(r->replies);
  free(r->lines);
}

/* All bytes in one buffer: the stream itself, so reading past its end is an
 * overflow of the fuzzer's own allocation. */
static void parse_whole(struct run *r, const struct input *in, unsigned lenient)
{
  struct sf_reply_parser p;
  struct sf_reply rep;
  size_t off = 0;

  sf_reply_parser_init(&p, lenient);
  while (off < in->len) {
    int ret = sf_reply_parse(&p, in->stream + off, in->len - off, &rep);
    if (ret < 0) {
      finish_error(r, &p, in, off, in->stream + off, in->len - off);
      break;
    }
    if (ret == 0)
      break;
    record(r, in, in->stream + off, in->len - off, off, ret, &rep);
    off += (size_t)ret;
  }
  r->pending = in->len - off;
}

/* A caller's receive buffer: a chunk is appended, complete replies are
 * parsed and dropped from the front, the rest waits for the next chunk. */
static void parse_chunked(struct run *r, const struct input *in, unsigned lenient)
{
  struct sf_reply_parser p;
  struct sf_reply rep;
  size_t cap = in->len ? in->len : 1;
  char *buf = malloc(cap);
  size_t have = 0;   /* valid bytes in buf */
  size_t fed = 0;    /* stream bytes appended so far */
  uint64_t base = 0; /* stream offset of buf[0] */

  SF_FUZZ_CHECK(buf, "fuzz_reply: out of memory");
  POISON(buf, cap);
  sf_reply_parser_init(&p, lenient);
  for (size_t k = 0; fed < in->len && r->err == SF_ERR_OK; k++) {
    size_t c = chunk_size(in, k);
    if (c > in->len - fed)
      c = in->len - fed;
    UNPOISON(buf + have, c);
    memcpy(buf + have, in->stream + fed, c);
    have += c;
    fed += c;
    while (have > 0) {
      int ret = sf_reply_parse(&p, buf, have, &rep);
      if (ret < 0) {
        finish_error(r, &p, in, base, buf, have);
        break;
      }
      if (ret == 0)
        break;
      record(r, in, buf, have, base, ret, &rep);
      memmove(buf, buf + ret, have - (size_t)ret);
      have -= (size_t)ret;
      base += (uint64_t)ret;
      POISON(buf + have, (size_t)ret);
    }
  }
  r->pending = r->err == SF_ERR_OK ? have : (size_t)(in->len - base);
  UNPOISON(buf, cap);
  free(buf);
}

/* NULL if reply `i` is the same in both runs, else what differs. */
static const char *reply_diff(const struct run *a, const struct run *b, size_t i, size_t *line)
{
  const struct reply_rec *x = &a->replies[i];
  const struct reply_rec *y = &b->replies[i];
  if (x->off != y->off)
    return "stream offset";
  if (x->code != y->code)
    return "code";
  if (x->nlines != y->nlines)
    return "number of lines";
  if (x->size != y->size)
    return "size";
  if (x->enhanced.present != y->enhanced.present || x->enhanced.cls != y->enhanced.cls ||
      x->enhanced.subject != y->enhanced.subject || x->enhanced.detail != y->enhanced.detail)
    return "enhanced code";
  for (size_t l = 0; l < x->nlines; l++) {
    const struct line_rec *u = &a->lines[x->first_line + l];
    const struct line_rec *v = &b->lines[y->first_line + l];
    /* Equal offsets into the same stream mean equal bytes; record() has
     * checked each span against the stream. */
    *line = l;
    if (u->len != v->len)
      return "text length of a line";
    if (u->off != v->off)
      return "text offset of a line";
  }
  return NULL;
}

/* The first `n` replies of both runs are the same. */
static void expect_prefix(const struct run *a, const struct run *b, size_t n)
{
  SF_FUZZ_CHECK(a->nreplies >= n && b->nreplies >= n,
                "fuzz_reply: %s has %zu replies, %s has %zu (expected at least %zu)", a->name,
                a->nreplies, b->name, b->nreplies, n);
  for (size_t i = 0; i < n; i++) {
    size_t line = 0;
    const char *what = reply_diff(a, b, i, &line);
    SF_FUZZ_CHECK(!what,
                  "fuzz_reply: %s vs %s: reply %zu (at offset %llu) differs in %s (line %zu; code "
                  "%d/%d, %zu/%zu lines, size %zu/%zu)",
                  a->name, b->name, i, (unsigned long long)a->replies[i].off, what, line,
                  a->replies[i].code, b->replies[i].code, a->replies[i].nlines,
                  b->replies[i].nlines, a->replies[i].size, b->replies[i].size);
  }
}

static void expect_same(const struct run *a, const struct run *b)
{
  SF_FUZZ_CHECK(a->nreplies == b->nreplies, "fuzz_reply: %s has %zu replies, %s has %zu", a->name,
                a->nreplies, b->name, b->nreplies);
  expect_prefix(a, b, a->nreplies);
  SF_FUZZ_CHECK(a->err == b->err && a->err_off == b->err_off,
                "fuzz_reply: %s ends in %s at %llu, %s in %s at %llu", a->name, sf_err_name(a->err),
                (unsigned long long)a->err_off, b->name, sf_err_name(b->err),
                (unsigned long long)b->err_off);
  SF_FUZZ_CHECK(a->pending == b->pending, "fuzz_reply: %s leaves %zu bytes pending, %s %zu",
                a->name, a->pending, b->name, b->pending);
}

int sf_fuzz_init(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  return 0;
}

int sf_fuzz_one(const uint8_t *data, size_t size)
{
  struct input in;
  struct run sw, sc, lw, lc;

  if (size == 0)
    return 0;
  in.nplan = data[0] & PLAN_MAX;
  if (in.nplan > size - 1)
    in.nplan = size - 1;
  in.plan = data + 1;
  in.stream = (const char *)data + 1 + in.nplan;
  in.len = size - 1 - in.nplan;

  run_init(&sw, "strict whole", in.len);
  run_init(&sc, "strict chunked", in.len);
  run_init(&lw, "lenient whole", in.len);
  run_init(&lc, "lenient chunked", in.len);
  parse_whole(&sw, &in, 0);
  parse_chunked(&sc, &in, 0);
  parse_whole(&lw, &in, SF_LENIENT_BARE_LF);
  parse_chunked(&lc, &in, SF_LENIENT_BARE_LF);

  expect_same(&sw, &sc);
  expect_same(&lw, &lc);
  /* The leniency only accepts a bare LF: until strict parsing meets one,
   * both read the same bytes the same way. */
  expect_prefix(&sw, &lw, sw.nreplies);
  if (sw.err != SF_ERR_REPLY_BARE_LF)
    expect_same(&sw, &lw);

  run_free(&sw);
  run_free(&sc);
  run_free(&lw);
  run_free(&lc);
  return 0;
}
