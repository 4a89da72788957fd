/* Incremental SMTP reply parser: RFC 5321 4.2, 4.2.1, 4.5.3.1.5; RFC 3463,
 * RFC 2034. The contract is in reply_parser.h.
 *
 * Every byte is examined once, by step(), which knows where it stands from
 * its position in the current line and two flags kept in the parser, so a
 * call may stop after any byte and the next call resumes there. Rules are
 * checked per byte in one fixed order (NUL, pending CR, code, separator,
 * text), which is what makes the first error the same for every split.
 *
 * A line whose end has already arrived takes a faster road (whole_line()):
 * memchr finds its LF, and the line is taken at once if it breaks no rule;
 * step() would have reached the same state. Any line it does not take
 * whole (one still arriving, or one with an error somewhere) goes through
 * step() byte by byte from its first byte, so errors and their offsets are
 * step()'s alone.
 */
#include "reply_parser.h"

#include <limits.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* RFC 5321 4.5.3.1.5: 512 octets with the CRLF, so at most 510 before the
 * line end, code and separator included. Under the bare-LF leniency the same
 * 510 apply, so the leniency changes which byte ends a line and nothing else. */
#define MAX_CONTENT (SF_REPLY_MAX_LINE - 2)
/* RFC 5321 4.2: "ddd" then '-', ' ' or the line end. */
#define CODE_LEN 3
/* first_special() tests this many bytes at a time. */
#define SCAN_BLOCK 16
/* RFC 3463 2: subject and detail are 1 to 3 digits. */
#define EH_MAX_DIGITS 3

/* sf_reply_parse() returns a reply's size as an int. */
_Static_assert(SF_REPLY_MAX_BYTES <= INT_MAX, "a reply's size must fit the return value");

/* Scan of "class.subject.detail" at the start of a line's text. */
enum eh_state {
  EH_CLASS,   /* at the first text byte */
  EH_DOT,     /* after the class digit */
  EH_SUBJECT, /* in the subject digits */
  EH_DETAIL,  /* in the detail digits */
  EH_FOUND,   /* a whole code, then a space or the text's end */
  EH_NONE,    /* the text does not start with one */
};

/* Results of one step; NOT_WHOLE: whole_line() left the line to step(). */
enum { STEP_MORE = 0, STEP_REPLY = 1, STEP_ERROR = -1, NOT_WHOLE = 2 };

static int fail(struct sf_reply_parser *p, enum sf_err err, size_t at)
{
  p->err = err;
  p->err_offset = p->base + at;
  return STEP_ERROR;
}

static void reset_line(struct sf_reply_parser *p)
{
  p->last = 0;
  p->cr = 0;
  p->eh_state = EH_CLASS;
  p->eh_digits = 0;
  p->eh_line = (struct sf_enhanced){0};
}

static void reset_reply(struct sf_reply_parser *p)
{
  p->scanned = 0;
  p->line_start = 0;
  p->nlines = 0;
  p->code = 0;
  p->enhanced = (struct sf_enhanced){0};
  reset_line(p);
}

void sf_reply_parser_init(struct sf_reply_parser *p, unsigned lenient)
{
  p->lenient = lenient;
  p->err = SF_ERR_OK;
  p->err_offset = 0;
  p->base = 0;
  reset_reply(p);
}

enum sf_err sf_reply_parser_error(const struct sf_reply_parser *p, uint64_t *offset)
{
  if (offset)
    *offset = p->err_offset;
  return p->err;
}

static int is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static uint16_t add_digit(uint16_t v, char c)
{
  return (uint16_t)(v * 10 + (c - '0'));
}

/* RFC 3463 2 / RFC 2034 3: the code is "class.subject.detail" with class 2,
 * 4 or 5 and the text follows after a space. Anything else (a greeting's
 * "2.example.com", an address "1.2.3.4", a fourth field) is plain text. */
static void enhanced_step(struct sf_reply_parser *p, char c)
{
  switch (p->eh_state) {
  case EH_CLASS:
    p->eh_state = EH_NONE;
    if (c != '2' && c != '4' && c != '5')
      return;
    p->eh_line.cls = (uint8_t)(c - '0');
    p->eh_state = EH_DOT;
    return;
  case EH_DOT:
    p->eh_state = c == '.' ? EH_SUBJECT : EH_NONE;
    return;
  case EH_SUBJECT:
    if (is_digit(c) && p->eh_digits < EH_MAX_DIGITS) {
      p->eh_line.subject = add_digit(p->eh_line.subject, c);
      p->eh_digits++;
      return;
    }
    p->eh_state = c == '.' && p->eh_digits > 0 ? EH_DETAIL : EH_NONE;
    p->eh_digits = 0;
    return;
  case EH_DETAIL:
    if (is_digit(c) && p->eh_digits < EH_MAX_DIGITS) {
      p->eh_line.detail = add_digit(p->eh_line.detail, c);
      p->eh_digits++;
      return;
    }
    p->eh_state = c == ' ' && p->eh_digits > 0 ? EH_FOUND : EH_NONE;
    return;
  default:
    return;
  }
}

/* A code may also be the whole text ("250 2.0.0"). */
static void enhanced_text_end(struct sf_reply_parser *p)
{
  if (p->eh_state == EH_DETAIL && p->eh_digits > 0)
    p->eh_state = EH_FOUND;
  if (p->eh_state != EH_FOUND)
    p->eh_state = EH_NONE;
}

/* The LF at `i` completes the current line. The class check waits for it
 * because only the text's end tells whether "2.1.0" was a whole code. */
static int line_end(struct sf_reply_parser *p, size_t i)
{
  if (p->eh_state == EH_FOUND) {
    p->eh_line.present = 1;
    if (p->nlines == 0)
      p->enhanced = p->eh_line;
    /* RFC 2034 3 / RFC 3463 2: the class repeats the reply's first digit;
     * a 3xx reply has no enhanced class of its own, so it is not checked. */
    int cls = p->code / 100;
    if (cls != 3 && p->eh_line.cls != cls)
      return fail(p, SF_ERR_REPLY_ENHANCED_CLASS, p->line_start + CODE_LEN + 1);
  }
  p->nlines++;
  if (p->last)
    return STEP_REPLY;
  p->line_start = i + 1;
  reset_line(p);
  return STEP_MORE;
}

/* A CR or LF at `i` ends the current line's text. */
static int text_end(struct sf_reply_parser *p, char c, size_t i)
{
  p->text_len[p->nlines] = i - p->text_off[p->nlines];
  enhanced_text_end(p);
  if (c == '\r') {
    p->cr = 1;
    return STEP_MORE;
  }
  /* RFC 5321 2.3.8: lines end in CRLF; a bare LF only through the named
   * leniency. */
  if (!(p->lenient & SF_LENIENT_BARE_LF))
    return fail(p, SF_ERR_REPLY_BARE_LF, i);
  return line_end(p, i);
}

/* RFC 5321 4.2: code digits "2"-"5", "0"-"5", "0"-"9"; 4.2.1: every line
 * of a multiline reply carries the same code, so a differing digit is an
 * error as soon as it is seen. */
static int code_digit(struct sf_reply_parser *p, char c, size_t pos, size_t i)
{
  static const char lo[CODE_LEN] = {'2', '0', '0'};
  static const char hi[CODE_LEN] = {'5', '5', '9'};
  static const int scale[CODE_LEN] = {100, 10, 1};

  if (!is_digit(c))
    return fail(p, SF_ERR_REPLY_CODE_SYNTAX, i);
  if (c < lo[pos] || c > hi[pos])
    return fail(p, SF_ERR_REPLY_CODE_RANGE, i);
  if (p->nlines == 0) {
    p->code = p->code * 10 + (c - '0');
    return STEP_MORE;
  }
  if (c - '0' != p->code / scale[pos] % 10)
    return fail(p, SF_ERR_REPLY_CODE_MISMATCH, i);
  return STEP_MORE;
}

/* RFC 5321 4.2.1: '-' announces another line, ' ' marks the last one. A
 * last line with no text ("250" CRLF) is accepted, as 4.2 makes the text
 * optional. */
static int separator(struct sf_reply_parser *p, char c, size_t i)
{
  switch (c) {
  case '-':
    /* The cap on lines keeps every reply within SF_REPLY_MAX_BYTES, so a
     * caller's buffer of that size never fills without an answer. */
    if (p->nlines + 1 >= SF_REPLY_MAX_LINES)
      return fail(p, SF_ERR_REPLY_TOO_MANY_LINES, i);
    p->text_off[p->nlines] = i + 1;
    return STEP_MORE;
  case ' ':
    p->last = 1;
    p->text_off[p->nlines] = i + 1;
    return STEP_MORE;
  case '\r':
  case '\n':
    p->last = 1;
    p->text_off[p->nlines] = i;
    return text_end(p, c, i);
  default:
    return fail(p, SF_ERR_REPLY_SEPARATOR, i);
  }
}

static int text_byte(struct sf_reply_parser *p, char c, size_t pos, size_t i)
{
  if (c == '\r' || c == '\n')
    return text_end(p, c, i);
  /* RFC 5321 4.5.3.1.5: decided at the first octet past the limit, so a
   * server that never ends its line cannot make the caller wait for one. */
  if (pos >= MAX_CONTENT)
    return fail(p, SF_ERR_REPLY_LINE_TOO_LONG, i);
  enhanced_step(p, c);
  return STEP_MORE;
}

/* Byte `i` of the current reply. */
static int step(struct sf_reply_parser *p, char c, size_t i)
{
  size_t pos = i - p->line_start;

  /* A NUL is refused wherever it stands (RFC 5321 4.2 allows only
   * printable text), ahead of every other rule. */
  if (c == '\0')
    return fail(p, SF_ERR_REPLY_NUL, i);
  /* RFC 5321 2.3.8: a CR belongs to a CRLF; the offence is the CR. */
  if (p->cr)
    return c == '\n' ? line_end(p, i) : fail(p, SF_ERR_REPLY_BARE_CR, i - 1);
  if (pos < CODE_LEN)
    return code_digit(p, c, pos, i);
  if (pos == CODE_LEN)
    return separator(p, c, i);
  return text_byte(p, c, pos, i);
}

static void fill(const struct sf_reply_parser *p, const char *buf, size_t size,
                 struct sf_reply *out)
{
  out->code = p->code;
  out->nlines = p->nlines;
  for (size_t k = 0; k < p->nlines; k++)
    out->text[k] = (struct sf_span){buf + p->text_off[k], p->text_len[k]};
  out->enhanced = p->enhanced;
  out->size = size;
}

/* A byte that ends a line's text: NUL, CR or LF. */
static int special(unsigned char c)
{
  return c == '\0' || c == '\r' || c == '\n';
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SCAN_WORDS 1
/* The place of the first NUL, CR or LF in the 8 bytes at b, or 8: the
 * classic test for a zero byte in a word, applied to the word and to it XOR
 * CRs and XOR LFs. It may mark a byte too many, but only above a true one,
 * so on a little-endian machine the lowest mark is exact. */
static size_t first_in_word(const unsigned char *b)
{
  const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
  uint64_t v, c, l;
  memcpy(&v, b, sizeof v);
  c = v ^ (ones * '\r');
  l = v ^ (ones * '\n');
  uint64_t mask = (((v - ones) & ~v) | ((c - ones) & ~c) | ((l - ones) & ~l)) & highs;
  return mask ? (size_t)__builtin_ctzll(mask) / 8 : sizeof v;
}
#else
#define SCAN_WORDS 0
#endif

/* The same for the 16 bytes at b, or 16: with SSE2 where the compiler has
 * it (SF_PORTABLE_SCAN turns it off, so that the tests run the rest too),
 * else as two words, else one byte at a time. */
static size_t first_in_block(const unsigned char *b)
{
#if defined(__SSE2__) && !defined(SF_PORTABLE_SCAN)
  const __m128i nul = _mm_setzero_si128(), cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)b);
  __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, nul),
                             _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
  unsigned mask = (unsigned)_mm_movemask_epi8(hit);
  return mask ? (size_t)__builtin_ctz(mask) : SCAN_BLOCK;
#elif SCAN_WORDS
  size_t at = first_in_word(b);
  return at < 8 ? at : 8 + first_in_word(b + 8);
#else
  for (size_t i = 0; i < SCAN_BLOCK; i++)
    if (special(b[i]))
      return i;
  return SCAN_BLOCK;
#endif
}

/* The index of the first NUL, CR or LF in buf[from..limit), or `limit`:
 * sixteen bytes at a time, then eight, then the last few one at a time.
 * A block's place is read off its mask, so under the fuzzers'
 * instrumentation a line costs a few traced comparisons per block rather
 * than three per byte; the tail is read in place, as a copy into a padded
 * block costs two calls into ASan, more than a few bytes' comparisons.
 * Nothing at or past `limit` is read. */
static size_t first_special(const unsigned char *buf, size_t from, size_t limit)
{
  size_t i = from;
  for (; limit - i >= SCAN_BLOCK; i += SCAN_BLOCK) {
    size_t at = first_in_block(buf + i);
    if (at < SCAN_BLOCK)
      return i + at;
  }
#if SCAN_WORDS
  if (limit - i >= sizeof(uint64_t)) {
    size_t at = first_in_word(buf + i);
    if (at < sizeof(uint64_t))
      return i + at;
    i += sizeof(uint64_t);
  }
#endif
  for (; i < limit; i++)
    if (special(buf[i]))
      return i;
  return limit;
}

/* Where the next byte that step() must see lies, from `i`. Past the code,
 * the separator and an enhanced code's prefix, a text byte matters only if
 * it ends or breaks the line (CR, LF, NUL) or passes the length limit, so a
 * line's body is skipped in a tight loop instead of a step per byte. */
static size_t skip_text(const struct sf_reply_parser *p, const unsigned char *buf, size_t i,
                        size_t len)
{
  if (p->cr || i - p->line_start <= CODE_LEN || (p->eh_state != EH_NONE && p->eh_state != EH_FOUND))
    return i;
  size_t limit = p->line_start + MAX_CONTENT;
  return i < limit ? first_special(buf, i, len < limit ? len : limit) : i;
}

/* enhanced_step() over a whole text t[0..n) and enhanced_text_end(): 1 with
 * the code in *e if the text starts with one. */
static int whole_enhanced(const unsigned char *t, size_t n, struct sf_enhanced *e)
{
  if (n < 5 || (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.')
    return 0;
  size_t i = 2, d;
  for (d = 0; i < n && d < EH_MAX_DIGITS && is_digit((char)t[i]); d++, i++)
    e->subject = add_digit(e->subject, (char)t[i]);
  if (d == 0 || i == n || t[i] != '.')
    return 0;
  for (i++, d = 0; i < n && d < EH_MAX_DIGITS && is_digit((char)t[i]); d++, i++)
    e->detail = add_digit(e->detail, (char)t[i]);
  if (d == 0 || (i < n && t[i] != ' '))
    return 0;
  e->cls = (uint8_t)(t[0] - '0');
  return 1;
}

/* The line starting at `s` (nothing of it examined yet), whole, if its end
 * has arrived and no byte of it breaks a rule: the state step() would leave
 * after its LF, and line_end()'s result (whose class check is the one rule
 * decided at the LF). NOT_WHOLE leaves the parser as it was. */
static int whole_line(struct sf_reply_parser *p, const unsigned char *buf, size_t s, size_t len,
                      size_t *lf_at)
{
  /* RFC 5321 4.5.3.1.5: the line's content (code and separator included)
   * is at most MAX_CONTENT bytes, so its end is at s + MAX_CONTENT at the
   * latest. */
  if (len - s <= CODE_LEN)
    return NOT_WHOLE;
  size_t limit = len - s > MAX_CONTENT + 1 ? s + MAX_CONTENT + 1 : len;
  size_t end = first_special(buf, s + CODE_LEN, limit), at = end;
  if (end == limit || buf[end] == '\0')
    return NOT_WHOLE;
  if (buf[end] == '\r' ? end + 1 == len || buf[end + 1] != '\n'
                       : !(p->lenient & SF_LENIENT_BARE_LF))
    return NOT_WHOLE;
  if (buf[end] == '\r')
    at = end + 1;
  /* RFC 5321 4.2: the code; 4.2.1: the same on every line. */
  const unsigned char *c = buf + s;
  if (c[0] < '2' || c[0] > '5' || c[1] < '0' || c[1] > '5' || c[2] < '0' || c[2] > '9')
    return NOT_WHOLE;
  int code = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
  if (p->nlines > 0 && code != p->code)
    return NOT_WHOLE;
  size_t text = end;
  int last = 1;
  if (end > s + CODE_LEN) {
    if (c[CODE_LEN] != ' ' && (c[CODE_LEN] != '-' || p->nlines + 1 >= SF_REPLY_MAX_LINES))
      return NOT_WHOLE;
    text = s + CODE_LEN + 1;
    last = c[CODE_LEN] == ' ';
  }
  struct sf_enhanced eh = {0};
  p->eh_state = whole_enhanced(buf + text, end - text, &eh) ? EH_FOUND : EH_NONE;
  p->eh_line = eh;
  p->code = code;
  p->last = (uint8_t)last;
  p->text_off[p->nlines] = text;
  p->text_len[p->nlines] = end - text;
  *lf_at = at;
  return line_end(p, at);
}

/* The reply ended with byte `size` - 1. */
static int reply_done(struct sf_reply_parser *p, const char *buf, size_t size, struct sf_reply *out)
{
  fill(p, buf, size, out);
  reset_reply(p);
  p->base += size;
  return (int)size;
}

int sf_reply_parse(struct sf_reply_parser *p, const char *buf, size_t len, struct sf_reply *out)
{
  if (p->err != SF_ERR_OK)
    return -1;
  for (size_t i = p->scanned; i < len; i++) {
    if (i == p->line_start) {
      size_t lf;
      int r = whole_line(p, (const unsigned char *)buf, i, len, &lf);
      if (r == STEP_MORE) {
        i = lf;
        continue;
      }
      if (r != NOT_WHOLE)
        return r == STEP_REPLY ? reply_done(p, buf, lf + 1, out) : -1;
    }
    i = skip_text(p, (const unsigned char *)buf, i, len);
    if (i == len)
      break;
    int r = step(p, buf[i], i);
    if (r == STEP_MORE)
      continue;
    return r == STEP_REPLY ? reply_done(p, buf, i + 1, out) : -1;
  }
  if (len > p->scanned)
    p->scanned = len;
  return 0;
}
