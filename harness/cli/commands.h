/* The subcommands of `smtpfuzz`. Each lives in its own cli/cmd_NAME.c and
 * gets argv from its own name on (argv[0] is "lint"), with getopt as a
 * fresh process has it; it parses with getopt_long (cli/options.h gives
 * the one-line usage errors). Returns the exit status. Adding one: declare
 * it here, add a row to the table in main.c.
 *
 * The man page and the bash completion are made from the help texts at
 * build time (cmake/smtpfuzz-man.sh, cmake/smtpfuzz-completion.sh): an
 * option written "--name VALUE" (or "--name=VALUE") in its command's help
 * takes a value; VALUE "a|b|c" completes to those words, FILE or DIR to
 * file or folder names. */
#ifndef SF_CLI_COMMANDS_H
#define SF_CLI_COMMANDS_H

/* Exit statuses shared by every subcommand. */
#define SF_EXIT_OK       0
#define SF_EXIT_FINDINGS 1 /* the command ran and found an error-severity problem */
#define SF_EXIT_USAGE    2 /* bad usage or unreadable/invalid input */

int sf_cmd_lint(int argc, char **argv);
int sf_cmd_show(int argc, char **argv);
int sf_cmd_convert(int argc, char **argv);
int sf_cmd_serve(int argc, char **argv);
int sf_cmd_audit(int argc, char **argv);
int sf_cmd_probe(int argc, char **argv);

#endif
