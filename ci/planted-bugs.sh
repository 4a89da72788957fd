#!/usr/bin/env bash
# The planted bugs, checked without a clock: each bench/bugs/NAME.patch is
# applied to a copy of the source (build/planted-bugs/src; the tree itself
# is never patched), the bug's fuzz target is built with clang and
# ASan+UBSan as a replay program, and the bug's reproducer
# (bench/bugs/reproducers) must pass before the patch and fail after it,
# with the finding the file names. So the suite ci/bench.sh times still
# plants every bug, and each bug is still one our oracles catch.
#   ci/planted-bugs.sh              every bug
#   ci/planted-bugs.sh --bugs 05,09 only bugs whose name starts with these
#   ci/planted-bugs.sh --help       this text
# Exit status: 0 when every bug was caught, 1 otherwise, 2 for a usage error.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

bug_filter=""
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
die_usage() { echo "ci/planted-bugs.sh: $*" >&2; echo "see ci/planted-bugs.sh --help" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bugs) [ $# -ge 2 ] && [ -n "$2" ] || die_usage "--bugs needs a value"; bug_filter=$2; shift 2 ;;
    --bugs=*) bug_filter=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done

sf_select_bugs "$bug_filter"
[ ${#bugs[@]} -gt 0 ] || die_usage "no bug in bench/bugs/ matches '$bug_filter'"

sf_install_packages cmake make clang libclang-rt-14-dev libssl-dev patch

dir=build/planted-bugs
src=$dir/src
bld=$dir/build
logs=$dir/logs
limit=900
mkdir -p "$src" "$logs"
sf_kill_started_on_exit

# The copy follows the tree by content: a file is rewritten (and so gets a
# new time, and is rebuilt) only where it differs, so an unchanged copy
# rebuilds nothing and a changed one never keeps a stale object.
sf_step "copy of the source in $src"
stage=$dir/stage
rm -rf "$stage"
mkdir -p "$stage"
tar --exclude=./build --exclude=./work --exclude=./.git -cf - . | tar -x -C "$stage"
changed=0
while IFS= read -r -d '' f; do
  f=${f#"$stage"/}
  if ! cmp -s "$stage/$f" "$src/$f"; then
    mkdir -p "$(dirname "$src/$f")"
    cp "$stage/$f" "$src/$f"
    changed=$((changed + 1))
  fi
done < <(find "$stage" -type f -print0)
while IFS= read -r -d '' f; do
  f=${f#"$src"/}
  [ -e "$stage/$f" ] || rm -f "$src/$f"
done < <(find "$src" -type f -print0)
rm -rf "$stage"
echo "  $changed file(s) updated"

# The patch applied at the moment, reversed whatever happens next.
applied=""
unpatch() {
  if [ -n "$applied" ]; then
    patch -s -R -p1 -d "$src" <"bench/bugs/$applied.patch" || true
    applied=""
  fi
}
trap 'unpatch; sf_kill_started' EXIT
trap 'unpatch; sf_kill_started; exit 130' INT TERM

targets=()
for bug in "${bugs[@]}"; do
  t=$(sf_bug_field "$bug" 2)
  [[ " ${targets[*]} " == *" $t "* ]] || targets+=("$t")
done
replays=()
for t in "${targets[@]}"; do replays+=("${t}_replay"); done
sf_step "build ${replays[*]} (clang, ASan+UBSan) in $bld"
sf_bounded "$limit" "$logs/configure.log" cmake -S "$src" -B "$bld" -DCMAKE_C_COMPILER=clang \
  -DSF_SANITIZE=ON -DSF_WERROR=OFF -DSF_FUZZ_ENGINE=none || { cat "$logs/configure.log" >&2; exit 1; }
sf_bounded "$limit" "$logs/build.log" cmake --build "$bld" -j"$(nproc)" --target "${replays[@]}" ||
  { tail -n 40 "$logs/build.log" >&2; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rows=()
failures=0
# result BUG OUTCOME: one row; any outcome but "caught" is a failure.
result() {
  rows+=("| $1 | $(sf_bug_field "$1" 2) | $2 |")
  echo "  $1: $2"
  [[ "$2" == caught* ]] || failures=$((failures + 1))
}
for bug in "${bugs[@]}"; do
  sf_step "planted bug $bug"
  t=$(sf_bug_field "$bug" 2)
  input=$(sf_bug_field "$bug" 3)
  expect=$(sf_bug_field "$bug" 4)
  replay=$bld/fuzz/${t}_replay
  if [ ! -f "$input" ] || [ -z "$expect" ]; then
    result "$bug" "no reproducer: bench/bugs/reproducers names no input or finding ($input)"
    continue
  fi
  # The real engine passes the input, so the finding below is the patch's
  # (rebuilt first: the last bug's patch has just been taken out again).
  if ! sf_bounded "$limit" "$logs/$bug.clean-build.log" cmake --build "$bld" -j"$(nproc)" --target "${t}_replay"; then
    tail -n 20 "$logs/$bug.clean-build.log" >&2
    result "$bug" "BUILD FAILED without the patch (log: $logs/$bug.clean-build.log)"
    continue
  fi
  if ! sf_bounded 120 "$logs/$bug.clean.log" "$replay" "$input"; then
    tail -n 5 "$logs/$bug.clean.log" >&2
    result "$bug" "NOT CHECKED: $input fails without the patch too"
    continue
  fi
  if ! patch --dry-run -s -p1 -d "$src" <"bench/bugs/$bug.patch" >"$logs/$bug.patch.log" 2>&1; then
    cat "$logs/$bug.patch.log" >&2
    result "$bug" "STALE: the patch no longer applies to the source (refresh bench/bugs/$bug.patch)"
    continue
  fi
  applied=$bug
  patch -s -p1 -d "$src" <"bench/bugs/$bug.patch"
  if ! sf_bounded "$limit" "$logs/$bug.build.log" cmake --build "$bld" -j"$(nproc)" --target "${t}_replay"; then
    tail -n 20 "$logs/$bug.build.log" >&2
    unpatch
    result "$bug" "BUILD FAILED with the patch (log: $logs/$bug.build.log)"
    continue
  fi
  status=0
  sf_bounded 120 "$logs/$bug.log" "$replay" "$input" || status=$?
  unpatch
  if [ "$status" -eq 0 ]; then
    result "$bug" "MISSED: $t passes $input with the bug planted"
  elif ! grep -qF -- "$expect" "$logs/$bug.log"; then
    tail -n 5 "$logs/$bug.log" >&2
    result "$bug" "WRONG FINDING: $t failed on $input (exit $status) without saying '$expect' (log: $logs/$bug.log)"
  else
    result "$bug" "caught: $(grep -m1 -F -- "$expect" "$logs/$bug.log" | cut -c1-110)"
  fi
done
sf_step "summary"
{
  echo "| bug | target | result (reproducer from bench/bugs/reproducers) |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$dir/summary.md"
if [ "$failures" -gt 0 ]; then
  echo "ci/planted-bugs.sh: $failures of ${#bugs[@]} planted bug(s) not caught"
  exit 1
fi
echo "ci/planted-bugs.sh: all ${#bugs[@]} planted bug(s) caught"
