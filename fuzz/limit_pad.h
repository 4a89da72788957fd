/* Limit padding: one mutation step that moves a server's byte stream to the
 * edge of a named limit of the reply parser or the EHLO parser.
 *
 * Byte mutations reach a 511-octet line, a 64-line reply or a 33-mechanism
 * AUTH line only by luck: the bytes must grow by hundreds while every line
 * keeps its "ddd-" prefix and its line end. This step does it in one go, so
 * that an off-by-one at a limit is a single mutation away. Each call picks
 * one of the neighbourhoods below and edits the stream to land in it:
 *
 *   LINE   a line's octets, line end included, at SF_REPLY_MAX_LINE - 2 ..
 *          SF_REPLY_MAX_LINE + 2 (RFC 5321 4.5.3.1.5: 512 with the CRLF).
 *          A line that ends in a bare LF keeps it and gets the same octets
 *          before it, so the text length the parser checks is probed alike.
 *   LINES  a reply of SF_REPLY_MAX_LINES - 1 .. + 1 lines, by repeating one
 *          of its continuation lines or dropping some.
 *   BYTES  a reply of SF_REPLY_MAX_LINES - 1 .. + 1 lines of
 *          SF_REPLY_MAX_LINE octets each, one of them 2 shorter .. 2 longer,
 *          so the whole reply is within a few octets of SF_REPLY_MAX_BYTES
 *          (or one line fewer or more).
 *   AUTH   an EHLO line "AUTH m1 m2 ..." with SF_CAPS_MAX_AUTH_MECHS - 1 .. + 1
 *          mechanism names (RFC 4954 3).
 *   SIZE   an EHLO line "SIZE n" whose n has one digit fewer than UINT64_MAX,
 *          as many, or one more (RFC 1870 4): the largest value, the first
 *          that overflows, a leading zero, and neighbours of those.
 *
 * Shape is kept: an edited line keeps its three-digit code, its separator
 * and its line end (CRLF is added to an unterminated last line); new lines
 * and padding carry the code of their reply and plausible words, never CR,
 * LF or NUL. The step edits one line or one reply in place and leaves every
 * other byte as it was. Lines are only picked if they start with a code and
 * a separator (RFC 5321 4.2); a stream with none gets a new reply at its
 * front, where the parser reads it first.
 *
 * The limits come from src/reply_parser.h and src/caps.h, so the step
 * follows them if they change. Pure: no allocation, no global state; the
 * result depends only on the arguments.
 */
#ifndef SF_LIMIT_PAD_H
#define SF_LIMIT_PAD_H

#include <stddef.h>
#include <stdint.h>

enum sf_limit_pad_kind {
  SF_LIMIT_PAD_LINE,
  SF_LIMIT_PAD_LINES,
  SF_LIMIT_PAD_BYTES,
  SF_LIMIT_PAD_AUTH,
  SF_LIMIT_PAD_SIZE,
  SF_LIMIT_PAD_NKINDS
};

/* One step on the stream buf[0, len) in a buffer of `cap` bytes, the kind
 * and every other choice taken from `rnd`. A kind that does not fit in `cap`
 * gives way to the next that does (BYTES needs about SF_REPLY_MAX_BYTES).
 * Returns the new length (at most cap), or 0 if no kind fits or len > cap;
 * buf is then untouched. Nothing at or past buf[cap] is read or written. */
size_t sf_limit_pad(uint8_t *buf, size_t len, size_t cap, uint32_t rnd);

/* The same for one kind only (no fallback to another). */
size_t sf_limit_pad_kind(uint8_t *buf, size_t len, size_t cap, enum sf_limit_pad_kind kind,
                         uint32_t rnd);

/* The step on a whole fuzz_reply input (fuzz/fuzz_reply.c: a chunk-plan
 * header, then the stream) of `size` bytes in a buffer of `max_size`: the
 * header is kept and the stream after it padded. A plan count that runs
 * past the input's end is first cut down to the plan bytes there are (as
 * fuzz_reply reads it), so that the stream the step adds is not taken for
 * plan bytes; an empty input gets the header 0 (one-byte chunks). Returns
 * the new size, or 0 as sf_limit_pad; data[0] may then be the rewritten
 * header byte, the rest is untouched. */
size_t sf_limit_pad_reply_input(uint8_t *data, size_t size, size_t max_size, uint32_t rnd);

#endif
