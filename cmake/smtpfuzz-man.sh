#!/bin/sh
# Writes the smtpfuzz(1) man page from the built command's own help, so a
# change to any command's help text reaches the man page at the next build:
# `smtpfuzz help` gives the synopsis, the description and the list of
# commands, `smtpfuzz help CMD` each command's section (verbatim, no-fill).
#   cmake/smtpfuzz-man.sh path/to/smtpfuzz OUT.1
# Called by the build (cmake/docs.cmake); any failure leaves no OUT.
set -eu

if [ $# -ne 2 ] || [ ! -x "$1" ]; then
  echo "usage: cmake/smtpfuzz-man.sh path/to/smtpfuzz OUT.1" >&2
  exit 2
fi
bin=$1
out=$2
# A sanitizer build of the command is run here too; leak checking at exit
# is the tests' job, not the build's.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

# roff text: backslashes shown as such, '-' as a minus (so that options copy
# and paste), and a line starting with '.' or "'" is not read as a request.
esc() {
  sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
}

main_help=$("$bin" help)
version=$("$bin" --version)
commands=$(printf '%s\n' "$main_help" |
  awk '/^Commands:$/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
[ -n "$commands" ] || { echo "smtpfuzz-man.sh: no commands in 'smtpfuzz help'" >&2; exit 1; }

tmp=$out.tmp
trap 'rm -f "$tmp"' EXIT
{
  printf '.TH SMTPFUZZ 1 "" "%s" "User Commands"\n' "$version"
  printf '.SH NAME\nsmtpfuzz \\- fuzz and audit how SMTP clients negotiate TLS\n'
  # The usage lines, then the description up to the command list.
  printf '.SH SYNOPSIS\n.nf\n'
  printf '%s\n' "$main_help" | awk '/^$/ { exit } { sub(/^usage: */, ""); sub(/^ */, ""); print }' |
    esc | sed 's/^smtpfuzz/\\fBsmtpfuzz\\fR/'
  printf '.fi\n.SH DESCRIPTION\n'
  printf '%s\n' "$main_help" | awk 'seen && /^Commands:$/ { exit } seen { print } /^$/ { seen = 1 }' |
    sed '$ { /^$/ d; }' | esc | sed 's/^$/.PP/'
  printf '.SH COMMANDS\n'
  printf '%s\n' "$main_help" | awk '/^Commands:$/ { on = 1; next } on && /^$/ { exit } on' |
    while read -r name summary; do
      printf '.TP\n.B %s\n' "$name"
      printf '%s\n' "$summary" | esc
    done
  printf '.PP\n'
  printf '%s\n' "$main_help" | awk 'after { print } on && /^$/ { after = 1 } /^Commands:$/ { on = 1 }' |
    esc | sed 's/^$/.PP/'
  for cmd in $commands; do
    printf '.SS "smtpfuzz %s"\n.nf\n' "$cmd"
    "$bin" help "$cmd" | esc
    printf '.fi\n'
  done
} >"$tmp"
mv "$tmp" "$out"
trap - EXIT
