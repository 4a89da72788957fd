/* fuzz_ehlo: EHLO capabilities must mean exactly what the lines say.
 *
 * Input: the bytes of an EHLO reply as a server sends it (no header). The
 * first reply is parsed strictly (with the bare-LF leniency if that is the
 * only objection); when it is complete, sf_caps_parse() reads it, and a
 * second, deliberately plain implementation in this file derives the same
 * capabilities from the raw lines: keywords are whole first tokens compared
 * without regard to ASCII case (RFC 5321 4.1.1.1), so "STARTTLSX" or
 * "X-STARTTLS" never set STARTTLS, SIZE is the value of its digits
 * (RFC 1870), AUTH bits come only from mechanisms the line lists (RFC 4954),
 * and every other line is counted as unknown. The two must agree on the
 * result, on the first error and its line, and on what was parsed before it.
 * Any difference aborts with one line.
 */
#include "caps.h"
#include "reply_parser.h"
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct name_bit {
  const char *name; /* upper case */
  unsigned bit;
};

/* Keywords that take no parameter, and the SASL mechanisms with a bit (the
 * lists in caps.h). */
static const struct name_bit flags[] = {
    {"STARTTLS", SF_CAP_STARTTLS},
    {"PIPELINING", SF_CAP_PIPELINING},
    {"8BITMIME", SF_CAP_8BITMIME},
    {"SMTPUTF8", SF_CAP_SMTPUTF8},
    {"ENHANCEDSTATUSCODES", SF_CAP_ENHANCEDSTATUSCODES},
    {"CHUNKING", SF_CAP_CHUNKING},
    {"DSN", SF_CAP_DSN},
    {"REQUIRETLS", SF_CAP_REQUIRETLS},
};
static const struct name_bit mechs[] = {
    {"PLAIN", SF_AUTH_MECH_PLAIN},
    {"LOGIN", SF_AUTH_MECH_LOGIN},
    {"CRAM-MD5", SF_AUTH_MECH_CRAM_MD5},
    {"XOAUTH2", SF_AUTH_MECH_XOAUTH2},
    {"OAUTHBEARER", SF_AUTH_MECH_OAUTHBEARER},
    {"SCRAM-SHA-1", SF_AUTH_MECH_SCRAM_SHA_1},
    {"SCRAM-SHA-256", SF_AUTH_MECH_SCRAM_SHA_256},
    {"GSSAPI", SF_AUTH_MECH_GSSAPI},
    {"NTLM", SF_AUTH_MECH_NTLM},
    {"EXTERNAL", SF_AUTH_MECH_EXTERNAL},
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A word of a line: bytes between spaces. */
struct word {
  const char *p;
  size_t n;
};

struct expect {
  struct sf_caps caps;
  enum sf_err err;
  size_t bad_line;
};

/* Case-insensitive equality by folding both sides through a table, unlike
 * caps.c's one-sided upper-casing, so a shared slip would not hide. */
static int same_word(struct word w, const char *kw)
{
  size_t n = strlen(kw);
  if (w.n != n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char a = (unsigned char)w.p[i];
    unsigned char b = (unsigned char)kw[i];
    if (a >= 'a' && a <= 'z')
      a = (unsigned char)(a - 32);
    if (b >= 'a' && b <= 'z')
      b = (unsigned char)(b - 32);
    if (a != b)
      return 0;
  }
  return 1;
}

static int in_set(char c, const char *set)
{
  return c != '\0' && strchr(set, c) != NULL;
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* RFC 5321 4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
static int keyword_syntax(struct word w)
{
  if (w.n == 0 || !in_set(w.p[0], ALNUM))
    return 0;
  for (size_t i = 1; i < w.n; i++)
    if (!in_set(w.p[i], ALNUM "-"))
      return 0;
  return 1;
}

/* RFC 4422 3.1 (any case, as RFC 4954 compares without case). */
static int sasl_syntax(struct word w)
{
  if (w.n == 0 || w.n > SF_CAPS_MAX_AUTH_NAME)
    return 0;
  for (size_t i = 0; i < w.n; i++)
    if (!in_set(w.p[i], ALNUM "-_"))
      return 0;
  return 1;
}

/* Splits `t` into its first token (up to the first SP, possibly empty) and
 * the non-empty words after it. Returns the number of words stored. */
static size_t split(struct sf_span t, struct word *first, struct word *words, size_t max)
{
  size_t i = 0, n = 0;
  while (i < t.len && t.ptr[i] != ' ')
    i++;
  first->p = t.ptr;
  first->n = i;
  while (i < t.len) {
    if (t.ptr[i] == ' ') {
      i++;
      continue;
    }
    size_t s = i;
    while (i < t.len && t.ptr[i] != ' ')
      i++;
    if (n < max)
      words[n] = (struct word){t.ptr + s, i - s};
    n++;
  }
  return n;
}

/* RFC 1870 4: the value of a run of digits, or an error. Compared as a
 * string against UINT64_MAX rather than by arithmetic. */
static enum sf_err size_value(struct word w, uint64_t *out)
{
  static const char max[] = "18446744073709551615";
  size_t i = 0;
  for (size_t k = 0; k < w.n; k++)
    if (!in_set(w.p[k], "0123456789"))
      return SF_ERR_CAPS_SIZE_SYNTAX;
  while (i < w.n && w.p[i] == '0')
    i++;
  size_t digits = w.n - i;
  if (digits > sizeof max - 1 || (digits == sizeof max - 1 && memcmp(w.p + i, max, digits) > 0))
    return SF_ERR_CAPS_SIZE_OVERFLOW;
  uint64_t v = 0;
  for (; i < w.n; i++)
    v = v * 10 + (uint64_t)(w.p[i] - '0');
  *out = v;
  return SF_ERR_OK;
}

/* One capability line into `e`; SF_ERR_OK or the line's error, with `e`
 * unchanged by a line in error. */
static enum sf_err derive_line(struct sf_span t, struct sf_caps *c)
{
  struct word kw;
  struct word w[SF_CAPS_MAX_AUTH_MECHS + 2];
  size_t nw = split(t, &kw, w, COUNT(w));

  if (!keyword_syntax(kw)) {
    c->unknown++;
    return SF_ERR_OK;
  }
  if (same_word(kw, "SIZE")) {
    uint64_t v = 0;
    if (nw > 1)
      return SF_ERR_CAPS_SIZE_SYNTAX;
    if (nw == 1) {
      enum sf_err err = size_value(w[0], &v);
      if (err != SF_ERR_OK)
        return err;
    }
    c->flags |= SF_CAP_SIZE;
    c->size = v;
    return SF_ERR_OK;
  }
  if (same_word(kw, "AUTH")) {
    unsigned bits = 0, unknown = 0;
    for (size_t j = 0; j < nw; j++) {
      if (j >= SF_CAPS_MAX_AUTH_MECHS)
        return SF_ERR_CAPS_AUTH_TOO_MANY;
      if (!sasl_syntax(w[j]))
        return SF_ERR_CAPS_AUTH_SYNTAX;
      unsigned bit = 0;
      for (size_t m = 0; m < COUNT(mechs); m++)
        if (same_word(w[j], mechs[m].name))
          bit = mechs[m].bit;
      bits |= bit;
      unknown += bit == 0;
    }
    c->flags |= SF_CAP_AUTH;
    c->auth |= bits;
    c->auth_unknown += unknown;
    return SF_ERR_OK;
  }
  for (size_t f = 0; f < COUNT(flags); f++) {
    if (!same_word(kw, flags[f].name))
      continue;
    if (nw > 0)
      return SF_ERR_CAPS_UNEXPECTED_PARAM;
    c->flags |= flags[f].bit;
    return SF_ERR_OK;
  }
  c->unknown++;
  return SF_ERR_OK;
}

static void derive(const struct sf_reply *rep, struct expect *e)
{
  memset(e, 0, sizeof *e);
  e->caps.domain = rep->text[0];
  for (size_t i = 1; i < rep->nlines; i++) {
    e->err = derive_line(rep->text[i], &e->caps);
    if (e->err != SF_ERR_OK) {
      e->bad_line = i;
      return;
    }
    e->caps.nkeywords++;
  }
}

/* The keyword helper on every first token, against same_word(). */
static void check_keyword_is(const struct sf_reply *rep)
{
  static const char *const all[] = {
      "STARTTLS", "PIPELINING", "8BITMIME",   "SMTPUTF8", "ENHANCEDSTATUSCODES",
      "CHUNKING", "DSN",        "REQUIRETLS", "SIZE",     "AUTH"};
  for (size_t i = 1; i < rep->nlines; i++) {
    struct word kw;
    split(rep->text[i], &kw, NULL, 0);
    for (size_t k = 0; k < COUNT(all); k++)
      SF_FUZZ_CHECK(!sf_caps_keyword_is(kw.p, kw.n, all[k]) == !same_word(kw, all[k]),
                    "fuzz_ehlo: line %zu: sf_caps_keyword_is(\"%.*s\", %s) = %d", i,
                    (int)(kw.n > 40 ? 40 : kw.n), kw.p, all[k],
                    sf_caps_keyword_is(kw.p, kw.n, all[k]));
  }
}

static void compare(const struct sf_caps *got, enum sf_err err, size_t bad_line,
                    const struct expect *e)
{
  SF_FUZZ_CHECK(err == e->err, "fuzz_ehlo: sf_caps_parse returned %s, expected %s (line %zu)",
                sf_err_name(err), sf_err_name(e->err), e->bad_line);
  SF_FUZZ_CHECK(err == SF_ERR_OK || bad_line == e->bad_line,
                "fuzz_ehlo: %s blamed on line %zu, expected line %zu", sf_err_name(err), bad_line,
                e->bad_line);
  SF_FUZZ_CHECK(got->flags == e->caps.flags, "fuzz_ehlo: flags 0x%x, expected 0x%x", got->flags,
                e->caps.flags);
  SF_FUZZ_CHECK(got->size == e->caps.size, "fuzz_ehlo: SIZE %llu, expected %llu",
                (unsigned long long)got->size, (unsigned long long)e->caps.size);
  SF_FUZZ_CHECK(got->auth == e->caps.auth, "fuzz_ehlo: AUTH mechanisms 0x%x, expected 0x%x",
                got->auth, e->caps.auth);
  SF_FUZZ_CHECK(got->auth_unknown == e->caps.auth_unknown,
                "fuzz_ehlo: %u unknown AUTH mechanisms, expected %u", got->auth_unknown,
                e->caps.auth_unknown);
  SF_FUZZ_CHECK(got->unknown == e->caps.unknown, "fuzz_ehlo: %u unknown keywords, expected %u",
                got->unknown, e->caps.unknown);
  SF_FUZZ_CHECK(got->nkeywords == e->caps.nkeywords, "fuzz_ehlo: %u keyword lines, expected %u",
                got->nkeywords, e->caps.nkeywords);
  SF_FUZZ_CHECK(got->domain.ptr == e->caps.domain.ptr && got->domain.len == e->caps.domain.len,
                "fuzz_ehlo: domain span is not the first line's text");
}

/* The property in its plainest form: STARTTLS is on iff a line's whole
 * first token is STARTTLS. */
static void check_starttls_identity(const struct sf_reply *rep, const struct sf_caps *caps)
{
  int seen = 0;
  for (size_t i = 1; i < rep->nlines; i++) {
    struct word kw;
    split(rep->text[i], &kw, NULL, 0);
    seen |= same_word(kw, "STARTTLS");
  }
  SF_FUZZ_CHECK(!(caps->flags & SF_CAP_STARTTLS) == !seen,
                "fuzz_ehlo: STARTTLS flag %s but a line with the whole token STARTTLS %s",
                caps->flags & SF_CAP_STARTTLS ? "set" : "clear",
                seen ? "exists" : "does not exist");
  SF_FUZZ_CHECK(caps->nkeywords == rep->nlines - 1 && caps->unknown <= caps->nkeywords,
                "fuzz_ehlo: %u keyword lines and %u unknown for %zu lines", caps->nkeywords,
                caps->unknown, rep->nlines);
}

int sf_fuzz_init(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  return 0;
}

int sf_fuzz_one(const uint8_t *data, size_t size)
{
  struct sf_reply_parser p;
  struct sf_reply rep;
  struct sf_caps caps;
  struct expect e;
  size_t bad_line = (size_t)-1;
  const char *buf = (const char *)data;

  sf_reply_parser_init(&p, 0);
  int ret = sf_reply_parse(&p, buf, size, &rep);
  if (ret < 0 && sf_reply_parser_error(&p, NULL) == SF_ERR_REPLY_BARE_LF) {
    sf_reply_parser_init(&p, SF_LENIENT_BARE_LF);
    ret = sf_reply_parse(&p, buf, size, &rep);
  }
  if (ret <= 0)
    return 0;
  SF_FUZZ_CHECK(rep.nlines >= 1 && rep.nlines <= SF_REPLY_MAX_LINES,
                "fuzz_ehlo: reply with %zu lines", rep.nlines);

  enum sf_err err = sf_caps_parse(&rep, &caps, &bad_line);
  if (rep.code != 250) {
    SF_FUZZ_CHECK(err == SF_ERR_CAPS_NOT_250 && bad_line == 0,
                  "fuzz_ehlo: a %d reply gave %s at line %zu, expected CAPS_NOT_250", rep.code,
                  sf_err_name(err), bad_line);
    return 0;
  }
  check_keyword_is(&rep);
  derive(&rep, &e);
  compare(&caps, err, bad_line, &e);
  if (err == SF_ERR_OK)
    check_starttls_identity(&rep, &caps);
  return 0;
}
