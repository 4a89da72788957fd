/* Incremental, allocation-free parser of SMTP replies (RFC 5321 4.2).
 *
 * Contract (as picohttpparser): the caller keeps the bytes of the current
 * reply in its own buffer, starting at the reply's first byte, and calls
 * sf_reply_parse() each time more bytes arrived. The bytes already passed
 * must not change between calls; only more may follow. The parser resumes
 * where it stopped, so a byte is examined once whatever the split.
 *
 *   > 0  a complete reply of that many bytes; `out` is filled with spans into
 *        `buf`. Drop those bytes from the front of the buffer before the next
 *        call (the parser is then ready for the next reply).
 *     0  incomplete: call again with more bytes.
 *   < 0  error: sticky; sf_reply_parser_error() tells which and at what
 *        stream offset. Every later call returns < 0 too.
 *
 * Each error is decided at the byte where the rule is broken, so every split
 * of the same input yields the same replies and the same error at the same
 * offset (a class mismatch in an enhanced status code is decided when its
 * line is complete; its offset is that of the enhanced code).
 */
#ifndef SF_REPLY_PARSER_H
#define SF_REPLY_PARSER_H

#include "errors.h"

#include <stddef.h>
#include <stdint.h>

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets including the code
 * and the CRLF, so at most 510 before the line end. */
#define SF_REPLY_MAX_LINE 512
/* No RFC limit on lines per reply; real EHLO replies have about 20. The cap
 * keeps a reply inside a fixed buffer (SF_REPLY_MAX_BYTES). */
#define SF_REPLY_MAX_LINES 64
#define SF_REPLY_MAX_BYTES (SF_REPLY_MAX_LINE * SF_REPLY_MAX_LINES)

/* Leniencies: each one accepts input the strict grammar rejects. */
enum sf_reply_lenient {
  /* Accept a bare LF as a line end (some broken servers and test tools
   * send them; RFC 5321 2.3.8 forbids it). */
  SF_LENIENT_BARE_LF = 1u << 0,
};

struct sf_span {
  const char *ptr;
  size_t len;
};

/* RFC 3463 / RFC 2034 enhanced status code, e.g. "5.7.1". */
struct sf_enhanced {
  uint8_t present; /* 1 if the first line's text starts with one */
  uint8_t cls;     /* 2, 4 or 5 */
  uint16_t subject;
  uint16_t detail;
};

struct sf_reply {
  int code;      /* 200..559 */
  size_t nlines; /* 1..SF_REPLY_MAX_LINES */
  /* Text of each line after "ddd-" / "ddd " (empty if missing), no line end. */
  struct sf_span text[SF_REPLY_MAX_LINES];
  struct sf_enhanced enhanced; /* of the first line */
  size_t size;                 /* bytes of the whole reply, line ends included */
};

struct sf_reply_parser {
  unsigned lenient;    /* sf_reply_lenient bits */
  enum sf_err err;     /* sticky; SF_ERR_OK while none */
  uint64_t err_offset; /* stream offset of the offending byte */
  uint64_t base;       /* stream offset of the current reply's first byte */
  /* Resume state for the current reply (private). */
  size_t scanned;              /* bytes of the reply already examined */
  size_t line_start;           /* offset of the current line within the reply */
  size_t nlines;               /* lines completed so far */
  int code;                    /* first line's code, its digits accumulated as they arrive */
  uint8_t last;                /* 1 once the current line is known to be the last */
  uint8_t cr;                  /* 1 if the previous byte was a CR that ends the line */
  uint8_t eh_state;            /* scan state of an enhanced code in the current line */
  uint8_t eh_digits;           /* digits read in the current enhanced code field */
  struct sf_enhanced eh_line;  /* enhanced code being read in the current line */
  struct sf_enhanced enhanced; /* of the first line, once it is complete */
  size_t text_off[SF_REPLY_MAX_LINES];
  size_t text_len[SF_REPLY_MAX_LINES];
};

void sf_reply_parser_init(struct sf_reply_parser *p, unsigned lenient);

int sf_reply_parse(struct sf_reply_parser *p, const char *buf, size_t len, struct sf_reply *out);

/* SF_ERR_OK or the sticky error; `offset` (may be NULL) gets its stream offset. */
enum sf_err sf_reply_parser_error(const struct sf_reply_parser *p, uint64_t *offset);

/* Class of a reply: 2, 3, 4 or 5. */
static inline int sf_reply_class(const struct sf_reply *r)
{
  return r->code / 100;
}

#endif
