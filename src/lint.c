/* Lint: the port table of lint.h and the mistakes that leak mail or
 * passwords. Each rule is one line that decides whether its id fires; the
 * findings come out in SF_LINT_LIST order. */
#include "lint.h"

#include <stdbool.h>

static const struct {
  enum sf_severity severity;
  const char *name;
  const char *advice;
} rules[SF_LINT_COUNT] = {
#define SF_LINT_ROW(id, sev, adv) [SF_LINT_##id] = {SF_SEV_##sev, #id, adv},
    SF_LINT_LIST(SF_LINT_ROW)
#undef SF_LINT_ROW
};

static bool is_starttls_port(uint16_t port)
{
  return port == 587 || port == 25 || port == 2525;
}

size_t sf_lint(const struct sf_config *cfg, struct sf_lint_finding *out, size_t cap)
{
  bool fires[SF_LINT_COUNT] = {false};
  bool auth = cfg->auth != SF_AUTH_NONE;
  bool plaintext = cfg->mode == SF_MODE_PLAIN || cfg->tls == SF_TLS_NONE;
  bool opportunistic = !plaintext && cfg->tls == SF_TLS_OPPORTUNISTIC;
  bool no_host = cfg->host == NULL || cfg->host[0] == '\0';

  /* RFC 8314 3.3: 465 expects a TLS ClientHello as the first byte, so a
   * plaintext client (starttls or plain) hangs or gets garbage. */
  fires[SF_LINT_STARTTLS_ON_IMPLICIT_PORT] = cfg->port == 465 && cfg->mode != SF_MODE_IMPLICIT;
  fires[SF_LINT_IMPLICIT_ON_STARTTLS_PORT] =
      is_starttls_port(cfg->port) && cfg->mode == SF_MODE_IMPLICIT;
  /* RFC 3207 6: STARTTLS can be stripped; opportunistic TLS then sends
   * AUTH in the clear. */
  fires[SF_LINT_OPPORTUNISTIC_WITH_AUTH] = opportunistic && auth;
  fires[SF_LINT_PLAINTEXT_AUTH] = plaintext && auth;
  fires[SF_LINT_PLAINTEXT_AUTH_ALLOWED] = cfg->allow_plaintext_auth != 0;
  fires[SF_LINT_VERIFY_OFF] = !plaintext && !cfg->verify;
  fires[SF_LINT_NO_HOST_NAME] = !plaintext && cfg->verify && no_host;
  /* RFC 6409 / RFC 8314: submission with AUTH belongs on 587 or 465. */
  fires[SF_LINT_AUTH_ON_RELAY_PORT] = cfg->port == 25 && auth;
  fires[SF_LINT_PLAINTEXT] = plaintext && !auth;
  /* Relay on port 25 is opportunistic by design (RFC 3207, lint.h table):
   * nothing better is available there, so no warning. */
  fires[SF_LINT_OPPORTUNISTIC] = opportunistic && !auth && cfg->port != 25;
  fires[SF_LINT_HELO_FALLBACK] = cfg->allow_helo != 0;
  fires[SF_LINT_NONSTANDARD_PORT] = !is_starttls_port(cfg->port) && cfg->port != 465;

  size_t n = 0;
  for (int id = 0; id < SF_LINT_COUNT; id++) {
    if (!fires[id])
      continue;
    if (n < cap)
      out[n] = (struct sf_lint_finding){(enum sf_lint_id)id, rules[id].severity, rules[id].name,
                                        rules[id].advice};
    n++;
  }
  return n;
}

const char *sf_severity_name(enum sf_severity sev)
{
  switch (sev) {
  case SF_SEV_INFO:
    return "info";
  case SF_SEV_WARNING:
    return "warning";
  case SF_SEV_ERROR:
    return "error";
  }
  return "?";
}
