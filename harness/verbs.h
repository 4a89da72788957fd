/* What a client line is, as a server classifies it. */
#ifndef SC_VERBS_H
#define SC_VERBS_H

#include "scenario.h"

/* The verb of one client command line (without CRLF); inside an AUTH
 * exchange the caller passes SC_VERB_AUTH_DATA itself. */
enum sc_verb sc_classify(const char *line, size_t len);

/* SASL mechanisms a server tells apart (RFC 4954; the registry names). */
enum sc_mech {
  SC_MECH_NONE, /* "AUTH" alone */
  SC_MECH_PLAIN,
  SC_MECH_LOGIN,
  SC_MECH_CRAM_MD5,
  SC_MECH_XOAUTH2,
  SC_MECH_OTHER,
};

/* The mechanism of an "AUTH <mech> [initial-response]" line (words split on
 * SP and HTAB, the mechanism in any case), and its initial response: *has_ir
 * tells whether there is one, *ir and *ir_len where ("=" is an empty one). */
enum sc_mech sc_auth_parse(const char *line, size_t len, const uint8_t **ir, size_t *ir_len,
                           int *has_ir);

#endif
