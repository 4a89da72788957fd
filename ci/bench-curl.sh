#!/usr/bin/env bash
# libcurl's rows of the benchmark (ci/bench.sh --only curl runs this): exec/s
# of fuzz_curl, time to each finding from an empty corpus, the planted
# CVE-2021-22947 (bench/curl/), and line coverage of curl's lib/smtp.c and
# lib/pingpong.c after a fuzzing run.
#   ci/bench-curl.sh [--seeds N] [--cap S] [--exec-time S] [--cov-time S] [--jobs N]
# Results: one file per run in $SF_BENCH_DIR/results/curl-*.txt (default
# build/bench), resumable like ci/bench.sh's; --fresh forgets them. The
# harness is built from $SF_BENCH_SRC (default: this tree).
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

seeds=5 cap=180 exec_time=10 cov_time=600 jobs=1 fresh=0
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
die_usage() { echo "ci/bench-curl.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) [ $# -ge 2 ] || die_usage "--seeds needs a value"; seeds=$2; shift 2 ;;
    --cap) [ $# -ge 2 ] || die_usage "--cap needs a value"; cap=$2; shift 2 ;;
    --exec-time) [ $# -ge 2 ] || die_usage "--exec-time needs a value"; exec_time=$2; shift 2 ;;
    --cov-time) [ $# -ge 2 ] || die_usage "--cov-time needs a value"; cov_time=$2; shift 2 ;;
    --jobs) [ $# -ge 2 ] || die_usage "--jobs needs a value"; jobs=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1' (see --help)" ;;
  esac
done
for v in seeds cap exec_time cov_time jobs; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die_usage "--${v/_/-} must be a positive number"
done

B=${SF_BENCH_DIR:-build/bench}
S=${SF_BENCH_SRC:-.}
R=$B/results
mkdir -p "$R"
[ "$fresh" = 1 ] && rm -f "$R"/curl-*.txt
B=$(realpath "$B") S=$(realpath "$S") R=$(realpath "$R")
T=$PWD/build/third-party
limit=1800
sf_kill_started_on_exit
sf_install_packages cmake make clang libclang-rt-14-dev libssl-dev llvm

# The libraries: as fuzzed, with the planted bug, and for coverage.
cve=bench/curl/cve-2021-22947-starttls-injection.patch
bash ci/third-party.sh curl
bash ci/third-party.sh --patch "$cve" --variant cve-2021-22947 curl
bash ci/third-party.sh --coverage --variant cov curl

# build DIR CURL_DIR TARGET CMAKE_ARGS...
build() {
  local dir=$1 curl=$2 target=$3
  shift 3
  sf_bounded "$limit" "$dir.configure.log" cmake -S "$S" -B "$dir" -DCMAKE_C_COMPILER=clang \
    -DSF_WERROR=OFF -DSF_CURL_DIR="$curl" "$@" || { cat "$dir.configure.log" >&2; return 1; }
  sf_bounded "$limit" "$dir.build.log" cmake --build "$dir" -j"$jobs" --target "$target" ||
    { tail -n 30 "$dir.build.log" >&2; return 1; }
}
lf=(-DSF_SANITIZE=ON -DSF_FUZZ_ENGINE=libfuzzer -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link)
build "$B/lf-curl" "$T/curl/install" fuzz_curl "${lf[@]}"
build "$B/lf-curl-cve" "$T/curl-cve-2021-22947/install" fuzz_curl "${lf[@]}"
build "$B/cov-curl" "$T/curl-cov/install" fuzz_curl_replay -DSF_FUZZ_ENGINE=none \
  "-DCMAKE_C_FLAGS=-fprofile-instr-generate -fcoverage-mapping" -DCMAKE_EXE_LINKER_FLAGS=-fprofile-instr-generate

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1
# The dictionary and max_len of fuzz/fuzz_curl.options, as ci/fuzz.sh passes them.
mapfile -t curl_opts < <(sf_libfuzzer_args "$S" fuzz_curl)

# ---- exec/s on the shipped corpus ------------------------------------------------
if [ ! -f "$R/curl-execs.txt" ]; then
  d=$(mktemp -d "$B/run.XXXXXX")
  sf_bounded $((exec_time + 60)) "$d/log" "$B/lf-curl/fuzz/fuzz_curl" -max_total_time="$exec_time" \
    -timeout=10 -rss_limit_mb=2048 "${curl_opts[@]}" -print_final_stats=1 \
    -artifact_prefix="$d/" "$d" "$S/corpus/fuzz_curl" || true
  echo "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$d/log" | tail -n1) $exec_time" >"$R/curl-execs.txt"
  rm -rf "$d"
fi
echo "  fuzz_curl: $(cut -d' ' -f1 "$R/curl-execs.txt") exec/s"

# ---- CPU time per input, for two inputs alone ----------------------------------
# What curl itself costs: the shortest exchange (421-greeting: the server
# answers the connection with a 421 and closes; curl sets up a transfer,
# connects, reads one reply and cleans up) and a whole delivery over
# STARTTLS (submission-ok: a TLS handshake, AUTH, one message). CPU time of
# 7,000 runs of the input less that of 2,000 (start-up and the exit's
# teardown cancel out), per run; libFuzzer reads the file again for every run
# (a few microseconds of each figure).
# cpu_of INPUT N: CPU seconds of fuzz_curl running INPUT N times. Called in
# $(...), so that `times` reports this call's children only.
cpu_of() {
  sf_bounded 600 "$B/per-input.log" "$B/lf-curl/fuzz/fuzz_curl" -runs="$2" "$1" || true
  times >"$B/per-input.times"
  sf_children_cpu "$B/per-input.times"
}
for name in 421-greeting submission-ok; do
  input=$S/corpus/fuzz_curl/$name.bin
  [ -f "$input" ] && [ ! -f "$R/curl-per-input-$name.txt" ] || continue
  few=$(cpu_of "$input" 2000) many=$(cpu_of "$input" 7000)
  awk -v a="$few" -v b="$many" 'BEGIN { if (b > a) printf "%.0f\n", (b - a) / 5000 * 1e6; else print "?" }' \
    >"$R/curl-per-input-$name.txt"
  echo "  fuzz_curl, $name alone: $(cat "$R/curl-per-input-$name.txt") us of CPU per input"
done

# ---- time to each finding, from an empty corpus -----------------------------------
# find NAME BIN VERDICT FILTER SEED: seconds to the first input earning
# VERDICT. FILTER exact: SMTPFUZZ_VERDICTS counts exactly that verdict, known
# or not; known: that verdict only where curl 7.88.1 is not known to earn it
# (SMTPFUZZ_SKIP_KNOWN), for the planted bug, whose INJECTION must not be
# confused with the one unpatched curl earns under CURLUSESSL_TRY.
find_one() {
  local name=$1 bin=$2 verdict=$3 filter=$4 seed=$5 res=$R/curl-find-$1-$5.txt
  if [ -f "$res" ]; then
    local kind secs
    read -r kind secs _ <"$res"
    if [ "$kind" = found ] || [ "${secs%.*}" -ge "$cap" ]; then return 0; fi
  fi
  local d start end
  d=$(mktemp -d "$B/run.XXXXXX")
  mkdir -p "$d/c"
  start=$(date +%s.%N)
  local skip=0
  [ "$filter" = known ] && skip=1
  SMTPFUZZ_VERDICTS=$verdict SMTPFUZZ_SKIP_KNOWN=$skip sf_bounded $((cap + 60)) "$d/log" "$bin" -seed="$seed" \
    -max_total_time="$cap" -timeout=10 -rss_limit_mb=2048 "${curl_opts[@]}" \
    -artifact_prefix="$d/" "$d/c" || true
  end=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b - a}')
  if ls "$d"/crash-* >/dev/null 2>&1 && grep -aq "verdict $verdict" "$d/log"; then
    echo "found $secs" >"$res"
  else
    echo "capped $cap" >"$res"
  fi
  echo "  $name seed $seed: $(cat "$res")"
  rm -rf "$d"
}
findings=(
  "cve-2021-22947 $B/lf-curl-cve/fuzz/fuzz_curl INJECTION known"
  "hang $B/lf-curl/fuzz/fuzz_curl HANG exact"
  "leak-auth $B/lf-curl/fuzz/fuzz_curl LEAK_AUTH exact"
  "stale-caps $B/lf-curl/fuzz/fuzz_curl STALE_CAPS exact"
  "ignored-421 $B/lf-curl/fuzz/fuzz_curl IGNORED_421 exact"
)
runs=()
for f in "${findings[@]}"; do
  for ((s = 1; s <= seeds; s++)); do runs+=("$f $s"); done
done
active=0
for r in "${runs[@]}"; do
  if [ "$active" -ge "$jobs" ]; then
    wait -n || true
    active=$((active - 1))
  fi
  read -r name bin verdict filter s <<<"$r"
  (
    SF_STARTED=()
    sf_kill_started_on_exit
    find_one "$name" "$bin" "$verdict" "$filter" "$s"
  ) &
  SF_STARTED+=("$!")
  active=$((active + 1))
done
wait || true

# ---- coverage of smtp.c and pingpong.c after a fuzzing run --------------------------
if [ ! -f "$R/curl-coverage.txt" ]; then
  d=$B/curl-cov-run
  rm -rf "$d"
  mkdir -p "$d/corpus"
  cp "$S"/corpus/fuzz_curl/* "$d/corpus/"
  # Fork mode goes on past a finding in curl (one process would stop at the
  # first), so the corpus is what the whole run reached.
  sf_bounded $((cov_time + 60)) "$d/fuzz.log" "$B/lf-curl/fuzz/fuzz_curl" -max_total_time="$cov_time" \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -timeout=10 -rss_limit_mb=2048 "${curl_opts[@]}" -artifact_prefix="$d/" \
    "$d/corpus" || true
  LLVM_PROFILE_FILE="$d/replay.profraw" sf_bounded 1800 "$d/replay.log" \
    "$B/cov-curl/fuzz/fuzz_curl_replay" "$d/corpus" || true
  llvm-profdata merge -sparse "$d/replay.profraw" -o "$d/replay.profdata"
  llvm-cov report "$B/cov-curl/fuzz/fuzz_curl_replay" -instr-profile="$d/replay.profdata" \
    "$T/curl/src/lib/smtp.c" "$T/curl/src/lib/pingpong.c" >"$d/report.txt" 2>/dev/null || true
  # Per file: Regions Missed Cover Functions Missed Executed Lines Missed Cover ...
  awk -v n="$(find "$d/corpus" -type f | wc -l)" -v t="$cov_time" \
    '$1 ~ /(smtp|pingpong)\.c$/ {printf "%s %s %s %s %s %s\n", $1, $8, $9, $10, n, t}' "$d/report.txt" \
    >"$R/curl-coverage.txt"
fi
cat "$R/curl-coverage.txt"
