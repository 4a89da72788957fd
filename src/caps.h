/* EHLO capabilities (RFC 5321 4.1.1.1 and the extension RFCs).
 *
 * Each line after the first of a 250 EHLO reply is "keyword [params]".
 * Keywords are whole tokens compared case-insensitively: "SIZEX" is not
 * "SIZE", "STARTTLSX" is not "STARTTLS". Parameters of the keywords we act on
 * are parsed and bounded; a keyword we do not know is counted, never fatal.
 */
#ifndef SF_CAPS_H
#define SF_CAPS_H

#include "errors.h"
#include "reply_parser.h"

#include <stdint.h>

enum sf_cap_flag {
  SF_CAP_STARTTLS = 1u << 0,            /* RFC 3207 */
  SF_CAP_PIPELINING = 1u << 1,          /* RFC 2920 */
  SF_CAP_8BITMIME = 1u << 2,            /* RFC 6152 */
  SF_CAP_SMTPUTF8 = 1u << 3,            /* RFC 6531 */
  SF_CAP_ENHANCEDSTATUSCODES = 1u << 4, /* RFC 2034 */
  SF_CAP_CHUNKING = 1u << 5,            /* RFC 3030 */
  SF_CAP_DSN = 1u << 6,                 /* RFC 3461 */
  SF_CAP_REQUIRETLS = 1u << 7,          /* RFC 8689 */
  SF_CAP_SIZE = 1u << 8,                /* RFC 1870; value in sf_caps.size */
  SF_CAP_AUTH = 1u << 9,                /* RFC 4954; mechanisms in sf_caps.auth */
};

enum sf_auth_mech_bit {
  SF_AUTH_MECH_PLAIN = 1u << 0,
  SF_AUTH_MECH_LOGIN = 1u << 1,
  SF_AUTH_MECH_CRAM_MD5 = 1u << 2,
  SF_AUTH_MECH_XOAUTH2 = 1u << 3,
  SF_AUTH_MECH_OAUTHBEARER = 1u << 4,
  SF_AUTH_MECH_SCRAM_SHA_1 = 1u << 5,
  SF_AUTH_MECH_SCRAM_SHA_256 = 1u << 6,
  SF_AUTH_MECH_GSSAPI = 1u << 7,
  SF_AUTH_MECH_NTLM = 1u << 8,
  SF_AUTH_MECH_EXTERNAL = 1u << 9,
};

/* RFC 4422 3.1: a SASL mechanism name is 1 to 20 of [A-Z0-9-_]. */
#define SF_CAPS_MAX_AUTH_NAME 20
/* A bound on the mechanisms listed on one AUTH line (real servers list <10). */
#define SF_CAPS_MAX_AUTH_MECHS 32

struct sf_caps {
  unsigned flags;        /* sf_cap_flag bits */
  uint64_t size;         /* SIZE limit; 0 if SIZE had no parameter (no limit) */
  unsigned auth;         /* sf_auth_mech_bit bits */
  unsigned auth_unknown; /* mechanisms listed that we do not know */
  unsigned unknown;      /* keywords we do not know (or malformed ones) */
  unsigned nkeywords;    /* capability lines seen (lines after the first) */
  struct sf_span domain; /* first line: the server's name and greeting text */
};

/* Fill `caps` from an EHLO reply. Returns SF_ERR_OK or the first error;
 * `bad_line` (may be NULL) gets the index of the offending line. On error
 * `caps` holds what was parsed before it. */
enum sf_err sf_caps_parse(const struct sf_reply *ehlo, struct sf_caps *caps, size_t *bad_line);

/* The SF_AUTH_MECH_* bit of a SASL mechanism name (case-insensitive), 0 for
 * a mechanism we do not name. */
unsigned sf_caps_auth_mech(const char *name, size_t len);

/* Whether `tok` (length `len`) equals keyword `kw` (upper case) as a whole
 * token, ignoring ASCII case. */
int sf_caps_keyword_is(const char *tok, size_t len, const char *kw);

#endif
