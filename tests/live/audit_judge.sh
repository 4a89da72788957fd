#!/usr/bin/env bash
# What `smtpfuzz audit` makes of clients whose way of waiting is known
# (tests/live/fake_client.c), and how its command lines fail. Run by ctest:
#   tests/live/audit_judge.sh SMTPFUZZ FAKE_CLIENT
# Verdicts come from the client's state, so none of this depends on how
# fast the machine is; the hang budget is short only to keep the test short
# where a client's deadline cannot be seen (SIGALRM, a loop of short waits).
set -uo pipefail
sf=$1
fake=$2
cd "$(dirname "$0")/../.."
work=$(mktemp -d "${TMPDIR:-/tmp}/smtpfuzz-judge.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
scn=corpus/scenarios/submission-ok.scn
unanswered=tests/live/ehlo-unanswered.scn # the server never answers EHLO

check() { # WHAT CONDITION...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}

audit() { # MODE [EXTRA...]: runs one audit of fake_client MODE, report in $work/MODE
  local mode=$1 s=$scn
  shift
  case $mode in hang | slow | rcvtimeo | alarm | tick | threads-*) s=$unanswered ;; esac
  "$sf" audit --quiet --hang-budget=1000 --max-stall 200 --report-dir "$work/$mode/r" "$@" \
    "$s" -- "$fake" "$mode" '{addr}' '{port}' "$work/$mode.pid" >"$work/$mode.out" 2>&1
  echo $? >"$work/$mode.rc"
}

result() { awk '{print $2}' "$work/$1/r/verdicts.txt" 2>/dev/null; }
client() { sed -n 's/.*"client": "\([^"]*\)".*/\1/p' "$work/$1/r/report.json"; }

for mode in hang slow rcvtimeo alarm tick nap quit crash orphan flood noconnect refuse retry threads-hang \
  threads-slow deadlock; do
  audit "$mode"
done

check "a read with no timeout is HANG" [ "$(result hang)" = HANG ]
check "HANG says what it waits in" grep -q "read() on the connection, no timeout" "$work/hang/r/report.json"
check "a 30 s poll is SLOW at once, with its deadline" \
  bash -c '[ "$(awk "{print \$2}" "$0/slow/r/verdicts.txt")" = SLOW ] && grep -q "gives up after 30 s" "$0/slow/r/report.json"' "$work"
check "SO_RCVTIMEO is read: SLOW" [ "$(result rcvtimeo)" = SLOW ]
# A runtime's housekeeping threads (a JVM's) wake on short timeouts for ever:
# the thread on the connection is judged on its own.
check "other threads waking: the read with no timeout is still HANG" \
  bash -c '[ "$(awk "{print \$2}" "$0/threads-hang/r/verdicts.txt")" = HANG ] && grep -q "read() on the connection, no timeout" "$0/threads-hang/r/report.json"' "$work"
check "other threads waking: the 30 s poll is SLOW, with its deadline" \
  bash -c '[ "$(awk "{print \$2}" "$0/threads-slow/r/verdicts.txt")" = SLOW ] && grep -q "gives up after 30 s" "$0/threads-slow/r/report.json"' "$work"
if [ "$(id -u)" = 0 ]; then
  check "SO_RCVTIMEO 40 s is stated" grep -q "SO_RCVTIMEO 40000 ms" "$work/rcvtimeo/r/report.json"
fi
check "a SIGALRM handler makes the deadline unseen: SLOW at the budget" \
  bash -c '[ "$(awk "{print \$2}" "$0/alarm/r/verdicts.txt")" = SLOW ] && grep -q SIGALRM "$0/alarm/r/report.json"' "$work"
check "a loop of short waits is SLOW at the budget" [ "$(result tick)" = SLOW ]
# The same 30 s poll where the server has answered every command: it waits
# for an answer to a command it never sent, while the server waits for it.
check "a wait for an answer nothing owes is HANG, however long its timeout" \
  bash -c '[ "$(awk "{print \$2}" "$0/deadlock/r/verdicts.txt")" = HANG ] && grep -q "every command had its answer" "$0/deadlock/r/report.json"' "$work"
# It waits out the nap (no SLOW, no HANG), says QUIT with no message and
# exits 0: it reports a delivery it never made.
check "a sleep of its own longer than the budget is waited out" [ "$(result nap)" = FALSE_SUCCESS ]
check "SLOW alone is no finding (exit 0)" [ "$(cat "$work/slow.rc")" = 0 ]
check "HANG is a finding (exit 1)" [ "$(cat "$work/hang.rc")" = 1 ]
check "a client that quits without its message and exits 0 is FALSE_SUCCESS" \
  [ "$(result quit)" = FALSE_SUCCESS ]
check "... which says why" grep -q "ended done without ending a message" "$work/quit/r/report.json"
check "a client that retries in plaintext after STARTTLS is judged on both connections" \
  bash -c '[[ "$0" == *LEAK_MAIL* ]]' "$(result retry)"
check "... the second one named as such" grep -q "connection 2 of 2: mail sent in plaintext" "$work/retry/r/report.json"
check "... and both in the transcript" grep -q "^# connection 2 of 2" "$work/retry/r/transcripts/submission-ok.txt"
check "a crash is CRASH" bash -c '[[ "$0" == *CRASH* ]]' "$(result crash)"
check "leftovers are ended and counted" grep -q "leftover process" "$work/orphan/r/report.json"
if [ -s "$work/orphan.pid" ]; then
  check "the setsid() grandchild that ignores SIGTERM is gone" bash -c "! kill -0 $(cat "$work/orphan.pid") 2>/dev/null"
else
  echo "FAIL: the orphan's pid was not written"; fail=1
fi
log=$work/flood/r/logs/submission-ok.log
check "a client's log is capped" bash -c '[ "$(stat -c %s "$0")" -lt 1100000 ] && grep -q "the log was cut" "$0"' "$log"
check "a client that never connects is NO_CONNECTION" [ "$(result noconnect)" = NO_CONNECTION ]
check "... and one that exits first too" [ "$(result refuse)" = NO_CONNECTION ]
check "nothing connected: exit 2" [ "$(cat "$work/refuse.rc")" = 2 ]
check "the transcript ends with a clear end line" grep -q "^# end: stopped by smtpfuzz: HANG" "$work/hang/r/transcripts/ehlo-unanswered.txt"

# Reports: every format written, parents of --report-dir made.
check "report-dir parents made, all reports written" \
  bash -c 'for f in report.md report.json report.xml report.sarif verdicts.txt; do [ -s "$0/hang/r/$f" ] || exit 1; done' "$work"
if command -v python3 >/dev/null; then
  check "SARIF and JUnit have the required structure" python3 tests/live/check_reports.py \
    --sarif "$work/hang/r/report.sarif" --junit "$work/hang/r/report.xml" --json "$work/hang/r/report.json"
fi

# Skipped scenarios are named with the reason; nothing to run is exit 2.
"$sf" audit --profile profiles/curl-implicit.profile "$scn" >"$work/skip.out" 2>&1
rc=$?
check "nothing fits the profile: exit 2" [ "$rc" = 2 ]
check "the skipped scenario is named with the reason" \
  grep -q "submission-ok" "$work/skip.out"
check "... and the reason is the client mode" grep -q "client mode is starttls" "$work/skip.out"

# Usage errors: exit 2, one line, no leak (this runs under ASan in CI too).
usage() { # WHAT ARGS...
  local what=$1
  shift
  "$sf" "$@" >"$work/usage.out" 2>&1
  local rc=$?
  check "$what: exit 2" [ "$rc" = 2 ]
  check "$what: no sanitizer report" bash -c '! grep -q "Sanitizer" "$0"' "$work/usage.out"
}
usage "audit, unknown option" audit --bogus "$scn" -- true
usage "audit, missing value" audit "$scn" --hang-budget
usage "audit, bad value" audit --hang-budget=0 "$scn" -- true
usage "audit, no client" audit "$scn"
usage "audit, profile and command" audit --profile profiles/curl-implicit.profile "$scn" -- true
usage "audit, --mode with a profile" audit --mode plain --profile profiles/curl-implicit.profile "$scn"
usage "audit, no scenario" audit -- true
usage "audit, unreadable profile" audit --profile /nonexistent.profile "$scn"
usage "probe, --timeout last" probe 127.0.0.1:25 --timeout
usage "probe, not loopback" probe 10.0.0.1:25
usage "probe, no target" probe --json
usage "serve, --ca-out with --cert" serve --cert /dev/null --key /dev/null --ca-out "$work/ca.pem" "$scn"
check "serve --ca-out with --cert writes no file" [ ! -e "$work/ca.pem" ]
usage "serve, unknown option" serve --bogus "$scn"
for cmd in audit serve probe; do
  "$sf" "$cmd" -h >"$work/help.out" 2>&1
  rc=$?
  check "$cmd -h: exit 0 with usage" bash -c '[ "$1" = 0 ] && grep -q "^usage: smtpfuzz" "$0"' \
    "$work/help.out" "$rc"
done

# Scenarios that share a name (two files, or one given twice) each run as
# a case of their own: a row, a transcript and a log each, never the same.
mkdir -p "$work/same/a" "$work/same/b"
cp "$scn" "$work/same/a/"
cp "$scn" "$work/same/b/"
"$sf" audit --quiet --hang-budget=1000 --report-dir "$work/same/r" "$work/same/a/submission-ok.scn" \
  "$work/same/b/submission-ok.scn" "$scn" -- "$fake" quit '{addr}' '{port}' >"$work/same.out" 2>&1
check "scenarios sharing a name: three rows, three names" \
  [ "$(awk '{print $1}' "$work/same/r/verdicts.txt" | sort -u | tr '\n' ' ')" = "submission-ok submission-ok-2 submission-ok-3 " ]
check "... three transcripts and three logs" \
  bash -c '[ "$(ls "$0/transcripts" | wc -l)" = 3 ] && [ "$(ls "$0/logs" | wc -l)" = 3 ] && [ -s "$0/transcripts/submission-ok-2.txt" ]' "$work/same/r"
check "... each transcript from its own file" \
  bash -c 'for f in a b; do grep -l "$0/$f/submission-ok.scn" "$0"/r/transcripts/*.txt || exit 1; done | sort -u | wc -l | grep -qx 2' "$work/same"
check "... the JSON report names each once" \
  bash -c '[ "$(grep -o "\"scenario\": \"submission-ok[-0-9]*\"" "$0" | sort -u | wc -l)" = 3 ]' "$work/same/r/report.json"

# Without --report-dir nothing is left in $TMPDIR: after a run, after a
# client that cannot be started, after a usage error.
tmpd=$work/tmpdir
mkdir -p "$tmpd"
TMPDIR=$tmpd "$sf" audit --quiet --hang-budget=1000 "$scn" "$scn" -- "$fake" quit '{addr}' '{port}' \
  >"$work/tmpdir-run.out" 2>&1
check "a run leaves nothing in \$TMPDIR" bash -c '[ -z "$(ls -A "$0")" ]' "$tmpd"
TMPDIR=$tmpd "$sf" audit --quiet "$scn" -- "$work/no-such-client" '{port}' >"$work/tmpdir-nostart.out" 2>&1
rc=$?
check "a client that cannot be started: exit 2, said" \
  bash -c '[ "$1" = 2 ] && grep -q "cannot start" "$0"' "$work/tmpdir-nostart.out" "$rc"
check "... and nothing is left in \$TMPDIR" bash -c '[ -z "$(ls -A "$0")" ]' "$tmpd"

# Profile errors at load, with the profile's file and line: exit 2.
printf 'name = t\narg = %s\narg = {hots}\n' "$fake" >"$work/typo.profile"
TMPDIR=$tmpd "$sf" audit --profile "$work/typo.profile" --all "$scn" >"$work/typo.out" 2>&1
rc=$?
check "a placeholder typo in a profile: exit 2 with FILE:LINE" \
  bash -c '[ "$1" = 2 ] && grep -qF "$0.profile:3: unknown placeholder {hots} (known: {host}" "$0.out"' "$work/typo" "$rc"
check "... before anything ran (nothing in \$TMPDIR)" bash -c '[ -z "$(ls -A "$0")" ]' "$tmpd"
"$sf" audit --quiet "$scn" -- "$fake" '{hots}' >"$work/typo-cmd.out" 2>&1
rc=$?
check "a placeholder typo after '--': exit 2, named" \
  bash -c '[ "$1" = 2 ] && grep -qF "unknown placeholder {hots}" "$0"' "$work/typo-cmd.out" "$rc"
printf 'name = t\nmode = implicit\narg = true\nmode = starttls\n' >"$work/twice.profile"
"$sf" audit --profile "$work/twice.profile" --all "$scn" >"$work/twice.out" 2>&1
rc=$?
check "a key given twice in a profile: exit 2, both lines named" \
  bash -c '[ "$1" = 2 ] && grep -qF "$0.profile:4: key '"'"'mode'"'"' given twice (first at line 2)" "$0.out"' "$work/twice" "$rc"
: >"$work/empty.profile"
"$sf" audit --profile "$work/empty.profile" --all "$scn" >"$work/empty.out" 2>&1
rc=$?
check "an empty profile: exit 2, said without a line 0" \
  bash -c '[ "$1" = 2 ] && grep -qF "$0.profile: empty profile" "$0.out" && ! grep -q ":0:" "$0.out"' "$work/empty" "$rc"

if [ "$fail" != 0 ]; then
  for f in "$work"/*.out; do echo "--- $f"; cat "$f"; done
  # What audit judged for each fake client, and why: the exit status, the
  # verdicts and each transcript, so a failure in CI explains itself.
  for d in "$work"/*/r; do
    m=$(basename "$(dirname "$d")")
    echo "--- $m: exit $(cat "$work/$m.rc" 2>/dev/null), verdicts: $(cat "$d/verdicts.txt" 2>/dev/null)"
    cat "$d"/transcripts/*.txt 2>/dev/null
  done
  exit 1
fi
echo "audit_judge: all checks passed"
