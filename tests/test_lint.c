#include "check.h"
#include "config.h"
#include "lint.h"

#include <string.h>

/* Parses `text` over the defaults; the text must be valid. */
static void load(struct sf_config *cfg, const char *text)
{
  size_t line = 0;
  const char *reason = NULL;
  sf_config_defaults(cfg);
  enum sf_err err = sf_config_parse(cfg, text, strlen(text), &line, &reason);
  CHECKF(err == SF_ERR_OK, "%s: line %zu: %s", text, line, reason);
  err = sf_config_validate(cfg, &reason);
  /* Verification without a host is an engine error and lint's own finding. */
  CHECKF(err == SF_ERR_OK || err == SF_ERR_CONFIG_NO_HOST, "%s: %s", text, reason);
}

/* Does linting `text` report `id`? Also checks every finding is well formed. */
static int fires(const char *text, enum sf_lint_id id)
{
  struct sf_config cfg;
  struct sf_lint_finding f[SF_LINT_COUNT];
  load(&cfg, text);
  size_t n = sf_lint(&cfg, f, SF_LINT_COUNT);
  CHECK(n <= SF_LINT_COUNT);
  int found = 0;
  for (size_t i = 0; i < n; i++) {
    CHECK(f[i].name != NULL && f[i].advice != NULL && f[i].advice[0] != '\0');
    if (i > 0)
      CHECK(f[i].id > f[i - 1].id); /* SF_LINT_LIST order, no repeats */
    if (f[i].id == id)
      found = 1;
  }
  return found;
}

#define GOOD_587                                                                                   \
  "port = 587\nmode = starttls\ntls = required\nverify = yes\nhost = mail.example.org\n"
#define GOOD_465                                                                                   \
  "port = 465\nmode = implicit\ntls = required\nverify = yes\nhost = mail.example.org\n"
#define CREDS "auth = plain\nuser = alice\npassword = s3cret\n"

static void test_clean(void)
{
  struct sf_config cfg;
  struct sf_lint_finding f[SF_LINT_COUNT];
  static const char *const good[] = {
      GOOD_587,
      GOOD_587 CREDS,
      GOOD_465,
      GOOD_465 "auth = login\nuser = a\npassword = b\n",
      "port = 2525\nmode = starttls\nhost = mail.example.org\n",
      /* Relay on 25: opportunistic STARTTLS is by design there. */
      "port = 25\nmode = starttls\ntls = opportunistic\nhost = mx.example.org\n",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    load(&cfg, good[i]);
    size_t n = sf_lint(&cfg, f, SF_LINT_COUNT);
    CHECKF(n == 0, "%s: %zu findings, first %s", good[i], n, n > 0 ? f[0].name : "");
  }
}

static void test_rules(void)
{
  /* STARTTLS_ON_IMPLICIT_PORT: a plaintext opening on 465, starttls or plain. */
  CHECK(fires("port = 465\nmode = starttls\nhost = h\n", SF_LINT_STARTTLS_ON_IMPLICIT_PORT));
  CHECK(fires("port = 465\nmode = plain\ntls = none\n", SF_LINT_STARTTLS_ON_IMPLICIT_PORT));
  CHECK(!fires(GOOD_465, SF_LINT_STARTTLS_ON_IMPLICIT_PORT));

  /* IMPLICIT_ON_STARTTLS_PORT on 587, 25 and 2525. */
  CHECK(fires("port = 587\nmode = implicit\nhost = h\n", SF_LINT_IMPLICIT_ON_STARTTLS_PORT));
  CHECK(fires("port = 25\nmode = implicit\nhost = h\n", SF_LINT_IMPLICIT_ON_STARTTLS_PORT));
  CHECK(fires("port = 2525\nmode = implicit\nhost = h\n", SF_LINT_IMPLICIT_ON_STARTTLS_PORT));
  CHECK(!fires("port = 4650\nmode = implicit\nhost = h\n", SF_LINT_IMPLICIT_ON_STARTTLS_PORT));

  /* OPPORTUNISTIC_WITH_AUTH, and OPPORTUNISTIC without AUTH. */
  CHECK(fires("tls = opportunistic\nhost = h\n" CREDS, SF_LINT_OPPORTUNISTIC_WITH_AUTH));
  CHECK(!fires("tls = opportunistic\nhost = h\n" CREDS, SF_LINT_OPPORTUNISTIC));
  CHECK(fires("tls = opportunistic\nhost = h\n", SF_LINT_OPPORTUNISTIC));
  CHECK(!fires("tls = opportunistic\nhost = h\n", SF_LINT_OPPORTUNISTIC_WITH_AUTH));
  CHECK(!fires("port = 25\ntls = opportunistic\nhost = h\n", SF_LINT_OPPORTUNISTIC));
  CHECK(fires("port = 25\ntls = opportunistic\nhost = h\n" CREDS, SF_LINT_OPPORTUNISTIC_WITH_AUTH));

  /* PLAINTEXT_AUTH, and PLAINTEXT without AUTH. */
  CHECK(fires("mode = plain\ntls = none\n" CREDS, SF_LINT_PLAINTEXT_AUTH));
  CHECK(!fires("mode = plain\ntls = none\n" CREDS, SF_LINT_PLAINTEXT));
  CHECK(fires("mode = plain\ntls = none\n", SF_LINT_PLAINTEXT));
  CHECK(!fires("mode = plain\ntls = none\n", SF_LINT_PLAINTEXT_AUTH));
  CHECK(!fires(GOOD_587 CREDS, SF_LINT_PLAINTEXT_AUTH));

  /* PLAINTEXT_AUTH_ALLOWED, even where TLS is required. */
  CHECK(fires(GOOD_587 "allow_plaintext_auth = yes\n", SF_LINT_PLAINTEXT_AUTH_ALLOWED));

  /* VERIFY_OFF only when TLS is in use. */
  CHECK(fires("port = 587\nverify = no\nhost = h\n", SF_LINT_VERIFY_OFF));
  CHECK(fires("port = 465\nmode = implicit\nverify = no\n", SF_LINT_VERIFY_OFF));
  CHECK(!fires("mode = plain\ntls = none\nverify = no\n", SF_LINT_VERIFY_OFF));

  /* NO_HOST_NAME: verification on, TLS in use, host missing or empty. */
  CHECK(fires("port = 587\n", SF_LINT_NO_HOST_NAME));
  CHECK(fires("port = 587\nhost =\n", SF_LINT_NO_HOST_NAME));
  CHECK(!fires("port = 587\nverify = no\n", SF_LINT_NO_HOST_NAME));
  CHECK(!fires("mode = plain\ntls = none\n", SF_LINT_NO_HOST_NAME));

  /* AUTH_ON_RELAY_PORT. */
  CHECK(fires("port = 25\nhost = h\n" CREDS, SF_LINT_AUTH_ON_RELAY_PORT));
  CHECK(!fires("port = 25\nhost = h\n", SF_LINT_AUTH_ON_RELAY_PORT));
  CHECK(!fires(GOOD_587 CREDS, SF_LINT_AUTH_ON_RELAY_PORT));

  /* HELO_FALLBACK. */
  CHECK(fires(GOOD_587 "allow_helo = yes\n", SF_LINT_HELO_FALLBACK));
  CHECK(!fires(GOOD_587 "allow_helo = no\n", SF_LINT_HELO_FALLBACK));

  /* NONSTANDARD_PORT. */
  CHECK(fires("port = 10025\nhost = h\n", SF_LINT_NONSTANDARD_PORT));
  CHECK(fires("port = 1\nhost = h\n", SF_LINT_NONSTANDARD_PORT));
  CHECK(!fires("port = 2525\nhost = h\n", SF_LINT_NONSTANDARD_PORT));
}

static void test_finding_fields(void)
{
  struct sf_config cfg;
  struct sf_lint_finding f[SF_LINT_COUNT];
  load(&cfg, "port = 465\nmode = starttls\nhost = h\n");
  CHECK(sf_lint(&cfg, f, SF_LINT_COUNT) == 1);
  CHECK(f[0].id == SF_LINT_STARTTLS_ON_IMPLICIT_PORT);
  CHECK(f[0].severity == SF_SEV_ERROR);
  CHECK(strcmp(f[0].name, "STARTTLS_ON_IMPLICIT_PORT") == 0);
  CHECK(strstr(f[0].advice, "465") != NULL);

  load(&cfg, "port = 10025\nhost = h\nallow_helo = yes\n");
  CHECK(sf_lint(&cfg, f, SF_LINT_COUNT) == 2);
  CHECK(f[0].id == SF_LINT_HELO_FALLBACK && f[0].severity == SF_SEV_WARNING);
  CHECK(strcmp(f[0].name, "HELO_FALLBACK") == 0);
  CHECK(f[1].id == SF_LINT_NONSTANDARD_PORT && f[1].severity == SF_SEV_INFO);

  CHECK(strcmp(sf_severity_name(SF_SEV_ERROR), "error") == 0);
  CHECK(strcmp(sf_severity_name(SF_SEV_WARNING), "warning") == 0);
  CHECK(strcmp(sf_severity_name(SF_SEV_INFO), "info") == 0);
  CHECK(strcmp(sf_severity_name((enum sf_severity)7), "?") == 0);
}

static void test_cap(void)
{
  /* Everything wrong at once: plaintext AUTH on 25 with both escape hatches. */
  struct sf_config cfg;
  load(&cfg, "port = 25\nmode = plain\ntls = none\nallow_plaintext_auth = yes\n"
             "allow_helo = yes\n" CREDS);
  struct sf_lint_finding all[SF_LINT_COUNT];
  size_t total = sf_lint(&cfg, all, SF_LINT_COUNT);
  CHECK(total == 4); /* PLAINTEXT_AUTH, PLAINTEXT_AUTH_ALLOWED, AUTH_ON_RELAY_PORT, HELO */
  CHECK(sf_lint(&cfg, NULL, 0) == total);

  struct sf_lint_finding few[SF_LINT_COUNT + 1];
  memset(few, 0, sizeof few);
  few[2].name = "guard";
  CHECK(sf_lint(&cfg, few, 2) == total);
  CHECK(few[0].id == all[0].id && few[1].id == all[1].id);
  CHECK(strcmp(few[2].name, "guard") == 0); /* nothing written past cap */
}

int main(void)
{
  test_clean();
  test_rules();
  test_finding_fields();
  test_cap();
  return check_report("lint");
}
