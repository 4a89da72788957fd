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
  uint32_t ms;
};

#define SC_MAX_STEPS 16

/* What the server does when the client's `occurrence`-th (1-based) command
 * of `verb` arrives on the channel (`tls` 0 or 1), or when the connection
 * opens (SC_VERB_CONNECT, occurrence 1): the first matching rule (nth equal
 * to occurrence beats nth 0; a specific channel beats SC_CHAN_ANY), else the
 * personality's default. Writes at most `cap` steps, returns how many. */
size_t scenario_answer(const struct scenario *sc, enum sc_verb verb, int tls, unsigned occurrence,
                       struct sc_step *out, size_t cap);

#endif
