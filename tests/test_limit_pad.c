/* The limit step of the fuzz_reply mutator (fuzz/limit_pad.h).
 *
 * Over many random values, from a few server streams, each neighbourhood
 * must come out whole: every line length from SF_REPLY_MAX_LINE - 2 to + 2
 * octets (and the parser accepts exactly those up to the limit), replies of
 * SF_REPLY_MAX_LINES - 1 .. + 1 lines, replies within two octets of
 * SF_REPLY_MAX_BYTES, AUTH lines of SF_CAPS_MAX_AUTH_MECHS - 1 .. + 1
 * mechanisms (and src/caps.c refuses only the last), SIZE values of one
 * digit fewer than UINT64_MAX to one more. Outputs never pass the capacity
 * (guard bytes after it stay), a step that does not fit leaves the buffer
 * alone, well-formed streams stay well-formed, and the same random value
 * gives the same output. Random streams and long chains of steps run under
 * ASan+UBSan in the sanitizer build. On a whole fuzz_reply input the chunk
 * plan stays as fuzz_reply reads it. With a path argument, the same for the
 * AFL++ library (fuzz/afl_mutator_reply.c), loaded as afl-fuzz loads it. */
#include "caps.h"
#include "check.h"
#include "limit_pad.h"
#include "reply_parser.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUARD   64
#define BIG_CAP (SF_REPLY_MAX_BYTES + 4 * SF_REPLY_MAX_LINE)

static uint8_t buf[BIG_CAP + GUARD];

struct seed {
  const char *name;
  const char *bytes;
  int well_formed; /* every line "ddd-"/"ddd " ... CRLF */
};

static const struct seed seeds[] = {
    {"greeting", "220 mail.example.com ESMTP ready\r\n", 1},
    {"ehlo",
     "250-mail.example.com Hello [192.0.2.1]\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
     "250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
     1},
    {"greeting+ehlo", "220 x ESMTP\r\n250-x\r\n250 STARTTLS\r\n", 1},
    {"bare-lf", "250-a\n250 b\n", 0},
    {"unterminated", "250 partial\r", 0},
    {"no-code", "hello\r\nxyz", 0},
    {"empty", "", 0},
};
#define NSEEDS (sizeof seeds / sizeof seeds[0])

static size_t load(const struct seed *s, size_t cap)
{
  size_t n = strlen(s->bytes);
  memcpy(buf, s->bytes, n);
  memset(buf + cap, 0xa5, GUARD);
  return n;
}

static int guard_intact(size_t cap)
{
  for (size_t i = 0; i < GUARD; i++)
    if (buf[cap + i] != 0xa5)
      return 0;
  return 1;
}

/* ---- reading outputs back ------------------------------------------------- */

struct line {
  size_t off, len; /* len includes the line end */
};

static struct line line_at(const uint8_t *b, size_t len, size_t off)
{
  const uint8_t *nl = memchr(b + off, '\n', len - off);
  struct line l = {off, (nl ? (size_t)(nl - b) + 1 : len) - off};
  return l;
}

static int digit(uint8_t c)
{
  return c >= '0' && c <= '9';
}

/* Every line: "ddd", '-' or ' ', text without CR, LF or NUL, CRLF. */
static int well_formed(const uint8_t *b, size_t len)
{
  for (size_t off = 0; off < len;) {
    struct line l = line_at(b, len, off);
    const uint8_t *p = b + off;
    if (l.len < 6 || !digit(p[0]) || !digit(p[1]) || !digit(p[2]) || (p[3] != '-' && p[3] != ' '))
      return 0;
    if (p[l.len - 2] != '\r' || p[l.len - 1] != '\n')
      return 0;
    for (size_t i = 4; i + 2 < l.len; i++)
      if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
        return 0;
    off += l.len;
  }
  return 1;
}

/* Longest line, octets with its line end. */
static size_t longest_line(const uint8_t *b, size_t len)
{
  size_t m = 0;
  for (size_t off = 0; off < len;) {
    struct line l = line_at(b, len, off);
    if (l.len > m)
      m = l.len;
    off += l.len;
  }
  return m;
}

/* The reply with most lines, read as '-' chains (so also past the cap):
 * its lines and octets. */
static void biggest_reply(const uint8_t *b, size_t len, size_t *nlines, size_t *octets)
{
  *nlines = 0;
  *octets = 0;
  for (size_t off = 0; off < len;) {
    size_t n = 0, start = off;
    for (;;) {
      struct line l = line_at(b, len, off);
      off += l.len;
      n++;
      if (l.len < 4 || b[l.off + 3] != '-' || off == len)
        break;
    }
    if (n > *nlines || (n == *nlines && off - start > *octets)) {
      *nlines = n;
      *octets = off - start;
    }
  }
}

struct parse {
  enum sf_err err;
  size_t nreplies;
  size_t max_nlines, max_size;
  enum sf_err caps_err; /* of the last 250 reply with more than one line */
  struct sf_caps caps;
  int have_caps;
};

static struct parse parse(const uint8_t *b, size_t len, unsigned lenient)
{
  static struct sf_reply rep;
  struct sf_reply_parser p;
  struct parse r;
  memset(&r, 0, sizeof r);
  sf_reply_parser_init(&p, lenient);
  size_t off = 0;
  while (off < len) {
    int n = sf_reply_parse(&p, (const char *)b + off, len - off, &rep);
    if (n <= 0)
      break;
    r.nreplies++;
    if (rep.nlines > r.max_nlines)
      r.max_nlines = rep.nlines;
    if (rep.size > r.max_size)
      r.max_size = rep.size;
    if (rep.code == 250 && rep.nlines > 1) {
      r.caps_err = sf_caps_parse(&rep, &r.caps, NULL);
      r.have_caps = 1;
    }
    off += (size_t)n;
  }
  r.err = sf_reply_parser_error(&p, NULL);
  return r;
}

/* Words after "AUTH" on the AUTH line, or -1 if there is none. */
static int auth_count(const uint8_t *b, size_t len)
{
  for (size_t off = 0; off < len;) {
    struct line l = line_at(b, len, off);
    off += l.len;
    if (l.len < 10 || memcmp(b + l.off + 4, "AUTH ", 5) != 0)
      continue;
    int n = 0;
    for (size_t i = l.off + 8; i < l.off + l.len; i++)
      n += b[i] == ' ' && i + 1 < l.off + l.len && b[i + 1] != ' ' && b[i + 1] != '\r' &&
           b[i + 1] != '\n';
    return n;
  }
  return -1;
}

/* Digits of the SIZE value, or -1 if there is no SIZE line. */
static int size_digits(const uint8_t *b, size_t len)
{
  for (size_t off = 0; off < len;) {
    struct line l = line_at(b, len, off);
    off += l.len;
    if (l.len < 10 || memcmp(b + l.off + 4, "SIZE ", 5) != 0)
      continue;
    int n = 0;
    while (l.off + 9 + (size_t)n < len && digit(b[l.off + 9 + (size_t)n]))
      n++;
    return n;
  }
  return -1;
}

/* ---- the neighbourhoods --------------------------------------------------- */

enum { RUNS = 400 };

static void test_line(void)
{
  for (size_t s = 0; s < NSEEDS; s++) {
    /* With a bare LF the octets before it are what moves; the LF stays. */
    int lf = strcmp(seeds[s].name, "bare-lf") == 0;
    size_t lo = SF_REPLY_MAX_LINE - 2 - (size_t)lf;
    unsigned seen = 0, bad = 0, parse_bad = 0;
    for (uint32_t r = 0; r < RUNS; r++) {
      size_t len = load(&seeds[s], 4096);
      size_t n = sf_limit_pad_kind(buf, len, 4096, SF_LIMIT_PAD_LINE, r);
      size_t m = n ? longest_line(buf, n) : 0;
      if (m < lo || m > lo + 4) {
        bad++;
        continue;
      }
      seen |= 1u << (m - lo);
      /* The parser takes a line up to the limit and refuses one past it. */
      if (seeds[s].well_formed) {
        struct parse p = parse(buf, n, 0);
        int over = m > SF_REPLY_MAX_LINE;
        parse_bad += over ? p.err != SF_ERR_REPLY_LINE_TOO_LONG : p.err != SF_ERR_OK;
        bad += !well_formed(buf, n);
      }
    }
    CHECKF(bad == 0, "%s: %u LINE outputs without a line at the limit or malformed", seeds[s].name,
           bad);
    CHECKF(parse_bad == 0, "%s: %u LINE outputs parsed against the limit", seeds[s].name,
           parse_bad);
    CHECKF(seen == 0x1f, "%s: line lengths %zu..%zu: seen mask %#x", seeds[s].name, lo, lo + 4,
           seen);
  }
}

static void test_lines(void)
{
  for (size_t s = 0; s < NSEEDS; s++) {
    unsigned seen = 0, bad = 0, parse_bad = 0;
    for (uint32_t r = 0; r < RUNS; r++) {
      size_t len = load(&seeds[s], 8192);
      size_t n = sf_limit_pad_kind(buf, len, 8192, SF_LIMIT_PAD_LINES, r);
      size_t nl, oct;
      biggest_reply(buf, n, &nl, &oct);
      if (!n || nl + 1 < SF_REPLY_MAX_LINES || nl > SF_REPLY_MAX_LINES + 1) {
        bad++;
        continue;
      }
      seen |= 1u << (nl + 1 - SF_REPLY_MAX_LINES);
      if (seeds[s].well_formed) {
        bad += !well_formed(buf, n);
        struct parse p = parse(buf, n, 0);
        parse_bad += nl > SF_REPLY_MAX_LINES ? p.err != SF_ERR_REPLY_TOO_MANY_LINES
                                             : p.err != SF_ERR_OK || p.max_nlines != nl;
      }
    }
    CHECKF(bad == 0, "%s: %u LINES outputs without a reply at the cap or malformed", seeds[s].name,
           bad);
    CHECKF(parse_bad == 0, "%s: %u LINES outputs parsed against the cap", seeds[s].name, parse_bad);
    CHECKF(seen == 0x7, "%s: line counts around %d: seen mask %#x", seeds[s].name,
           SF_REPLY_MAX_LINES, seen);
  }
}

static void test_bytes(void)
{
  for (size_t s = 0; s < NSEEDS; s++) {
    unsigned seen = 0, counts = 0, bad = 0, parse_bad = 0;
    for (uint32_t r = 0; r < RUNS; r++) {
      size_t len = load(&seeds[s], BIG_CAP);
      size_t n = sf_limit_pad_kind(buf, len, BIG_CAP, SF_LIMIT_PAD_BYTES, r);
      size_t nl, oct;
      biggest_reply(buf, n, &nl, &oct);
      if (!n || nl + 1 < SF_REPLY_MAX_LINES || nl > SF_REPLY_MAX_LINES + 1) {
        bad++;
        continue;
      }
      counts |= 1u << (nl + 1 - SF_REPLY_MAX_LINES);
      size_t full = nl * SF_REPLY_MAX_LINE;
      if (oct + 2 < full || oct > full + 2) {
        bad++;
        continue;
      }
      if (nl == SF_REPLY_MAX_LINES)
        seen |= 1u << (oct + 2 - SF_REPLY_MAX_BYTES);
      if (seeds[s].well_formed) {
        bad += !well_formed(buf, n);
        struct parse p = parse(buf, n, 0);
        int fits = nl <= SF_REPLY_MAX_LINES && oct <= full;
        parse_bad += fits ? p.err != SF_ERR_OK || p.max_size != oct : p.err == SF_ERR_OK;
      }
    }
    CHECKF(bad == 0, "%s: %u BYTES outputs off the neighbourhood or malformed", seeds[s].name, bad);
    CHECKF(parse_bad == 0, "%s: %u BYTES outputs parsed against the bound", seeds[s].name,
           parse_bad);
    CHECKF(counts == 0x7 && seen == 0x1f, "%s: BYTES line counts %#x, sizes around %d %#x",
           seeds[s].name, counts, SF_REPLY_MAX_BYTES, seen);
  }
  /* It needs the room: in 4096 bytes it does not fit and changes nothing. */
  size_t len = load(&seeds[1], 4096);
  CHECK(sf_limit_pad_kind(buf, len, 4096, SF_LIMIT_PAD_BYTES, 1) == 0);
  CHECK(memcmp(buf, seeds[1].bytes, len) == 0);
}

static void test_auth(void)
{
  for (size_t s = 0; s < NSEEDS; s++) {
    unsigned seen = 0, bad = 0, caps_bad = 0;
    for (uint32_t r = 0; r < RUNS; r++) {
      size_t len = load(&seeds[s], 4096);
      size_t n = sf_limit_pad_kind(buf, len, 4096, SF_LIMIT_PAD_AUTH, r);
      int k = n ? auth_count(buf, n) : -1;
      if (k + 1 < SF_CAPS_MAX_AUTH_MECHS || k > SF_CAPS_MAX_AUTH_MECHS + 1 ||
          longest_line(buf, n) > SF_REPLY_MAX_LINE) {
        bad++;
        continue;
      }
      seen |= 1u << (k + 1 - SF_CAPS_MAX_AUTH_MECHS);
      if (seeds[s].well_formed)
        bad += !well_formed(buf, n);
      /* Where the AUTH line lands in a 250 reply, src/caps.c refuses it
       * exactly when it is over the bound. */
      if (strcmp(seeds[s].name, "ehlo") == 0 || strcmp(seeds[s].name, "empty") == 0) {
        struct parse p = parse(buf, n, 0);
        enum sf_err want = k > SF_CAPS_MAX_AUTH_MECHS ? SF_ERR_CAPS_AUTH_TOO_MANY : SF_ERR_OK;
        caps_bad += p.err != SF_ERR_OK || !p.have_caps || p.caps_err != want;
      }
    }
    CHECKF(bad == 0, "%s: %u AUTH outputs off the neighbourhood or malformed", seeds[s].name, bad);
    CHECKF(caps_bad == 0, "%s: %u AUTH outputs read against the bound", seeds[s].name, caps_bad);
    CHECKF(seen == 0x7, "%s: AUTH mechanism counts around %d: seen mask %#x", seeds[s].name,
           SF_CAPS_MAX_AUTH_MECHS, seen);
  }
}

static void test_size(void)
{
  char max[24];
  int d = snprintf(max, sizeof max, "%" PRIu64, UINT64_MAX);
  for (size_t s = 0; s < NSEEDS; s++) {
    unsigned seen = 0, bad = 0, fits = 0, overflows = 0;
    for (uint32_t r = 0; r < RUNS; r++) {
      size_t len = load(&seeds[s], 4096);
      size_t n = sf_limit_pad_kind(buf, len, 4096, SF_LIMIT_PAD_SIZE, r);
      int k = n ? size_digits(buf, n) : -1;
      if (k < d - 1 || k > d + 1) {
        bad++;
        continue;
      }
      seen |= 1u << (k - d + 1);
      if (seeds[s].well_formed)
        bad += !well_formed(buf, n);
      if (strcmp(seeds[s].name, "ehlo") == 0 || strcmp(seeds[s].name, "empty") == 0) {
        struct parse p = parse(buf, n, 0);
        fits += p.have_caps && p.caps_err == SF_ERR_OK;
        overflows += p.have_caps && p.caps_err == SF_ERR_CAPS_SIZE_OVERFLOW;
        bad += p.err != SF_ERR_OK || !p.have_caps ||
               (p.caps_err != SF_ERR_OK && p.caps_err != SF_ERR_CAPS_SIZE_OVERFLOW);
        /* The largest value with a leading zero is a digit more that fits. */
        if (k == d + 1 && p.caps_err == SF_ERR_OK)
          bad += p.caps.size != UINT64_MAX;
      }
    }
    CHECKF(bad == 0, "%s: %u SIZE outputs off the neighbourhood or misread", seeds[s].name, bad);
    CHECKF(seen == 0x7, "%s: SIZE digits around %d: seen mask %#x", seeds[s].name, d, seen);
    if (strcmp(seeds[s].name, "ehlo") == 0)
      CHECKF(fits > 0 && overflows > 0, "ehlo: SIZE %u fit, %u overflow", fits, overflows);
  }
}

/* ---- bounds, shape, determinism ------------------------------------------- */

static uint64_t rng_state = 0x243f6a8885a308d3u;

static uint32_t rnd(void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 32);
}

/* Every kind and the mixed step, at capacities from the stream's length up:
 * nothing written past cap, and a refusal leaves the buffer alone. */
static void test_capacity(void)
{
  static uint8_t before[BIG_CAP];
  unsigned over = 0, guard = 0, touched = 0, refused = 0, done = 0;
  for (size_t s = 0; s < NSEEDS; s++) {
    size_t len0 = strlen(seeds[s].bytes);
    for (size_t cap = len0; cap < len0 + 2 * SF_REPLY_MAX_LINE; cap += 7) {
      for (int kind = 0; kind <= SF_LIMIT_PAD_NKINDS; kind++) {
        for (uint32_t r = 0; r < 8; r++) {
          size_t len = load(&seeds[s], cap);
          memset(buf + len, 0x5a, cap - len);
          memcpy(before, buf, cap);
          size_t n = kind == SF_LIMIT_PAD_NKINDS
                         ? sf_limit_pad(buf, len, cap, r)
                         : sf_limit_pad_kind(buf, len, cap, (enum sf_limit_pad_kind)kind, r);
          over += n > cap;
          guard += !guard_intact(cap);
          if (n == 0) {
            refused++;
            touched += memcmp(before, buf, cap) != 0;
          } else {
            done++;
          }
        }
      }
    }
  }
  CHECKF(over == 0 && guard == 0, "%u outputs over cap, %u guards overwritten", over, guard);
  CHECKF(touched == 0, "%u refused steps changed the buffer", touched);
  CHECKF(refused > 0 && done > 0, "capacities: %u refused, %u done", refused, done);

  /* A stream longer than its buffer is refused; an empty buffer too. */
  size_t len = load(&seeds[0], 10);
  CHECK(sf_limit_pad(buf, len, 10, 1) == 0);
  CHECK(sf_limit_pad(buf, 0, 0, 1) == 0);
}

/* Random bytes made of what matters (digits, separators, line ends, NUL),
 * random capacities: memory safety under the sanitizers, and the bounds. */
static void test_random_streams(void)
{
  static const char alphabet[] = "2505-  \r\n\r\n\0AUTHSIZE9x";
  unsigned over = 0, guard = 0;
  for (int i = 0; i < 20000; i++) {
    size_t len = rnd() % 300;
    size_t cap = len + rnd() % (i % 10 == 0 ? BIG_CAP - len : 1200);
    for (size_t k = 0; k < len; k++)
      buf[k] = (uint8_t)alphabet[rnd() % (sizeof alphabet - 1)];
    memset(buf + cap, 0xa5, GUARD);
    size_t n = sf_limit_pad(buf, len, cap, rnd());
    over += n > cap;
    guard += !guard_intact(cap);
  }
  CHECKF(over == 0 && guard == 0, "random streams: %u over cap, %u guards overwritten", over,
         guard);
}

/* Each output the next input, as in a long run, at a libFuzzer-like size:
 * the well-formed EHLO reply stays well-formed throughout. */
static void test_chain(void)
{
  size_t cap = 4096;
  size_t len = load(&seeds[1], cap);
  unsigned bad = 0, refused = 0;
  for (int i = 0; i < 3000; i++) {
    size_t n = sf_limit_pad(buf, len, cap, rnd());
    if (n == 0) {
      refused++;
      continue;
    }
    bad += n > cap || !guard_intact(cap) || !well_formed(buf, n);
    len = n;
  }
  CHECKF(bad == 0, "chain: %u bad outputs", bad);
  CHECKF(refused < 30, "chain: %u of 3000 steps refused", refused);
}

static void test_deterministic(void)
{
  static uint8_t a[4096];
  unsigned differ_same = 0, differ_other = 0;
  for (uint32_t r = 0; r < 300; r++) {
    size_t len = load(&seeds[1], sizeof a);
    size_t na = sf_limit_pad(buf, len, sizeof a, r);
    memcpy(a, buf, na);
    len = load(&seeds[1], sizeof a);
    size_t nb = sf_limit_pad(buf, len, sizeof a, r);
    differ_same += na != nb || memcmp(a, buf, na) != 0;
    len = load(&seeds[1], sizeof a);
    size_t nc = sf_limit_pad(buf, len, sizeof a, r + 1);
    differ_other += na != nc || memcmp(a, buf, na) != 0;
  }
  CHECKF(differ_same == 0, "same value, %u different outputs", differ_same);
  CHECKF(differ_other > 250, "next value, only %u of 300 outputs differ", differ_other);
}

/* What is not edited stays: padding a line of the greeting+EHLO stream
 * leaves the other replies' bytes as they were. */
static void test_rest_kept(void)
{
  const char *s = seeds[2].bytes; /* "220 x ESMTP\r\n" + an EHLO reply */
  size_t first = (size_t)(strchr(s, '\n') - s) + 1;
  size_t total = strlen(s);
  unsigned kept = 0, padded_first = 0;
  for (uint32_t r = 0; r < 200; r++) {
    size_t len = load(&seeds[2], 4096);
    size_t n = sf_limit_pad_kind(buf, len, 4096, SF_LIMIT_PAD_LINE, r);
    struct line l0 = line_at(buf, n, 0);
    if (l0.len >= SF_REPLY_MAX_LINE - 2) { /* the greeting was padded */
      padded_first++;
      kept += n - l0.len == total - first && memcmp(buf + l0.len, s + first, total - first) == 0;
      kept += memcmp(buf, s, first - 2) == 0; /* its own text is kept as the start */
    }
  }
  CHECKF(padded_first > 0 && kept == 2 * padded_first, "%u greetings padded, %u parts kept",
         padded_first, kept);
}

/* ---- whole fuzz_reply inputs --------------------------------------------- */

/* A line of the stream after `head` bytes at 510..514 octets. */
static int has_padded_line(const uint8_t *b, size_t n, size_t head)
{
  size_t m = n > head ? longest_line(b + head, n - head) : 0;
  return m + 2 >= SF_REPLY_MAX_LINE && m <= SF_REPLY_MAX_LINE + 2;
}

static void test_reply_input(void)
{
  static const char plan[] = "\x03\x00\x06\xff"; /* three plan bytes */
  static const char stream[] = "220 x ESMTP\r\n";
  size_t head = sizeof plan - 1, sl = sizeof stream - 1;
  unsigned kept = 0, padded = 0;
  for (uint32_t r = 0; r < 200; r++) {
    memcpy(buf, plan, head);
    memcpy(buf + head, stream, sl);
    memset(buf + 4096, 0xa5, GUARD);
    size_t n = sf_limit_pad_reply_input(buf, head + sl, 4096, r);
    kept += n > head && memcmp(buf, plan, head) == 0 && guard_intact(4096);
    padded += has_padded_line(buf, n, head);
  }
  CHECKF(kept == 200, "plan kept in %u of 200", kept);
  CHECKF(padded > 50, "a padded line in %u of 200", padded);

  /* A count of 7 with one plan byte there: the count becomes 1, so the new
   * stream is not read as plan bytes. */
  memcpy(buf, "\x0f\x41", 2);
  size_t n = sf_limit_pad_reply_input(buf, 2, 4096, 0);
  CHECK(n > 2 && buf[0] == 0x09 && buf[1] == 0x41);
  /* Empty: header 0, then a stream. */
  n = sf_limit_pad_reply_input(buf, 0, 4096, 0);
  CHECK(n > 1 && buf[0] == 0);
  /* No room for a header and a byte, or more input than room. */
  CHECK(sf_limit_pad_reply_input(buf, 0, 1, 0) == 0);
  CHECK(sf_limit_pad_reply_input(buf, 20, 10, 0) == 0);
}

/* ---- the AFL++ library ---------------------------------------------------- */

typedef void *(*init_fn)(void *afl, unsigned int seed);
typedef unsigned int (*count_fn)(void *data, const uint8_t *buf, size_t buf_size);
typedef size_t (*fuzz_fn)(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                          uint8_t *add_buf, size_t add_buf_size, size_t max_size);
typedef void (*deinit_fn)(void *data);

static int test_afl(const char *path)
{
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "test_limit_pad: %s\n", dlerror());
    return 1;
  }
  init_fn m_init = (init_fn)dlsym(lib, "afl_custom_init");
  count_fn m_count = (count_fn)dlsym(lib, "afl_custom_fuzz_count");
  fuzz_fn m_fuzz = (fuzz_fn)dlsym(lib, "afl_custom_fuzz");
  deinit_fn m_deinit = (deinit_fn)dlsym(lib, "afl_custom_deinit");
  CHECK(m_init && m_count && m_fuzz && m_deinit);
  /* Only the entry points are exported. */
  CHECK(dlsym(lib, "sf_limit_pad") == NULL);
  CHECK(dlsym(lib, "sf_limit_pad_reply_input") == NULL);
  if (!(m_init && m_count && m_fuzz && m_deinit))
    return check_report("test_limit_pad (AFL++ library)");

  static const uint8_t input[] = "\x01\x04"
                                 "250-x\r\n250 PIPELINING\r\n";
  static uint8_t copy[sizeof input];
  static uint8_t a[4096];
  size_t len = sizeof input - 1;
  memcpy(copy, input, len);
  void *m = m_init(NULL, 5), *same = m_init(NULL, 5);
  CHECK(m && same);
  CHECK(m_count(m, copy, len) > 0);
  unsigned bad = 0, padded = 0, differ = 0;
  for (int i = 0; i < 500; i++) {
    uint8_t *out = NULL, *out2 = NULL;
    size_t n = m_fuzz(m, copy, len, &out, NULL, 0, 4096);
    bad += n == 0 || n > 4096 || !out || memcmp(out, input, 2) != 0;
    if (n && out && n <= sizeof a) {
      padded += has_padded_line(out, n, 2);
      memcpy(a, out, n);
    }
    size_t n2 = m_fuzz(same, copy, len, &out2, NULL, 0, 4096);
    differ += n2 != n || (n && memcmp(out2, a, n) != 0);
  }
  CHECKF(bad == 0, "AFL++: %u outputs empty, too big or with another plan", bad);
  CHECKF(padded > 100, "AFL++: a padded line in %u of 500", padded);
  CHECKF(differ == 0, "AFL++: same seed, %u different outputs", differ);
  CHECK(memcmp(copy, input, len) == 0); /* the input is left alone */
  /* Small max_size: within it, or 0 (afl-fuzz skips the step). */
  unsigned over = 0;
  for (size_t max = 0; max < 600; max += 13) {
    uint8_t *out = NULL;
    over += m_fuzz(m, copy, len, &out, NULL, 0, max) > max;
  }
  CHECKF(over == 0, "AFL++: %u outputs above a small max_size", over);
  m_deinit(m);
  m_deinit(same);
  dlclose(lib);
  return check_report("test_limit_pad (AFL++ library)");
}

int main(int argc, char **argv)
{
  if (argc == 2)
    return test_afl(argv[1]);
  test_line();
  test_lines();
  test_bytes();
  test_auth();
  test_size();
  test_capacity();
  test_random_streams();
  test_chain();
  test_deterministic();
  test_rest_kept();
  test_reply_input();
  return check_report("test_limit_pad");
}
