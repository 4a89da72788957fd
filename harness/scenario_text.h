/* The text form of a scenario (.scn): readable, diffable, for the attack
 * library, regressions, the live server and bug reports. The format is in
 * corpus/scenarios/README.md. */
#ifndef SC_SCENARIO_TEXT_H
#define SC_SCENARIO_TEXT_H

#include "scenario.h"

/* Parses `text`. On error returns it and sets *line (1-based) and *reason. */
enum sf_err scenario_parse_text(struct scenario *sc, const char *text, size_t len, size_t *line,
                                const char **reason);
/* Writes the canonical text form into out (NUL-terminated); returns its
 * length, or the length needed if >= cap. */
size_t scenario_format_text(const struct scenario *sc, char *out, size_t cap);

#endif
