/* What the scripted server answers: the first matching rule of the
 * scenario, else its personality's default answer to every command. */
#ifndef SC_PERSONALITY_H
#define SC_PERSONALITY_H

#include "scenario.h"

/* One resolved action: bytes point into the scenario's pool or into the
 * personality's built-in answers. */
struct sc_step {
  enum sc_act kind;
  const uint8_t *bytes;
  size_t len;
  uint32_t repeat; /* SEND: the bytes this many times (0 reads as 1) */
  uint32_t ms;
};

#define SC_MAX_STEPS 16

/* What the server core read in a command beyond its verb, for the default
 * answer (scenario rules match on the verb alone). */
enum sc_hint {
  SC_HINT_NONE,
  /* RFC 4954 4, mechanism by mechanism: */
  SC_HINT_AUTH_ASK,          /* a mechanism without initial response: "334 " */
  SC_HINT_AUTH_ASK_USER,     /* LOGIN: "334 Username:" */
  SC_HINT_AUTH_ASK_PASSWORD, /* LOGIN: "334 Password:" */
  SC_HINT_AUTH_OK,           /* the credentials are the scenario's: 235 */
  SC_HINT_AUTH_BAD,          /* they are not: 535 */
  SC_HINT_AUTH_ABORTED,      /* the client sent "*": 501 */
  SC_HINT_AUTH_UNKNOWN,      /* a mechanism the server does not offer: 504 */
  /* RFC 3030 2: */
  SC_HINT_CHUNK_LAST, /* BDAT ... LAST: the message is complete */
  SC_HINT_CHUNK_BAD,  /* BDAT without a valid size */
};

/* What the server does when the client's `occurrence`-th (1-based) command
 * of `verb` arrives on the channel (`tls` 0 or 1), or when the connection
 * opens (SC_VERB_CONNECT, occurrence 1): the first matching rule (nth equal
 * to occurrence beats nth 0; a specific channel beats SC_CHAN_ANY), else the
 * personality's default for what the server read (`hint`). Writes at most
 * `cap` steps, returns how many. */
size_t scenario_answer(const struct scenario *sc, enum sc_verb verb, int tls, unsigned occurrence,
                       enum sc_hint hint, struct sc_step *out, size_t cap);

#endif
