/* The recorded wire: every event of a simulated (or live) connection in
 * order, with virtual time, as the server saw it.
 *
 * Data events hold application bytes: what the server read or wrote in
 * plaintext, or inside TLS once the handshake completed on its side, each
 * tagged plain or tls. The TLS hello exchange is its own kind of event, never
 * SMTP data, so oracles see exactly where TLS began. Storage is bounded; an
 * event or bytes that do not fit set `truncated` and are dropped.
 *
 * wire_each_item() re-reads the wire as SMTP lines (client commands
 * classified as the server classifies them, server reply lines with their
 * code) interleaved with the other events: the oracles and the transcript
 * are written against it, never against a client's internals.
 */
#ifndef SC_WIRE_H
#define SC_WIRE_H

#include "client.h"
#include "scenario.h"

#include <stddef.h>
#include <stdint.h>

/* Room for everything one simulated run may move (SIM_MAX_BYTES), and some. */
#define WIRE_MAX_BYTES  (320 * 1024)
#define WIRE_MAX_EVENTS 1024
/* Longest line wire_each_item() hands over whole; longer ones are cut. */
#define WIRE_MAX_LINE 1024

#define WIRE_KIND_LIST(X)                                                                          \
  X(C_DATA, "C")            /* client -> server application bytes */                               \
  X(S_DATA, "S")            /* server -> client application bytes */                               \
  X(C_HELLO, "C-hello")     /* the client's TLS hello (bytes = the raw record) */                  \
  X(S_HELLO, "S-hello")     /* the server's TLS hello (bytes = the raw record) */                  \
  X(TLS_START, "tls-start") /* the server starts TLS and waits for the client's hello */           \
  X(TLS_UP, "tls-up")       /* handshake complete on the server side (bytes = certificate) */      \
  X(TLS_FAIL, "tls-fail")   /* the server's handshake failed (bytes = why) */                      \
  X(C_CLOSE_NOTIFY, "C-close-notify") /* the client closed TLS */                                  \
  X(S_CLOSE, "S-close")               /* the server closed the connection */                       \
  X(STALL, "stall")                   /* the server lets `arg` ms pass */                          \
  X(SERVER_HANG, "server-hang")       /* the server will never speak again */                      \
  X(SERVER_DEAF, "server-deaf")       /* the server reads nothing more from the client */          \
  X(S_RAW, "S-raw") /* bytes written into the connection outside TLS while it is up */             \
  X(HANG, "hang")   /* both sides wait and the client would wait forever (bytes = why) */          \
  X(END, "end")     /* the client ended: arg = sc_client_status, err, bytes = diagnosis */

enum wire_kind {
#define WIRE_KIND_ENUM(id, name) WIRE_##id,
  WIRE_KIND_LIST(WIRE_KIND_ENUM)
#undef WIRE_KIND_ENUM
      WIRE_KIND_COUNT
};

struct wire_event {
  enum wire_kind kind;
  uint8_t tls; /* data events: 1 inside TLS */
  uint64_t t;  /* virtual ms */
  uint32_t off, len;
  uint64_t arg;
  enum sf_err err;
};

struct wire {
  struct wire_event ev[WIRE_MAX_EVENTS];
  size_t nev;
  uint8_t bytes[WIRE_MAX_BYTES];
  size_t nbytes;
  int truncated;
};

void wire_init(struct wire *w);
/* Appends an event; returns 0 (and sets `truncated`) if it did not fit
 * whole. Bytes that do not fit are cut, the event is kept while there is
 * room for events. */
int wire_add(struct wire *w, enum wire_kind kind, int tls, uint64_t t, const void *data, size_t len,
             uint64_t arg, enum sf_err err);
const char *wire_kind_name(enum wire_kind k);

/* Writes in a row that each brought bytes of one line: how many, when the
 * first and the latest came, and the longest time between two in a row
 * (the time a client reading that line went without a byte). */
struct wire_parts {
  size_t n;
  uint64_t first_t, last_t, gap;
};

/* One SMTP line or one other event, in wire order. */
struct wire_item {
  enum wire_kind kind; /* C_DATA / S_DATA: a line; otherwise the event */
  int tls;
  uint64_t t;
  const uint8_t *text; /* line without its end, or the event's bytes */
  size_t len;          /* bytes in `text` */
  size_t full_len;     /* bytes of the whole line (> len if cut at WIRE_MAX_LINE) */
  int eol;             /* 0: none (cut by the end or a TLS switch), 1: CRLF, 2: bare LF */
  /* Client lines: the verb as the server classifies it (AUTH_DATA after a
   * 334, BODY from a 354 to the "." line inclusive, and for the bytes of a
   * BDAT chunk, which are data, never commands). */
  enum sc_verb verb;
  int chunk; /* client bytes of a BDAT chunk (RFC 3030 2), cut at its end */
  /* Client lines: the bytes of a server line that has not ended yet that
   * had come before this line (0: none). */
  size_t server_open;
  int server_open_code; /* the code at that line's head, -1 if none (yet) */
  /* Server lines: the reply code (-1 if the line has none) and whether it is
   * the last line of its reply ("ddd " or "ddd"). */
  int code;
  int final;
  /* Writes that brought bytes of a server line and that no earlier item
   * told of: for a server line, those before the write that ended it; for
   * a client line, those of the server line still open (`server_open`). */
  struct wire_parts parts;
  const struct wire_event *ev;
};

typedef void (*wire_item_fn)(void *ctx, const struct wire_item *it);
void wire_each_item(const struct wire *w, wire_item_fn fn, void *ctx);

/* The code of a reply line ("250-..." -> 250), or -1 if it has none. */
int wire_reply_code(const uint8_t *p, size_t len);

#endif
