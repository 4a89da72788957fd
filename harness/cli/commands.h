/* The subcommands of `smtpfuzz`. Each lives in its own cli/cmd_NAME.c and
 * gets argv from its own name on (argv[0] is "lint"). Returns the exit
 * status. Adding one: declare it here, add a row to the table in main.c. */
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
