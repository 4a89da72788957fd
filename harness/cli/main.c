/* smtpfuzz: dispatch to a subcommand. */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#ifndef SF_VERSION
#define SF_VERSION "0.1"
#endif

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
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
  fputs("usage: smtpfuzz COMMAND [ARGS...]\n"
        "       smtpfuzz --help | --version\n"
        "\n"
        "Commands:\n",
        out);
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fputs("\n'smtpfuzz COMMAND --help' describes a command.\n", out);
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return SF_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return SF_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("smtpfuzz %s\n", SF_VERSION);
    return SF_EXIT_OK;
  }
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "smtpfuzz: unknown command '%s' (see smtpfuzz --help)\n", argv[1]);
  return SF_EXIT_USAGE;
}
