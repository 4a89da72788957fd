#include "cmd_reader.h"

#include "verbs.h"
#include "wire.h"

#include <string.h>

void cmd_reader_init(struct cmd_reader *r)
{
  memset(r, 0, sizeof(*r));
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

size_t cmd_reader_add(struct cmd_reader *r, const uint8_t *p, size_t len)
{
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

int cmd_reader_next(struct cmd_reader *r, int tls, enum sc_verb *verb, unsigned *occurrence)
{
  for (size_t guard = 0; guard < CMD_READER_BUF; guard++) {
    const uint8_t *lf = memchr(r->buf, '\n', r->len);
    size_t n;
    if (lf)
      n = (size_t)(lf - r->buf) + 1;
    else if (r->len == sizeof(r->buf))
      n = r->len; /* an endless line: act on it as one */
    else
      return 0;
    size_t len = n;
    if (len > 0 && r->buf[len - 1] == '\n')
      len--;
    if (len > 0 && r->buf[len - 1] == '\r')
      len--;
    int dot = len == 1 && r->buf[0] == '.';
    enum sc_verb v = r->mode == CMD_MODE_BODY   ? SC_VERB_BODY
                     : r->mode == CMD_MODE_AUTH ? SC_VERB_AUTH_DATA
                                                : sc_classify((const char *)r->buf, len);
    memmove(r->buf, r->buf + n, r->len - n);
    r->len -= n;
    if (v == SC_VERB_BODY && !dot)
      continue; /* RFC 5321 4.1.1.4: the message is one command, ended by "." */
    if (v == SC_VERB_BODY)
      r->mode = CMD_MODE_COMMAND;
    *verb = v;
    *occurrence = cmd_reader_occurrence(r, v, tls);
    return 1;
  }
  return 0;
}
