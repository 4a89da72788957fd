/* What a client line is, as a server classifies it. */
#ifndef SC_VERBS_H
#define SC_VERBS_H

#include "scenario.h"

/* The verb of one client command line (without CRLF); inside an AUTH
 * exchange the caller passes SC_VERB_AUTH_DATA itself. */
enum sc_verb sc_classify(const char *line, size_t len);

#endif
