#!/usr/bin/env bash
# `smtpfuzz lint` end to end on tests/data/lint/: exit codes and output.
#   tests/cli_lint.sh path/to/smtpfuzz      (run from the repository root)
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: tests/cli_lint.sh path/to/smtpfuzz" >&2
  exit 2
fi
bin=$1
data=tests/data/lint
out=$(mktemp)
check_log=$(mktemp)
trap 'rm -f "$out" "$check_log"' EXIT
source "$(dirname "$0")/check.sh"
check_show=$out

# run WANT_STATUS ARGS...: runs smtpfuzz (stdout and stderr into $out) and
# checks the exit status.
run() {
  local want=$1
  shift
  "$bin" "$@" >"$out" 2>&1
  local got=$?
  check "smtpfuzz $* exits $want (got $got)" [ "$got" -eq "$want" ]
}

# run_stdin WANT_STATUS INPUT ARGS...: as run, with INPUT on stdin.
run_stdin() {
  local want=$1 input=$2
  shift 2
  printf '%s' "$input" | "$bin" "$@" >"$out" 2>&1
  local got=$?
  check "smtpfuzz $* (stdin) exits $want (got $got)" [ "$got" -eq "$want" ]
}


# has TEXT: the last output contains TEXT (fixed string).
has() {
  check "output contains '$1'" grep -qF -- "$1" "$out"
}

lacks() {
  check "output lacks '$1'" bash -c '! grep -qF -- "$1" "$2"' _ "$1" "$out"
}

# The command.
run 0 --help
has "lint"
run 0 -h
has "lint"
run 2
has "lint"
run 0 --version
has "smtpfuzz"
run 2 frobnicate
has "frobnicate"

# Help.
run 0 lint --help
has "mode"
has "plain | starttls | implicit"
has "timeout.PHASE"
has "STARTTLS_ON_IMPLICIT_PORT"
has "Exit status"

# Clean configurations.
run 0 lint "$data/good-587.conf"
has "0 errors, 0 warnings"
run 0 lint "$data/good-465.conf"
has "0 errors, 0 warnings"
run 0 lint "$data/good-587.conf" "$data/good-465.conf"

# One finding each.
run 1 lint "$data/starttls-on-465.conf"
has "$data/starttls-on-465.conf: error: STARTTLS_ON_IMPLICIT_PORT: "
has "1 errors, 0 warnings"
run 1 lint "$data/implicit-on-587.conf"
has "$data/implicit-on-587.conf: error: IMPLICIT_ON_STARTTLS_PORT: "
run 1 lint "$data/opportunistic-auth.conf"
has "error: OPPORTUNISTIC_WITH_AUTH: "
run 1 lint "$data/verify-off.conf"
has "error: VERIFY_OFF: "
run 1 lint "$data/plaintext-auth.conf"
has "error: PLAINTEXT_AUTH: "
has "error: PLAINTEXT_AUTH_ALLOWED: "
# A good file next to a bad one still fails.
run 1 lint "$data/good-587.conf" "$data/starttls-on-465.conf"

# Bad input: file:line, the reason and the error name; exit 2.
run 2 lint "$data/bad-syntax.conf"
has "bad-syntax.conf:4: error: "
has "(CONFIG_SYNTAX)"
run 2 lint "$data/bad-value.conf"
has "bad-value.conf:3: error: port must be"
has "(CONFIG_BAD_VALUE)"
# Bad input wins over findings.
run 2 lint "$data/starttls-on-465.conf" "$data/bad-syntax.conf"
has "STARTTLS_ON_IMPLICIT_PORT"
run 2 lint "$data/no-such-file.conf"
has "smtpfuzz lint: cannot read $data/no-such-file.conf: No such file or directory"
run 2 lint "$data"
has "cannot read"
run 2 lint
run 2 lint --bogus "$data/good-587.conf"
run 2 lint --format xml "$data/good-587.conf"
run 2 lint --set port=465 "$data/good-587.conf"

# Too big to be a configuration.
big=$(mktemp)
head -c 70000 /dev/zero | tr '\0' '#' >"$big"
run 2 lint "$big"
has "larger than"
rm -f "$big"

# Inconsistent profile: validation, not lint.
run_stdin 2 $'mode = implicit\ntls = opportunistic\n' lint -
has "<stdin>: error: mode = implicit always needs tls = required (CONFIG_INCONSISTENT)"
run_stdin 1 $'port = 465\nmode = starttls\nhost = h\n' lint -
has "<stdin>: error: STARTTLS_ON_IMPLICIT_PORT"

# --set.
run 1 lint --set port=465 --set mode=starttls
has "STARTTLS_ON_IMPLICIT_PORT"
run 0 lint --set port=465 --set mode=implicit --set host=mail.example.org
has "0 errors, 0 warnings"
run 0 lint --set=port=2525 --set "host = h"
run 2 lint --set port=99999
has "port must be"
has "CONFIG_BAD_VALUE"
run 2 lint --set port=25 --set port=587
has "CONFIG_DUPLICATE_KEY"
run 2 lint --set port
has "CONFIG_SYNTAX"
run 2 lint --set mode=plain
has "CONFIG_INCONSISTENT"
run 0 lint --set port=25 --set tls=opportunistic --set host=mx.example.org
lacks "OPPORTUNISTIC"
run 0 lint --set port=10025 --set host=h
has "info: NONSTANDARD_PORT"

# JSON.
run 1 lint --format json "$data/starttls-on-465.conf" "$data/plaintext-auth.conf"
has '"name": "STARTTLS_ON_IMPLICIT_PORT"'
has '"severity": "error"'
json=$("$bin" lint --format=json "$data/starttls-on-465.conf" "$data/plaintext-auth.conf" 2>/dev/null)
if command -v python3 >/dev/null; then
  pyout=$(printf '%s' "$json" | python3 -c '
import json, sys
a = json.load(sys.stdin)
assert isinstance(a, list) and len(a) == 3, a
assert all(set(o) == {"file", "severity", "name", "advice"} for o in a), a
print(" ".join(o["name"] for o in a))')
  check "json parses with 3 findings ($pyout)" [ "$pyout" = \
    "STARTTLS_ON_IMPLICIT_PORT PLAINTEXT_AUTH PLAINTEXT_AUTH_ALLOWED" ]
  json=$("$bin" lint --format json "$data/good-587.conf")
  check "json of no findings is []" [ "$(printf '%s' "$json" |
    python3 -c 'import json,sys; print(json.load(sys.stdin))')" = "[]" ]
  # A file name that needs escaping.
  odd=$(mktemp -d)
  cp "$data/verify-off.conf" "$odd/a \"quoted\" \\ name.conf"
  json=$("$bin" lint --format json "$odd/a \"quoted\" \\ name.conf")
  check "json escapes the file name" [ "$(printf '%s' "$json" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["file"].endswith("a \"quoted\" \\ name.conf"))')" = True ]
  rm -rf "$odd"
fi

check_done cli_lint
