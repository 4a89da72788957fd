/* Limit padding (limit_pad.h): edits that land a server stream next to a
 * named limit of src/reply_parser.h or src/caps.h.
 *
 * Every edit first works out its new size and returns 0 if that passes the
 * capacity, before a byte moves, so a step either completes or leaves the
 * buffer as it was. */
#include "limit_pad.h"

#include "caps.h"
#include "reply_parser.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 5321 4.5.3.1.5: the 512 octets of a reply line include the CRLF, so
 * SF_REPLY_MAX_LINE - 2 may stand before the line end. */
#define MAX_BODY (SF_REPLY_MAX_LINE - 2)
/* RFC 5321 4.2: "ddd" and a separator, '-' before another line, else ' '. */
#define PREFIX 4
/* How far either side of a limit a step lands: octets of a line, lines of
 * a reply, mechanisms of an AUTH line. */
#define OCTET_SPREAD 2
#define COUNT_SPREAD 1

_Static_assert(MAX_BODY - OCTET_SPREAD > PREFIX, "a padded line must hold its prefix");
_Static_assert(SF_REPLY_MAX_LINES > COUNT_SPREAD, "a padded reply keeps at least one line");

/* ---- choices -------------------------------------------------------------- */

struct rng {
  uint64_t s;
};

/* A counter run through a mixing function: neighbouring seeds (libFuzzer's
 * seed, shifted) still give unrelated choices. */
static uint32_t next(struct rng *g)
{
  uint64_t z = (g->s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static size_t below(struct rng *g, size_t n)
{
  return n ? next(g) % n : 0;
}

/* ---- plausible text ------------------------------------------------------- */

/* Words of greetings, EHLO and status texts, with the placeholders the
 * corpus uses (RFC 2606 names, RFC 5737 addresses). None holds CR, LF or
 * NUL, and none starts with a digit and a dot, so padding never starts an
 * enhanced status code by itself. */
static const char words[] =
    "mail.example.com ESMTP ready service queued as 4XbQ7kZ2mT ok sender <user@example.com> "
    "recipient accepted please try again later greylisted for seconds Hello [192.0.2.1], pleased "
    "to meet you message size limit exceeded Postfix (Debian) relay denied closing channel local "
    "delivery mx1.example.net TLS required go ahead data end with";

/* EHLO keywords (RFC 5321 4.1.1.1 and the extension RFCs): the text of a
 * continuation line when one must be made up. */
static const char *const keywords[] = {
    "PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING",
    "DSN",        "STARTTLS", "HELP",     "SIZE 10240000",       "AUTH PLAIN LOGIN",
};

/* SASL mechanism names (RFC 4422 3.1: 1 to 20 of [A-Z0-9-_]), the ten
 * src/caps.h names and some it does not know. */
static const char mechs[] = "PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-1 SCRAM-SHA-256 "
                            "GSSAPI NTLM EXTERNAL DIGEST-MD5 ANONYMOUS SCRAM-SHA-1-PLUS "
                            "SCRAM-SHA-256-PLUS GS2-KRB5 OTP";

/* Exactly `n` bytes of words separated by single spaces, a space first if
 * `space` (the text before does not end in one); the last word is cut. */
static void fill(uint8_t *dst, size_t n, struct rng *g, int space)
{
  size_t i = 0;
  while (i < n) {
    if (space)
      dst[i++] = ' ';
    space = 1;
    /* The word a random offset of `words` falls in (or ends just before). */
    size_t w = below(g, sizeof words - 1);
    while (w > 0 && words[w - 1] != ' ')
      w--;
    size_t wl = strcspn(words + w, " ");
    if (wl > n - i)
      wl = n - i;
    memcpy(dst + i, words + w, wl);
    i += wl;
  }
}

/* ---- lines and replies ---------------------------------------------------- */

struct line {
  size_t off;  /* first byte in the stream */
  size_t len;  /* bytes, line end included */
  size_t body; /* bytes before the line end (a trailing CR is not body) */
  int lf;      /* 1 if it ends in LF; 0 for an unterminated last line */
};

static struct line line_at(const uint8_t *b, size_t len, size_t off)
{
  struct line l;
  const uint8_t *nl = memchr(b + off, '\n', len - off);
  l.off = off;
  l.len = (nl ? (size_t)(nl - b) + 1 : len) - off;
  l.lf = nl != NULL;
  l.body = l.len - (size_t)l.lf;
  if (l.body > 0 && b[off + l.body - 1] == '\r')
    l.body--;
  return l;
}

/* RFC 5321 4.2: a code is "2"-"5", "0"-"5", "0"-"9" (the parser refuses
 * any other before it looks further), then the separator (4.2.1). */
static int has_prefix(const uint8_t *b, const struct line *l)
{
  const uint8_t *p = b + l->off;
  return l->body >= PREFIX && p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '5' &&
         p[2] >= '0' && p[2] <= '9' && (p[3] == '-' || p[3] == ' ');
}

static int is_continuation(const uint8_t *b, const struct line *l)
{
  return l->lf && has_prefix(b, l) && b[l->off + 3] == '-';
}

static uint8_t upper(uint8_t c)
{
  return c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c;
}

/* A line with a prefix whose text is EHLO keyword `kw` (upper case) as a
 * whole token, ignoring case (RFC 5321 4.1.1.1); any line with a prefix if
 * `kw` is NULL. */
static int line_matches(const uint8_t *b, const struct line *l, const char *kw)
{
  if (!has_prefix(b, l))
    return 0;
  if (!kw)
    return 1;
  size_t n = strlen(kw);
  const uint8_t *t = b + l->off + PREFIX;
  if (l->body - PREFIX < n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (upper(t[i]) != (uint8_t)kw[i])
      return 0;
  return l->body - PREFIX == n || t[n] == ' ';
}

/* One of the lines that match `kw`, chosen at random; 0 if none does. */
static int pick_line(const uint8_t *b, size_t len, struct rng *g, const char *kw, struct line *out)
{
  size_t n = 0;
  for (size_t off = 0; off < len;) {
    struct line l = line_at(b, len, off);
    n += (size_t)line_matches(b, &l, kw);
    off += l.len;
  }
  if (n == 0)
    return 0;
  size_t k = below(g, n);
  for (size_t off = 0;;) {
    struct line l = line_at(b, len, off);
    if (line_matches(b, &l, kw) && k-- == 0) {
      *out = l;
      return 1;
    }
    off += l.len;
  }
}

struct reply {
  size_t off, end; /* its bytes in the stream */
  size_t nlines;   /* 0: none was found, a new one goes at `off` (0) */
  size_t last;     /* offset of its last line */
  uint8_t code[3];
};

/* The reply that starts at `off`: continuation lines ("ddd-" and a line
 * end, RFC 5321 4.2.1) and the line after them, which is its last. */
static struct reply reply_at(const uint8_t *b, size_t len, size_t off)
{
  struct reply r = {off, off, 0, off, {0, 0, 0}};
  memcpy(r.code, b + off, len - off < 3 ? len - off : 3);
  for (;;) {
    struct line l = line_at(b, len, r.end);
    r.last = r.end;
    r.end += l.len;
    r.nlines++;
    if (!is_continuation(b, &l) || r.end == len)
      return r;
  }
}

/* One of the replies whose first line has a prefix, at random; else an
 * empty one at the front with code 250 (RFC 5321 4.1.1.1: EHLO's answer). */
static struct reply pick_reply(const uint8_t *b, size_t len, struct rng *g)
{
  size_t n = 0;
  for (size_t off = 0; off < len;) {
    struct line l = line_at(b, len, off);
    n += (size_t)has_prefix(b, &l);
    off = reply_at(b, len, off).end;
  }
  if (n > 0) {
    size_t k = below(g, n);
    for (size_t off = 0;;) {
      struct line l = line_at(b, len, off);
      struct reply r = reply_at(b, len, off);
      if (has_prefix(b, &l) && k-- == 0)
        return r;
      off = r.end;
    }
  }
  struct reply none = {0, 0, 0, 0, {'2', '5', '0'}};
  return none;
}

/* ---- edits ---------------------------------------------------------------- */

/* Makes buf[off, off + oldn) `newn` bytes long by moving what follows; the
 * first min(oldn, newn) bytes stay. Returns the new length, or 0 (nothing
 * moved) if it would pass `cap`. */
static size_t resize_span(uint8_t *b, size_t len, size_t cap, size_t off, size_t oldn, size_t newn)
{
  if (newn > oldn && newn - oldn > cap - len)
    return 0;
  memmove(b + off + newn, b + off + oldn, len - off - oldn);
  return len - oldn + newn;
}

/* The line end an edited line keeps: its own, or CRLF for an unterminated
 * last line (RFC 5321 2.3.8). Returns its length. */
static size_t line_end(const uint8_t *b, const struct line *l, uint8_t eol[2])
{
  if (!l->lf) {
    memcpy(eol, "\r\n", 2);
    return 2;
  }
  size_t n = l->len - l->body;
  memcpy(eol, b + l->off + l->body, n);
  return n;
}

/* Writes "ddd" `sep` `text` CRLF at `p`; returns the bytes written. */
static size_t put_line(uint8_t *p, const uint8_t code[3], char sep, const void *text, size_t n)
{
  memcpy(p, code, 3);
  p[3] = (uint8_t)sep;
  memcpy(p + PREFIX, text, n);
  memcpy(p + PREFIX + n, "\r\n", 2);
  return PREFIX + n + 2;
}

/* LINE: one line resized to OCTET_SPREAD either side of the 512 octets. */
static size_t pad_line(uint8_t *b, size_t len, size_t cap, struct rng *g)
{
  size_t body = MAX_BODY - OCTET_SPREAD + below(g, 2 * OCTET_SPREAD + 1);
  struct line l;
  if (!pick_line(b, len, g, NULL, &l)) {
    /* A greeting (RFC 5321 3.1), the first reply a client reads. */
    size_t n = resize_span(b, len, cap, 0, 0, body + 2);
    if (!n)
      return 0;
    memcpy(b, "220 ", PREFIX);
    fill(b + PREFIX, body - PREFIX, g, 0);
    memcpy(b + body, "\r\n", 2);
    return n;
  }
  if (l.lf && l.body == body) /* there already: a neighbour, so that the step changes it */
    body = body == MAX_BODY + OCTET_SPREAD ? MAX_BODY - OCTET_SPREAD : body + 1;
  uint8_t eol[2];
  size_t eoln = line_end(b, &l, eol);
  size_t n = resize_span(b, len, cap, l.off, l.len, body + eoln);
  if (!n)
    return 0;
  if (body > l.body)
    fill(b + l.off + l.body, body - l.body, g, b[l.off + l.body - 1] != ' ');
  memcpy(b + l.off + body, eol, eoln);
  return n;
}

/* The continuation line LINES repeats, into t (SF_REPLY_MAX_LINE + 2
 * bytes): one of the reply's own, its single line made a continuation, or
 * a keyword line if `short_one` or the reply has none that fits. */
static size_t template_line(const uint8_t *b, size_t len, const struct reply *r, struct rng *g,
                            int short_one, uint8_t *t)
{
  if (!short_one && r->nlines >= 2) {
    size_t off = r->off;
    for (size_t k = below(g, r->nlines - 1); k > 0; k--)
      off += line_at(b, len, off).len;
    struct line l = line_at(b, len, off);
    if (l.len <= SF_REPLY_MAX_LINE + 2) {
      memcpy(t, b + off, l.len);
      return l.len;
    }
  } else if (!short_one && r->nlines == 1) {
    struct line l = line_at(b, len, r->off);
    if (l.body + 2 <= SF_REPLY_MAX_LINE + 2) {
      memcpy(t, b + l.off, l.body);
      t[3] = '-';
      return l.body + line_end(b, &l, t + l.body);
    }
  }
  const char *kw = keywords[below(g, COUNT(keywords))];
  return put_line(t, r->code, '-', kw, strlen(kw));
}

/* LINES: a reply of COUNT_SPREAD either side of SF_REPLY_MAX_LINES lines,
 * by repeating one continuation line before its last line, or by dropping
 * the ones before its last. */
static size_t pad_lines(uint8_t *b, size_t len, size_t cap, struct rng *g)
{
  size_t want = SF_REPLY_MAX_LINES - COUNT_SPREAD + below(g, 2 * COUNT_SPREAD + 1);
  struct reply r = pick_reply(b, len, g);
  if (r.nlines == want)
    want = want == SF_REPLY_MAX_LINES + COUNT_SPREAD ? SF_REPLY_MAX_LINES - COUNT_SPREAD : want + 1;
  if (want < r.nlines) { /* keep lines 0 .. want - 2 and the last */
    size_t off = r.off;
    for (size_t i = 0; i + 1 < want; i++)
      off += line_at(b, len, off).len;
    return resize_span(b, len, cap, off, r.last - off, 0);
  }
  uint8_t t[SF_REPLY_MAX_LINE + 2];
  size_t copies = want - r.nlines;
  size_t tn = template_line(b, len, &r, g, 0, t);
  if (tn * copies > cap - len) /* a short line instead of a long one */
    tn = template_line(b, len, &r, g, 1, t);
  size_t n = resize_span(b, len, cap, r.last, 0, tn * copies);
  if (!n)
    return 0;
  for (size_t i = 0; i < copies; i++)
    memcpy(b + r.last + i * tn, t, tn);
  if (r.nlines == 0) /* a new reply: its last copy ends it */
    b[r.last + (copies - 1) * tn + 3] = ' ';
  return n;
}

/* BYTES: a reply of COUNT_SPREAD either side of SF_REPLY_MAX_LINES lines of
 * SF_REPLY_MAX_LINE octets, one line OCTET_SPREAD shorter .. longer, in
 * place of a reply (whose code and first text are kept). */
static size_t pad_bytes(uint8_t *b, size_t len, size_t cap, struct rng *g)
{
  size_t want = SF_REPLY_MAX_LINES - COUNT_SPREAD + below(g, 2 * COUNT_SPREAD + 1);
  size_t odd = below(g, want);
  size_t odd_body = MAX_BODY - OCTET_SPREAD + below(g, 2 * OCTET_SPREAD + 1);
  size_t total = want * SF_REPLY_MAX_LINE - MAX_BODY + odd_body;
  struct reply r = pick_reply(b, len, g);
  size_t keep = 0;
  if (r.nlines > 0)
    keep = line_at(b, len, r.off).body - PREFIX;
  size_t n = resize_span(b, len, cap, r.off, r.end - r.off, total);
  if (!n)
    return 0;
  uint8_t *p = b + r.off;
  for (size_t i = 0; i < want; i++) {
    size_t body = i == odd ? odd_body : MAX_BODY;
    size_t k = i == 0 ? (keep < body - PREFIX ? keep : body - PREFIX) : 0;
    /* Line 0's kept text is in place already: resize_span keeps the head. */
    memcpy(p, r.code, 3);
    p[3] = i + 1 < want ? '-' : ' ';
    fill(p + PREFIX + k, body - PREFIX - k, g, k > 0 && p[PREFIX + k - 1] != ' ');
    memcpy(p + body, "\r\n", 2);
    p += body + 2;
  }
  return n;
}

/* An EHLO line "kw ..." with text `text`: the parameters of an existing kw
 * line replaced, else a new capability line in a reply (RFC 5321 4.1.1.1:
 * capabilities are the lines after the first), else a new reply. */
static size_t put_capability(uint8_t *b, size_t len, size_t cap, struct rng *g, const char *kw,
                             const char *text, size_t tn)
{
  struct line l;
  if (pick_line(b, len, g, kw, &l)) {
    uint8_t eol[2];
    size_t eoln = line_end(b, &l, eol);
    size_t n = resize_span(b, len, cap, l.off + PREFIX, l.len - PREFIX, tn + eoln);
    if (n) {
      memcpy(b + l.off + PREFIX, text, tn);
      memcpy(b + l.off + PREFIX + tn, eol, eoln);
    }
    return n;
  }
  struct reply r = pick_reply(b, len, g);
  if (r.nlines >= 2) { /* a continuation line before its last line */
    size_t n = resize_span(b, len, cap, r.last, 0, PREFIX + tn + 2);
    if (n)
      put_line(b + r.last, r.code, '-', text, tn);
    return n;
  }
  if (r.nlines == 1) { /* its line becomes the first of two */
    l = line_at(b, len, r.off);
    uint8_t eol[2];
    size_t eoln = line_end(b, &l, eol);
    size_t at = l.off + l.body;
    size_t n = resize_span(b, len, cap, at, l.len - l.body, eoln + PREFIX + tn + 2);
    if (n) {
      b[l.off + 3] = '-';
      memcpy(b + at, eol, eoln);
      put_line(b + at + eoln, r.code, ' ', text, tn);
    }
    return n;
  }
  static const char domain[] = "mail.example.com";
  size_t dn = sizeof domain - 1;
  size_t n = resize_span(b, len, cap, 0, 0, PREFIX + dn + 2 + PREFIX + tn + 2);
  if (n) {
    size_t first = put_line(b, r.code, '-', domain, dn);
    put_line(b + first, r.code, ' ', text, tn);
  }
  return n;
}

/* AUTH: COUNT_SPREAD either side of SF_CAPS_MAX_AUTH_MECHS mechanisms
 * (RFC 4954 3), in a line that stays within SF_REPLY_MAX_LINE. */
static size_t pad_auth(uint8_t *b, size_t len, size_t cap, struct rng *g)
{
  size_t want = SF_CAPS_MAX_AUTH_MECHS - COUNT_SPREAD + below(g, 2 * COUNT_SPREAD + 1);
  char text[MAX_BODY - PREFIX];
  size_t n = 4;
  memcpy(text, "AUTH", 4);
  /* The names in turn from a random one, round the list as often as needed. */
  size_t m = below(g, sizeof mechs - 1);
  while (m > 0 && mechs[m - 1] != ' ')
    m--;
  for (size_t i = 0; i < want; i++) {
    size_t ml = strcspn(mechs + m, " ");
    if (n + 1 + ml > sizeof text)
      break;
    text[n] = ' ';
    memcpy(text + n + 1, mechs + m, ml);
    n += 1 + ml;
    m = mechs[m + ml] ? m + ml + 1 : 0;
  }
  return put_capability(b, len, cap, g, "AUTH", text, n);
}

/* SIZE: a value with one digit fewer than UINT64_MAX, as many, or one more
 * (RFC 1870 4 sets no bound; src/caps.c keeps 64 bits): the largest that
 * fits, the first that does not, a leading zero, random neighbours. */
static size_t pad_size(uint8_t *b, size_t len, size_t cap, struct rng *g)
{
  char max[24];
  int dl = snprintf(max, sizeof max, "%" PRIu64, UINT64_MAX);
  size_t d = (size_t)dl;
  char text[8 + sizeof max];
  memcpy(text, "SIZE ", 5);
  char *v = text + 5;
  size_t vn = d;
  switch (below(g, 7)) {
  case 0: /* the largest with a digit fewer */
    vn = d - 1;
    memset(v, '9', vn);
    break;
  case 1: /* any with a digit fewer */
    vn = d - 1;
    v[0] = (char)('1' + below(g, 9));
    for (size_t i = 1; i < vn; i++)
      v[i] = (char)('0' + below(g, 10));
    break;
  case 2: /* UINT64_MAX */
    memcpy(v, max, d);
    break;
  case 3: /* UINT64_MAX + 1, carried by hand */
    memcpy(v, max, d);
    for (size_t i = d; i-- > 0;) {
      if (v[i] != '9') {
        v[i]++;
        break;
      }
      v[i] = '0';
      if (i == 0) { /* all nines: one digit more */
        memmove(v + 1, v, vn++);
        v[0] = '1';
      }
    }
    break;
  case 4: /* as many digits, first as UINT64_MAX's: either side of it */
    v[0] = max[0];
    for (size_t i = 1; i < d; i++)
      v[i] = (char)('0' + below(g, 10));
    break;
  case 5: /* a digit more that is a leading zero: the value still fits */
    vn = d + 1;
    v[0] = '0';
    memcpy(v + 1, max, d);
    break;
  default: /* a digit more, no leading zero */
    vn = d + 1;
    memcpy(v, max, d);
    v[d] = (char)('0' + below(g, 10));
    break;
  }
  return put_capability(b, len, cap, g, "SIZE", text, 5 + vn);
}

static size_t pad(uint8_t *b, size_t len, size_t cap, enum sf_limit_pad_kind kind, struct rng *g)
{
  switch (kind) {
  case SF_LIMIT_PAD_LINE:
    return pad_line(b, len, cap, g);
  case SF_LIMIT_PAD_LINES:
    return pad_lines(b, len, cap, g);
  case SF_LIMIT_PAD_BYTES:
    return pad_bytes(b, len, cap, g);
  case SF_LIMIT_PAD_AUTH:
    return pad_auth(b, len, cap, g);
  case SF_LIMIT_PAD_SIZE:
    return pad_size(b, len, cap, g);
  default:
    return 0;
  }
}

size_t sf_limit_pad_kind(uint8_t *buf, size_t len, size_t cap, enum sf_limit_pad_kind kind,
                         uint32_t rnd)
{
  struct rng g = {rnd};
  if (len > cap)
    return 0;
  return pad(buf, len, cap, kind, &g);
}

size_t sf_limit_pad(uint8_t *buf, size_t len, size_t cap, uint32_t rnd)
{
  /* The line length gets most steps: it is the limit most often got wrong
   * and the one byte mutations reach least (hundreds of bytes, no line end
   * among them). */
  static const enum sf_limit_pad_kind weighted[] = {
      SF_LIMIT_PAD_LINE,  SF_LIMIT_PAD_LINE,  SF_LIMIT_PAD_LINE, SF_LIMIT_PAD_LINES,
      SF_LIMIT_PAD_LINES, SF_LIMIT_PAD_BYTES, SF_LIMIT_PAD_AUTH, SF_LIMIT_PAD_SIZE,
  };
  struct rng g = {rnd};
  if (len > cap)
    return 0;
  enum sf_limit_pad_kind first = weighted[below(&g, COUNT(weighted))];
  for (int i = 0; i < SF_LIMIT_PAD_NKINDS; i++) {
    size_t n = pad(buf, len, cap, (enum sf_limit_pad_kind)((first + i) % SF_LIMIT_PAD_NKINDS), &g);
    if (n)
      return n;
  }
  return 0;
}

/* fuzz_reply.c: byte 0's low 3 bits count the plan bytes that follow. */
#define PLAN_MAX 7

size_t sf_limit_pad_reply_input(uint8_t *data, size_t size, size_t max_size, uint32_t rnd)
{
  if (max_size < 2 || size > max_size)
    return 0;
  if (size == 0) {
    data[0] = 0;
    size = 1;
  }
  size_t nplan = data[0] & PLAN_MAX;
  if (nplan > size - 1) {
    nplan = size - 1;
    data[0] = (uint8_t)((data[0] & ~PLAN_MAX) | nplan);
  }
  size_t head = 1 + nplan;
  size_t n = sf_limit_pad(data + head, size - head, max_size - head, rnd);
  return n ? head + n : 0;
}
