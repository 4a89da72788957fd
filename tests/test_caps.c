/* EHLO capabilities: real MTA replies, keyword identity, SIZE and AUTH
 * bounds, error lines. Every reply is also parsed with each of its lines
 * moved to the very end of a readable page followed by an unreadable one, so
 * a read past a span's length crashes instead of passing by luck. */
#include "caps.h"
#include "check.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Two pages, the second PROT_NONE. */
static struct {
  char *base;
  size_t page;
} guard;

static void guard_init(void)
{
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) {
    perror("sysconf");
    _exit(2);
  }
  guard.page = (size_t)page;
  void *m = mmap(NULL, 2 * guard.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED || mprotect((char *)m + guard.page, guard.page, PROT_NONE) != 0) {
    perror("mmap/mprotect");
    _exit(2);
  }
  guard.base = m;
}

/* Copy `len` bytes so they end exactly where the unreadable page starts. */
static const char *at_guard(const char *s, size_t len)
{
  if (len > guard.page) {
    fprintf(stderr, "test line longer than a page\n");
    _exit(2);
  }
  char *dst = guard.base + guard.page - len;
  if (len > 0)
    memcpy(dst, s, len);
  return dst;
}

static void build(struct sf_reply *r, int code, const char *const *lines)
{
  memset(r, 0, sizeof *r);
  r->code = code;
  for (size_t i = 0; lines[i] != NULL && i < SF_REPLY_MAX_LINES; i++) {
    r->text[i].ptr = lines[i];
    r->text[i].len = strlen(lines[i]);
    r->nlines = i + 1;
  }
}

static int same_caps(const struct sf_caps *a, const struct sf_caps *b)
{
  return a->flags == b->flags && a->size == b->size && a->auth == b->auth &&
         a->auth_unknown == b->auth_unknown && a->unknown == b->unknown &&
         a->nkeywords == b->nkeywords && a->domain.len == b->domain.len;
}

struct result {
  enum sf_err err;
  size_t bad; /* SIZE_MAX if sf_caps_parse left it alone */
  struct sf_caps caps;
};

/* Parse `r`, then again with each line in turn at the guard page; the
 * result must not depend on where the bytes are. */
static struct result run_reply(const struct sf_reply *r, int src_line)
{
  struct result res;
  memset(&res.caps, 0xa5, sizeof res.caps); /* sf_caps_parse must clear it */
  res.bad = SIZE_MAX;
  res.err = sf_caps_parse(r, &res.caps, &res.bad);

  for (size_t i = 0; i < r->nlines; i++) {
    struct sf_reply g = *r;
    g.text[i].ptr = at_guard(r->text[i].ptr, r->text[i].len);
    struct sf_caps c;
    size_t bad = SIZE_MAX;
    enum sf_err err = sf_caps_parse(&g, &c, &bad);
    CHECKF(err == res.err && bad == res.bad && same_caps(&c, &res.caps),
           "line %d: moving line %zu to the guard page changed the result", src_line, i);
  }
  return res;
}

static struct result run(int code, const char *const *lines, int src_line)
{
  struct sf_reply r;
  build(&r, code, lines);
  return run_reply(&r, src_line);
}

/* RUN(code, "domain", "KEYWORD", ...) */
#define RUN(code, ...) run((code), (const char *const[]){__VA_ARGS__, NULL}, __LINE__)
/* The result of a two-line 250 reply whose only capability line is `line`. */
#define ONE(line) RUN(250, "mx.example.org", (line))

/* Check the whole of a successful result. */
#define EXPECT_OK(res, flags_, size_, auth_, auth_unknown_, unknown_, nkeywords_)                  \
  do {                                                                                             \
    struct result e_ = (res);                                                                      \
    CHECKF(e_.err == SF_ERR_OK, "%s", sf_err_name(e_.err));                                        \
    CHECK(e_.bad == SIZE_MAX);                                                                     \
    CHECKF(e_.caps.flags == (flags_), "flags %#x", e_.caps.flags);                                 \
    CHECKF(e_.caps.size == (size_), "size %llu", (unsigned long long)e_.caps.size);                \
    CHECKF(e_.caps.auth == (auth_), "auth %#x", e_.caps.auth);                                     \
    CHECKF(e_.caps.auth_unknown == (auth_unknown_), "auth_unknown %u", e_.caps.auth_unknown);      \
    CHECKF(e_.caps.unknown == (unknown_), "unknown %u", e_.caps.unknown);                          \
    CHECKF(e_.caps.nkeywords == (nkeywords_), "nkeywords %u", e_.caps.nkeywords);                  \
  } while (0)

#define EXPECT_ERR(res, err_, bad_)                                                                \
  do {                                                                                             \
    struct result e_ = (res);                                                                      \
    CHECKF(e_.err == (err_), "got %s, want %s", sf_err_name(e_.err), sf_err_name(err_));           \
    CHECKF(e_.bad == (bad_), "bad_line %zu", e_.bad);                                              \
  } while (0)

/* Replies shaped as the named MTAs send them (keyword sets and order from
 * their defaults; host names and addresses are documentation values). */
static void test_real_servers(void)
{
  /* Postfix on port 25: no AUTH before TLS by default. */
  EXPECT_OK(RUN(250, "mx.example.org", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS",
                "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"),
            SF_CAP_PIPELINING | SF_CAP_SIZE | SF_CAP_STARTTLS | SF_CAP_ENHANCEDSTATUSCODES |
                SF_CAP_8BITMIME | SF_CAP_DSN | SF_CAP_SMTPUTF8 | SF_CAP_CHUNKING,
            10240000, 0, 0, 2, 10);

  /* Postfix submission after TLS, with broken_sasl_auth_clients = yes: the
   * extra "AUTH=PLAIN LOGIN" line is for old Outlook clients. */
  EXPECT_OK(RUN(250, "mail.example.org", "PIPELINING", "SIZE 52428800", "ETRN", "AUTH PLAIN LOGIN",
                "AUTH=PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "CHUNKING"),
            SF_CAP_PIPELINING | SF_CAP_SIZE | SF_CAP_AUTH | SF_CAP_ENHANCEDSTATUSCODES |
                SF_CAP_8BITMIME | SF_CAP_DSN | SF_CAP_CHUNKING,
            52428800, SF_AUTH_MECH_PLAIN | SF_AUTH_MECH_LOGIN, 0, 2, 9);

  /* Exim 4.9x: PIPE_CONNECT has an underscore, so it is not a valid
   * ehlo-keyword (RFC 5321 4.1.1.1) and is only counted. */
  EXPECT_OK(RUN(250, "mx.example.net Hello client.example.com [192.0.2.10]", "SIZE 52428800",
                "8BITMIME", "PIPELINING", "PIPE_CONNECT", "CHUNKING", "STARTTLS", "PRDR", "HELP"),
            SF_CAP_SIZE | SF_CAP_8BITMIME | SF_CAP_PIPELINING | SF_CAP_CHUNKING | SF_CAP_STARTTLS,
            52428800, 0, 0, 3, 8);
  /* Exim after TLS with a PLAIN and a LOGIN authenticator. */
  EXPECT_OK(RUN(250, "mx.example.net Hello client.example.com [192.0.2.10]", "SIZE 52428800",
                "8BITMIME", "PIPELINING", "AUTH PLAIN LOGIN", "CHUNKING", "PRDR", "HELP"),
            SF_CAP_SIZE | SF_CAP_8BITMIME | SF_CAP_PIPELINING | SF_CAP_AUTH | SF_CAP_CHUNKING,
            52428800, SF_AUTH_MECH_PLAIN | SF_AUTH_MECH_LOGIN, 0, 2, 7);

  /* Sendmail 8: SIZE without a limit, DIGEST-MD5 is not one we name. */
  EXPECT_OK(RUN(250, "mail.example.com Hello client.example.net [192.0.2.20], pleased to meet you",
                "ENHANCEDSTATUSCODES", "PIPELINING", "8BITMIME", "SIZE", "DSN", "ETRN",
                "AUTH DIGEST-MD5 CRAM-MD5", "STARTTLS", "DELIVERBY", "HELP"),
            SF_CAP_ENHANCEDSTATUSCODES | SF_CAP_PIPELINING | SF_CAP_8BITMIME | SF_CAP_SIZE |
                SF_CAP_DSN | SF_CAP_AUTH | SF_CAP_STARTTLS,
            0, SF_AUTH_MECH_CRAM_MD5, 1, 3, 10);

  /* Microsoft 365 submission (smtp.office365.com:587) before and after TLS. */
  EXPECT_OK(RUN(250, "AM0PR01CA0001.outlook.office365.com Hello [192.0.2.30]", "SIZE 157286400",
                "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "8BITMIME", "BINARYMIME",
                "CHUNKING", "SMTPUTF8"),
            SF_CAP_SIZE | SF_CAP_PIPELINING | SF_CAP_DSN | SF_CAP_ENHANCEDSTATUSCODES |
                SF_CAP_STARTTLS | SF_CAP_8BITMIME | SF_CAP_CHUNKING | SF_CAP_SMTPUTF8,
            157286400, 0, 0, 1, 9);
  EXPECT_OK(RUN(250, "AM0PR01CA0001.outlook.office365.com Hello [192.0.2.30]", "SIZE 157286400",
                "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "AUTH LOGIN XOAUTH2", "8BITMIME",
                "BINARYMIME", "CHUNKING", "SMTPUTF8"),
            SF_CAP_SIZE | SF_CAP_PIPELINING | SF_CAP_DSN | SF_CAP_ENHANCEDSTATUSCODES |
                SF_CAP_AUTH | SF_CAP_8BITMIME | SF_CAP_CHUNKING | SF_CAP_SMTPUTF8,
            157286400, SF_AUTH_MECH_LOGIN | SF_AUTH_MECH_XOAUTH2, 0, 1, 9);

  /* Exchange Server on premises: X-EXPS carries parameters but is unknown,
   * so they are never looked at. */
  EXPECT_OK(RUN(250, "EXCH01.corp.example.com Hello [192.0.2.40]", "SIZE 37748736", "PIPELINING",
                "DSN", "ENHANCEDSTATUSCODES", "STARTTLS", "X-ANONYMOUSTLS", "AUTH NTLM",
                "X-EXPS GSSAPI NTLM", "8BITMIME", "BINARYMIME", "CHUNKING", "XRDST"),
            SF_CAP_SIZE | SF_CAP_PIPELINING | SF_CAP_DSN | SF_CAP_ENHANCEDSTATUSCODES |
                SF_CAP_STARTTLS | SF_CAP_AUTH | SF_CAP_8BITMIME | SF_CAP_CHUNKING,
            37748736, SF_AUTH_MECH_NTLM, 0, 4, 12);

  /* Gmail MX, and smtp.gmail.com:587 after TLS (PLAIN-CLIENTTOKEN and
   * XOAUTH are Google's own). */
  EXPECT_OK(RUN(250, "mx.google.com at your service, [192.0.2.50]", "SIZE 157286400", "8BITMIME",
                "STARTTLS", "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING", "SMTPUTF8"),
            SF_CAP_SIZE | SF_CAP_8BITMIME | SF_CAP_STARTTLS | SF_CAP_ENHANCEDSTATUSCODES |
                SF_CAP_PIPELINING | SF_CAP_CHUNKING | SF_CAP_SMTPUTF8,
            157286400, 0, 0, 0, 7);
  EXPECT_OK(RUN(250, "smtp.gmail.com at your service, [192.0.2.50]", "SIZE 35882577", "8BITMIME",
                "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
                "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING", "SMTPUTF8"),
            SF_CAP_SIZE | SF_CAP_8BITMIME | SF_CAP_AUTH | SF_CAP_ENHANCEDSTATUSCODES |
                SF_CAP_PIPELINING | SF_CAP_CHUNKING | SF_CAP_SMTPUTF8,
            35882577,
            SF_AUTH_MECH_LOGIN | SF_AUTH_MECH_PLAIN | SF_AUTH_MECH_XOAUTH2 |
                SF_AUTH_MECH_OAUTHBEARER,
            2, 0, 7);

  /* OpenSMTPD before and after TLS. */
  EXPECT_OK(RUN(250, "mail.example.org Hello client.example.net [192.0.2.60], pleased to meet you",
                "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 36700160", "DSN", "STARTTLS", "HELP"),
            SF_CAP_8BITMIME | SF_CAP_ENHANCEDSTATUSCODES | SF_CAP_SIZE | SF_CAP_DSN |
                SF_CAP_STARTTLS,
            36700160, 0, 0, 1, 6);
  EXPECT_OK(RUN(250, "mail.example.org Hello client.example.net [192.0.2.60], pleased to meet you",
                "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 36700160", "DSN", "AUTH PLAIN LOGIN",
                "HELP"),
            SF_CAP_8BITMIME | SF_CAP_ENHANCEDSTATUSCODES | SF_CAP_SIZE | SF_CAP_DSN | SF_CAP_AUTH,
            36700160, SF_AUTH_MECH_PLAIN | SF_AUTH_MECH_LOGIN, 0, 1, 6);

  /* A server with no extensions answers EHLO with one line. */
  EXPECT_OK(RUN(250, "tiny.example.org"), 0u, 0, 0, 0, 0, 0);
}

static void test_domain(void)
{
  static const char greeting[] = "mx.example.org ESMTP ready";
  struct sf_reply r;
  build(&r, 250, (const char *const[]){greeting, "DSN", NULL});
  struct sf_caps caps;
  CHECK(sf_caps_parse(&r, &caps, NULL) == SF_ERR_OK);
  CHECK(caps.domain.ptr == greeting && caps.domain.len == strlen(greeting));
  /* An empty first line (the parser accepts "250-" with no text). */
  EXPECT_OK(RUN(250, "", "DSN"), SF_CAP_DSN, 0, 0, 0, 0, 1);
}

static void test_not_250(void)
{
  static const int codes[] = {220, 221, 251, 252, 421, 500, 501, 502, 550, 554, 0, -250, 2500};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    struct result res = RUN(codes[i], "mx.example.org", "STARTTLS", "SIZE 1000");
    EXPECT_ERR(res, SF_ERR_CAPS_NOT_250, 0);
    /* Cleared, not left with what the caller had there. */
    CHECK(res.caps.flags == 0 && res.caps.size == 0 && res.caps.nkeywords == 0);
    CHECK(res.caps.domain.len == 0 && res.caps.domain.ptr == NULL);
  }
}

static void test_keyword_identity(void)
{
  /* Whole tokens only: a keyword that starts like a known one is another. */
  EXPECT_OK(ONE("SIZEX 100"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(ONE("SIZEX"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(ONE("SIZ 100"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(ONE("STARTTLSX"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(ONE("STARTTLS2"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(ONE("XSTARTTLS"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(ONE("STARTTL"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(ONE("START TLS"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(ONE("AUTHX PLAIN"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(ONE("DSN-X"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(ONE("8BITMIMES"), 0u, 0, 0, 0, 1, 1);

  /* Case does not matter (RFC 5321 2.4). */
  EXPECT_OK(ONE("starttls"), SF_CAP_STARTTLS, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("StartTls"), SF_CAP_STARTTLS, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("pipelining"), SF_CAP_PIPELINING, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("8bitmime"), SF_CAP_8BITMIME, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("SmtpUtf8"), SF_CAP_SMTPUTF8, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("size 1000"), SF_CAP_SIZE, 1000, 0, 0, 0, 1);
  EXPECT_OK(ONE("Auth plain Login cram-md5"), SF_CAP_AUTH, 0,
            SF_AUTH_MECH_PLAIN | SF_AUTH_MECH_LOGIN | SF_AUTH_MECH_CRAM_MD5, 0, 0, 1);

  /* Trailing spaces are not a parameter. */
  EXPECT_OK(ONE("STARTTLS "), SF_CAP_STARTTLS, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("CHUNKING    "), SF_CAP_CHUNKING, 0, 0, 0, 0, 1);

  /* Malformed keywords (RFC 5321 4.1.1.1) are counted, never fatal. */
  static const char *const malformed[] = {
      "",          " STARTTLS",  "-STARTTLS",        "STARTTLS\t",
      "STARTTLS=", "AUTH=LOGIN", "AUTH=LOGIN PLAIN", "SIZE=1000",
      "X_FOO",     "STARTTLS\r", "ST\xc3\x84RTTLS",  "\x01",
  };
  for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
    struct result res = ONE(malformed[i]);
    CHECKF(res.err == SF_ERR_OK && res.caps.unknown == 1 && res.caps.flags == 0 &&
               res.caps.auth == 0 && res.caps.nkeywords == 1,
           "malformed keyword %zu", i);
  }

  /* Every known flag, in each case, with a parameter. */
  static const struct {
    const char *line;
    unsigned flag;
  } flags[] = {
      {"STARTTLS", SF_CAP_STARTTLS},
      {"PIPELINING", SF_CAP_PIPELINING},
      {"8BITMIME", SF_CAP_8BITMIME},
      {"SMTPUTF8", SF_CAP_SMTPUTF8},
      {"ENHANCEDSTATUSCODES", SF_CAP_ENHANCEDSTATUSCODES},
      {"CHUNKING", SF_CAP_CHUNKING},
      {"DSN", SF_CAP_DSN},
      {"REQUIRETLS", SF_CAP_REQUIRETLS},
  };
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    char line[64];
    EXPECT_OK(ONE(flags[i].line), flags[i].flag, 0, 0, 0, 0, 1);
    snprintf(line, sizeof line, "%s x", flags[i].line);
    EXPECT_ERR(ONE(line), SF_ERR_CAPS_UNEXPECTED_PARAM, 1);
    snprintf(line, sizeof line, "%s  1 ", flags[i].line);
    EXPECT_ERR(ONE(line), SF_ERR_CAPS_UNEXPECTED_PARAM, 1);
    for (char *p = line; *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
    EXPECT_ERR(ONE(line), SF_ERR_CAPS_UNEXPECTED_PARAM, 1);
  }
}

/* The result of a two-line 250 reply whose capability line is `prefix`,
 * byte `b` (any value, NUL too), then `suffix`. */
static struct result one_with_byte(const char *prefix, unsigned b, const char *suffix)
{
  static char line[64];
  size_t n = strlen(prefix);
  memcpy(line, prefix, n);
  line[n++] = (char)b;
  memcpy(line + n, suffix, strlen(suffix));
  n += strlen(suffix);
  struct sf_reply r;
  build(&r, 250, (const char *const[]){"mx.example.org", "", NULL});
  r.text[1] = (struct sf_span){line, n};
  return run_reply(&r, __LINE__);
}

/* Every byte value in a keyword, at the end of a SASL name and in a SIZE
 * value: which bytes are allowed, and what each is in upper case, are the
 * ASCII rules and nothing else. */
static void test_every_byte(void)
{
  for (unsigned b = 0; b < 256; b++) {
    int upper = b >= 'A' && b <= 'Z', lower = b >= 'a' && b <= 'z', digit = b >= '0' && b <= '9';
    /* A keyword differing from STARTTLS or DSN in one byte is unknown,
     * unless that byte is the same letter in either case. */
    struct result res = one_with_byte("", b, "TARTTLS");
    int same = b == 'S' || b == 's';
    CHECKF(res.err == SF_ERR_OK && res.caps.flags == (same ? SF_CAP_STARTTLS : 0u) &&
               res.caps.unknown == !same,
           "byte %#x TARTTLS", b);
    res = one_with_byte("DS", b, "");
    same = b == 'N' || b == 'n';
    CHECKF(res.err == SF_ERR_OK && res.caps.flags == (same ? SF_CAP_DSN : 0u) &&
               res.caps.unknown == !same,
           "DS byte %#x", b);
    /* RFC 4422 3.1: [A-Z0-9-_], lower case accepted (test_auth() has every
     * byte inside a name); a space splits. */
    int sasl = upper || lower || digit || b == '-' || b == '_' || b == ' ';
    res = one_with_byte("AUTH PLAI", b, "");
    same = b == 'N' || b == 'n';
    CHECKF(res.err == (sasl ? SF_ERR_OK : SF_ERR_CAPS_AUTH_SYNTAX) &&
               res.caps.auth == (same ? SF_AUTH_MECH_PLAIN : 0u),
           "AUTH PLAI byte %#x", b);
    /* RFC 1870 4: digits only. */
    res = one_with_byte("SIZE 1", b, "");
    CHECKF(res.err == (digit || b == ' ' ? SF_ERR_OK : SF_ERR_CAPS_SIZE_SYNTAX),
           "SIZE 1 byte %#x: %s", b, sf_err_name(res.err));
  }
}

static void test_size(void)
{
  EXPECT_OK(ONE("SIZE"), SF_CAP_SIZE, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("SIZE   "), SF_CAP_SIZE, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("SIZE 0"), SF_CAP_SIZE, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("SIZE 1"), SF_CAP_SIZE, 1, 0, 0, 0, 1);
  EXPECT_OK(ONE("SIZE  1000 "), SF_CAP_SIZE, 1000, 0, 0, 0, 1);
  EXPECT_OK(ONE("SIZE 18446744073709551615"), SF_CAP_SIZE, UINT64_MAX, 0, 0, 0, 1);
  EXPECT_OK(ONE("SIZE 18446744073709551610"), SF_CAP_SIZE, UINT64_MAX - 5, 0, 0, 0, 1);
  /* 21 digits whose value fits: leading zeros are still RFC 1870 DIGITs. */
  EXPECT_OK(ONE("SIZE 000000000000000000001"), SF_CAP_SIZE, 1, 0, 0, 0, 1);
  /* A repeated SIZE replaces the earlier one. */
  EXPECT_OK(RUN(250, "mx.example.org", "SIZE 1000", "SIZE 2000"), SF_CAP_SIZE, 2000, 0, 0, 0, 2);

  EXPECT_ERR(ONE("SIZE 18446744073709551616"), SF_ERR_CAPS_SIZE_OVERFLOW, 1);
  EXPECT_ERR(ONE("SIZE 18446744073709551620"), SF_ERR_CAPS_SIZE_OVERFLOW, 1);
  EXPECT_ERR(ONE("SIZE 99999999999999999999"), SF_ERR_CAPS_SIZE_OVERFLOW, 1);
  EXPECT_ERR(ONE("SIZE 184467440737095516150"), SF_ERR_CAPS_SIZE_OVERFLOW, 1);
  EXPECT_ERR(ONE("SIZE 100000000000000000000"), SF_ERR_CAPS_SIZE_OVERFLOW, 1);
  {
    char line[500];
    memcpy(line, "SIZE ", 5);
    memset(line + 5, '9', sizeof line - 6);
    line[sizeof line - 1] = '\0';
    EXPECT_ERR(ONE(line), SF_ERR_CAPS_SIZE_OVERFLOW, 1);
  }

  static const char *const syntax[] = {
      "SIZE 12a",
      "SIZE -1",
      "SIZE +1",
      "SIZE 1 2",
      "SIZE 1.5",
      "SIZE 0x10",
      "SIZE a",
      "SIZE 1\t",
      "SIZE \t1",
      "SIZE 1e3",
      "SIZE =1",
      "SIZE 1000 KB",
      "size 1,000",
      /* Syntax is decided before the value, so this is not an overflow. */
      "SIZE 99999999999999999999999x",
  };
  for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
    struct result res = ONE(syntax[i]);
    CHECKF(res.err == SF_ERR_CAPS_SIZE_SYNTAX && res.bad == 1, "'%s' gave %s", syntax[i],
           sf_err_name(res.err));
    CHECK(res.caps.flags == 0 && res.caps.size == 0);
  }
}

/* "AUTH M0 M1 ..." with `n` mechanisms of the form "X-MECH-<i>". */
static void auth_line(char *buf, size_t cap, unsigned n)
{
  size_t used = (size_t)snprintf(buf, cap, "AUTH");
  for (unsigned i = 0; i < n && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, " X-MECH-%u", i);
}

static void test_auth(void)
{
  EXPECT_OK(ONE("AUTH"), SF_CAP_AUTH, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("AUTH  "), SF_CAP_AUTH, 0, 0, 0, 0, 1);
  EXPECT_OK(ONE("AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-1 SCRAM-SHA-256 GSSAPI "
                "NTLM EXTERNAL"),
            SF_CAP_AUTH, 0,
            SF_AUTH_MECH_PLAIN | SF_AUTH_MECH_LOGIN | SF_AUTH_MECH_CRAM_MD5 | SF_AUTH_MECH_XOAUTH2 |
                SF_AUTH_MECH_OAUTHBEARER | SF_AUTH_MECH_SCRAM_SHA_1 | SF_AUTH_MECH_SCRAM_SHA_256 |
                SF_AUTH_MECH_GSSAPI | SF_AUTH_MECH_NTLM | SF_AUTH_MECH_EXTERNAL,
            0, 0, 1);
  /* Whole names: the channel-binding variants and near misses are unknown. */
  EXPECT_OK(ONE("AUTH SCRAM-SHA-1-PLUS SCRAM-SHA-256-PLUS PLAINX LOGI CRAM-MD"), SF_CAP_AUTH, 0, 0,
            5, 0, 1);
  EXPECT_OK(ONE("AUTH scram-sha-256 Gssapi ntlm"), SF_CAP_AUTH, 0,
            SF_AUTH_MECH_SCRAM_SHA_256 | SF_AUTH_MECH_GSSAPI | SF_AUTH_MECH_NTLM, 0, 0, 1);
  EXPECT_OK(ONE("AUTH X_VENDOR_MECH"), SF_CAP_AUTH, 0, 0, 1, 0, 1);
  /* Several AUTH lines: the union, and unknown names add up. */
  EXPECT_OK(RUN(250, "mx.example.org", "AUTH PLAIN X-A", "AUTH LOGIN X-B", "AUTH PLAIN"),
            SF_CAP_AUTH, 0, SF_AUTH_MECH_PLAIN | SF_AUTH_MECH_LOGIN, 2, 0, 3);
  /* The legacy form is not AUTH (RFC 5321 4.1.1.1 has no '=' in a keyword). */
  EXPECT_OK(ONE("AUTH=LOGIN"), 0u, 0, 0, 0, 1, 1);
  EXPECT_OK(RUN(250, "mx.example.org", "AUTH=LOGIN PLAIN", "AUTH LOGIN"), SF_CAP_AUTH, 0,
            SF_AUTH_MECH_LOGIN, 0, 1, 2);

  /* Name length: 20 is the RFC 4422 3.1 maximum, 21 is over it. */
  EXPECT_OK(ONE("AUTH ABCDEFGHIJKLMNOPQRST"), SF_CAP_AUTH, 0, 0, 1, 0, 1);
  EXPECT_ERR(ONE("AUTH ABCDEFGHIJKLMNOPQRSTU"), SF_ERR_CAPS_AUTH_SYNTAX, 1);
  EXPECT_ERR(ONE("AUTH PLAIN ABCDEFGHIJKLMNOPQRSTU"), SF_ERR_CAPS_AUTH_SYNTAX, 1);

  static const char *const syntax[] = {
      "AUTH PLAIN LOG!N", "AUTH =PLAIN",   "AUTH PLAIN,LOGIN", "AUTH PLAIN\tLOGIN",
      "AUTH PL.AIN",      "AUTH \xc3\x84", "AUTH LOGIN\r",     "AUTH PLAIN=",
  };
  for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
    struct result res = ONE(syntax[i]);
    CHECKF(res.err == SF_ERR_CAPS_AUTH_SYNTAX && res.bad == 1, "syntax case %zu gave %s", i,
           sf_err_name(res.err));
    /* A line with an error records nothing, not even its good names. */
    CHECK(res.caps.flags == 0 && res.caps.auth == 0 && res.caps.auth_unknown == 0);
  }

  /* Every byte inside a name: only [A-Za-z0-9-_] belong to one. */
  for (unsigned b = 1; b < 256; b++) {
    if (b == ' ')
      continue;
    char name[] = {'A', 'U', 'T', 'H', ' ', 'P', (char)b, 'Q', '\0'};
    int ok = (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
             b == '-' || b == '_';
    struct result res = ONE(name);
    CHECKF((res.err == SF_ERR_OK) == ok, "byte 0x%02x in a mechanism name gave %s", b,
           sf_err_name(res.err));
  }

  char line[SF_REPLY_MAX_LINE];
  auth_line(line, sizeof line, SF_CAPS_MAX_AUTH_MECHS);
  EXPECT_OK(ONE(line), SF_CAP_AUTH, 0, 0, SF_CAPS_MAX_AUTH_MECHS, 0, 1);
  auth_line(line, sizeof line, SF_CAPS_MAX_AUTH_MECHS + 1);
  EXPECT_ERR(ONE(line), SF_ERR_CAPS_AUTH_TOO_MANY, 1);
  /* 32 names with known ones among them. */
  snprintf(line, sizeof line, "AUTH PLAIN LOGIN");
  for (unsigned i = 2; i < SF_CAPS_MAX_AUTH_MECHS; i++)
    snprintf(line + strlen(line), sizeof line - strlen(line), " M%u", i);
  EXPECT_OK(ONE(line), SF_CAP_AUTH, 0, SF_AUTH_MECH_PLAIN | SF_AUTH_MECH_LOGIN,
            SF_CAPS_MAX_AUTH_MECHS - 2, 0, 1);
}

/* The error names its line and caps keeps the lines before it. */
static void test_bad_line(void)
{
  struct result res = RUN(250, "mx.example.org", "PIPELINING", "SIZE 1000", "AUTH PLAIN", "VRFY",
                          "STARTTLS now", "DSN");
  EXPECT_ERR(res, SF_ERR_CAPS_UNEXPECTED_PARAM, 5);
  CHECK(res.caps.flags == (SF_CAP_PIPELINING | SF_CAP_SIZE | SF_CAP_AUTH));
  CHECK(res.caps.size == 1000 && res.caps.auth == SF_AUTH_MECH_PLAIN);
  CHECK(res.caps.unknown == 1 && res.caps.nkeywords == 4);
  CHECK(res.caps.domain.len == strlen("mx.example.org"));

  res = RUN(250, "mx.example.org", "AUTH LOGIN", "AUTH PLAIN B@D", "SIZE 1");
  EXPECT_ERR(res, SF_ERR_CAPS_AUTH_SYNTAX, 2);
  CHECK(res.caps.flags == SF_CAP_AUTH && res.caps.auth == SF_AUTH_MECH_LOGIN);
  CHECK(res.caps.nkeywords == 1);

  res = RUN(250, "mx.example.org", "8BITMIME", "DSN", "SIZE lots");
  EXPECT_ERR(res, SF_ERR_CAPS_SIZE_SYNTAX, 3);
  CHECK(res.caps.flags == (SF_CAP_8BITMIME | SF_CAP_DSN) && res.caps.nkeywords == 2);

  /* The first error wins. */
  res = RUN(250, "mx.example.org", "SIZE 99999999999999999999", "STARTTLS x");
  EXPECT_ERR(res, SF_ERR_CAPS_SIZE_OVERFLOW, 1);

  /* bad_line may be NULL. */
  struct sf_reply r;
  build(&r, 250, (const char *const[]){"mx.example.org", "DSN x", NULL});
  struct sf_caps caps;
  CHECK(sf_caps_parse(&r, &caps, NULL) == SF_ERR_CAPS_UNEXPECTED_PARAM);
  build(&r, 550, (const char *const[]){"no", NULL});
  CHECK(sf_caps_parse(&r, &caps, NULL) == SF_ERR_CAPS_NOT_250);
}

static void test_many_lines(void)
{
  /* The most lines a reply can hold: the domain and 63 capabilities. */
  struct sf_reply r;
  memset(&r, 0, sizeof r);
  r.code = 250;
  r.nlines = SF_REPLY_MAX_LINES;
  r.text[0] = (struct sf_span){"mx.example.org", 14};
  for (size_t i = 1; i < SF_REPLY_MAX_LINES; i++)
    r.text[i] = i % 2 ? (struct sf_span){"X-FILLER", 8} : (struct sf_span){"DSN", 3};
  struct result res = run_reply(&r, __LINE__);
  EXPECT_OK(res, SF_CAP_DSN, 0, 0, 0, SF_REPLY_MAX_LINES / 2, SF_REPLY_MAX_LINES - 1);

  /* A hand-built reply claiming more lines than text[] holds is read only
   * as far as text[] goes. */
  r.nlines = SF_REPLY_MAX_LINES + 100;
  struct sf_caps caps;
  CHECK(sf_caps_parse(&r, &caps, NULL) == SF_ERR_OK);
  CHECK(caps.nkeywords == SF_REPLY_MAX_LINES - 1);

  /* No lines at all. */
  r.nlines = 0;
  CHECK(sf_caps_parse(&r, &caps, NULL) == SF_ERR_OK);
  CHECK(caps.nkeywords == 0 && caps.domain.ptr == NULL);
}

static void test_keyword_is(void)
{
  CHECK(sf_caps_keyword_is("SIZE", 4, "SIZE"));
  CHECK(sf_caps_keyword_is("size", 4, "SIZE"));
  CHECK(sf_caps_keyword_is("sIzE", 4, "SIZE"));
  CHECK(!sf_caps_keyword_is("SIZEX", 5, "SIZE"));
  CHECK(!sf_caps_keyword_is("SIZ", 3, "SIZE"));
  CHECK(!sf_caps_keyword_is("", 0, "SIZE"));
  CHECK(sf_caps_keyword_is("", 0, ""));
  CHECK(!sf_caps_keyword_is("S", 1, ""));
  /* The token ends at len, whatever follows it. */
  CHECK(sf_caps_keyword_is("SIZEX", 4, "SIZE"));
  CHECK(sf_caps_keyword_is("8bitmime", 8, "8BITMIME"));
  /* ASCII only: bytes above 0x7f and their neighbours never fold. */
  CHECK(!sf_caps_keyword_is("S\xc9ZE", 4, "SIZE"));
  CHECK(!sf_caps_keyword_is("S\x09ZE", 4, "SIZE"));
  CHECK(!sf_caps_keyword_is("S@ZE", 4, "S`ZE"));
  CHECK(!sf_caps_keyword_is("S{ZE", 4, "S[ZE"));

  /* At the guard page: a token that ends exactly at the unreadable byte. */
  static const char *const words[] = {"STARTTLS", "starttls", "STARTTLSX", "STARTTL", "S", ""};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    size_t len = strlen(words[i]);
    const char *tok = at_guard(words[i], len);
    CHECK(sf_caps_keyword_is(tok, len, "STARTTLS") ==
          sf_caps_keyword_is(words[i], len, "STARTTLS"));
    CHECK(sf_caps_keyword_is(tok, len, "STARTTLSXYZ") == 0);
  }
}

int main(void)
{
  guard_init();
  test_real_servers();
  test_domain();
  test_not_250();
  test_keyword_identity();
  test_every_byte();
  test_size();
  test_auth();
  test_bad_line();
  test_many_lines();
  test_keyword_is();
  return check_report("caps");
}
