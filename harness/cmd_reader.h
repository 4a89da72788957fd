/* How a scripted server reads its client, shared by the simulated server
 * (sim.c) and the live one (live/live_conn.c): client bytes split into
 * command lines at LF, each classified as the server reads it (SASL data
 * after a 334, RFC 4954 4; the message after a 354 up to its ".", RFC 5321
 * 4.1.1.4), and counted per verb and channel for scenario_answer(). */
#ifndef SF_CMD_READER_H
#define SF_CMD_READER_H

#include "scenario.h"

#include <stddef.h>
#include <stdint.h>

/* Client bytes not yet acted on (512-octet lines, RFC 5321 4.5.3.1.4). */
#define CMD_READER_BUF 16384

enum cmd_mode { CMD_MODE_COMMAND, CMD_MODE_AUTH, CMD_MODE_BODY };

struct cmd_reader {
  enum cmd_mode mode;
  unsigned count[SC_VERB_COUNT][2];
  uint8_t buf[CMD_READER_BUF];
  size_t len;
};

void cmd_reader_init(struct cmd_reader *r);

/* The server sent bytes: its last complete reply line decides how the
 * client's next lines read. */
void cmd_reader_server_sent(struct cmd_reader *r, const uint8_t *p, size_t len);

/* Client bytes to the buffer; returns how many fit. */
size_t cmd_reader_add(struct cmd_reader *r, const uint8_t *p, size_t len);

/* Counts one more `verb` on the channel (`tls` 0 or 1); returns its
 * occurrence, 1-based. */
unsigned cmd_reader_occurrence(struct cmd_reader *r, enum sc_verb verb, int tls);

/* The next whole command: 1 with its verb and occurrence on the channel, 0
 * when none is complete. The lines of a message make one BODY command,
 * ended by its "." line. A buffer full without LF is acted on as one line. */
int cmd_reader_next(struct cmd_reader *r, int tls, enum sc_verb *verb, unsigned *occurrence);

#endif
