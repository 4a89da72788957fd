/* One-line usage errors for getopt_long's refusals. */
#include "cli/options.h"

#include "cli/commands.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sf_opt_begin(void)
{
  optind = 0;
  opterr = 0;
}

int sf_usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fflush(stdout);
  const char *sep = cmd != NULL ? " " : "";
  cmd = cmd != NULL ? cmd : "";
  fprintf(stderr, "smtpfuzz%s%s: ", sep, cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see smtpfuzz%s%s --help)\n", sep, cmd);
  return SF_EXIT_USAGE;
}

static const struct option *by_val(const struct option *longopts, int val)
{
  for (const struct option *o = longopts; o->name != NULL; o++)
    if (o->flag == NULL && o->val == val)
      return o;
  return NULL;
}

int sf_opt_refused(const char *cmd, int c, char *const argv[], const struct option *longopts)
{
  /* After a refused long option optind has moved past the word that held
   * it; after a refused short option optopt names it. */
  const char *word = optind > 0 ? argv[optind - 1] : "";
  int is_long = strncmp(word, "--", 2) == 0 && word[2] != '\0';
  const struct option *known = optopt != 0 ? by_val(longopts, optopt) : NULL;
  if (c == ':') {
    if (known != NULL && is_long)
      return sf_usage_error(cmd, "option '--%s' needs a value", known->name);
    return sf_usage_error(cmd, "option '-%c' needs a value", optopt);
  }
  if (known != NULL && is_long)
    return sf_usage_error(cmd, "option '--%s' takes no value", known->name);
  if (optopt != 0)
    return sf_usage_error(cmd, "unknown option '-%c'", optopt);
  /* A long option that is unknown, or a prefix of several. */
  size_t len = strcspn(word + 2, "=");
  int matches = 0;
  char which[512] = "";
  size_t used = 0;
  for (const struct option *o = longopts; o->name != NULL; o++) {
    if (strncmp(o->name, word + 2, len) != 0)
      continue;
    matches++;
    int n = snprintf(which + used, sizeof which - used, "%s--%s", used ? ", " : "", o->name);
    if (n < 0 || (size_t)n >= sizeof which - used)
      which[used] = '\0'; /* no room for this one (never with our options): left out */
    else
      used += (size_t)n;
  }
  if (matches > 1)
    return sf_usage_error(cmd, "option '%.*s' is ambiguous (%s)", (int)len + 2, word, which);
  return sf_usage_error(cmd, "unknown option '%.*s'", (int)len + 2, word);
}
