#include "cmd_reader.h"

#include "judge_cmp.h"
#include "verbs.h"
#include "wire.h"

#include <stddef.h>
#include <string.h>

/* The largest chunk we take a BDAT at its word for; bigger sizes are read as
 * malformed (every run is bounded by its byte cap long before). */
#define CHUNK_MAX UINT64_C(1000000000000)

void cmd_reader_init(struct cmd_reader *r)
{
  memset(r, 0, offsetof(struct cmd_reader, buf));
  r->mode = CMD_MODE_COMMAND;
}

void cmd_reader_server_sent(struct cmd_reader *r, const uint8_t *p, size_t len)
{
  size_t end = len;
  while (end > 0 && p[end - 1] != '\n')
    end--;
  if (end == 0)
    return;
  size_t start = end - 1;
  while (start > 0 && p[start - 1] != '\n')
    start--;
  size_t n = end - 1 - start;
  int code = wire_reply_code(p + start, n);
  if (code < 0 || (n > 3 && p[start + 3] == '-'))
    return;
  r->mode = code == 334 ? CMD_MODE_AUTH : code == 354 ? CMD_MODE_BODY : CMD_MODE_COMMAND;
}

/* How many bytes are unread: buf[off..len). */
static size_t unread(const struct cmd_reader *r)
{
  return r->len - r->off;
}

size_t cmd_reader_add(struct cmd_reader *r, const uint8_t *p, size_t len)
{
  /* What was read goes only now, in one move per add, not one per line. */
  if (r->off > 0) {
    memmove(r->buf, r->buf + r->off, unread(r));
    r->len -= r->off;
    r->off = 0;
  }
  size_t room = sizeof(r->buf) - r->len;
  size_t k = len < room ? len : room;
  memcpy(r->buf + r->len, p, k);
  r->len += k;
  return k;
}

unsigned cmd_reader_occurrence(struct cmd_reader *r, enum sc_verb verb, int tls)
{
  unsigned *c = &r->count[verb][tls != 0];
  if (*c < UINT32_MAX)
    (*c)++;
  return *c;
}

int cmd_bdat_parse(const uint8_t *line, size_t len, uint64_t *size, int *last)
{
  size_t i = 4;
  if (len < 6 || !jc_ieq(line, "BDAT", 4) || line[i] != ' ')
    return 0;
  i++;
  uint64_t v = 0;
  size_t digits = 0;
  for (; i < len && line[i] >= '0' && line[i] <= '9'; i++, digits++) {
    v = v * 10 + (uint64_t)(line[i] - '0');
    if (v > CHUNK_MAX)
      return 0;
  }
  if (digits == 0)
    return 0;
  *last = 0;
  if (i < len) {
    if (len - i != 5 || line[i] != ' ' || !jc_ieq(line + i + 1, "LAST", 4))
      return 0;
    *last = 1;
  }
  *size = v;
  return 1;
}

/* The first n unread bytes are read. */
static void drop(struct cmd_reader *r, size_t n)
{
  r->off += n;
  if (r->off == r->len)
    r->off = r->len = 0;
}

size_t cmd_reader_take_unread(struct cmd_reader *r, uint8_t *out, size_t cap)
{
  size_t n = unread(r) < cap ? unread(r) : cap;
  memcpy(out, r->buf + r->off, n);
  drop(r, n);
  return n;
}

static int emit(struct cmd_reader *r, int tls, struct cmd *cmd, enum sc_verb verb)
{
  memset(cmd, 0, sizeof(*cmd));
  cmd->verb = verb;
  cmd->occurrence = cmd_reader_occurrence(r, verb, tls);
  cmd->line = r->line;
  cmd->len = r->line_len;
  return 1;
}

int cmd_reader_next(struct cmd_reader *r, int tls, struct cmd *cmd)
{
  for (size_t guard = 0; guard < CMD_READER_BUF; guard++) {
    if (r->mode == CMD_MODE_CHUNK) {
      /* RFC 3030 2: exactly chunk-size octets follow, whatever they are. */
      size_t k = unread(r) < r->chunk_left ? unread(r) : (size_t)r->chunk_left;
      drop(r, k);
      r->chunk_left -= k;
      if (r->chunk_left > 0)
        return 0;
      r->mode = CMD_MODE_COMMAND;
      emit(r, tls, cmd, SC_VERB_BDAT);
      cmd->chunk_size = r->chunk_size;
      cmd->chunk_last = r->chunk_last;
      return 1;
    }
    const uint8_t *b = r->buf + r->off;
    size_t avail = unread(r);
    const uint8_t *lf = memchr(b, '\n', avail);
    size_t n;
    if (lf)
      n = (size_t)(lf - b) + 1;
    else if (avail == sizeof(r->buf))
      n = avail; /* an endless line: act on it as one */
    else
      return 0;
    size_t len = n;
    if (len > 0 && b[len - 1] == '\n')
      len--;
    if (len > 0 && b[len - 1] == '\r')
      len--;
    int dot = len == 1 && b[0] == '.';
    enum sc_verb v = r->mode == CMD_MODE_BODY   ? SC_VERB_BODY
                     : r->mode == CMD_MODE_AUTH ? SC_VERB_AUTH_DATA
                                                : sc_classify((const char *)b, len);
    r->line_len = len < sizeof(r->line) ? len : sizeof(r->line);
    memcpy(r->line, b, r->line_len);
    drop(r, n);
    if (v == SC_VERB_BODY && !dot)
      continue; /* RFC 5321 4.1.1.4: the message is one command, ended by "." */
    if (v == SC_VERB_BODY)
      r->mode = CMD_MODE_COMMAND;
    if (v == SC_VERB_BDAT) {
      uint64_t size;
      int last;
      if (!cmd_bdat_parse(r->line, r->line_len, &size, &last)) {
        emit(r, tls, cmd, SC_VERB_BDAT);
        cmd->chunk_bad = 1;
        return 1;
      }
      r->mode = CMD_MODE_CHUNK;
      r->chunk_left = r->chunk_size = size;
      r->chunk_last = last;
      continue;
    }
    return emit(r, tls, cmd, v);
  }
  return 0;
}
