#include "check.h"
#include "config.h"
#include "reply_parser.h"

#include <string.h>

/* Parses `text` into a fresh default configuration. */
static enum sf_err parse(struct sf_config *cfg, const char *text, size_t *line, const char **reason)
{
  sf_config_defaults(cfg);
  *reason = NULL;
  return sf_config_parse(cfg, text, strlen(text), line, reason);
}

/* Checks that `text` fails with `want` on line `want_line`, with a reason. */
static void check_error(const char *text, enum sf_err want, size_t want_line)
{
  struct sf_config cfg;
  size_t line = 0;
  const char *reason;
  enum sf_err err = parse(&cfg, text, &line, &reason);
  CHECKF(err == want, "%s: got %s, want %s", text, sf_err_name(err), sf_err_name(want));
  CHECKF(line == want_line, "%s: line %zu, want %zu", text, line, want_line);
  CHECKF(reason != NULL && reason[0] != '\0' && strchr(reason, '\n') == NULL, "%s: reason", text);
}

static enum sf_err set(struct sf_config *cfg, const char *key, const char *value)
{
  const char *reason = NULL;
  enum sf_err err = sf_config_set(cfg, key, strlen(key), value, strlen(value), &reason);
  if (err != SF_ERR_OK)
    CHECK(reason != NULL && reason[0] != '\0');
  return err;
}

static void test_defaults(void)
{
  struct sf_config cfg;
  memset(&cfg, 0xa5, sizeof cfg);
  sf_config_defaults(&cfg);
  CHECK(cfg.mode == SF_MODE_STARTTLS);
  CHECK(cfg.tls == SF_TLS_REQUIRED);
  CHECK(cfg.verify == 1);
  CHECK(cfg.port == 587);
  CHECK(cfg.auth == SF_AUTH_NONE);
  CHECK(strcmp(cfg.helo_name, "localhost") == 0);
  CHECK(cfg.host == NULL && cfg.cafile == NULL && cfg.user == NULL && cfg.password == NULL);
  CHECK(cfg.mail_from == NULL && cfg.nrcpt == 0 && cfg.message == NULL && cfg.message_len == 0);
  CHECK(cfg.allow_plaintext_auth == 0 && cfg.allow_helo == 0 && cfg.lenient == 0);
  CHECK(cfg.strings_used == 0 && cfg.keys_set == 0);
  CHECK(cfg.timeout_ms[SF_PHASE_GREETING] == 300000);
  CHECK(cfg.timeout_ms[SF_PHASE_DATA] == 120000);
  CHECK(cfg.timeout_ms[SF_PHASE_BODY] == 600000);
  for (int i = 0; i < SF_PHASE_COUNT; i++)
    CHECK(cfg.timeout_ms[i] > 0);
  /* Verification is on and no host is set: the engine refuses to start
   * until it knows the name the certificate must carry. */
  const char *reason;
  CHECK(sf_config_validate(&cfg, &reason) == SF_ERR_CONFIG_NO_HOST);
  cfg.host = "mx.example.com";
  CHECK(sf_config_validate(&cfg, &reason) == SF_ERR_OK);
}

static void test_names(void)
{
  CHECK(strcmp(sf_phase_name(SF_PHASE_GREETING), "greeting") == 0);
  CHECK(strcmp(sf_phase_name(SF_PHASE_QUIT), "quit") == 0);
  CHECK(strcmp(sf_phase_name(SF_PHASE_COUNT), "?") == 0);
  CHECK(strcmp(sf_mode_name(SF_MODE_PLAIN), "plain") == 0);
  CHECK(strcmp(sf_mode_name(SF_MODE_STARTTLS), "starttls") == 0);
  CHECK(strcmp(sf_mode_name(SF_MODE_IMPLICIT), "implicit") == 0);
  CHECK(strcmp(sf_mode_name((enum sf_mode)99), "?") == 0);
  CHECK(strcmp(sf_tls_policy_name(SF_TLS_NONE), "none") == 0);
  CHECK(strcmp(sf_tls_policy_name(SF_TLS_OPPORTUNISTIC), "opportunistic") == 0);
  CHECK(strcmp(sf_tls_policy_name(SF_TLS_REQUIRED), "required") == 0);
  CHECK(strcmp(sf_tls_policy_name((enum sf_tls_policy) - 1), "?") == 0);
  CHECK(strcmp(sf_auth_name(SF_AUTH_NONE), "none") == 0);
  CHECK(strcmp(sf_auth_name(SF_AUTH_PLAIN), "plain") == 0);
  CHECK(strcmp(sf_auth_name(SF_AUTH_LOGIN), "login") == 0);
  CHECK(strcmp(sf_auth_name((enum sf_auth)3), "?") == 0);
}

static void test_every_key(void)
{
  static const char text[] = "# a full configuration\r\n"
                             "mode = implicit\r\n"
                             "tls = required\r\n"
                             "\r\n"
                             "verify = no\n"
                             "  host\t=\tmail.example.org  \n"
                             "cafile = /etc/ssl/ca.pem\n"
                             "port = 465\n"
                             "auth = login\n"
                             "user = alice\n"
                             "password = p#ss = word\n"
                             "allow_plaintext_auth = yes\n"
                             "allow_helo = on\n"
                             "helo_name = client.example.org\n"
                             "from = alice@example.org\n"
                             "to = bob@example.org\n"
                             "to = carol@example.org\n"
                             "message = Subject: x\\r\\n\\r\\nbody\\\\\\n\n"
                             "lenient = bare-lf\n"
                             "timeout.greeting = 1500\n"
                             "   # indented comment\n"
                             "timeout.quit = 86400000"; /* no final line end */
  struct sf_config cfg;
  size_t line = 99;
  const char *reason;
  CHECK(parse(&cfg, text, &line, &reason) == SF_ERR_OK);
  CHECK(cfg.mode == SF_MODE_IMPLICIT);
  CHECK(cfg.tls == SF_TLS_REQUIRED);
  CHECK(cfg.verify == 0);
  CHECK(strcmp(cfg.host, "mail.example.org") == 0);
  CHECK(strcmp(cfg.cafile, "/etc/ssl/ca.pem") == 0);
  CHECK(cfg.port == 465);
  CHECK(cfg.auth == SF_AUTH_LOGIN);
  CHECK(strcmp(cfg.user, "alice") == 0);
  CHECK(strcmp(cfg.password, "p#ss = word") == 0); /* split at the first '=' only */
  CHECK(cfg.allow_plaintext_auth == 1);
  CHECK(cfg.allow_helo == 1);
  CHECK(strcmp(cfg.helo_name, "client.example.org") == 0);
  CHECK(strcmp(cfg.mail_from, "alice@example.org") == 0);
  CHECK(cfg.nrcpt == 2);
  CHECK(strcmp(cfg.rcpt[0], "bob@example.org") == 0);
  CHECK(strcmp(cfg.rcpt[1], "carol@example.org") == 0);
  static const char want_msg[] = "Subject: x\r\n\r\nbody\\\n";
  CHECK(cfg.message_len == sizeof want_msg - 1);
  CHECK(memcmp(cfg.message, want_msg, sizeof want_msg) == 0); /* NUL-terminated too */
  CHECK(cfg.lenient == SF_LENIENT_BARE_LF);
  CHECK(cfg.timeout_ms[SF_PHASE_GREETING] == 1500);
  CHECK(cfg.timeout_ms[SF_PHASE_QUIT] == 86400000);
  CHECK(cfg.timeout_ms[SF_PHASE_EHLO] == 300000); /* untouched */
  /* Strings live in the arena, not in the parsed text. */
  CHECK(cfg.host >= cfg.strings && cfg.host < cfg.strings + sizeof cfg.strings);
  CHECK(cfg.message >= cfg.strings && cfg.message < cfg.strings + sizeof cfg.strings);
  CHECK(sf_config_validate(&cfg, &reason) == SF_ERR_OK);

  /* The other enum values. */
  CHECK(parse(&cfg, "mode = plain\ntls = none\nauth = plain\nlenient = none\n", &line, &reason) ==
        SF_ERR_OK);
  CHECK(cfg.mode == SF_MODE_PLAIN && cfg.tls == SF_TLS_NONE && cfg.auth == SF_AUTH_PLAIN);
  CHECK(cfg.lenient == 0);
  CHECK(parse(&cfg, "mode = starttls\ntls = opportunistic\nauth = none\n", &line, &reason) ==
        SF_ERR_OK);
  CHECK(cfg.mode == SF_MODE_STARTTLS && cfg.tls == SF_TLS_OPPORTUNISTIC);
  CHECK(cfg.auth == SF_AUTH_NONE);
  /* An empty from is the null reverse-path. */
  CHECK(parse(&cfg, "from =\n", &line, &reason) == SF_ERR_OK);
  CHECK(cfg.mail_from != NULL && cfg.mail_from[0] == '\0');
  /* Empty text, only comments and blank lines. */
  CHECK(parse(&cfg, "", &line, &reason) == SF_ERR_OK);
  CHECK(parse(&cfg, "\n\r\n  \n# x = y\n#\n", &line, &reason) == SF_ERR_OK);
  CHECK(cfg.keys_set == 0);
}

static void test_booleans(void)
{
  static const char *const yes[] = {"yes", "true", "on", "1"};
  static const char *const no[] = {"no", "false", "off", "0"};
  static const char *const bad[] = {"", "Yes", "2", "y", "enable", "yes please", "-1"};
  struct sf_config cfg;
  for (size_t i = 0; i < 4; i++) {
    sf_config_defaults(&cfg);
    CHECK(set(&cfg, "allow_helo", yes[i]) == SF_ERR_OK && cfg.allow_helo == 1);
    CHECK(set(&cfg, "verify", no[i]) == SF_ERR_OK && cfg.verify == 0);
    CHECK(set(&cfg, "allow_plaintext_auth", yes[i]) == SF_ERR_OK && cfg.allow_plaintext_auth == 1);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sf_config_defaults(&cfg);
    CHECKF(set(&cfg, "verify", bad[i]) == SF_ERR_CONFIG_BAD_VALUE, "'%s'", bad[i]);
    CHECK(cfg.verify == 1); /* unchanged: never a silent default */
  }
}

static void test_numbers(void)
{
  struct sf_config cfg;
  sf_config_defaults(&cfg);
  CHECK(set(&cfg, "port", "1") == SF_ERR_OK && cfg.port == 1);
  sf_config_defaults(&cfg);
  CHECK(set(&cfg, "port", "65535") == SF_ERR_OK && cfg.port == 65535);
  sf_config_defaults(&cfg);
  CHECK(set(&cfg, "port", " 25 ") == SF_ERR_OK && cfg.port == 25);
  static const char *const bad_ports[] = {"0",
                                          "65536",
                                          "-1",
                                          "+25",
                                          "0x1d",
                                          "25a",
                                          "2 5",
                                          "",
                                          "1e3",
                                          "99999999999999999999999999",
                                          "18446744073709551616"};
  for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
    sf_config_defaults(&cfg);
    CHECKF(set(&cfg, "port", bad_ports[i]) == SF_ERR_CONFIG_BAD_VALUE, "port '%s'", bad_ports[i]);
    CHECK(cfg.port == 587);
  }
  /* Timeouts: each phase by name, 1..86400000 ms. */
  for (int p = 0; p < SF_PHASE_COUNT; p++) {
    char key[64];
    snprintf(key, sizeof key, "timeout.%s", sf_phase_name((enum sf_phase)p));
    sf_config_defaults(&cfg);
    CHECKF(set(&cfg, key, "1") == SF_ERR_OK && cfg.timeout_ms[p] == 1, "%s", key);
    CHECK(set(&cfg, key, "2") == SF_ERR_CONFIG_DUPLICATE_KEY);
    sf_config_defaults(&cfg);
    CHECK(set(&cfg, key, "0") == SF_ERR_CONFIG_BAD_VALUE);
    CHECK(set(&cfg, key, "86400001") == SF_ERR_CONFIG_BAD_VALUE);
    CHECK(set(&cfg, key, "4294967297") == SF_ERR_CONFIG_BAD_VALUE); /* 2^32 + 1 */
    CHECK(set(&cfg, key, "5s") == SF_ERR_CONFIG_BAD_VALUE);
  }
  sf_config_defaults(&cfg);
  CHECK(set(&cfg, "timeout.", "5") == SF_ERR_CONFIG_UNKNOWN_KEY);
  CHECK(set(&cfg, "timeout.hello", "5") == SF_ERR_CONFIG_UNKNOWN_KEY);
  CHECK(set(&cfg, "timeout", "5") == SF_ERR_CONFIG_UNKNOWN_KEY);
  CHECK(set(&cfg, "timeout.GREETING", "5") == SF_ERR_CONFIG_UNKNOWN_KEY);
}

static void test_errors_and_lines(void)
{
  check_error("mode = starttls\nport 587\n", SF_ERR_CONFIG_SYNTAX, 2);
  check_error("# c\n\n= 587\n", SF_ERR_CONFIG_SYNTAX, 3);
  check_error("  =\n", SF_ERR_CONFIG_SYNTAX, 1);
  check_error("mode = starttls\r\nprot = 587\r\n", SF_ERR_CONFIG_UNKNOWN_KEY, 2);
  check_error("Mode = starttls\n", SF_ERR_CONFIG_UNKNOWN_KEY, 1);
  check_error("\n\n\nmode = tls\n", SF_ERR_CONFIG_BAD_VALUE, 4);
  check_error("tls = maybe\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("auth = cram-md5\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("lenient = bare-cr\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("port = 25\nport = 587\n", SF_ERR_CONFIG_DUPLICATE_KEY, 2);
  check_error("host = a\n# comment\nhost = a\n", SF_ERR_CONFIG_DUPLICATE_KEY, 3);
  check_error("message = a\\tb\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("message = trailing\\\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("helo_name =\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("to =   \n", SF_ERR_CONFIG_BAD_VALUE, 1);
  /* A host is a DNS name or an address: nothing a certificate could not name. */
  check_error("host = mx example.com\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("host = [2001:db8::1]\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("host = mx.example.com/x\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("host = mx..example.com\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("host = "
              "a234567890123456789012345678901234567890123456789012345678901234.example.com\n",
              SF_ERR_CONFIG_BAD_VALUE, 1);
  /* An address ends its path early or adds a parameter with an unquoted
   * '>' or space (RFC 5321 4.1.2); a quoted local part may hold both. */
  check_error("from = a@b.example> BODY=8BITMIME\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("to = x@y\nto = b@c >\n", SF_ERR_CONFIG_BAD_VALUE, 2);
  check_error("from = \"a b\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  /* A bare CR inside a value would end an SMTP command early: in an
   * address, and in every other value (helo_name goes into EHLO as it is;
   * the address check alone refused the one above). */
  check_error("from = a@b\rRCPT TO:<x@y>\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("helo_name = client\rRSET\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("user = u\rv\n", SF_ERR_CONFIG_BAD_VALUE, 1);
  check_error("password = p\rw\n", SF_ERR_CONFIG_BAD_VALUE, 1);

  /* NUL inside a value (the text is length-delimited). */
  static const char nul[] = "port = 587\nhost = a\0b\n";
  struct sf_config cfg;
  size_t line = 0;
  const char *reason = NULL;
  sf_config_defaults(&cfg);
  CHECK(sf_config_parse(&cfg, nul, sizeof nul - 1, &line, &reason) == SF_ERR_CONFIG_BAD_VALUE);
  CHECK(line == 2);
  /* The reason names what is accepted. */
  CHECK(parse(&cfg, "mode = tls\n", &line, &reason) == SF_ERR_CONFIG_BAD_VALUE);
  CHECK(strstr(reason, "plain") != NULL && strstr(reason, "implicit") != NULL);
  CHECK(parse(&cfg, "timeout.helo = 5\n", &line, &reason) == SF_ERR_CONFIG_UNKNOWN_KEY);
  CHECK(strstr(reason, "greeting") != NULL && strstr(reason, "quit") != NULL);

  /* sf_config_set directly: empty key, NULL value. */
  sf_config_defaults(&cfg);
  CHECK(sf_config_set(&cfg, " ", 1, "x", 1, &reason) == SF_ERR_CONFIG_SYNTAX);
  CHECK(sf_config_set(&cfg, "host", 4, NULL, 0, &reason) == SF_ERR_OK);
  CHECK(cfg.host != NULL && cfg.host[0] == '\0');
  /* A failed value leaves the key unset, so it may be given again. */
  sf_config_defaults(&cfg);
  CHECK(set(&cfg, "port", "x") == SF_ERR_CONFIG_BAD_VALUE);
  CHECK(set(&cfg, "port", "25") == SF_ERR_OK && cfg.port == 25);
}

static void test_recipients(void)
{
  struct sf_config cfg;
  sf_config_defaults(&cfg);
  char addr[32];
  for (int i = 0; i < SF_CONFIG_MAX_RCPT; i++) {
    snprintf(addr, sizeof addr, "r%d@example.org", i);
    CHECK(set(&cfg, "to", addr) == SF_ERR_OK);
  }
  CHECK(cfg.nrcpt == SF_CONFIG_MAX_RCPT);
  CHECK(strcmp(cfg.rcpt[SF_CONFIG_MAX_RCPT - 1], "r7@example.org") == 0);
  CHECK(set(&cfg, "to", "one-too-many@example.org") == SF_ERR_CONFIG_TOO_LONG);
  CHECK(cfg.nrcpt == SF_CONFIG_MAX_RCPT);

  /* In a file: the ninth `to` is the error line. */
  char text[512] = "";
  for (int i = 0; i <= SF_CONFIG_MAX_RCPT; i++)
    strcat(text, "to = x@example.org\n");
  check_error(text, SF_ERR_CONFIG_TOO_LONG, SF_CONFIG_MAX_RCPT + 1);
}

static void test_arena(void)
{
  struct sf_config cfg;
  sf_config_defaults(&cfg);
  static char big[SF_CONFIG_STRINGS + 1];
  memset(big, 'a', sizeof big - 1);
  /* One string that just fits (with its NUL), then nothing more does. */
  const char *reason;
  CHECK(sf_config_set(&cfg, "password", 8, big, SF_CONFIG_STRINGS - 1, &reason) == SF_ERR_OK);
  CHECK(cfg.strings_used == SF_CONFIG_STRINGS);
  CHECK(strlen(cfg.password) == SF_CONFIG_STRINGS - 1);
  CHECK(set(&cfg, "user", "") == SF_ERR_CONFIG_TOO_LONG);
  CHECK(cfg.user == NULL);

  sf_config_defaults(&cfg);
  CHECK(sf_config_set(&cfg, "password", 8, big, SF_CONFIG_STRINGS, &reason) ==
        SF_ERR_CONFIG_TOO_LONG);
  CHECK(cfg.password == NULL && cfg.strings_used == 0);

  /* Many values in a file: the one that overflows is the error line. */
  static char text[3 * SF_CONFIG_STRINGS];
  size_t n = 0;
  const char *keys[] = {"helo_name", "cafile", "user", "password"};
  for (int k = 0; k < 4; k++) {
    n += (size_t)snprintf(text + n, sizeof text - n, "%s = ", keys[k]);
    memset(text + n, 'x', 3000);
    n += 3000;
    text[n++] = '\n';
  }
  text[n] = '\0';
  check_error(text, SF_ERR_CONFIG_TOO_LONG, 3);

  /* An escaped message counts its decoded length. */
  sf_config_defaults(&cfg);
  static char msg[2 * SF_CONFIG_STRINGS];
  for (size_t i = 0; i < SF_CONFIG_STRINGS - 1; i++)
    memcpy(msg + 2 * i, "\\n", 2);
  CHECK(sf_config_set(&cfg, "message", 7, msg, 2 * (SF_CONFIG_STRINGS - 1), &reason) == SF_ERR_OK);
  CHECK(cfg.message_len == SF_CONFIG_STRINGS - 1 && cfg.message[0] == '\n');
}

static void test_validate(void)
{
  static const struct {
    const char *text;
    enum sf_err want;
  } cases[] = {
      {"mode = plain\ntls = none\n", SF_ERR_OK},
      {"mode = starttls\ntls = opportunistic\nhost = mx.example.com\n", SF_ERR_OK},
      {"mode = starttls\ntls = required\nhost = mx.example.com\n", SF_ERR_OK},
      {"mode = implicit\ntls = required\nhost = mx.example.com\n", SF_ERR_OK},
      {"mode = plain\ntls = opportunistic\n", SF_ERR_CONFIG_INCONSISTENT},
      {"mode = plain\n", SF_ERR_CONFIG_INCONSISTENT}, /* default tls = required */
      {"mode = starttls\ntls = none\n", SF_ERR_CONFIG_INCONSISTENT},
      {"mode = implicit\ntls = none\n", SF_ERR_CONFIG_INCONSISTENT},
      {"mode = implicit\ntls = opportunistic\n", SF_ERR_CONFIG_INCONSISTENT},
      {"auth = plain\nuser = a\npassword = b\nhost = h\n", SF_ERR_OK},
      {"auth = plain\nuser = a\n", SF_ERR_CONFIG_MISSING},
      {"auth = login\npassword = b\n", SF_ERR_CONFIG_MISSING},
      {"message = hi\nfrom = a@b\nto = c@d\nhost = h\n", SF_ERR_OK},
      {"message = hi\nto = c@d\n", SF_ERR_CONFIG_MISSING},
      {"message = hi\nfrom = a@b\n", SF_ERR_CONFIG_MISSING},
      /* RFC 5321 3.3: a transaction needs a recipient. */
      {"from = a@b\nhost = h\n", SF_ERR_CONFIG_MISSING},
      {"from = \nto = c@d\nhost = h\n", SF_ERR_OK},
      /* Verification needs the name to check (RFC 6125 6); an address is one. */
      {"verify = yes\n", SF_ERR_CONFIG_NO_HOST},
      {"verify = yes\nhost = \n", SF_ERR_CONFIG_NO_HOST},
      {"mode = implicit\n", SF_ERR_CONFIG_NO_HOST},
      {"verify = yes\nhost = 192.0.2.10\n", SF_ERR_OK},
      {"verify = yes\nhost = 2001:db8::10\n", SF_ERR_OK},
      {"verify = no\n", SF_ERR_OK},
      {"mode = plain\ntls = none\nverify = yes\n", SF_ERR_OK},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct sf_config cfg;
    size_t line;
    const char *reason = NULL;
    CHECK(parse(&cfg, cases[i].text, &line, &reason) == SF_ERR_OK);
    reason = NULL;
    enum sf_err err = sf_config_validate(&cfg, &reason);
    CHECKF(err == cases[i].want, "%s: got %s", cases[i].text, sf_err_name(err));
    if (cases[i].want != SF_ERR_OK)
      CHECK(reason != NULL && reason[0] != '\0');
  }
  /* What one command cannot carry (RFC 5321 4.5.3.1, RFC 4954 4), refused
   * at the limit's edge and not a byte before. Each key is set last, after
   * the others' fixed values. */
  static const struct {
    const char *key, *others;
    size_t limit;
  } sizes[] = {
      {"helo_name", "from = a@b\nto = c@d\n", SF_CONFIG_MAX_DOMAIN},
      {"from", "to = c@d\n", SF_CONFIG_MAX_PATH},
      {"to", "from = a@b\n", SF_CONFIG_MAX_PATH},
      {"password", "auth = plain\nuser = a\n", SF_CONFIG_MAX_CREDENTIALS - 1},
  };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    for (int over = 0; over < 2; over++) {
      char value[600], text[1024];
      size_t n = sizes[i].limit + (size_t)over;
      memset(value, 'x', n);
      value[n] = '\0';
      snprintf(text, sizeof text, "host = h\n%s%s = %s\n", sizes[i].others, sizes[i].key, value);
      struct sf_config c;
      size_t l;
      const char *why = NULL;
      CHECKF(parse(&c, text, &l, &why) == SF_ERR_OK, "%s: %s", sizes[i].key, why ? why : "");
      enum sf_err err = sf_config_validate(&c, &why);
      CHECKF(err == (over ? SF_ERR_CONFIG_TOO_LONG : SF_ERR_OK), "%s of %zu: %s", sizes[i].key, n,
             sf_err_name(err));
    }

  /* The reason names the fix. */
  struct sf_config cfg;
  size_t line;
  const char *reason = NULL;
  CHECK(parse(&cfg, "mode = implicit\ntls = opportunistic\n", &line, &reason) == SF_ERR_OK);
  CHECK(sf_config_validate(&cfg, &reason) == SF_ERR_CONFIG_INCONSISTENT);
  CHECK(strstr(reason, "tls = required") != NULL);
}

int main(void)
{
  test_defaults();
  test_names();
  test_every_key();
  test_booleans();
  test_numbers();
  test_errors_and_lines();
  test_recipients();
  test_arena();
  test_validate();
  return check_report("config");
}
