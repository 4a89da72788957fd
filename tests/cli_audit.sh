#!/usr/bin/env bash
# `smtpfuzz audit`'s command line: its option errors say what the other
# commands say (cli/options.h), --addr takes no port, and each of --mode,
# --tls and --verify has its values in the help, so the completion the
# build made from it (cmake/docs.cmake) offers them.
#   tests/cli_audit.sh path/to/smtpfuzz BUILD_DIR    (from the repository root)
set -u

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -d "$2" ]; then
  echo "usage: tests/cli_audit.sh path/to/smtpfuzz BUILD_DIR" >&2
  exit 2
fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
completion=$(cd "$2" && pwd)/share/bash-completion/completions/smtpfuzz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check_log=$tmp/log
source "$(dirname "$0")/check.sh"
scn=corpus/scenarios/submission-ok.scn

# refused WHAT PATTERN ARGS...: `smtpfuzz audit ARGS` exits 2 with one line
# on stderr that holds PATTERN (fixed string), and runs nothing.
refused() {
  local what=$1 want=$2
  shift 2
  timeout 60 "$bin" audit "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  check "$what: exit 2 (got $rc)" [ "$rc" = 2 ]
  check "$what: says '$want'" grep -qF -- "$want" "$tmp/err"
  check "$what: one line" [ "$(wc -l <"$tmp/err")" = 1 ]
  check "$what: nothing ran" [ ! -s "$tmp/out" ]
}

refused "an ambiguous abbreviation" "option '--m' is ambiguous (--mode, --max-stall)" --m x "$scn" -- true
refused "an ambiguous abbreviation with =" "option '--m' is ambiguous" --m=x "$scn" -- true
refused "an unknown option" "unknown option '--bogus'" --bogus "$scn" -- true
refused "a missing value" "option '--jobs' needs a value" "$scn" --jobs
refused "a value to a flag" "option '--quiet' takes no value" --quiet=yes "$scn" -- true
refused "--addr with a port" "--addr 127.0.0.1:25: give the address without a port" \
  --addr 127.0.0.1:25 "$scn" -- true
refused "--addr [::1] with a port" "--addr [::1]:2525: give the address without a port" \
  --addr '[::1]:2525' "$scn" -- true
refused "--addr not loopback" "--addr 10.0.0.1" --addr 10.0.0.1 "$scn" -- true
check "--addr's help says it takes no port" \
  bash -c '"$0" help audit | grep -- "--addr ADDR" | grep -q "without a port"' "$bin"

# The help: each option's values where the completion finds them.
"$bin" help audit >"$tmp/help"
check "help: --mode plain|starttls|implicit" grep -qE -- '^ +--mode plain\|starttls\|implicit$' "$tmp/help"
check "help: --tls none|opportunistic|required" \
  grep -qE -- '^ +--tls none\|opportunistic\|required$' "$tmp/help"
check "help: --verify yes|no" grep -qE -- '^ +--verify yes\|no ' "$tmp/help"

complete_words() { # WORD...: what the completion offers for the last, sorted
  (
    cd "$tmp" || exit 1
    # shellcheck source=/dev/null
    source "$completion"
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _smtpfuzz 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
  )
}
offers() { # "WANT (sorted)" WORD...
  local want=$1
  shift
  local got
  got=$(complete_words "$@")
  check "completing '$*' offers '$want' (got '$got')" [ "$got" = "$want" ]
}
check "completion exists" test -s "$completion"
offers "implicit plain starttls" smtpfuzz audit --mode ""
offers "starttls" smtpfuzz audit --mode st
offers "none opportunistic required" smtpfuzz audit --tls ""
offers "--tls=required" smtpfuzz audit --tls=r
offers "no yes" smtpfuzz audit --verify ""

check_done cli_audit
