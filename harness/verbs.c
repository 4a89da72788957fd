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
      SC_VERB_EHLO, SC_VERB_HELO, SC_VERB_STARTTLS, SC_VERB_AUTH, SC_VERB_MAIL,
      SC_VERB_RCPT, SC_VERB_DATA, SC_VERB_RSET,     SC_VERB_NOOP, SC_VERB_QUIT,
  };
  /* RFC 5321 4.1.1: the verb is the first word, ended by a space. A longer
   * word ("STARTTLSX") is another command. */
  size_t n = 0;
  while (n < len && line[n] != ' ')
    n++;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (word_is(line, n, sc_verb_names[commands[i]]))
      return commands[i];
  return SC_VERB_OTHER;
}
