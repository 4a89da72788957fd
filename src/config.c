/* Client configuration: defaults, the "key = value" text form, validation.
 *
 * Every value is checked; a value that does not parse is an error, never a
 * silent default. Strings are copied into cfg->strings, so the text the
 * caller parsed may be freed afterwards (but the struct must not be copied
 * by value: its pointers point into its own arena).
 */
#include "config.h"

#include "host.h"
#include "reply_parser.h"

#include <stddef.h>
#include <string.h>

/* Every key of the text form; the index is the bit in cfg->keys_set.
 * timeout.<phase> keys follow, at SF_KEY_COUNT + phase. */
#define SF_KEY_LIST(X)                                                                             \
  X(MODE, "mode")                                                                                  \
  X(TLS, "tls")                                                                                    \
  X(VERIFY, "verify")                                                                              \
  X(HOST, "host")                                                                                  \
  X(CAFILE, "cafile")                                                                              \
  X(PORT, "port")                                                                                  \
  X(AUTH, "auth")                                                                                  \
  X(USER, "user")                                                                                  \
  X(PASSWORD, "password")                                                                          \
  X(ALLOW_PLAINTEXT_AUTH, "allow_plaintext_auth")                                                  \
  X(ALLOW_HELO, "allow_helo")                                                                      \
  X(HELO_NAME, "helo_name")                                                                        \
  X(FROM, "from")                                                                                  \
  X(TO, "to")                                                                                      \
  X(MESSAGE, "message")                                                                            \
  X(LENIENT, "lenient")

enum sf_key {
#define SF_KEY_ENUM(id, name) SF_KEY_##id,
  SF_KEY_LIST(SF_KEY_ENUM)
#undef SF_KEY_ENUM
      SF_KEY_COUNT
};

_Static_assert(SF_KEY_COUNT + SF_PHASE_COUNT <= 64, "keys_set has one bit per key");

static const char *const key_names[SF_KEY_COUNT] = {
#define SF_KEY_NAME(id, name) name,
    SF_KEY_LIST(SF_KEY_NAME)
#undef SF_KEY_NAME
};

static const char *const phase_names[SF_PHASE_COUNT] = {
#define SF_PHASE_NAME(id, name, ms) name,
    SF_PHASE_LIST(SF_PHASE_NAME)
#undef SF_PHASE_NAME
};

static const uint32_t phase_defaults[SF_PHASE_COUNT] = {
#define SF_PHASE_MS(id, name, ms) ms,
    SF_PHASE_LIST(SF_PHASE_MS)
#undef SF_PHASE_MS
};

#define TIMEOUT_PREFIX "timeout."
#define TIMEOUT_MAX_MS 86400000u /* one day: anything longer is a typo */

/* The reasons list what is accepted, so the message alone tells the fix. */
#define KEYS_ACCEPTED                                                                              \
  "keys are mode, tls, verify, host, cafile, port, auth, user, password, "                         \
  "allow_plaintext_auth, allow_helo, helo_name, from, to, message, lenient, timeout.<phase>"
#define SF_PHASE_WORD(id, name, ms) " " name
#define PHASES_ACCEPTED             "timeout phases are" SF_PHASE_LIST(SF_PHASE_WORD)
#define STR(x)                      #x
#define XSTR(x)                     STR(x)
#define ARENA_FULL                  "the configuration's strings exceed " XSTR(SF_CONFIG_STRINGS) " bytes in all"
#define BOOL_ACCEPTED               "yes, no, true, false, on, off, 1 or 0"

/* Fail fast: return the error with its reason. */
#define FAIL(err, why)                                                                             \
  do {                                                                                             \
    *reason = (why);                                                                               \
    return SF_ERR_##err;                                                                           \
  } while (0)

/* In enum order, NULL-terminated for text_pick(). */
static const char *const mode_names[] = {"plain", "starttls", "implicit", NULL};
static const char *const tls_names[] = {"none", "opportunistic", "required", NULL};
static const char *const auth_names[] = {"none", "plain", "login", NULL};

struct text {
  const char *ptr;
  size_t len;
};

static int is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

static struct text trim(const char *p, size_t n)
{
  while (n > 0 && is_blank(p[0])) {
    p++;
    n--;
  }
  while (n > 0 && is_blank(p[n - 1]))
    n--;
  return (struct text){p, n};
}

static int text_is(struct text t, const char *word)
{
  size_t n = strlen(word);
  return t.len == n && memcmp(t.ptr, word, n) == 0;
}

/* Index of `t` in `words` (NULL-terminated), or -1. */
static int text_pick(struct text t, const char *const *words)
{
  for (int i = 0; words[i] != NULL; i++)
    if (text_is(t, words[i]))
      return i;
  return -1;
}

static int parse_bool(struct text t, int *out)
{
  static const char *const yes[] = {"yes", "true", "on", "1", NULL};
  static const char *const no[] = {"no", "false", "off", "0", NULL};
  if (text_pick(t, yes) >= 0) {
    *out = 1;
    return 1;
  }
  if (text_pick(t, no) >= 0) {
    *out = 0;
    return 1;
  }
  return 0;
}

/* Decimal digits only, in [min, max]; no sign, no base prefix, no spaces. */
static int parse_number(struct text t, uint64_t min, uint64_t max, uint64_t *out)
{
  uint64_t v = 0;
  if (t.len == 0)
    return 0;
  for (size_t i = 0; i < t.len; i++) {
    char c = t.ptr[i];
    if (c < '0' || c > '9')
      return 0;
    if (v > (max - (uint64_t)(c - '0')) / 10)
      return 0; /* above max, which also catches overflow */
    v = v * 10 + (uint64_t)(c - '0');
  }
  if (v < min)
    return 0;
  *out = v;
  return 1;
}

/* Copies `n` bytes and a NUL into the arena; NULL when it is full. */
static char *arena_take(struct sf_config *cfg, size_t n)
{
  if (n >= sizeof cfg->strings - cfg->strings_used)
    return NULL;
  char *p = cfg->strings + cfg->strings_used;
  cfg->strings_used += n + 1;
  p[n] = '\0';
  return p;
}

/* An address goes between the '<' and '>' of MAIL FROM:<...> and RCPT
 * TO:<...> (RFC 5321 4.1.2), with parameters after it. So it may not hold
 * a control character, an unquoted '<', '>', space or tab: any of them
 * would end the path early or add a parameter of the sender's choosing
 * ("a@b.example> BODY=8BITMIME"). A quoted local part may hold spaces and
 * brackets; UTF-8 is allowed (RFC 6531). */
#define PATH_RULE                                                                                  \
  "an address has no control characters and no '<', '>', space or tab outside a quoted local "     \
  "part (RFC 5321 4.1.2)"

static int path_ok(const char *p, size_t n)
{
  /* The bytes with a rule below, as a bitmap over the 256 byte values (one
   * word per 32): controls, ' ', '"', '<', '>', '\\' and DEL. Any other
   * byte is passed over with one lookup. */
  static const uint32_t special[8] = {
      0xffffffffu, 1u << (' ' - 32) | 1u << ('"' - 32) | 1u << ('<' - 32) | 1u << ('>' - 32),
      1u << ('\\' - 64), 1u << (0x7f - 96)};
  int quoted = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (!(special[c >> 5] >> (c & 31) & 1u))
      continue;
    if (c < 0x20 || c == 0x7f)
      return 0;
    if (quoted && c == '\\' && i + 1 < n)
      i++;
    else if (c == '"')
      quoted = !quoted;
    else if (!quoted && (c == '<' || c == '>' || c == ' '))
      return 0;
  }
  return !quoted;
}

/* Strings other than the message end up inside SMTP commands: a CR or LF
 * would let a value inject a command of its own. */
static enum sf_err set_string(struct sf_config *cfg, struct text v, const char **out,
                              const char **reason)
{
  if (memchr(v.ptr, '\r', v.len) != NULL || memchr(v.ptr, '\n', v.len) != NULL)
    FAIL(CONFIG_BAD_VALUE, "values cannot contain CR or LF");
  char *p = arena_take(cfg, v.len);
  if (p == NULL)
    FAIL(CONFIG_TOO_LONG, ARENA_FULL);
  if (v.len > 0)
    memcpy(p, v.ptr, v.len);
  *out = p;
  return SF_ERR_OK;
}

/* The message fits on one line: \n, \r and \\ are decoded, any other
 * backslash is an error (a typo must not become part of the mail). */
static enum sf_err set_message(struct sf_config *cfg, struct text v, const char **reason)
{
  size_t n = 0;
  for (size_t i = 0; i < v.len; i++, n++) {
    if (v.ptr[i] != '\\')
      continue;
    if (i + 1 == v.len || (v.ptr[i + 1] != 'n' && v.ptr[i + 1] != 'r' && v.ptr[i + 1] != '\\'))
      FAIL(CONFIG_BAD_VALUE, "message escapes are \\n, \\r and \\\\ only");
    i++;
  }
  char *p = arena_take(cfg, n);
  if (p == NULL)
    FAIL(CONFIG_TOO_LONG, ARENA_FULL);
  size_t o = 0;
  for (size_t i = 0; i < v.len; i++) {
    char c = v.ptr[i];
    if (c == '\\') {
      c = v.ptr[++i];
      c = c == 'n' ? '\n' : c == 'r' ? '\r' : '\\';
    }
    p[o++] = c;
  }
  cfg->message = p;
  cfg->message_len = n;
  return SF_ERR_OK;
}

static enum sf_err set_timeout(struct sf_config *cfg, enum sf_phase phase, struct text v,
                               const char **reason)
{
  uint64_t ms;
  if (!parse_number(v, 1, TIMEOUT_MAX_MS, &ms))
    FAIL(CONFIG_BAD_VALUE, "timeouts are milliseconds, a decimal number from 1 to 86400000");
  cfg->timeout_ms[phase] = (uint32_t)ms;
  return SF_ERR_OK;
}

static enum sf_err set_key(struct sf_config *cfg, enum sf_key key, struct text v,
                           const char **reason)
{
  static const char *const leniencies[] = {"none", "bare-lf", NULL};
  int i;
  uint64_t n;

  switch (key) {
  case SF_KEY_MODE:
    if ((i = text_pick(v, mode_names)) < 0)
      FAIL(CONFIG_BAD_VALUE, "mode must be plain, starttls or implicit");
    cfg->mode = (enum sf_mode)i;
    return SF_ERR_OK;
  case SF_KEY_TLS:
    if ((i = text_pick(v, tls_names)) < 0)
      FAIL(CONFIG_BAD_VALUE, "tls must be none, opportunistic or required");
    cfg->tls = (enum sf_tls_policy)i;
    return SF_ERR_OK;
  case SF_KEY_VERIFY:
    if (!parse_bool(v, &cfg->verify))
      FAIL(CONFIG_BAD_VALUE, "verify must be " BOOL_ACCEPTED);
    return SF_ERR_OK;
  case SF_KEY_HOST: {
    /* A DNS name or an address literal (src/host.h): nothing else can be
     * checked against a certificate or sent as SNI. Empty is no host. */
    char name[SF_HOST_NAME_MAX + 1];
    size_t len = v.len < sizeof name - 1 ? v.len : sizeof name - 1;
    memcpy(name, v.ptr, len);
    name[len] = '\0';
    /* Judged before it is kept: a refused value must not stay set. A
     * length that differs is a value too long or one holding a NUL. */
    if (v.len > 0 && (v.len != strlen(name) || !sf_host_valid(name)))
      FAIL(CONFIG_BAD_VALUE, "host is a DNS name (labels of 1-63 letters, digits, '-' or '_', "
                             "253 octets in all) or an IPv4/IPv6 address");
    return set_string(cfg, v, &cfg->host, reason);
  }
  case SF_KEY_CAFILE:
    return set_string(cfg, v, &cfg->cafile, reason);
  case SF_KEY_PORT:
    if (!parse_number(v, 1, 65535, &n))
      FAIL(CONFIG_BAD_VALUE, "port must be a decimal number from 1 to 65535");
    cfg->port = (uint16_t)n;
    return SF_ERR_OK;
  case SF_KEY_AUTH:
    if ((i = text_pick(v, auth_names)) < 0)
      FAIL(CONFIG_BAD_VALUE, "auth must be none, plain or login");
    cfg->auth = (enum sf_auth)i;
    return SF_ERR_OK;
  case SF_KEY_USER:
    return set_string(cfg, v, &cfg->user, reason);
  case SF_KEY_PASSWORD:
    return set_string(cfg, v, &cfg->password, reason);
  case SF_KEY_ALLOW_PLAINTEXT_AUTH:
    if (!parse_bool(v, &cfg->allow_plaintext_auth))
      FAIL(CONFIG_BAD_VALUE, "allow_plaintext_auth must be " BOOL_ACCEPTED);
    return SF_ERR_OK;
  case SF_KEY_ALLOW_HELO:
    if (!parse_bool(v, &cfg->allow_helo))
      FAIL(CONFIG_BAD_VALUE, "allow_helo must be " BOOL_ACCEPTED);
    return SF_ERR_OK;
  case SF_KEY_HELO_NAME:
    if (v.len == 0)
      FAIL(CONFIG_BAD_VALUE, "helo_name must be a non-empty domain");
    return set_string(cfg, v, &cfg->helo_name, reason);
  case SF_KEY_FROM:
    /* Empty is the null reverse-path, MAIL FROM:<> (RFC 5321 4.5.5). */
    if (!path_ok(v.ptr, v.len))
      FAIL(CONFIG_BAD_VALUE, PATH_RULE);
    return set_string(cfg, v, &cfg->mail_from, reason);
  case SF_KEY_TO:
    if (v.len == 0)
      FAIL(CONFIG_BAD_VALUE, "to must be a non-empty address");
    if (!path_ok(v.ptr, v.len))
      FAIL(CONFIG_BAD_VALUE, PATH_RULE);
    if (cfg->nrcpt >= SF_CONFIG_MAX_RCPT)
      FAIL(CONFIG_TOO_LONG, "at most " XSTR(SF_CONFIG_MAX_RCPT) " to lines");
    {
      enum sf_err err = set_string(cfg, v, &cfg->rcpt[cfg->nrcpt], reason);
      if (err == SF_ERR_OK)
        cfg->nrcpt++;
      return err;
    }
  case SF_KEY_MESSAGE:
    return set_message(cfg, v, reason);
  case SF_KEY_LENIENT:
    if ((i = text_pick(v, leniencies)) < 0)
      FAIL(CONFIG_BAD_VALUE, "lenient must be none or bare-lf");
    cfg->lenient = i == 1 ? SF_LENIENT_BARE_LF : 0;
    return SF_ERR_OK;
  case SF_KEY_COUNT:
    break;
  }
  FAIL(CONFIG_UNKNOWN_KEY, "unknown key: " KEYS_ACCEPTED);
}

void sf_config_defaults(struct sf_config *cfg)
{
  memset(cfg, 0, offsetof(struct sf_config, strings));
  cfg->mode = SF_MODE_STARTTLS;
  cfg->tls = SF_TLS_REQUIRED;
  cfg->verify = 1;
  cfg->port = 587;
  cfg->auth = SF_AUTH_NONE;
  cfg->helo_name = "localhost";
  for (int i = 0; i < SF_PHASE_COUNT; i++)
    cfg->timeout_ms[i] = phase_defaults[i];
}

const char *sf_phase_name(enum sf_phase phase)
{
  if ((unsigned)phase >= SF_PHASE_COUNT)
    return "?";
  return phase_names[phase];
}

/* The bit index of `k` in keys_set, or -1 for an unknown key. */
static int key_index(struct text k, const char **reason)
{
  for (int i = 0; i < SF_KEY_COUNT; i++)
    if (text_is(k, key_names[i]))
      return i;
  size_t plen = sizeof TIMEOUT_PREFIX - 1;
  if (k.len > plen && memcmp(k.ptr, TIMEOUT_PREFIX, plen) == 0) {
    struct text phase = {k.ptr + plen, k.len - plen};
    for (int i = 0; i < SF_PHASE_COUNT; i++)
      if (text_is(phase, phase_names[i]))
        return SF_KEY_COUNT + i;
    *reason = "unknown key: " PHASES_ACCEPTED;
    return -1;
  }
  *reason = "unknown key: " KEYS_ACCEPTED;
  return -1;
}

enum sf_err sf_config_set(struct sf_config *cfg, const char *key, size_t key_len, const char *value,
                          size_t value_len, const char **reason)
{
  if (key == NULL) {
    key = "";
    key_len = 0;
  }
  if (value == NULL) {
    value = "";
    value_len = 0;
  }
  struct text k = trim(key, key_len);
  struct text v = trim(value, value_len);
  if (k.len == 0)
    FAIL(CONFIG_SYNTAX, "empty key: lines are 'key = value'");
  int idx = key_index(k, reason);
  if (idx < 0)
    return SF_ERR_CONFIG_UNKNOWN_KEY;
  uint64_t bit = (uint64_t)1 << idx;
  if ((cfg->keys_set & bit) != 0 && idx != SF_KEY_TO)
    FAIL(CONFIG_DUPLICATE_KEY, "key given twice: only 'to' may repeat");
  if (memchr(v.ptr, '\0', v.len) != NULL)
    FAIL(CONFIG_BAD_VALUE, "values cannot contain NUL");

  enum sf_err err = idx >= SF_KEY_COUNT
                        ? set_timeout(cfg, (enum sf_phase)(idx - SF_KEY_COUNT), v, reason)
                        : set_key(cfg, (enum sf_key)idx, v, reason);
  if (err == SF_ERR_OK)
    cfg->keys_set |= bit;
  return err;
}

enum sf_err sf_config_set_message(struct sf_config *cfg, const char *bytes, size_t len,
                                  const char **reason)
{
  uint64_t bit = (uint64_t)1 << SF_KEY_MESSAGE;
  if (cfg->keys_set & bit)
    FAIL(CONFIG_DUPLICATE_KEY, "key given twice: only 'to' may repeat");
  if (len > 0 && memchr(bytes, '\0', len) != NULL)
    FAIL(CONFIG_BAD_VALUE, "a message cannot contain NUL");
  char *p = arena_take(cfg, len);
  if (p == NULL)
    FAIL(CONFIG_TOO_LONG, ARENA_FULL);
  if (len > 0)
    memcpy(p, bytes, len);
  cfg->message = p;
  cfg->message_len = len;
  cfg->keys_set |= bit;
  return SF_ERR_OK;
}

enum sf_err sf_config_parse(struct sf_config *cfg, const char *text, size_t len, size_t *line,
                            const char **reason)
{
  size_t pos = 0;
  *line = 0;
  while (pos < len) {
    const char *start = text + pos;
    const char *nl = memchr(start, '\n', len - pos);
    size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;
    pos += n + (nl != NULL);
    ++*line;

    struct text t = trim(start, n);
    if (t.len == 0 || t.ptr[0] == '#')
      continue; /* only whole-line comments: a password may contain '#' */
    const char *eq = memchr(t.ptr, '=', t.len);
    if (eq == NULL)
      FAIL(CONFIG_SYNTAX, "no '=': lines are 'key = value', '# comment' or blank");
    size_t klen = (size_t)(eq - t.ptr);
    enum sf_err err = sf_config_set(cfg, t.ptr, klen, eq + 1, t.len - klen - 1, reason);
    if (err != SF_ERR_OK)
      return err;
  }
  *line = 0;
  return SF_ERR_OK;
}

enum sf_err sf_config_validate(const struct sf_config *cfg, const char **reason)
{
  /* The consistent profiles: (plain, none), (starttls, opportunistic),
   * (starttls, required), (implicit, required). */
  switch (cfg->mode) {
  case SF_MODE_PLAIN:
    if (cfg->tls != SF_TLS_NONE)
      FAIL(CONFIG_INCONSISTENT, "mode = plain never starts TLS: set tls = none, or use mode = "
                                "starttls or implicit");
    break;
  case SF_MODE_STARTTLS:
    if (cfg->tls == SF_TLS_NONE)
      FAIL(CONFIG_INCONSISTENT, "mode = starttls needs tls = required (or opportunistic); "
                                "tls = none goes with mode = plain");
    break;
  case SF_MODE_IMPLICIT:
    if (cfg->tls != SF_TLS_REQUIRED)
      FAIL(CONFIG_INCONSISTENT, "mode = implicit always needs tls = required");
    break;
  default:
    FAIL(CONFIG_BAD_VALUE, "mode must be plain, starttls or implicit");
  }
  if ((unsigned)cfg->tls > SF_TLS_REQUIRED)
    FAIL(CONFIG_BAD_VALUE, "tls must be none, opportunistic or required");
  if ((unsigned)cfg->auth > SF_AUTH_LOGIN)
    FAIL(CONFIG_BAD_VALUE, "auth must be none, plain or login");
  if (cfg->auth != SF_AUTH_NONE && (cfg->user == NULL || cfg->password == NULL))
    FAIL(CONFIG_MISSING, "auth needs user and password: set both, or auth = none");
  /* What can never be sent is refused before anything is. */
  if (cfg->auth != SF_AUTH_NONE &&
      strlen(cfg->user) + strlen(cfg->password) > SF_CONFIG_MAX_CREDENTIALS)
    FAIL(CONFIG_TOO_LONG, "user and password together longer than " XSTR(
                              SF_CONFIG_MAX_CREDENTIALS) " octets (one AUTH line, RFC 4954 4)");
  if (cfg->helo_name && strlen(cfg->helo_name) > SF_CONFIG_MAX_DOMAIN)
    FAIL(CONFIG_TOO_LONG,
         "helo_name longer than " XSTR(SF_CONFIG_MAX_DOMAIN) " octets (RFC 5321 4.5.3.1.2)");
  if (cfg->mail_from && strlen(cfg->mail_from) > SF_CONFIG_MAX_PATH)
    FAIL(CONFIG_TOO_LONG,
         "from longer than " XSTR(SF_CONFIG_MAX_PATH) " octets (RFC 5321 4.5.3.1.3)");
  for (size_t i = 0; i < cfg->nrcpt && i < SF_CONFIG_MAX_RCPT; i++)
    if (cfg->rcpt[i] && strlen(cfg->rcpt[i]) > SF_CONFIG_MAX_PATH)
      FAIL(CONFIG_TOO_LONG,
           "a to longer than " XSTR(SF_CONFIG_MAX_PATH) " octets (RFC 5321 4.5.3.1.3)");
  if (cfg->message != NULL && (cfg->mail_from == NULL || cfg->nrcpt == 0))
    FAIL(CONFIG_MISSING, "a message needs from and at least one to");
  /* RFC 5321 3.3: a transaction has at least one RCPT; without one, MAIL
   * would be followed by "RCPT TO:<>" and an empty DATA. */
  if (cfg->mail_from != NULL && cfg->nrcpt == 0)
    FAIL(CONFIG_MISSING, "from needs at least one to (or no from: the client only negotiates)");
  if (cfg->nrcpt > SF_CONFIG_MAX_RCPT)
    FAIL(CONFIG_TOO_LONG, "more recipients than SF_CONFIG_MAX_RCPT");
  for (size_t i = 0; i < cfg->nrcpt; i++)
    if (cfg->rcpt[i] == NULL || cfg->rcpt[i][0] == '\0')
      FAIL(CONFIG_MISSING, "every to must be a non-empty address");
  for (size_t i = 0; i < cfg->nrcpt; i++)
    if (!path_ok(cfg->rcpt[i], strlen(cfg->rcpt[i])))
      FAIL(CONFIG_BAD_VALUE, PATH_RULE);
  if (cfg->mail_from && !path_ok(cfg->mail_from, strlen(cfg->mail_from)))
    FAIL(CONFIG_BAD_VALUE, PATH_RULE);
  /* RFC 6125 6: verifying a certificate means checking it names the server
   * we meant to reach. Without a name only the chain could be checked, and
   * any trusted certificate for any name would pass. */
  if (cfg->mode != SF_MODE_PLAIN && cfg->verify && sf_host_kind(cfg->host) == SF_HOST_NONE)
    FAIL(CONFIG_NO_HOST, "verify = yes needs host = the server's name (or address), which the "
                         "certificate must carry");
  if (sf_host_kind(cfg->host) != SF_HOST_NONE && !sf_host_valid(cfg->host))
    FAIL(CONFIG_BAD_VALUE, "host is neither an IPv4/IPv6 address nor a DNS name (labels of 1-63 "
                           "letters, digits, '-' or '_', 253 octets in all)");
  if (cfg->helo_name == NULL || cfg->helo_name[0] == '\0')
    FAIL(CONFIG_MISSING, "helo_name must be a non-empty domain");
  /* It goes into EHLO as it is (set_string() refuses the same when it is
   * parsed; a caller may set it directly). */
  if (strpbrk(cfg->helo_name, "\r\n") != NULL)
    FAIL(CONFIG_BAD_VALUE, "helo_name cannot contain CR or LF");
  return SF_ERR_OK;
}

const char *sf_mode_name(enum sf_mode mode)
{
  return (unsigned)mode <= SF_MODE_IMPLICIT ? mode_names[mode] : "?";
}

const char *sf_tls_policy_name(enum sf_tls_policy tls)
{
  return (unsigned)tls <= SF_TLS_REQUIRED ? tls_names[tls] : "?";
}

const char *sf_auth_name(enum sf_auth auth)
{
  return (unsigned)auth <= SF_AUTH_LOGIN ? auth_names[auth] : "?";
}
