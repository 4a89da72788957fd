/* How a scripted server reads its client, shared by the simulated server
 * and the live one (through server.h): client bytes split into command lines
 * at LF, each classified as the server reads it (SASL data after a 334, RFC
 * 4954 4; the message after a 354 up to its ".", RFC 5321 4.1.1.4; a BDAT
 * chunk of exactly its size, RFC 3030 2), and counted per verb and channel
 * for scenario_answer(). */
#ifndef SF_CMD_READER_H
#define SF_CMD_READER_H

#include "scenario.h"

#include <stddef.h>
#include <stdint.h>

/* Client bytes not yet acted on (512-octet lines, RFC 5321 4.5.3.1.4). */
#define CMD_READER_BUF 16384
/* The text of one command the server keeps for a closer look (AUTH). */
#define CMD_LINE_MAX 1024

enum cmd_mode { CMD_MODE_COMMAND, CMD_MODE_AUTH, CMD_MODE_BODY, CMD_MODE_CHUNK };

/* One whole command as the server read it. */
struct cmd {
  enum sc_verb verb;
  unsigned occurrence; /* of the verb on its channel, 1-based */
  const uint8_t *line; /* the command line without its end (cut at CMD_LINE_MAX) */
  size_t len;
  uint64_t chunk_size; /* BDAT: the chunk's size */
  int chunk_last;      /* BDAT: with LAST */
  int chunk_bad;       /* BDAT: no valid size, so no chunk either */
};

struct cmd_reader {
  enum cmd_mode mode;
  unsigned count[SC_VERB_COUNT][2];
  size_t off, len, line_len; /* buf[off..len) is unread; line[0..line_len) */
  /* The BDAT chunk being read. */
  uint64_t chunk_left, chunk_size;
  int chunk_last;
  /* Last, as cmd_reader_init() clears only what comes before them: only
   * buf[0..len) and line[0..line_len) are ever read. */
  uint8_t buf[CMD_READER_BUF];
  uint8_t line[CMD_LINE_MAX];
};

void cmd_reader_init(struct cmd_reader *r);

/* The server sent bytes: its last complete reply line decides how the
 * client's next lines read. */
void cmd_reader_server_sent(struct cmd_reader *r, const uint8_t *p, size_t len);

/* Client bytes to the buffer; returns how many fit. */
size_t cmd_reader_add(struct cmd_reader *r, const uint8_t *p, size_t len);

/* Takes up to `cap` of the client bytes not yet acted on, in order, out of
 * the reader into `out` (the server starts TLS and hands them to it);
 * returns how many. */
size_t cmd_reader_take_unread(struct cmd_reader *r, uint8_t *out, size_t cap);

/* Counts one more `verb` on the channel (`tls` 0 or 1); returns its
 * occurrence, 1-based. */
unsigned cmd_reader_occurrence(struct cmd_reader *r, enum sc_verb verb, int tls);

/* The next whole command: 1 with it in *cmd, 0 when none is complete. The
 * lines of a message make one BODY command, ended by its "." line; a BDAT
 * command is whole once its chunk has arrived. A buffer full without LF is
 * acted on as one line. `cmd` points into the reader until the next call. */
int cmd_reader_next(struct cmd_reader *r, int tls, struct cmd *cmd);

/* "BDAT <size> [LAST]" (RFC 3030 2, case-insensitive): 1 with the size and
 * the LAST flag, 0 if the line is not a well-formed BDAT. */
int cmd_bdat_parse(const uint8_t *line, size_t len, uint64_t *size, int *last);

#endif
