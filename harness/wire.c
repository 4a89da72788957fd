#include "wire.h"

#include "cmd_reader.h"
#include "verbs.h"

#include <string.h>

const char *wire_kind_name(enum wire_kind k)
{
  static const char *const names[] = {
#define WIRE_KIND_NAME(id, name) name,
      WIRE_KIND_LIST(WIRE_KIND_NAME)
#undef WIRE_KIND_NAME
  };
  return (unsigned)k < WIRE_KIND_COUNT ? names[k] : "?";
}

void wire_init(struct wire *w)
{
  w->nev = 0;
  w->nbytes = 0;
  w->truncated = 0;
}

int wire_add(struct wire *w, enum wire_kind kind, int tls, uint64_t t, const void *data, size_t len,
             uint64_t arg, enum sf_err err)
{
  if (w->nev == WIRE_MAX_EVENTS) {
    w->truncated = 1;
    return 0;
  }
  size_t room = WIRE_MAX_BYTES - w->nbytes;
  size_t n = len < room ? len : room;
  struct wire_event *e = &w->ev[w->nev++];
  e->kind = kind;
  e->tls = tls ? 1 : 0;
  e->t = t;
  e->off = (uint32_t)w->nbytes;
  e->len = (uint32_t)n;
  e->arg = arg;
  e->err = err;
  if (n > 0)
    memcpy(w->bytes + w->nbytes, data, n);
  w->nbytes += n;
  if (n < len) {
    w->truncated = 1;
    return 0;
  }
  return 1;
}

/* ---- lines ------------------------------------------------------------- */

enum { DIR_C, DIR_S };

/* What the server's last complete reply put the client in (RFC 4954 4:
 * lines after a 334 are SASL data; RFC 5321 4.1.1.4: after a 354 the
 * message, up to the "." line). */
enum client_mode { MODE_COMMAND, MODE_AUTH, MODE_BODY };

struct line_acc {
  /* The line's bytes: in place in the wire when it lies whole in one event
   * (`whole`), else gathered in buf. */
  const uint8_t *whole;
  uint8_t buf[WIRE_MAX_LINE];
  size_t len, full_len;
  int tls;
  int last_cr; /* the byte before the line end was CR */
  uint64_t t;
  /* The writes that brought its bytes since the last item told of them,
   * and the same without the latest. */
  struct wire_parts parts, before;
  const struct wire_event *ev;
};

struct walker {
  struct line_acc acc[2];
  enum client_mode mode;
  /* The client's last line: a 334 makes SASL data of what follows only
   * after AUTH or SASL data, a 354 a message only after DATA (as the oracle
   * pairs them; a 334 or 354 no command asked for changes nothing, and a
   * BDAT behind it is still a chunk). */
  enum sc_verb last_client;
  uint64_t chunk_left; /* client bytes still in a BDAT chunk (RFC 3030 2) */
  int in_chunk;        /* the client line being gathered is chunk data */
  wire_item_fn fn;
  void *ctx;
};

int wire_reply_code(const uint8_t *p, size_t len)
{
  if (len < 3)
    return -1;
  for (int i = 0; i < 3; i++)
    if (p[i] < '0' || p[i] > '9')
      return -1;
  return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

static void emit_line(struct walker *wk, int dir, int eol)
{
  struct line_acc *a = &wk->acc[dir];
  struct wire_item it;
  memset(&it, 0, sizeof(it));
  it.kind = dir == DIR_C ? WIRE_C_DATA : WIRE_S_DATA;
  it.tls = a->tls;
  it.t = a->t;
  it.text = a->whole != NULL ? a->whole : a->buf;
  it.len = a->len;
  it.full_len = a->full_len;
  it.ev = a->ev;
  /* A server line's writes before the one that ended it; all of them for
   * a line that never ended (it comes out with the time of its first). */
  if (dir == DIR_S)
    it.parts = eol ? a->before : a->parts;
  it.eol = eol;
  if (eol && a->last_cr) {
    it.eol = 1;
    if (a->len == a->full_len && a->len > 0)
      it.len--;
    it.full_len--;
  } else if (eol) {
    it.eol = 2;
  }
  it.code = -1;
  it.verb = SC_VERB_OTHER;
  if (dir == DIR_C && wk->in_chunk) {
    it.verb = SC_VERB_BODY;
    it.chunk = 1;
    wk->in_chunk = wk->chunk_left > 0;
  } else if (dir == DIR_C) {
    struct line_acc *s = &wk->acc[DIR_S];
    it.server_open = s->full_len;
    it.server_open_code =
        it.server_open ? wire_reply_code(s->whole ? s->whole : s->buf, s->len) : -1;
    /* The writes of the open server line so far: this line tells of them,
     * and the server line's own item only of those after it. */
    it.parts = s->parts;
    s->parts = s->before = (struct wire_parts){0};
    if (wk->mode == MODE_BODY) {
      it.verb = SC_VERB_BODY;
      if (it.full_len == 1 && it.text[0] == '.')
        wk->mode = MODE_COMMAND;
    } else if (wk->mode == MODE_AUTH) {
      it.verb = SC_VERB_AUTH_DATA;
    } else {
      it.verb = sc_classify((const char *)it.text, it.len);
      uint64_t size;
      int last;
      if (it.verb == SC_VERB_BDAT && it.eol &&
          cmd_bdat_parse(it.text, it.len == it.full_len ? it.len : 0, &size, &last) && size > 0) {
        wk->chunk_left = size;
        wk->in_chunk = 1;
      }
    }
  } else {
    it.code = wire_reply_code(it.text, it.len);
    it.final = it.code >= 0 && (it.len == 3 || it.text[3] != '-');
    /* A reply line the server never finished is no reply yet: the client's
     * lines keep the meaning the last complete reply gave them. */
    if (it.final && it.eol) {
      enum sc_verb v = wk->last_client;
      int sasl = v == SC_VERB_AUTH || v == SC_VERB_AUTH_DATA;
      wk->mode = it.code == 334 && sasl                ? MODE_AUTH
                 : it.code == 354 && v == SC_VERB_DATA ? MODE_BODY
                                                       : MODE_COMMAND;
    }
  }
  if (dir == DIR_C)
    wk->last_client = it.verb;
  wk->fn(wk->ctx, &it);
  a->whole = NULL;
  a->len = a->full_len = 0;
  a->last_cr = 0;
  a->parts = a->before = (struct wire_parts){0};
}

static void flush(struct walker *wk, int dir)
{
  if (wk->acc[dir].full_len > 0)
    emit_line(wk, dir, 0);
}

/* One more write, at t, in a row of them. */
static void parts_add(struct wire_parts *p, uint64_t t)
{
  if (p->n > 0 && t - p->last_t > p->gap)
    p->gap = t - p->last_t;
  if (p->n++ == 0)
    p->first_t = t;
  p->last_t = t;
}

/* Appends p[0..n), none of them a line end, to the line being gathered. */
static void append(struct line_acc *a, const uint8_t *p, size_t n)
{
  if (n == 0)
    return;
  size_t room = sizeof(a->buf) - a->len;
  size_t k = n < room ? n : room;
  memcpy(a->buf + a->len, p, k);
  a->len += k;
  a->full_len += n;
  a->last_cr = p[n - 1] == '\r';
}

/* The event's bytes, a run up to the next LF (or a BDAT chunk's end) at a
 * time: a line ends at its LF; a chunk at its size, LF or not. */
static void add_data(struct walker *wk, int dir, const struct wire_event *e, const uint8_t *p)
{
  struct line_acc *a = &wk->acc[dir];
  if (a->full_len > 0 && a->tls != e->tls)
    flush(wk, dir);
  size_t i = 0;
  while (i < e->len) {
    if (a->full_len == 0) {
      a->tls = e->tls;
      a->t = e->t;
      a->ev = e;
    }
    a->before = a->parts;
    parts_add(&a->parts, e->t);
    size_t n = e->len - i;
    /* A BDAT chunk is bytes, not lines (RFC 3030 2). */
    int chunk = dir == DIR_C && wk->chunk_left > 0;
    if (chunk && wk->chunk_left < n)
      n = (size_t)wk->chunk_left;
    const uint8_t *lf = memchr(p + i, '\n', n);
    size_t run = lf ? (size_t)(lf - (p + i)) : n;
    if (lf && a->full_len == 0 && run <= sizeof(a->buf)) {
      a->whole = p + i;
      a->len = a->full_len = run;
      a->last_cr = run > 0 && p[i + run - 1] == '\r';
    } else {
      append(a, p + i, run);
    }
    if (chunk)
      wk->chunk_left -= run + (lf != NULL);
    i += run;
    if (lf) {
      i++;
      a->t = e->t;
      emit_line(wk, dir, 1);
    } else if (chunk && wk->chunk_left == 0) {
      emit_line(wk, dir, 0);
    }
  }
}

void wire_each_item(const struct wire *w, wire_item_fn fn, void *ctx)
{
  /* Field by field: the line buffers (2 KB) need no clearing. */
  struct walker wk;
  for (int d = 0; d < 2; d++) {
    struct line_acc *a = &wk.acc[d];
    a->whole = NULL;
    a->len = a->full_len = 0;
    a->tls = a->last_cr = 0;
    a->t = 0;
    a->parts = a->before = (struct wire_parts){0};
    a->ev = NULL;
  }
  wk.mode = MODE_COMMAND;
  wk.last_client = SC_VERB_CONNECT;
  wk.chunk_left = 0;
  wk.in_chunk = 0;
  wk.fn = fn;
  wk.ctx = ctx;
  for (size_t i = 0; i < w->nev; i++) {
    const struct wire_event *e = &w->ev[i];
    const uint8_t *p = w->bytes + e->off;
    if (e->kind == WIRE_C_DATA || e->kind == WIRE_S_DATA) {
      add_data(&wk, e->kind == WIRE_C_DATA ? DIR_C : DIR_S, e, p);
      continue;
    }
    /* A line goes on across what changes neither byte stream: a stall, the
     * client's hello, the server no longer reading (its next bytes still
     * continue the line the client is reading), a write of no bytes outside
     * TLS (the client's TLS reads on as if there were none: our engine read
     * a 354 line so, found by fuzz_starttls). */
    int empty_raw = e->kind == WIRE_S_RAW && e->len == 0;
    if (e->kind != WIRE_STALL && e->kind != WIRE_C_HELLO && e->kind != WIRE_SERVER_DEAF &&
        !empty_raw) {
      flush(&wk, DIR_S);
      flush(&wk, DIR_C);
    }
    struct wire_item it;
    memset(&it, 0, sizeof(it));
    /* A line that goes on: this event tells of its writes so far, as a
     * client line does. */
    it.parts = wk.acc[DIR_S].parts;
    wk.acc[DIR_S].parts = wk.acc[DIR_S].before = (struct wire_parts){0};
    it.kind = e->kind;
    it.tls = e->tls;
    it.t = e->t;
    it.text = p;
    it.len = it.full_len = e->len;
    it.code = -1;
    it.verb = SC_VERB_OTHER;
    it.ev = e;
    fn(ctx, &it);
  }
  flush(&wk, DIR_S);
  flush(&wk, DIR_C);
}
