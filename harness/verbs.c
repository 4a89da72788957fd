/* What a client line is, as a server reads it (verbs.h): used by the wire
 * walker and by the command reader of the scripted server. */
#include "verbs.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Classifying client commands                                         */

static int ascii_lower(int c)
{
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive equality of `n` bytes with a lowercase word. */
static int word_is(const char *p, size_t n, const char *word)
{
  if (strlen(word) != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (ascii_lower((unsigned char)p[i]) != word[i])
      return 0;
  return 1;
}

enum sc_verb sc_classify(const char *line, size_t len)
{
  static const enum sc_verb commands[] = {
      SC_VERB_EHLO, SC_VERB_HELO, SC_VERB_STARTTLS, SC_VERB_AUTH, SC_VERB_MAIL, SC_VERB_RCPT,
      SC_VERB_DATA, SC_VERB_BDAT, SC_VERB_RSET,     SC_VERB_NOOP, SC_VERB_QUIT,
  };
  /* RFC 5321 4.1.1: the verb is the first word, ended by a space (servers
   * take a tab too, and so do we). A longer word ("STARTTLSX") is another
   * command. */
  size_t n = 0;
  while (n < len && line[n] != ' ' && line[n] != '\t')
    n++;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (word_is(line, n, sc_verb_names[commands[i]]))
      return commands[i];
  return SC_VERB_OTHER;
}

/* Token k (0-based) of the line, split on SP and HTAB. */
static int token(const char *line, size_t len, size_t k, const char **p, size_t *n)
{
  size_t i = 0;
  for (size_t t = 0;; t++) {
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
      i++;
    if (i == len)
      return 0;
    size_t start = i;
    while (i < len && line[i] != ' ' && line[i] != '\t')
      i++;
    if (t == k) {
      *p = line + start;
      *n = i - start;
      return 1;
    }
  }
}

enum sc_mech sc_auth_parse(const char *line, size_t len, const uint8_t **ir, size_t *ir_len,
                           int *has_ir)
{
  static const struct {
    const char *name;
    enum sc_mech mech;
  } mechs[] = {{"plain", SC_MECH_PLAIN},
               {"login", SC_MECH_LOGIN},
               {"cram-md5", SC_MECH_CRAM_MD5},
               {"xoauth2", SC_MECH_XOAUTH2}};
  const char *p;
  size_t n;
  *has_ir = 0;
  *ir = NULL;
  *ir_len = 0;
  if (!token(line, len, 1, &p, &n))
    return SC_MECH_NONE;
  enum sc_mech mech = SC_MECH_OTHER;
  for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
    if (word_is(p, n, mechs[i].name))
      mech = mechs[i].mech;
  if (token(line, len, 2, &p, &n)) {
    *has_ir = 1;
    /* RFC 4954 4: "=" is an initial response of zero length. */
    *ir = (const uint8_t *)p;
    *ir_len = n == 1 && p[0] == '=' ? 0 : n;
  }
  return mech;
}
