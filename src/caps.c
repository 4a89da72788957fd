/* EHLO capabilities (RFC 5321 4.1.1.1 and the extension RFCs).
 *
 * A capability line is "keyword *(SP param)". Spans point into a network
 * buffer with no NUL after them, so every read is bounded by the span's
 * length. Bytes are compared as ASCII, never through <ctype.h>: the locale
 * must not change what a keyword means.
 */
#include "caps.h"

#include <string.h>

struct name_bit {
  const char *name; /* upper case */
  size_t len;
  unsigned bit;
};

#define NAME_BIT(name, bit)                                                                        \
  {                                                                                                \
    name, sizeof(name) - 1, bit                                                                    \
  }

/* The keywords we know. SIZE and AUTH take parameters (parse_size(),
 * parse_auth()); the others none: their RFCs define none (RFC 3207 4,
 * RFC 2920 2, RFC 6152 2, RFC 6531 3.1, RFC 2034 3, RFC 3030 2, RFC 3461 4.1,
 * RFC 8689 3), so one that has a parameter is a server we must not trust to
 * mean what we think it means. */
static const struct name_bit keywords[] = {
    NAME_BIT("SIZE", SF_CAP_SIZE),
    NAME_BIT("AUTH", SF_CAP_AUTH),
    NAME_BIT("STARTTLS", SF_CAP_STARTTLS),
    NAME_BIT("PIPELINING", SF_CAP_PIPELINING),
    NAME_BIT("8BITMIME", SF_CAP_8BITMIME),
    NAME_BIT("SMTPUTF8", SF_CAP_SMTPUTF8),
    NAME_BIT("ENHANCEDSTATUSCODES", SF_CAP_ENHANCEDSTATUSCODES),
    NAME_BIT("CHUNKING", SF_CAP_CHUNKING),
    NAME_BIT("DSN", SF_CAP_DSN),
    NAME_BIT("REQUIRETLS", SF_CAP_REQUIRETLS),
};

/* SASL mechanisms we name (RFC 4616, draft-murchison-sasl-login, RFC 2195,
 * Google's XOAUTH2, RFC 7628, RFC 5802, RFC 7677, RFC 4752, MS-NLMP,
 * RFC 4422 appendix A). */
static const struct name_bit auth_mechs[] = {
    NAME_BIT("PLAIN", SF_AUTH_MECH_PLAIN),
    NAME_BIT("LOGIN", SF_AUTH_MECH_LOGIN),
    NAME_BIT("CRAM-MD5", SF_AUTH_MECH_CRAM_MD5),
    NAME_BIT("XOAUTH2", SF_AUTH_MECH_XOAUTH2),
    NAME_BIT("OAUTHBEARER", SF_AUTH_MECH_OAUTHBEARER),
    NAME_BIT("SCRAM-SHA-1", SF_AUTH_MECH_SCRAM_SHA_1),
    NAME_BIT("SCRAM-SHA-256", SF_AUTH_MECH_SCRAM_SHA_256),
    NAME_BIT("GSSAPI", SF_AUTH_MECH_GSSAPI),
    NAME_BIT("NTLM", SF_AUTH_MECH_NTLM),
    NAME_BIT("EXTERNAL", SF_AUTH_MECH_EXTERNAL),
};

/* The longest name in either table: a longer token is none of them. */
#define MAX_NAME (sizeof("ENHANCEDSTATUSCODES") - 1)

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* What each byte may be, looked up rather than compared: one load per byte
 * of a line, and the locale plays no part. B_LOWER is the case bit itself,
 * so subtracting a byte's class masked to it gives its upper case. */
enum {
  B_KW_FIRST = 0x01, /* ehlo-keyword's first byte: ALPHA / DIGIT */
  B_KW = 0x02,       /* a later one: ALPHA / DIGIT / "-" */
  B_SASL = 0x04,     /* a SASL name's (RFC 4422 3.1, either case): B_KW / "_" */
  B_DIGIT = 0x08,
  B_LOWER = 0x20, /* 'a'-'z' */
};
/* clang-format off */
#define DA (B_KW | B_SASL)
#define DG (B_KW_FIRST | B_KW | B_SASL | B_DIGIT)
#define UP (B_KW_FIRST | B_KW | B_SASL)
#define LO (B_KW_FIRST | B_KW | B_SASL | B_LOWER)
static const unsigned char byte_class[256] = {
    /* 0x00-0x1f and 0x80-0xff: none */
    [0x20] =
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  DA, 0,  0,      /*  !"#$%&'()*+,-./ */
    DG, DG, DG, DG, DG, DG, DG, DG, DG, DG, 0,  0,  0,  0,  0,  0,      /* 0-9 :;<=>? */
    0,  UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP,     /* @ A-O */
    UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, 0,  0,  0,  0,  B_SASL, /* P-Z [\]^_ */
    0,  LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO,     /* ` a-o */
    LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, 0,  0,  0,  0,  0,      /* p-z {|}~ DEL */
};
#undef DA
#undef DG
#undef UP
#undef LO
/* clang-format on */

static unsigned char ascii_upper(unsigned char c)
{
  return (unsigned char)(c - (byte_class[c] & B_LOWER));
}

int sf_caps_keyword_is(const char *tok, size_t len, const char *kw)
{
  size_t i = 0;
  /* kw ends at its NUL; tok only at len (it may have no NUL after it). */
  for (; i < len; i++)
    if (kw[i] == '\0' || ascii_upper((unsigned char)tok[i]) != (unsigned char)kw[i])
      return 0;
  return kw[i] == '\0';
}

/* The AND of the classes of s[from..len): every class bit all its bytes
 * share. */
static unsigned common_class(struct sf_span s, size_t from)
{
  unsigned all = 0xff;
  for (size_t i = from; i < s.len; i++)
    all &= byte_class[(unsigned char)s.ptr[i]];
  return all;
}

/* RFC 5321 4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
 * This is what makes the legacy "AUTH=LOGIN PLAIN" line an unknown keyword
 * rather than AUTH. */
static int is_ehlo_keyword(struct sf_span kw)
{
  return kw.len > 0 && byte_class[(unsigned char)kw.ptr[0]] & B_KW_FIRST &&
         common_class(kw, 1) & B_KW;
}

/* RFC 4422 3.1: a mechanism name is 1 to 20 of [A-Z0-9-_]. Servers in the
 * wild also send lower case, and RFC 4954 4 compares names without regard
 * to case, so lower case is accepted here. */
static int is_sasl_name(struct sf_span name)
{
  return name.len > 0 && name.len <= SF_CAPS_MAX_AUTH_NAME && common_class(name, 0) & B_SASL;
}

/* The entry of `table` that `tok` names, ignoring ASCII case: the token in
 * upper case, then one memcmp per name of its length. */
static unsigned lookup(const struct name_bit *table, size_t n, struct sf_span tok)
{
  char up[MAX_NAME];
  if (tok.len > MAX_NAME)
    return 0;
  for (size_t i = 0; i < tok.len; i++)
    up[i] = (char)ascii_upper((unsigned char)tok.ptr[i]);
  for (size_t i = 0; i < n; i++)
    if (table[i].len == tok.len && memcmp(table[i].name, up, tok.len) == 0)
      return table[i].bit;
  return 0;
}

unsigned sf_caps_auth_mech(const char *name, size_t len)
{
  return lookup(auth_mechs, COUNT(auth_mechs), (struct sf_span){name, len});
}

/* Next parameter of `line` from `*pos`: RFC 5321 4.1.1.1 separates them by
 * SP. A run of spaces counts as one separator and trailing spaces are no
 * parameter, so a sloppy server is read as it meant. Returns 0 at the end. */
static int next_param(struct sf_span line, size_t *pos, struct sf_span *param)
{
  size_t i = *pos;
  while (i < line.len && line.ptr[i] == ' ')
    i++;
  if (i == line.len) {
    *pos = i;
    return 0;
  }
  const char *sp = memchr(line.ptr + i, ' ', line.len - i);
  size_t end = sp ? (size_t)(sp - line.ptr) : line.len;
  param->ptr = line.ptr + i;
  param->len = end - i;
  *pos = end;
  return 1;
}

/* RFC 1870 4: size-param = [1*DIGIT]; no parameter or 0 means no limit. Any
 * run of digits is accepted as long as its value fits in 64 bits (leading
 * zeros are still a decimal number). All bytes are checked before the value,
 * so "999...9x" is a syntax error, not an overflow. */
static enum sf_err parse_size(struct sf_span line, size_t pos, struct sf_caps *caps)
{
  struct sf_span num;
  struct sf_span extra;
  uint64_t value = 0;

  if (next_param(line, &pos, &num)) {
    if (next_param(line, &pos, &extra))
      return SF_ERR_CAPS_SIZE_SYNTAX;
    for (size_t i = 0; i < num.len; i++)
      if (!(byte_class[(unsigned char)num.ptr[i]] & B_DIGIT))
        return SF_ERR_CAPS_SIZE_SYNTAX;
    for (size_t i = 0; i < num.len; i++) {
      unsigned digit = (unsigned)(num.ptr[i] - '0');
      /* Checked before the multiplication: unsigned wrap-around would give
       * a wrong limit silently. */
      if (value > (UINT64_MAX - digit) / 10)
        return SF_ERR_CAPS_SIZE_OVERFLOW;
      value = value * 10 + digit;
    }
  }
  /* A repeated SIZE line replaces the earlier one. */
  caps->flags |= SF_CAP_SIZE;
  caps->size = value;
  return SF_ERR_OK;
}

/* RFC 4954 3: "AUTH" *(SP mechanism). The line is checked whole before
 * anything is recorded, so an error leaves caps as it was before the line.
 * Several AUTH lines add up. */
static enum sf_err parse_auth(struct sf_span line, size_t pos, struct sf_caps *caps)
{
  struct sf_span mech;
  unsigned bits = 0;
  unsigned unknown = 0;
  unsigned n = 0;

  while (next_param(line, &pos, &mech)) {
    if (++n > SF_CAPS_MAX_AUTH_MECHS)
      return SF_ERR_CAPS_AUTH_TOO_MANY;
    if (!is_sasl_name(mech))
      return SF_ERR_CAPS_AUTH_SYNTAX;
    unsigned bit = lookup(auth_mechs, COUNT(auth_mechs), mech);
    bits |= bit;
    unknown += bit == 0;
  }
  caps->flags |= SF_CAP_AUTH;
  caps->auth |= bits;
  caps->auth_unknown += unknown;
  return SF_ERR_OK;
}

static enum sf_err parse_line(struct sf_span line, struct sf_caps *caps)
{
  /* The keyword ends at the first SP; a leading SP makes it empty and so
   * malformed, which is counted like an unknown keyword. */
  const char *sp = line.len > 0 ? memchr(line.ptr, ' ', line.len) : NULL;
  size_t pos = sp ? (size_t)(sp - line.ptr) : line.len;
  struct sf_span kw = {line.ptr, pos};
  struct sf_span param;

  if (!is_ehlo_keyword(kw)) {
    caps->unknown++;
    return SF_ERR_OK;
  }
  unsigned flag = lookup(keywords, COUNT(keywords), kw);
  if (flag == SF_CAP_SIZE)
    return parse_size(line, pos, caps);
  if (flag == SF_CAP_AUTH)
    return parse_auth(line, pos, caps);
  if (flag == 0) {
    /* RFC 5321 4.1.1.1: a client ignores extensions it does not know. */
    caps->unknown++;
    return SF_ERR_OK;
  }
  if (next_param(line, &pos, &param))
    return SF_ERR_CAPS_UNEXPECTED_PARAM;
  caps->flags |= flag;
  return SF_ERR_OK;
}

enum sf_err sf_caps_parse(const struct sf_reply *ehlo, struct sf_caps *caps, size_t *bad_line)
{
  memset(caps, 0, sizeof *caps);
  /* RFC 5321 4.1.1.1: only a 250 reply to EHLO lists extensions. The code is
   * carried by every line; the first is the one to blame. */
  if (ehlo->code != 250) {
    if (bad_line)
      *bad_line = 0;
    return SF_ERR_CAPS_NOT_250;
  }
  /* The reply parser never yields more lines than text[] holds; a reply
   * built by hand is held to the same bound rather than read past it. */
  size_t nlines = ehlo->nlines < SF_REPLY_MAX_LINES ? ehlo->nlines : SF_REPLY_MAX_LINES;
  if (nlines == 0)
    return SF_ERR_OK;
  /* RFC 5321 4.1.1.1: ehlo-ok-rsp's first line is Domain [SP ehlo-greet]. */
  caps->domain = ehlo->text[0];
  for (size_t i = 1; i < nlines; i++) {
    enum sf_err err = parse_line(ehlo->text[i], caps);
    if (err != SF_ERR_OK) {
      if (bad_line)
        *bad_line = i;
      return err;
    }
    caps->nkeywords++;
  }
  return SF_ERR_OK;
}
