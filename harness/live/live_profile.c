#include "live/live_profile.h"

#include "live/live_files.h"
#include "tls_peer.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *keep(struct live_profile *p, const char *s, size_t n)
{
  if (p->used + n + 1 > sizeof(p->storage))
    return NULL;
  char *d = p->storage + p->used;
  memcpy(d, s, n);
  d[n] = '\0';
  p->used += n + 1;
  return d;
}

int live_profile_add_arg(struct live_profile *p, const char *arg)
{
  if (p->argc >= LIVE_MAX_ARGS)
    return -1;
  char *a = keep(p, arg, strlen(arg));
  if (!a)
    return -1;
  p->argv[p->argc++] = a;
  p->argv[p->argc] = NULL;
  return 0;
}

static int pick(const char *v, const char *const *names, int n)
{
  if (strcmp(v, "any") == 0)
    return -1;
  for (int i = 0; i < n; i++)
    if (strcmp(v, names[i]) == 0)
      return i;
  return -2;
}

/* "./x" and "../x" are relative to the profile's folder, so a profile
 * runs the same from anywhere. */
static int relative(const char *v)
{
  return strncmp(v, "./", 2) == 0 || strncmp(v, "../", 3) == 0;
}

/* The folder's own '{' are doubled: the value is a template, and a '{'
 * in the folder's name is no placeholder. */
static int resolve(const char *base, const char *v, char *out, size_t cap)
{
  size_t used = 0;
  if (base && relative(v)) {
    for (const char *b = base; *b; b++) {
      if (used + 2 >= cap)
        return -1;
      if (*b == '{')
        out[used++] = '{';
      out[used++] = *b;
    }
    out[used++] = '/';
  }
  int k = snprintf(out + used, cap - used, "%s", v);
  return k < 0 || (size_t)k >= cap - used ? -1 : 0;
}

int live_template_check(const char *tmpl, char *why, size_t cap)
{
  static const struct live_vars none; /* every value "": only the names matter */
  static char out[LIVE_ARG_MAX], one[LIVE_ARG_MAX];
  const char *reason = "";
  if (live_expand(tmpl, &none, out, sizeof(out), &reason) == 0)
    return 0;
  /* Which placeholder: each on its own, as live_expand knows them. */
  for (const char *t = tmpl; *t;) {
    const char *end = t[0] == '{' && t[1] != '{' ? strchr(t, '}') : NULL;
    if (!end) {
      t += t[0] == '{' && t[1] == '{' ? 2 : 1;
      continue;
    }
    int n = (int)(end - t + 1);
    snprintf(one, sizeof(one), "%.*s", n, t);
    const char *r = "";
    if (live_expand(one, &none, out, sizeof(out), &r) != 0) {
      static const char pre[] = "unknown placeholder";
      if (strncmp(r, pre, sizeof(pre) - 1) == 0)
        snprintf(why, cap, "%s %.*s%s", pre, n > 100 ? 100 : n, t, r + sizeof(pre) - 1);
      else
        snprintf(why, cap, "%.*s: %s", n > 100 ? 100 : n, t, r);
      return -1;
    }
    t = end + 1;
  }
  snprintf(why, cap, "%s", reason);
  return -1;
}

int live_profile_parse(struct live_profile *p, const char *text, size_t len, const char *base,
                       size_t *line, const char **reason)
{
  static const char *const modes[] = {"plain", "starttls", "implicit"};
  static const char *const tlss[] = {"none", "opportunistic", "required"};
  static const char *const yesno[] = {"no", "yes"};
  /* Keys that may be given once, and the line each was first given on. */
  static const char *const once[] = {"name",   "description", "mode", "tls",
                                     "verify", "tls_name",    "stdin"};
  size_t first[sizeof(once) / sizeof(once[0])] = {0};
  int keys = 0;
  memset(p, 0, sizeof(*p));
  p->mode = p->tls = p->verify = -1;
  *line = 0;
  size_t pos = 0;
  while (pos < len) {
    char buf[LIVE_ARG_MAX + 64], path[LIVE_ARG_MAX + PATH_MAX];
    size_t end = pos;
    while (end < len && text[end] != '\n')
      end++;
    ++*line;
    size_t n = end - pos;
    if (n >= sizeof(buf)) {
      *reason = "line too long";
      return -1;
    }
    memcpy(buf, text + pos, n);
    buf[n] = '\0';
    pos = end + 1;
    if (memchr(buf, '\0', n)) {
      *reason = "a NUL byte in the line";
      return -1;
    }
    while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
      buf[--n] = '\0';
    char *k = buf;
    while (*k == ' ' || *k == '\t')
      k++;
    if (*k == '\0' || *k == '#')
      continue;
    char *eq = strchr(k, '=');
    if (!eq) {
      *reason = "expected 'key = value'";
      return -1;
    }
    char *v = eq + 1;
    while (eq > k && (eq[-1] == ' ' || eq[-1] == '\t'))
      eq--;
    *eq = '\0';
    while (*v == ' ' || *v == '\t')
      v++;
    keys++;
    for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
      if (strcmp(k, once[i]) != 0)
        continue;
      if (first[i]) {
        snprintf(p->why, sizeof(p->why), "key '%s' given twice (first at line %zu)", once[i],
                 first[i]);
        *reason = p->why;
        return -1;
      }
      first[i] = *line;
    }
    int x;
    if (strcmp(k, "name") == 0) {
      snprintf(p->name, sizeof(p->name), "%s", v);
    } else if (strcmp(k, "description") == 0) {
      snprintf(p->description, sizeof(p->description), "%s", v);
    } else if (strcmp(k, "mode") == 0) {
      if ((x = pick(v, modes, 3)) == -2) {
        *reason = "mode must be plain, starttls, implicit or any";
        return -1;
      }
      p->mode = x;
    } else if (strcmp(k, "tls") == 0) {
      if ((x = pick(v, tlss, 3)) == -2) {
        *reason = "tls must be none, opportunistic, required or any";
        return -1;
      }
      p->tls = x;
    } else if (strcmp(k, "verify") == 0) {
      if ((x = pick(v, yesno, 2)) == -2) {
        *reason = "verify must be yes, no or any";
        return -1;
      }
      p->verify = x;
    } else if (strcmp(k, "tls_name") == 0) {
      if (strlen(v) >= sizeof(p->tls_name) ||
          strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(v)) {
        *reason = "tls_name must be a host name or an IPv4 address (letters, digits, '.', '-')";
        return -1;
      }
      snprintf(p->tls_name, sizeof(p->tls_name), "%s", v);
    } else if (strcmp(k, "stdin") == 0) {
      if (resolve(base, v, path, sizeof(path)) != 0 || strlen(path) >= sizeof(p->stdin_tmpl)) {
        *reason = "stdin: the path is too long";
        return -1;
      }
      if (live_template_check(path, p->why, sizeof(p->why)) != 0) {
        *reason = p->why;
        return -1;
      }
      memcpy(p->stdin_tmpl, path, strlen(path) + 1); /* it fits: checked above */
    } else if (strcmp(k, "arg") == 0) {
      if (resolve(base, v, path, sizeof(path)) != 0 || strlen(path) >= LIVE_ARG_MAX ||
          live_profile_add_arg(p, path) != 0) {
        *reason = "too many or too long arguments";
        return -1;
      }
      if (live_template_check(path, p->why, sizeof(p->why)) != 0) {
        *reason = p->why;
        return -1;
      }
    } else {
      *reason = "unknown key (name, description, mode, tls, verify, tls_name, stdin, arg)";
      return -1;
    }
  }
  if (p->argc == 0) {
    *line = 0; /* about the whole profile, not its last line */
    *reason = keys ? "no 'arg' lines: the profile has no command"
                   : "empty profile (no command: no 'arg' lines)";
    return -1;
  }
  return 0;
}

int live_profile_load(struct live_profile *p, const char *path, char *err, size_t cap)
{
  size_t len = 0, line = 0;
  char *text = live_read_file(path, &len);
  if (!text) {
    snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  char dir[PATH_MAX], real[PATH_MAX];
  snprintf(dir, sizeof(dir), "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  else
    snprintf(dir, sizeof(dir), ".");
  const char *base = realpath(dir, real) ? real : dir;
  const char *reason = "";
  int rc = live_profile_parse(p, text, len, base, &line, &reason);
  free(text);
  if (rc != 0 && line == 0)
    snprintf(err, cap, "%s: %s", path, reason);
  else if (rc != 0)
    snprintf(err, cap, "%s:%zu: %s", path, line, reason);
  return rc;
}

static const char *const mode_names[] = {"plain", "starttls", "implicit"};
static const char *const tls_names[] = {"none", "opportunistic", "required"};

const char *live_profile_skips(const struct live_profile *p, const struct scenario *sc, char *buf,
                               size_t cap)
{
  if (p->mode >= 0 && (int)sc->cfg.mode != p->mode) {
    snprintf(buf, cap, "its client mode is %s, the profile's is %s", mode_names[sc->cfg.mode % 3],
             mode_names[p->mode % 3]);
    return buf;
  }
  if (p->tls >= 0 && (int)sc->cfg.tls != p->tls) {
    snprintf(buf, cap, "its tls policy is %s, the profile's is %s", tls_names[sc->cfg.tls % 3],
             tls_names[p->tls % 3]);
    return buf;
  }
  if (p->verify >= 0 && (sc->cfg.verify != 0) != p->verify) {
    snprintf(buf, cap, "its client %s certificates, the profile's %s",
             sc->cfg.verify ? "verifies" : "does not verify",
             p->verify ? "verifies" : "does not verify");
    return buf;
  }
  /* A scenario about a client refusing its own configuration (no host to
   * verify, a sender without a recipient, values too long for one command)
   * says nothing of a program configured by its profile. */
  if (sc->expect_error_set && sc->expect_error >= SF_ERR_CONFIG_SYNTAX &&
      sc->expect_error <= SF_ERR_CONFIG_NO_HOST) {
    snprintf(buf, cap, "it is about a client refusing its own configuration (%s)",
             sf_err_name(sc->expect_error));
    return buf;
  }
  /* Nor one about the name the client expects (an address literal, say):
   * the program is told {host}, the name the live server's certificates
   * carry, and would be judged against a name it was never given. */
  if (!sc->cfg.host || strcasecmp(sc->cfg.host, TLS_PEER_HOST) != 0) {
    snprintf(buf, cap, "its client expects a server named '%s'; the live certificates name %s",
             sc->cfg.host ? sc->cfg.host : "(unset)", TLS_PEER_HOST);
    return buf;
  }
  return NULL;
}
