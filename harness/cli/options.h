/* Option parsing shared by the subcommands: each parses its argv with its
 * own getopt_long loop (so "--opt=value", "--opt value", abbreviations and
 * "--" behave as in every GNU tool) and reports bad usage through these, so
 * every command says it in one line the same way. */
#ifndef SF_CLI_OPTIONS_H
#define SF_CLI_OPTIONS_H

#include <getopt.h>

/* Long options without a short form take values from here up, clear of
 * every short option character. */
#define SF_OPT_LONG_ONLY 256

/* Starts a fresh getopt_long parse: glibc reads the option string's
 * ordering flag ('+' stops at the first operand) only when optind is 0, so
 * optind = 1 would inherit the previous parse's ordering. getopt prints
 * nothing itself; sf_opt_refused() does. Call before a command's loop. */
void sf_opt_begin(void);

/* getopt_long returned '?' or ':' (`c`; the option string must start with
 * ':' so that a missing value is ':'): one line on stderr naming the option
 * and what is wrong with it (`cmd` as for sf_usage_error). Returns
 * SF_EXIT_USAGE. */
int sf_opt_refused(const char *cmd, int c, char *const argv[], const struct option *longopts);

/* "smtpfuzz CMD: WHAT (see smtpfuzz CMD --help)" on stderr, stdout flushed
 * first so the two stay in order; `cmd` NULL is the command itself
 * ("smtpfuzz: WHAT (see smtpfuzz --help)"). Returns SF_EXIT_USAGE. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int sf_usage_error(const char *cmd, const char *fmt, ...);

#endif
