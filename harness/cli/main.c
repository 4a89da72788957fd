/* smtpfuzz: dispatch to a subcommand. */
#include "cli/commands.h"
#include "cli/options.h"

#include <stdio.h>
#include <string.h>

#ifndef SF_VERSION
#error "SF_VERSION is the CMake project's version (harness/CMakeLists.txt)"
#endif

static int cmd_help(int argc, char **argv);

/* The order of this table is the order of `smtpfuzz help`, the man page and
 * the completions (all three are made from the help output). */
static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} commands[] = {
    {"lint", sf_cmd_lint,
     "judge a client configuration against the port table and common mistakes"},
    {"show", sf_cmd_show, "show a fuzz input or scenario as a transcript with verdicts"},
    {"convert", sf_cmd_convert, "convert a scenario between its text and binary forms"},
    {"serve", sf_cmd_serve, "play scenarios as a hostile SMTP server on loopback"},
    {"audit", sf_cmd_audit, "run a client program against every scenario and judge it"},
    {"probe", sf_cmd_probe, "tell what a loopback port speaks (plain, STARTTLS, implicit TLS)"},
    {"help", cmd_help, "describe the commands, or one command"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
  fputs("usage: smtpfuzz COMMAND [ARGS...]\n"
        "       smtpfuzz help [COMMAND]\n"
        "       smtpfuzz --help | --version\n"
        "\n"
        "Finds the ways an SMTP client goes wrong while it negotiates encryption:\n"
        "credentials or mail in plaintext although TLS was required (STARTTLS\n"
        "stripped or refused), replies injected across the upgrade, capabilities\n"
        "kept from before TLS, certificates not checked, hangs from a port and mode\n"
        "that do not match (STARTTLS spoken to implicit-TLS port 465), and reply\n"
        "parsing bugs. Scenarios run in-process on a virtual clock or, for any\n"
        "client program, over loopback sockets; the same oracles judge both.\n"
        "\n"
        "Commands:\n",
        out);
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fputs("\n"
        "'smtpfuzz help COMMAND' (or 'smtpfuzz COMMAND --help') describes a command.\n"
        "Options and values may be given as '--opt value' or '--opt=value'; '--'\n"
        "ends the options.\n"
        "\n"
        "Exit status, for every command: 0 success and nothing found; 1 something\n"
        "found (each command's help says what); 2 bad usage or unusable input.\n",
        out);
}

static const char help_help[] =
    "usage: smtpfuzz help [COMMAND]\n"
    "\n"
    "Without COMMAND, lists the commands. With one, prints its help: the same\n"
    "text as 'smtpfuzz COMMAND --help'.\n"
    "\n"
    "  -h, --help   print this help and exit\n"
    "\n"
    "Exit status: 0, or 2 for an unknown command or bad usage.\n";

static int find_command(const char *name)
{
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(name, commands[i].name) == 0)
      return (int)i;
  return -1;
}

static int cmd_help(int argc, char **argv)
{
  static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  sf_opt_begin();
  while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if (c != 'h')
      return sf_opt_refused("help", c, argv, longopts);
    fputs(help_help, stdout);
    return SF_EXIT_OK;
  }
  if (optind == argc) {
    usage(stdout);
    return SF_EXIT_OK;
  }
  if (argc - optind > 1)
    return sf_usage_error("help", "one COMMAND at a time, not %d", argc - optind);
  int k = find_command(argv[optind]);
  if (k < 0)
    return sf_usage_error("help", "unknown command '%s'", argv[optind]);
  /* The command prints its own help, so the two can never differ. */
  char opt[] = "--help";
  char *args[] = {argv[optind], opt, NULL};
  sf_opt_begin();
  return commands[k].run(2, args);
}

/* Leaves getopt as a fresh process has it (permuting, optind 1, printing
 * its own messages), for the command's own parse of its argv (argv[0]
 * being its name): glibc keeps the '+' of the parse in main until it
 * re-reads an option string at optind 0, so a command that starts at
 * optind 1 would otherwise stop at its first operand. */
static void getopt_fresh(void)
{
  char name[] = "smtpfuzz";
  char *none[] = {name, NULL};
  optind = 0;
  opterr = 1;
  (void)getopt(1, none, "");
}

int main(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
  int c;
  /* '+': the options before the command only; the rest is the command's. */
  sf_opt_begin();
  while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
    switch (c) {
    case 'h':
      usage(stdout);
      return SF_EXIT_OK;
    case 'V':
      printf("smtpfuzz %s\n", SF_VERSION);
      return SF_EXIT_OK;
    default:
      return sf_opt_refused(NULL, c, argv, longopts);
    }
  }
  if (optind == argc) {
    usage(stderr);
    return SF_EXIT_USAGE;
  }
  int k = find_command(argv[optind]);
  if (k < 0) {
    fprintf(stderr, "smtpfuzz: unknown command '%s' (see smtpfuzz --help)\n", argv[optind]);
    return SF_EXIT_USAGE;
  }
  int first = optind;
  getopt_fresh();
  return commands[k].run(argc - first, argv + first);
}
