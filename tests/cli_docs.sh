#!/usr/bin/env bash
# The man page and the bash completion the build made from the help texts
# (cmake/docs.cmake): both exist, mention every command and every option
# the command's help lists, the man page formats without a warning, and
# the completion completes commands, options, option values (both
# '--opt value' and '--opt=value') and file names.
#   tests/cli_docs.sh path/to/smtpfuzz BUILD_DIR    (from the repository root)
set -u

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -d "$2" ]; then
  echo "usage: tests/cli_docs.sh path/to/smtpfuzz BUILD_DIR" >&2
  exit 2
fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
build=$(cd "$2" && pwd)
man_page=$build/share/man/man1/smtpfuzz.1
completion=$build/share/bash-completion/completions/smtpfuzz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check_log=$tmp/log
source "$(dirname "$0")/check.sh"


commands=$("$bin" help | awk '/^Commands:$/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
check "smtpfuzz help lists seven commands" [ "$(echo $commands | wc -w)" -eq 7 ]

# options CMD: every --name in the command's help.
options() {
  "$bin" help "$1" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# The man page.
check "man page exists" test -s "$man_page"
# groff warns (-ww) about anything it cannot format; -z: no output.
check "man page formats without warnings" \
  bash -c '[ -z "$(LC_ALL=C groff -man -Tascii -ww -z "$1" 2>&1)" ]' _ "$man_page"
# As man shows it, in plain ASCII (-P-cbou: no bold, underline or overstrike).
LC_ALL=C groff -man -Tascii -P-cbou -rLL=100n "$man_page" >"$tmp/man.txt" 2>/dev/null
check "groff renders the page" grep -q "^NAME" "$tmp/man.txt"
for cmd in $commands; do
  check "man page has a section for $cmd" grep -qx "   smtpfuzz $cmd" "$tmp/man.txt"
  check "man page has $cmd's usage" grep -q "usage: smtpfuzz $cmd" "$tmp/man.txt"
  for opt in $(options "$cmd"); do
    check "man page mentions $cmd $opt" grep -qF -- "$opt" "$tmp/man.txt"
  done
done
check "man page has --version" grep -qF -- "--version" "$tmp/man.txt"

# The completion.
check "completion exists" test -s "$completion"
check "completion is valid bash" bash -n "$completion"
for cmd in $commands; do
  check "completion knows $cmd" grep -q "^  $cmd) echo '" "$completion"
done

# complete WORD...: what the completion offers for the last WORD, sorted,
# one per line (run in $tmp/files, where a.scn, b.conf and -dash.conf are).
mkdir -p "$tmp/files/sub"
touch "$tmp/files/a.scn" "$tmp/files/b.conf" "$tmp/files/-dash.conf"
complete_words() {
  (
    cd "$tmp/files" || exit 1
    # shellcheck source=/dev/null
    source "$completion"
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _smtpfuzz 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sort
  )
}
# offers "WANT WORDS (space-separated)" WORD...: exactly those.
offers() {
  local want=$1
  shift
  local got
  got=$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
  want=$(printf '%s\n' $want | sort | tr '\n' ' ' | sed 's/ $//')
  check "completing '$*' offers '$want' (got '$got')" [ "$got" = "$want" ]
}
# includes WANT WORD...: WANT is among what is offered.
includes() {
  local want=$1
  shift
  check "completing '$*' offers $want" bash -c 'grep -qxF -- "$1" <<<"$2"' _ "$want" \
    "$(complete_words "$@")"
}

offers "$commands --help --version" smtpfuzz ""
offers "lint" smtpfuzz li
offers "--help --version" smtpfuzz --
offers "show serve" smtpfuzz s
for cmd in $commands; do
  for opt in $(options "$cmd"); do
    includes "$opt" smtpfuzz "$cmd" --
  done
  includes "--help" smtpfuzz "$cmd" --
done
offers "text json" smtpfuzz lint --format ""
offers "text json" smtpfuzz lint --format = ""
offers "json" smtpfuzz lint --format = j
offers "--format=json" smtpfuzz lint --format=j
offers "session starttls" smtpfuzz show --target s
offers "session starttls" smtpfuzz show a.scn --target = s
offers "plaintext-auth" smtpfuzz show --flaw plain
offers "" smtpfuzz probe --timeout ""
offers "" smtpfuzz lint --set ""
offers "a.scn b.conf -dash.conf sub" smtpfuzz show ""
offers "a.scn" smtpfuzz show --target session a
offers "a.scn b.conf -dash.conf sub" smtpfuzz serve --cert ""
offers "sub" smtpfuzz audit --report-dir ""
offers "b.conf" smtpfuzz lint --format json b
offers "-dash.conf" smtpfuzz lint -- -
offers "$commands" smtpfuzz help ""
offers "convert" smtpfuzz help co
offers "--help" smtpfuzz help --h

# The README's example configuration, as a reader would save it: it parses
# (exit 1, not 2) and shows the finding it is there for.
readme=$(dirname "$0")/../README.md
awk '/^```ini$/ { on = 1; next } on && /^```$/ { exit } on' "$readme" >"$tmp/readme.conf"
check "the README's example configuration is one lint reads" test -s "$tmp/readme.conf"
"$bin" lint "$tmp/readme.conf" >"$tmp/readme.out" 2>&1
check "... and judges (exit 1: an error-severity finding)" [ $? -eq 1 ]
check "... the finding it shows" grep -q STARTTLS_ON_IMPLICIT_PORT "$tmp/readme.out"

check_done cli_docs
