#!/usr/bin/env bash
# The command line of smtpfuzz and of lint, show, convert (and the usage
# errors of probe and serve): '--opt value' and
# '--opt=value' alike for every option, '--' ends the options, -h/--help,
# `smtpfuzz help CMD` prints exactly `smtpfuzz CMD --help`, and bad usage is
# exit 2 with one line on stderr naming the problem.
#   tests/cli_options.sh path/to/smtpfuzz      (run from the repository root)
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: tests/cli_options.sh path/to/smtpfuzz" >&2
  exit 2
fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
err=$tmp/err
check_log=$tmp/check
source "$(dirname "$0")/check.sh"
check_show="$out $err"
lint_data=tests/data/lint
scn=corpus/scenarios/ok-submission-587-auth-login.scn


# run WANT ARGS...: smtpfuzz ARGS, stdout to $out and stderr to $err.
run() {
  local want=$1
  shift
  "$bin" "$@" >"$out" 2>"$err"
  local got=$?
  check "smtpfuzz $* exits $want (got $got)" [ "$got" -eq "$want" ]
}

# one_line_error ARGS...: exit 2, nothing on stdout, one line on stderr.
one_line_error() {
  run 2 "$@"
  check "smtpfuzz $*: one line on stderr" [ "$(wc -l <"$err")" -eq 1 ]
  check "smtpfuzz $*: nothing on stdout" [ ! -s "$out" ]
}

# usage_error WORD ARGS...: one_line_error, and the line names WORD and
# points to the help.
usage_error() {
  local word=$1
  shift
  one_line_error "$@"
  check "smtpfuzz $*: the message names '$word'" grep -qF -- "$word" "$err"
  check "smtpfuzz $*: the message points to the help" grep -qF -- "--help" "$err"
}

# refused TEXT ARGS...: one_line_error, and the line starts with
# "smtpfuzz CMD: " and holds TEXT (a bad input rather than bad
# usage: no pointer to the help needed).
refused() {
  local text=$1
  shift
  one_line_error "$@"
  check "smtpfuzz $*: the message starts 'smtpfuzz $1: '" grep -q "^smtpfuzz $1: " "$err"
  check "smtpfuzz $*: the message says '$text'" grep -qF -- "$text" "$err"
}

# same WANT "ARGS A" "ARGS B": both exit WANT with the same stdout.
same() {
  local want=$1
  read -r -a a <<<"$2"
  read -r -a b <<<"$3"
  run "$want" "${a[@]}"
  cp "$out" "$tmp/first"
  run "$want" "${b[@]}"
  check "'$2' and '$3' print the same" cmp -s "$tmp/first" "$out"
  check "'$2' prints something" [ -s "$out" ]
}

has() {
  check "output contains '$1'" grep -qF -- "$1" "$out"
}

# The command itself.
run 0 --help
has "Commands:"
cp "$out" "$tmp/main-help"
run 0 -h
check "-h is --help" cmp -s "$tmp/main-help" "$out"
run 0 help
check "help is --help" cmp -s "$tmp/main-help" "$out"
run 0 --version
check "--version prints 'smtpfuzz X.Y'" grep -qxE 'smtpfuzz [0-9]+\.[0-9]+(\.[0-9]+)*' "$out"
usage_error "--version" --version=1
usage_error "--bogus" --bogus
usage_error "-x" -x
usage_error "frobnicate" frobnicate
run 2
check "no command: the usage on stderr" grep -qF "Commands:" "$err"

# help CMD is CMD --help (and -h) for every command in the list.
commands=$(awk '/^Commands:$/ { on = 1; next } on && /^$/ { exit } on { print $1 }' \
  "$tmp/main-help")
check "help lists lint, show, convert, help" \
  [ "$(echo $commands | tr ' ' '\n' | grep -cxE 'lint|show|convert|help')" -eq 4 ]
for cmd in $commands; do
  run 0 help "$cmd"
  cp "$out" "$tmp/help-$cmd"
  check "help $cmd starts with its usage" grep -q "^usage: smtpfuzz $cmd" "$out"
  run 0 "$cmd" --help
  check "help $cmd is $cmd --help" cmp -s "$tmp/help-$cmd" "$out"
  run 0 "$cmd" -h
  check "help $cmd is $cmd -h" cmp -s "$tmp/help-$cmd" "$out"
  # -h/--help is listed in every help this helper's commands print.
done
for cmd in lint show convert help; do
  check "$cmd --help lists -h, --help" grep -qF -- "-h, --help" "$tmp/help-$cmd"
done
usage_error "nope" help nope
usage_error "one COMMAND" help lint show
usage_error "--bogus" help --bogus

# lint: every option both ways, abbreviations, options after files, '--'.
same 0 "lint --format json $lint_data/good-587.conf" "lint --format=json $lint_data/good-587.conf"
check "--format json prints JSON" grep -qx '\[\]' "$out"
same 0 "lint --format text $lint_data/good-587.conf" "lint --format=text $lint_data/good-587.conf"
same 0 "lint $lint_data/good-587.conf --format json" "lint --form=json $lint_data/good-587.conf"
same 1 "lint --set port=465 --set mode=starttls" "lint --set=port=465 --set=mode=starttls"
has "STARTTLS_ON_IMPLICIT_PORT"
same 1 "lint --set port=465 --format json --set mode=starttls" \
  "lint --format=json --set=port=465 --set mode=starttls"
has '"name": "STARTTLS_ON_IMPLICIT_PORT"'
cp "$lint_data/starttls-on-465.conf" "$tmp/-dash.conf"
(cd "$tmp" && "$bin" lint -- -dash.conf >"$out" 2>"$err")
check "lint -- -dash.conf reads the file named -dash.conf" grep -qF -- "-dash.conf: error:" "$out"
usage_error "--format" lint --format
usage_error "--format" lint "$lint_data/good-587.conf" --format
usage_error "xml" lint --format=xml "$lint_data/good-587.conf"
usage_error "--set" lint --set
usage_error "--bogus" lint --bogus "$lint_data/good-587.conf"
usage_error "--bogus" lint --bogus=1 "$lint_data/good-587.conf"
usage_error "-x" lint -x "$lint_data/good-587.conf"
usage_error "--help" lint --help=yes
usage_error "no configuration" lint
usage_error "not both" lint --set port=465 "$lint_data/good-587.conf"

# show.
same 0 "show --target session $scn" "show --target=session $scn"
has "client smtpfuzz-engine"
same 0 "show $scn --target=session" "show --targ session $scn"
same 0 "show --target portmode $scn" "show --target=portmode $scn"
same 0 "show --target starttls $scn" "show --target=starttls $scn"
has "[tls]"
same 1 "show --target reply corpus/fuzz_reply/bare-cr.bin" \
  "show --target=reply corpus/fuzz_reply/bare-cr.bin"
has "REPLY_BARE_CR"
same 1 "show --target ehlo corpus/fuzz_ehlo/auth-33-mechs.bin" \
  "show --target=ehlo corpus/fuzz_ehlo/auth-33-mechs.bin"
has "CAPS_AUTH_TOO_MANY"
same 1 "show --flaw plaintext-auth $scn" "show --flaw=plaintext-auth $scn"
has "LEAK_AUTH"
same 1 "show --flaw plaintext-auth --target session $scn" \
  "show --target=session --flaw=plaintext-auth $scn"
same 0 "show --list-flaws" "show --list-f"
has "plaintext-auth	LEAK_AUTH	"
cp "$scn" "$tmp/-dash.scn"
(cd "$tmp" && "$bin" show -- -dash.scn >"$out" 2>"$err")
check "show -- -dash.scn reads the file named -dash.scn" grep -qF "== -dash.scn" "$out"
usage_error "--target" show --target
usage_error "--target" show "$scn" --target
usage_error "bogus" show --target=bogus "$scn"
usage_error "bogus" show --target bogus "$scn"
usage_error "--flaw" show --flaw
usage_error "bogus" show --flaw=bogus "$scn"
usage_error "--list-flaws" show --list-flaws=1
usage_error "--bogus" show --bogus "$scn"
usage_error "--list-flaws" show --l=1 "$scn"
usage_error "no FILE" show
usage_error "no FILE" show --target session
# --list-flaws reads no file; --flaw fits only the targets that run a client.
usage_error "--list-flaws takes no FILE" show --list-flaws "$scn"
usage_error "--flaw applies to session and portmode only, not starttls" \
  show --target starttls --flaw plaintext-auth "$scn"
usage_error "--flaw applies to session and portmode only, not reply" \
  show --target reply --flaw plaintext-auth corpus/fuzz_reply/bare-cr.bin
usage_error "--flaw applies to session and portmode only, not ehlo" \
  show --target ehlo --flaw=plaintext-auth corpus/fuzz_ehlo/auth-33-mechs.bin
usage_error "not reply (corpus/fuzz_reply/bare-cr.bin)" \
  show --flaw plaintext-auth "$scn" corpus/fuzz_reply/bare-cr.bin
# Unreadable input: exit 2 and the reason, not a generic one.
mkdir "$tmp/folder.scn"
run 2 show "$tmp/folder.scn"
check "show on a folder says it is one" grep -qF "cannot read $tmp/folder.scn: Is a directory" "$err"
refused "show: cannot read $tmp/folder.scn: Is a directory" show "$tmp/folder.scn"
refused "show: cannot read $tmp/none.bin: No such file or directory" \
  show --target reply "$tmp/none.bin"
run 2 convert "$tmp/folder.scn" "$tmp/f.bin"
check "convert on a folder says it is one" grep -qF "$tmp/folder.scn: Is a directory" "$err"
refused "convert: cannot read $tmp/none.scn" convert "$tmp/none.scn" "$tmp/f.bin"

# A scenario error lists every value the parser takes, as harness/scenario.h
# (and scenario.c for the actions) names them.
names_of() { # names_of LIST: the quoted names of scenario.h's X-macro LIST
  sed -n "/^#define $1(X)/,/[^\\]\$/p" harness/scenario.h | grep -oE 'X\([A-Z0-9_]+, "[^"]*"' |
    sed 's/.*"\(.*\)"/\1/'
}
ids_of() { # ids_of LIST: the identifiers of scenario.h's X-macro LIST
  sed -n "/^#define $1(X)/,/[^\\]\$/p" harness/scenario.h | grep -oE 'X\([A-Z0-9_]+' | cut -c3-
}
verbs=$(names_of SC_VERB_LIST)
verdicts=$(ids_of SC_VERDICT_LIST)
actions=$(sed -n '/sc_act_names\[SC_ACT_COUNT\] = {/,/};/p' harness/scenario.c |
  grep -oE '"[a-z-]+"' | tr -d '"')
check "scenario.h lists bdat among the verbs" grep -qx bdat <<<"$verbs"
check "scenario.h lists SMUGGLING, IGNORED_421 and FALSE_SUCCESS among the verdicts" \
  [ "$(grep -cxE 'SMUGGLING|IGNORED_421|FALSE_SUCCESS' <<<"$verdicts")" -eq 3 ]
check "scenario.c names the raw action" grep -qx raw <<<"$actions"
# scn_error TEXT LINE: a scenario of that one line is refused with TEXT and
# names every item of $items.
scn_error() {
  printf '%s\n' "$2" >"$tmp/bad.scn"
  run 2 show "$tmp/bad.scn"
  check "'$2': one line on stderr" [ "$(wc -l <"$err")" -eq 1 ]
  check "'$2': the message says '$1'" grep -qF -- "$tmp/bad.scn:1: error: $1" "$err"
  local item
  for item in $items; do
    check "'$2': the message names $item" grep -qE -- " $item[ ,]" "$err"
  done
}
items=$verbs
scn_error "bad verb" "on frob: close"
items=$verdicts
scn_error "unknown verdict" "expect = LEAK_AUTH, BOGUS"
check "'none' is named too" grep -qF "or none" "$err"
items=$actions
scn_error "unknown action" "on ehlo: frob"
scn_error "empty action" "on ehlo: close; ; close"

# probe and serve: option errors as every command says them.
usage_error "option '--json' takes no value" probe --json=1 127.0.0.1:1
usage_error "unknown option '-x'" probe -jx 127.0.0.1:1
usage_error "unknown option '--bogus'" probe --bogus 127.0.0.1:1
usage_error "option '--ca' needs a value" probe --ca
usage_error "option '-t' needs a value" probe -t
usage_error "--timeout" probe --timeout 5 127.0.0.1:1
usage_error "no HOST:PORT" probe
usage_error "option '--max' is ambiguous (--max-stall, --max-conns, --max-parallel)" serve --max=1 "$scn"
usage_error "option '--cert' needs a value" serve "$scn" --cert
usage_error "option '--help' takes no value" serve --help=1
usage_error "unknown option '-x'" serve -x "$scn"
usage_error "bad value '0' for --max-parallel" serve -j 0 "$scn"
usage_error "no scenarios" serve

# probe --ca: a file that holds no certificate is refused before anything
# connects, not taken for an empty trust store.
printf 'not a certificate\n' >"$tmp/text.pem"
refused "--ca $tmp/text.pem: no PEM certificate in it" probe --ca "$tmp/text.pem" 127.0.0.1:1
refused "--ca $tmp/folder.scn: Is a directory" probe --ca "$tmp/folder.scn" 127.0.0.1:1
refused "--ca $tmp/none.pem: No such file or directory" probe --ca "$tmp/none.pem" 127.0.0.1:1
printf -- '-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n' >"$tmp/broken.pem"
refused "--ca $tmp/broken.pem: a PEM block in it does not read" \
  probe --ca "$tmp/broken.pem" 127.0.0.1:1
# A real CA (serve's test CA) is taken.
run 0 serve --addr 127.0.0.1:0 --duration 1 --ca-out "$tmp/ca.pem" "$scn"
"$bin" probe --timeout 500 --ca "$tmp/ca.pem" 127.0.0.1:1 >"$out" 2>"$err"
check "probe takes a CA file that holds a certificate" [ $? -ne 2 ]
check "probe --ca CA: nothing said of --ca" bash -c '! grep -qF -- --ca "$1"' _ "$err"

# serve --cert/--key: the file and why it does not do.
refused "--cert $tmp/none.pem: No such file or directory" \
  serve --addr 127.0.0.1:0 --cert "$tmp/none.pem" --key "$tmp/ca.pem" "$scn"
refused "--cert $tmp/folder.scn: Is a directory" \
  serve --addr 127.0.0.1:0 --cert "$tmp/folder.scn" --key "$tmp/ca.pem" "$scn"
refused "--cert $tmp/text.pem: no PEM certificate in it" \
  serve --addr 127.0.0.1:0 --cert "$tmp/text.pem" --key "$tmp/ca.pem" "$scn"
refused "--key $tmp/ca.pem: no PEM private key in it" \
  serve --addr 127.0.0.1:0 --cert "$tmp/ca.pem" --key "$tmp/ca.pem" "$scn"
refused "--key $tmp/none.pem: No such file or directory" \
  serve --addr 127.0.0.1:0 --cert "$tmp/ca.pem" --key "$tmp/none.pem" "$scn"

# convert.
run 0 convert "$scn" "$tmp/a.bin"
run 0 convert -- "$tmp/a.bin" "$tmp/-dash-b.scn"
check "convert -- writes a file whose name starts with '-'" [ -s "$tmp/-dash-b.scn" ]
(cd "$tmp" && "$bin" convert -- -dash-b.scn -dash-c.bin >"$out" 2>"$err")
check "convert -- IN OUT with dashes" cmp -s "$tmp/a.bin" "$tmp/-dash-c.bin"
usage_error "IN and OUT" convert
usage_error "IN and OUT" convert "$scn"
usage_error "IN and OUT" convert "$scn" "$tmp/x.bin" "$tmp/y.bin"
usage_error "--bogus" convert --bogus "$scn" "$tmp/z.bin"
check "a refused convert writes nothing" [ ! -e "$tmp/z.bin" ]

check_done cli_options
