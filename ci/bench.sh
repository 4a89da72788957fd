#!/usr/bin/env bash
# Benchmarks: reply parser throughput, exec/s of every fuzz target, the
# instructions each scenario target spends per input, and the planted-bug
# suite (bench/bugs/*.patch), printed as one Markdown table and saved with an
# SVG plot in build/bench/.
#   ci/bench.sh                    everything (long: every planted bug x 5 seeds x 3 fuzzers)
#   ci/bench.sh --quick            throughput, 5 s exec/s, bugs with 2 seeds and a 10 s cap
#   ci/bench.sh --bugs 05,09 --seeds 5 --cap 60
# Options:
#   --quick          short version of everything
#   --bugs a,b       only bugs whose file name starts with these (default: all)
#   --seeds N        seeds per bug and fuzzer (default 5)
#   --cap S          seconds before a run counts as "not found" (default 180)
#   --fuzzers a,b    planted-bug fuzzers: libfuzzer, afl, naive (default: all)
#   --jobs N         planted-bug runs at once (default 1); each run is one
#                    process on one core, so keep N at most the core count
#   --exec-time S    seconds per target for the exec/s measurement (default 10)
#   --only P,Q       parts: throughput, execs, instructions, bugs, curl
#                    (default: all five); any other word (e.g. --only table)
#                    just rebuilds the table; curl runs ci/bench-curl.sh
#                    (libcurl in-process: exec/s, time to each finding,
#                    CVE-2021-22947 planted, coverage)
#   --against REV    also measure the exec/s and instructions parts on the
#                    source at git revision REV, each target right after
#                    ours, for before/after ratios from one run
#   --pairs N        --against: N alternating pairs of runs per target (there,
#                    here), each pair meeting the same load; the table gives
#                    the medians and the range of the pairs' ratios (default 1)
#   --warm S         the --against exec/s pairs start from a corpus grown by S
#                    seconds of fuzzing with this revision's build (once per
#                    target, kept in the bench folder), as a long run's corpus
#                    looks, instead of the shipped seeds (default 0: seeds)
#   --fresh          forget earlier per-run results (default: resume)
#   --worktree       build from the working tree (default: the last commit, so
#                    that others' half-done edits cannot break a long run)
#   -h, --help       this text
# Every run's result is one file in build/bench/results/ (SF_BENCH_DIR=DIR in
# the environment: DIR instead of build/bench), so an interrupted
# bench resumes where it stopped; a run capped lower than --cap is redone.
# Each fuzzing process gets one core; --jobs N runs N of them side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

cov_time=600 seeds=5 cap=180 exec_time=10 jobs=1 fuzzers=libfuzzer,afl,naive only=throughput,execs,instructions,bugs,curl bug_filter="" fresh=0 worktree=0 against="" warm=0 pairs=1
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
die_usage() { echo "ci/bench.sh: $*" >&2; echo "see ci/bench.sh --help" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) seeds=2 cap=10 exec_time=5 cov_time=30; shift ;;
    --bugs) [ $# -ge 2 ] || die_usage "--bugs needs a value"; bug_filter=$2; shift 2 ;;
    --seeds) [ $# -ge 2 ] || die_usage "--seeds needs a value"; seeds=$2; shift 2 ;;
    --cap) [ $# -ge 2 ] || die_usage "--cap needs a value"; cap=$2; shift 2 ;;
    --fuzzers) [ $# -ge 2 ] || die_usage "--fuzzers needs a value"; fuzzers=$2; shift 2 ;;
    --jobs) [ $# -ge 2 ] || die_usage "--jobs needs a value"; jobs=$2; shift 2 ;;
    --exec-time) [ $# -ge 2 ] || die_usage "--exec-time needs a value"; exec_time=$2; shift 2 ;;
    --only) [ $# -ge 2 ] || die_usage "--only needs a value"; only=$2; shift 2 ;;
    --against) [ $# -ge 2 ] || die_usage "--against needs a value"; against=$2; shift 2 ;;
    --warm) [ $# -ge 2 ] || die_usage "--warm needs a value"; warm=$2; shift 2 ;;
    --pairs) [ $# -ge 2 ] || die_usage "--pairs needs a value"; pairs=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --worktree) worktree=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done
for f in ${fuzzers//,/ }; do
  case "$f" in libfuzzer | afl | naive) ;; *) die_usage "--fuzzers: unknown fuzzer '$f' (libfuzzer, afl, naive)" ;; esac
done
for v in seeds cap exec_time jobs pairs; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die_usage "--${v/_/-} must be a positive number"
done
[[ "$warm" =~ ^[0-9]+$ ]] || die_usage "--warm must be a number of seconds"
[ "$warm" -gt 0 ] && [ -z "$against" ] && die_usage "--warm goes with --against"
[ "$pairs" -gt 1 ] && [ -z "$against" ] && die_usage "--pairs goes with --against"
if [ -n "$against" ]; then
  against=$(git rev-parse -q --short --verify "$against^{commit}" 2>/dev/null) ||
    die_usage "--against: no such git revision"
fi
part() { [[ ",$only," == *",$1,"* ]]; }
fuzzer_on() { [[ ",$fuzzers," == *",$1,"* ]]; }

sf_install_packages cmake make gcc clang libclang-rt-14-dev libssl-dev afl++ patch rsync valgrind

B=${SF_BENCH_DIR:-build/bench}
R=$B/results
mkdir -p "$B" "$R"
[ "$fresh" = 1 ] && rm -f "$R"/*.txt
build_limit=900
sf_kill_started_on_exit

# snapshot DIR: a copy of the source to build from (the tree itself is never
# built into or patched): the last commit plus bench/, or the working tree.
snapshot() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ "$worktree" = 1 ] || ! git rev-parse -q --verify HEAD >/dev/null 2>&1; then
    rsync -a --exclude /build --exclude /work --exclude /.git ./ "$dir/"
  else
    git archive HEAD | tar -x -C "$dir"
    rsync -a --delete bench/ "$dir/bench/"
    grep -q 'add_subdirectory(bench)' "$dir/CMakeLists.txt" ||
      printf 'if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/bench/CMakeLists.txt)\n  add_subdirectory(bench)\nendif()\n' \
        >>"$dir/CMakeLists.txt"
  fi
}
S=$B/src
snapshot "$S"
# The source at --against REV, as it was (its own bench/ included).
A=$B/src-against
if [ -n "$against" ]; then
  rm -rf "$A"
  mkdir -p "$A"
  git archive "$against" | tar -x -C "$A"
fi

# The fuzz targets: ci/lib.sh's lists, as the snapshot has them.
read -r -a targets <<<"$(bash -c 'source "$1/ci/lib.sh" && echo "${SF_FUZZ_TARGETS[*]}"' _ "$S")"
[ ${#targets[@]} -gt 0 ] || { echo "ci/bench.sh: no SF_FUZZ_TARGETS in $S/ci/lib.sh" >&2; exit 1; }
read -r -a scenario_targets <<<"$(bash -c 'source "$1/ci/lib.sh" && echo "${SF_SCENARIO_TARGETS[*]}"' _ "$S")"

# cmake_build SRC DIR CC TARGETS... -- CMAKE_ARGS...
cmake_build() {
  local src=$1 dir=$2 cc=$3
  shift 3
  local tg=()
  while [ "$1" != "--" ]; do tg+=("$1"); shift; done
  shift
  # A build folder configured from another source copy is started afresh.
  if [ -f "$dir/CMakeCache.txt" ] &&
    ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$(realpath "$src")" "$dir/CMakeCache.txt"; then
    rm -rf "$dir"
  fi
  sf_bounded "$build_limit" "$dir.configure.log" cmake -S "$src" -B "$dir" -DCMAKE_C_COMPILER="$cc" \
    -DSF_WERROR=OFF "$@" || { cat "$dir.configure.log" >&2; return 1; }
  sf_bounded "$build_limit" "$dir.build.log" cmake --build "$dir" -j"$jobs" --target "${tg[@]}" ||
    { tail -n 30 "$dir.build.log" >&2; return 1; }
}
lf_args=(-DSF_SANITIZE=ON -DSF_FUZZ_ENGINE=libfuzzer -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link)
afl_args=(-DSF_FUZZ_ENGINE=afl)

rows=()
# ---- throughput -------------------------------------------------------------
if part throughput; then
  sf_step "reply parser throughput (gcc -O2, median of 9 passes over 8 MB)"
  cmake_build "$S" "$B/rel" gcc reply_throughput -- -DCMAKE_BUILD_TYPE=Release
  sf_bounded 300 "$R/throughput.txt" "$B/rel/bench/reply_throughput" 8 9
  cat "$R/throughput.txt"
  # Handshakes/s of the in-memory TLS peer (bench/tls_handshake.c), when built.
  if grep -q 'tls_handshake' "$S/bench/CMakeLists.txt"; then
    cmake_build "$S" "$B/rel" gcc tls_handshake -- -DCMAKE_BUILD_TYPE=Release
    sf_bounded 120 "$R/tls_handshake.txt" "$B/rel/bench/tls_handshake" 2 || true
    cat "$R/tls_handshake.txt"
  fi
fi
if [ -f "$R/throughput.txt" ]; then
  eval "$(tr ' ' '\n' <"$R/throughput.txt" | grep -E '^(parser_mbps|memchr_mbps|ratio)=')"
  rows+=("| throughput | reply parser, realistic mix | ${parser_mbps} MB/s | | | memchr line scan ${memchr_mbps} MB/s: parser is ${ratio}x slower (target: within 2x) |")
fi

if [ -f "$R/tls_handshake.txt" ]; then
  while IFS='|' read -r name rate us; do
    rows+=("| TLS handshakes | $name (tls_peer vs tls_openssl, in memory) | $rate/s | | | $us us each, both sides |")
  done < <(sed -nE 's/^(.*[^ ]) +([0-9.]+) handshakes\/s +([0-9.]+) us each.*/\1|\2|\3/p' "$R/tls_handshake.txt")
fi

# ---- exec/s -----------------------------------------------------------------
lf_execs() { # BIN CORPUS SECONDS [TARGET [FLAG...]] -> "exec/s runs-per-CPU-second", run in $(...)
  local bin=$1 corpus=$2 secs=$3 t=${4:-} d log opts=()
  shift $(($# < 4 ? $# : 4))
  d=$(mktemp -d "$B/run.XXXXXX")
  log=$d/log
  # As the target is run (ci/fuzz.sh, OSS-Fuzz): with its .options file's
  # dictionary and input size limit.
  [ -z "$t" ] || mapfile -t opts < <(sf_libfuzzer_args "$S" "$t")
  sf_bounded $((secs + 60)) "$log" "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$d/" "${opts[@]}" "$@" "$d" "$corpus" || true
  # Wall-clock exec/s as libFuzzer counts them, and runs per CPU-second of
  # the process, which a loaded machine disturbs less: `times` gives this
  # shell's finished children.
  local eps runs cpu
  times >"$d/times"
  cpu=$(sf_children_cpu "$d/times")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  echo "${eps:-?} $(awk -v r="${runs:-0}" -v c="$cpu" 'BEGIN { if (r > 0 && c > 0) printf "%.0f", r / c; else print "?" }')"
  rm -rf "$d"
}
# grown_corpus T -> a folder holding T's shipped corpus and what $warm
# seconds of fuzzing with our build (seed 1) added to it; grown once, kept
# for later runs of the same bench folder.
grown_corpus() {
  local t=$1 dir=$B/warm/$1-${warm}s opts=()
  if [ ! -f "$dir.done" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$S/corpus/$t"/* "$dir"/
    mapfile -t opts < <(sf_libfuzzer_args "$S" "$t")
    sf_bounded $((warm + 120)) "$dir.log" "$B/lf/fuzz/$t" -seed=1 -max_total_time="$warm" \
      -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$dir.artifact-" "${opts[@]}" "$dir" || true
    touch "$dir.done"
  fi
  echo "$dir"
}
alone_us() { # BIN ROUNDS DIR -> a fuzz_X_alone's CPU microseconds per input over DIR's files
  sf_bounded 600 "$B/alone.log" "$1" "$2" "$3"/* &&
    sed -n 's/^\([0-9.]*\) us of CPU per input.*/\1/p' "$B/alone.log"
}
afl_execs() { # BIN CORPUS SECONDS DICT -> exec/s
  local bin=$1 corpus=$2 secs=$3 dict=$4 d
  d=$(mktemp -d "$B/run.XXXXXX")
  AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    sf_bounded $((secs + 60)) "$d/log" afl-fuzz -i "$corpus" -o "$d/out" -V "$secs" -t 1000 \
    ${dict:+-x "$dict"} -- "$bin" || true
  awk -F' *: *' '$1=="execs_done"{e=$2} $1=="run_time"{t=$2} END{if (t>0) printf "%.0f", e/t}' \
    "$d"/out/default/fuzzer_stats 2>/dev/null || true
  rm -rf "$d"
}
if part execs; then
  sf_step "exec/s: libFuzzer+ASan+UBSan and AFL++ persistent, ${exec_time}s per target"
  floor=() alone=()
  grep -q fuzz_floor "$S/bench/CMakeLists.txt" && floor=(fuzz_floor)
  grep -q fuzz_alone "$S/bench/CMakeLists.txt" && alone=(fuzz_session_alone fuzz_starttls_alone)
  cmake_build "$S" "$B/lf" clang "${targets[@]}" fuzz_naive "${floor[@]}" "${alone[@]}" -- "${lf_args[@]}"
  cmake_build "$S" "$B/afl" afl-clang-fast "${targets[@]}" fuzz_naive -- "${afl_args[@]}"
  alone_against=()
  [ -n "$against" ] && grep -q fuzz_alone "$A/bench/CMakeLists.txt" && alone_against=("${alone[@]}")
  [ -n "$against" ] && cmake_build "$A" "$B/lf-against" clang "${targets[@]}" "${alone_against[@]}" -- "${lf_args[@]}"
  empty=$B/empty-corpus
  mkdir -p "$empty"
  [ -f "$empty/seed" ] || printf '220 x\r\n' >"$empty/seed"
  for t in "${targets[@]}" fuzz_naive; do
    [ -f "$R/execs-$t.txt" ] && continue # measured before (--fresh to redo)
    if [ "$t" = fuzz_naive ]; then c=$empty dict=""; else c=$S/corpus/$t dict=$S/fuzz/smtp.dict; fi
    bin=$B/lf/fuzz/$t
    [ "$t" = fuzz_naive ] && bin=$B/lf/bench/$t
    read -r a acpu <<<"$(lf_execs "$bin" "$c" "$exec_time" "$t")"
    bin=$B/afl/fuzz/$t
    [ "$t" = fuzz_naive ] && bin=$B/afl/bench/$t
    f=$(afl_execs "$bin" "$c" "$exec_time" "$dict")
    echo "  $t: libFuzzer ${a:-?} exec/s (${acpu:-?} per CPU-second), AFL++ ${f:-?} exec/s"
    echo "$t ${a:-?} ${f:-?} ${acpu:-?}" >"$R/execs-$t.txt"
  done
  # The ceiling of the scenario targets: libFuzzer, the scenario mutator and
  # the decode with nothing run (bench/fuzz_floor.c), on fuzz_session's corpus.
  # It runs no instrumented code, so libFuzzer would keep one seed of the
  # corpus and mutate only that: -keep_seed=1 keeps them all.
  if [ ${#floor[@]} -gt 0 ] && [ ! -f "$R/floor.txt" ]; then
    read -r a acpu <<<"$(lf_execs "$B/lf/bench/fuzz_floor" "$S/corpus/fuzz_session" "$exec_time" fuzz_session -keep_seed=1)"
    echo "  fuzz_floor: libFuzzer ${a:-?} exec/s (${acpu:-?} per CPU-second)"
    echo "${a:-?} ${acpu:-?}" >"$R/floor.txt"
  fi
  # The target's own work, without libFuzzer's loop (bench/fuzz_alone.c):
  # CPU time per input over its shipped corpus, several rounds.
  for a in "${alone[@]}"; do
    [ -f "$R/alone-$a.txt" ] && continue
    t=${a%_alone} rounds=20
    [ "$t" = fuzz_starttls ] && rounds=3
    us=$(alone_us "$B/lf/bench/$a" "$rounds" "$S/corpus/$t")
    echo "  $t alone: ${us:-?} us of CPU per input"
    echo "$t ${us:-?}" >"$R/alone-$a.txt"
  done
  # The same libFuzzer measurement at --against REV, and ours again right
  # after it, so that both meet the same load, from the same corpus; --pairs
  # times over, one line per pair.
  for t in "${targets[@]}"; do
    [ -n "$against" ] || break
    f=$R/execs-vs-$against-$t.txt
    c=$S/corpus/$t
    [ "$warm" -gt 0 ] && c=$(grown_corpus "$t")
    while [ "$(sf_lines "$f")" -lt "$pairs" ]; do
      read -r pa pacpu <<<"$(lf_execs "$B/lf-against/fuzz/$t" "$c" "$exec_time" "$t")"
      read -r a acpu <<<"$(lf_execs "$B/lf/fuzz/$t" "$c" "$exec_time" "$t")"
      echo "  $t: at $against ${pa:-?} exec/s (${pacpu:-?} per CPU-second), here ${a:-?} (${acpu:-?})"
      echo "$against $t ${pa:-?} ${pacpu:-?} ${a:-?} ${acpu:-?} $warm" >>"$f"
    done
  done
  # The targets' own work at --against REV and here, alternating, over the
  # same inputs: an exec/s pair also differs in which inputs each run
  # happens to execute (a change to what is instrumented changes which
  # inputs libFuzzer keeps), the same inputs do not.
  for a in "${alone_against[@]}"; do
    t=${a%_alone} rounds=5
    [ "$t" = fuzz_starttls ] && rounds=1
    f=$R/alone-vs-$against-$t.txt
    c=$S/corpus/$t
    [ "$warm" -gt 0 ] && c=$(grown_corpus "$t")
    while [ "$(sf_lines "$f")" -lt "$pairs" ]; do
      there=$(alone_us "$B/lf-against/bench/$a" "$rounds" "$c")
      here=$(alone_us "$B/lf/bench/$a" "$rounds" "$c")
      echo "  $t alone: at $against ${there:-?} us of CPU per input, here ${here:-?}"
      echo "$against $t ${there:-?} ${here:-?} $warm" >>"$f"
    done
  done
fi
# ratio_of A B: A/B to two decimals, or "?".
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "?" }'; }
for f in "$R"/execs-*.txt; do
  [ -f "$f" ] || continue
  case "$f" in */execs-vs-*) continue ;; esac
  read -r t a fa acpu <"$f"
  rows+=("| exec/s | $t | $a | $fa | | ${exec_time}s runs, one core; libFuzzer ${acpu:-?} runs per CPU-second |")
done
if [ -f "$R/floor.txt" ]; then
  read -r a acpu <"$R/floor.txt"
  rows+=("| exec/s | fuzz_floor | $a | | | scenario decode only, fuzz_session's corpus (all kept, -keep_seed=1) and mutator: the ceiling of the scenario targets; libFuzzer's own loop without coverage to collect, which a real target adds; ${acpu:-?} runs per CPU-second |")
fi
for f in "$R"/alone-*.txt; do
  [ -f "$f" ] || continue
  case "$f" in */alone-vs-*) continue ;; esac
  read -r t us <"$f"
  rows+=("| target work | $t alone | $us us/input | | | its own objects over its shipped corpus, without libFuzzer's loop (bench/fuzz_alone.c): the corpus, not the mix a fuzzing run executes (mutated inputs often end sooner) |")
done
# median_of FILE COLUMN: the median of a column of numbers, or "?".
median_of() {
  awk -v c="$2" '$c + 0 > 0 { print $c + 0 }' "$1" | sort -g |
    awk '{ v[n++] = $1 } END { if (!n) print "?"; else printf "%.10g", n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }'
}
# pair_range FILE THERE HERE: "lowest-highest" of the pairs' HERE/THERE ratios.
pair_range() {
  awk -v x="$2" -v y="$3" '$x + 0 > 0 && $y + 0 > 0 { r = $y / $x; if (!n++ || r < lo) lo = r; if (n == 1 || r > hi) hi = r }
    END { if (n) printf "%.2f-%.2f", lo, hi; else print "?" }' "$1"
}
# from_of W: where a --against pair's corpus came from.
from_of() { if [ "${1:-0}" -gt 0 ]; then echo "a corpus grown by ${1}s of fuzzing here"; else echo "the shipped corpus"; fi; }
for f in "$R"/execs-vs-*.txt; do
  [ -f "$f" ] || continue
  read -r rev t _ _ _ _ w <"$f"
  n=$(sf_lines "$f")
  pa=$(median_of "$f" 3) pacpu=$(median_of "$f" 4) a=$(median_of "$f" 5) acpu=$(median_of "$f" 6)
  what="${exec_time}s runs one after the other"
  [ "$n" -gt 1 ] && what="medians of $n alternating pairs of ${exec_time}s runs (pair ratios $(pair_range "$f" 3 5))"
  rows+=("| exec/s vs $rev | $t | $a | | | libFuzzer at $rev: $pa exec/s, here $(ratio_of "$a" "$pa")x that; per CPU-second $pacpu there, $acpu here ($(ratio_of "$acpu" "$pacpu")x); $what, from $(from_of "$w") |")
done
for f in "$R"/alone-vs-*.txt; do
  [ -f "$f" ] || continue
  read -r rev t _ _ w <"$f"
  n=$(sf_lines "$f")
  there=$(median_of "$f" 3) here=$(median_of "$f" 4)
  rows+=("| target work vs $rev | $t alone | $here us/input | | | at $rev $there us of CPU per input, here $(ratio_of "$there" "$here")x as fast; medians of $n alternating runs over the same inputs, $(from_of "$w") (pair ratios $(pair_range "$f" 4 3)) |")
done

# ---- instructions per input -------------------------------------------------
# What a change to the targets costs or saves, free of the machine's load:
# callgrind counts the instructions of one pass over the shipped corpus
# (-runs=0), libFuzzer's own work included. The build is libFuzzer's with
# UBSan but without ASan, which cannot run under valgrind; -gdwarf-4 because
# valgrind 3.19 does not read clang 14's default DWARF 5. The scenario
# targets of fuzz/ itself (not the third-party ones, which need their
# libraries built).
cg_targets=()
for t in "${scenario_targets[@]}"; do
  [[ " ${targets[*]} " == *" $t "* ]] && cg_targets+=("$t")
done
if part instructions; then
  sf_step "instructions per input: callgrind over the shipped corpus, libFuzzer+UBSan build"
  cg_args=(-DSF_FUZZ_ENGINE=libfuzzer "-DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link,undefined -fno-sanitize-recover=all -gdwarf-4"
    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=undefined)
  cmake_build "$S" "$B/cg" clang "${cg_targets[@]}" -- "${cg_args[@]}"
  [ -n "$against" ] && cmake_build "$A" "$B/cg-against" clang "${cg_targets[@]}" -- "${cg_args[@]}"
  # count BIN CORPUS RESULT: "inputs instructions" into RESULT.
  count() {
    local d ir n
    d=$(mktemp -d "$B/run.XXXXXX")
    sf_bounded 1200 "$d/log" valgrind --tool=callgrind --callgrind-out-file="$d/out" \
      "$1" -runs=0 "$2" || true
    ir=$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$d/log" | tail -n1)
    n=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$d/log" | tail -n1)
    if [ -z "$ir" ] || [ -z "$n" ] || [ "$n" -eq 0 ]; then
      echo "  $1: no count (see $d/log)" >&2
      return 0
    fi
    echo "$n $ir" >"$3"
    rm -rf "$d"
  }
  for t in "${cg_targets[@]}"; do
    count "$B/cg/fuzz/$t" "$S/corpus/$t" "$R/instr-$t.txt"
    [ -n "$against" ] && count "$B/cg-against/fuzz/$t" "$S/corpus/$t" "$R/instr-vs-$against-$t.txt"
    [ -f "$R/instr-$t.txt" ] && read -r n ir <"$R/instr-$t.txt" &&
      echo "  $t: $((ir / n)) instructions per input ($n inputs, $ir in all)"
  done
fi
for f in "$R"/instr-*.txt; do
  [ -f "$f" ] || continue
  case "$f" in */instr-vs-*) continue ;; esac
  t=$(basename "$f" .txt)
  t=${t#instr-}
  read -r n ir <"$f"
  note="callgrind, one pass over the shipped corpus ($n inputs), libFuzzer+UBSan"
  for g in "$R"/instr-vs-*-"$t".txt; do
    [ -f "$g" ] || continue
    rev=$(basename "$g" .txt)
    rev=${rev#instr-vs-}
    rev=${rev%-"$t"}
    read -r pn pir <"$g"
    note="$note; at $rev: $((pir / pn)) per input, $(ratio_of "$((pir / pn))" "$((ir / n))")x these"
  done
  rows+=("| instructions | $t | $((ir / n)) per input | | | $note |")
done

# ---- planted bugs -----------------------------------------------------------
# Which fuzz target each bug is meant for: bench/bugs/reproducers says.
bug_target() { sf_bug_field "$1" 2; }
median() { sort -g | awk '{v[NR]=$1} END{if (NR==0) {print ""; exit} if (NR%2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# run_one BUG FUZZER SEED TARGET: time to the first finding, in a result file.
run_one() {
  local bug=$1 fz=$2 seed=$3 t=$4
  local res=$R/bug-$bug-$fz-$seed.txt
  if [ -f "$res" ]; then
    local kind secs
    read -r kind secs _ <"$res"
    # A finding stands; a run capped lower than --cap is redone.
    if [ "$kind" = found ] || [ "${secs%.*}" -ge "$cap" ]; then return 0; fi
  fi
  local d start end found=0
  d=$(mktemp -d "$B/run.XXXXXX")
  start=$(date +%s.%N)
  case "$fz" in
    libfuzzer)
      sf_bounded $((cap + 60)) "$d/log" "$B/lf-$bug/fuzz/$t" -seed="$seed" -max_total_time="$cap" \
        -timeout=10 -rss_limit_mb=2048 -dict="$S/fuzz/smtp.dict" -artifact_prefix="$d/" "$d" || true
      ;;
    naive)
      mkdir -p "$d/c"
      sf_bounded $((cap + 60)) "$d/log" "$B/lf-$bug/bench/fuzz_naive" -seed="$seed" \
        -max_total_time="$cap" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$d/" "$d/c" || true
      ;;
    afl)
      local env=(AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_BENCH_UNTIL_CRASH=1
        AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1)
      # Scenario targets get the scenario mutator, as in ci/fuzz.sh.
      [[ " ${scenario_targets[*]} " == *" $t "* ]] &&
        env+=(AFL_CUSTOM_MUTATOR_LIBRARY=$PWD/$B/mutator/fuzz/sf_afl_mutator.so)
      sf_bounded $((cap + 60)) "$d/log" env "${env[@]}" afl-fuzz -s "$seed" -i "$zero" \
        -o "$d/out" -V "$cap" -t 1000 -x "$S/fuzz/smtp.dict" -c "$B/afl-cmplog-$bug/fuzz/$t" \
        -- "$B/afl-$bug/fuzz/$t" || true
      ;;
  esac
  end=$(date +%s.%N)
  if [ "$fz" = afl ]; then
    sf_end_stopped_orphans "$B/afl-$bug/fuzz/$t" "$B/afl-cmplog-$bug/fuzz/$t"
    [ -n "$(find "$d/out" -path '*/crashes/id:*' -type f 2>/dev/null | head -n1)" ] && found=1
  else
    [ -n "$(find "$d" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -n1)" ] && found=1
  fi
  local secs
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b - a}')
  if [ "$found" = 1 ]; then
    echo "found $secs $(grep -a -m1 -oE '(fuzz_[a-z_]+: [^ ].{0,80}|ERROR: AddressSanitizer: [a-z-]+|runtime error: .{0,60})' "$d/log" "$d"/out/default/crashes/id:* 2>/dev/null | head -n1 | cut -d: -f2- | tr -d '\n')" >"$res"
  else
    echo "capped $cap" >"$res"
  fi
  echo "  $bug $fz seed $seed: $(cat "$res")"
  rm -rf "$d"
}

sf_select_bugs "$bug_filter"

# From scratch: our fuzzers get the dictionary (and libFuzzer the custom
# mutator) but no corpus, AFL++ one seed of zero bytes; the shipped corpus
# is checked separately (does replaying it alone catch the bug?).
zero=$B/zero-seed
mkdir -p "$zero"
[ -f "$zero/zero" ] || head -c 16 /dev/zero >"$zero/zero"
if part bugs; then
  # Build every patched copy first, then run the fuzzers $jobs at a time.
  runs=()
  if fuzzer_on afl; then # the scenario mutator afl-fuzz loads: plain build, unpatched
    cmake_build "$S" "$B/mutator" clang sf_afl_mutator -- -DSF_FUZZ_ENGINE=none
  fi
  for bug in "${bugs[@]}"; do
    t=$(bug_target "$bug")
    sf_step "planted bug $bug: build (target $t)"
    tree=$B/tree-$bug
    # A temporary copy of the source with the patch applied; the tree itself
    # is never touched. rsync keeps times, so an unchanged copy rebuilds nothing.
    rsync -a --delete "$S/" "$tree/"
    patch -s -p1 -d "$tree" <"bench/bugs/$bug.patch"
    # The libFuzzer build serves libFuzzer, the naive baseline and the corpus check.
    if fuzzer_on libfuzzer || fuzzer_on naive || [ ! -f "$R/bug-$bug-corpus.txt" ]; then
      cmake_build "$tree" "$B/lf-$bug" clang "$t" fuzz_naive -- "${lf_args[@]}"
      caught=no
      mkdir -p "$B/seeds-$bug"
      sf_bounded 300 "$B/seeds-$bug.log" "$B/lf-$bug/fuzz/$t" -runs=0 \
        -artifact_prefix="$B/seeds-$bug/" "$S/corpus/$t" || caught=yes
      echo "$caught" >"$R/bug-$bug-corpus.txt"
    fi
    echo "  shipped corpus alone catches it: $(cat "$R/bug-$bug-corpus.txt")"
    if fuzzer_on afl; then
      cmake_build "$tree" "$B/afl-$bug" afl-clang-fast "$t" -- "${afl_args[@]}"
      AFL_LLVM_CMPLOG=1 cmake_build "$tree" "$B/afl-cmplog-$bug" afl-clang-fast "$t" -- "${afl_args[@]}"
    fi
    for ((s = 1; s <= seeds; s++)); do
      for fz in libfuzzer afl naive; do
        fuzzer_on "$fz" && runs+=("$bug $fz $s $t")
      done
    done
  done
  sf_step "planted bugs: ${#runs[@]} runs, $jobs at a time, cap ${cap}s each"
  # How the runs were made, for the table's footnote (also on a later --only table).
  echo "seeds=$seeds cap=$cap jobs=$jobs commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)" \
    >"$R/bugs-params.txt"
  active=0
  for r in "${runs[@]}"; do
    if [ "$active" -ge "$jobs" ]; then
      wait -n || true
      active=$((active - 1))
    fi
    read -r bug fz s t <<<"$r"
    # Each run in its own subshell, which ends its own fuzzer if killed (and
    # only that: the PIDs of its siblings are not its to end).
    (
      SF_STARTED=()
      sf_kill_started_on_exit
      run_one "$bug" "$fz" "$s" "$t"
    ) &
    SF_STARTED+=("$!")
    active=$((active + 1))
  done
  wait || true
fi

# found_summary FILE... -> "median (found/total)" over the runs' result files
# ("found|capped SECONDS ..."), capped runs counted at the cap (so a median is
# a lower bound when capped).
found_summary() {
  local vals=() n=0 found=0 kind secs f m
  for f in "$@"; do
    [ -f "$f" ] || continue
    read -r kind secs _ <"$f"
    n=$((n + 1))
    [ "$kind" = found ] && found=$((found + 1))
    vals+=("$secs")
  done
  [ "$n" -gt 0 ] || { echo "-"; return; }
  m=$(printf '%s\n' "${vals[@]}" | median)
  if [ "$found" -le $((n / 2)) ]; then echo ">${m}s ($found/$n)"; else echo "${m}s ($found/$n)"; fi
}
# summary FUZZER BUG: the planted bug's runs under that fuzzer.
svg_data=()
summary() { found_summary "$R"/bug-"$2"-"$1"-*.txt; }
num() { sed -E 's/^>?([0-9.]+)s.*/\1/' <<<"$1"; }
# ratio BASELINE OURS: baseline median / ours ("summary" strings); ">=" when
# the baseline's median is at the cap, as it is then a lower bound.
ratio() {
  local base=$1 ours=$2
  if [ "$base" = "-" ] || [ "$ours" = "-" ]; then echo "-"; return; fi
  awk -v a="$(num "$base")" -v b="$(num "$ours")" -v bcap="${base:0:1}" -v ocap="${ours:0:1}" \
    'BEGIN { if (ocap == ">") { print "n/a (ours capped)"; exit }
      if (b < 0.1) b = 0.1; r = a / b
      printf (r < 10 ? "%s%.1fx" : "%s%.0fx"), (bcap == ">" ? ">=" : ""), r }'
}
for bug in "${bugs[@]}"; do
  ls "$R"/bug-"$bug"-*.txt >/dev/null 2>&1 || continue
  lf=$(summary libfuzzer "$bug")
  af=$(summary afl "$bug")
  nv=$(summary naive "$bug")
  r_lf=$(ratio "$nv" "$lf")
  r_af=$(ratio "$nv" "$af")
  corp=$(cat "$R/bug-$bug-corpus.txt" 2>/dev/null || echo "?")
  rows+=("| planted bug | $bug ($(bug_target "$bug")) | $lf | $af | $nv | naive/libFuzzer $r_lf, naive/AFL++ $r_af; shipped corpus catches it: $corp |")
  svg_data+=("$bug $(num "$lf") $(num "$af") $(num "$nv")")
done

# The 465 hang: virtual time against OSS-Fuzz's real-time timeout.
hang_res=$(ls "$R"/bug-*no-greeting-timeout*-libfuzzer-*.txt 2>/dev/null | head -n1 || true)
if [ -n "$hang_res" ]; then
  hb=$(basename "$hang_res" | sed -E 's/^bug-(.*)-libfuzzer-[0-9]+\.txt$/\1/')
  hl=$(summary libfuzzer "$hb")
  ha=$(summary afl "$hb")
  rows+=("| 465 hang | fuzz_portmode, greeting timeout removed | $hl | $ha | | virtual time: the whole search, process start included, against 25 s for OSS-Fuzz's default -timeout to flag one hanging input: $(ratio "25.0s" "$hl") (libFuzzer), $(ratio "25.0s" "$ha") (AFL++) |")
fi

# ---- libcurl in-process (ci/bench-curl.sh) ---------------------------------
if part curl; then
  sf_step "libcurl: exec/s, time to each finding, CVE-2021-22947 planted, coverage"
  SF_BENCH_DIR=$B SF_BENCH_SRC=$S bash ci/bench-curl.sh --seeds "$seeds" --cap "$cap" \
    --exec-time "$exec_time" --cov-time "$cov_time" --jobs "$jobs" $([ "$fresh" = 1 ] && echo --fresh)
fi
if [ -f "$R/curl-execs.txt" ]; then
  read -r a t <"$R/curl-execs.txt"
  rows+=("| exec/s | fuzz_curl (libcurl 7.88.1, real TLS) | ${a:-?} | | | ${t}s run on the shipped corpus, one core (goal: 5,000) |")
fi
for f in "421-greeting|the shortest exchange (a 421 greeting)" \
  "submission-ok|a delivery over STARTTLS (TLS, AUTH, one message)"; do
  [ -f "$R/curl-per-input-${f%%|*}.txt" ] || continue
  us=$(cat "$R/curl-per-input-${f%%|*}.txt")
  rows+=("| CPU per input | fuzz_curl, ${f#*|} | ${us} us | | | corpus/fuzz_curl/${f%%|*}.bin alone, 7,000 runs less 2,000; $(awk -v u="$us" 'BEGIN { if (u + 0 > 0) printf "%.0f", 1e6 / u; else print "?" }') runs per CPU-second at most (ci/bench-curl.sh) |")
done
curl_summary() { found_summary "$R"/curl-find-"$1"-*.txt; } # NAME
for f in "cve-2021-22947|INJECTION: CVE-2021-22947 planted in curl (bench/curl/)" \
  "hang|HANG: no timer while curl waits for a reply (the 465 mismatch)" \
  "leak-auth|LEAK_AUTH: CURLUSESSL_TRY on a stripped or refused STARTTLS" \
  "stale-caps|STALE_CAPS: SIZE kept from before TLS" \
  "ignored-421|IGNORED_421: HELO after a 421"; do
  ls "$R"/curl-find-"${f%%|*}"-*.txt >/dev/null 2>&1 || continue
  rows+=("| curl finding | ${f#*|} | $(curl_summary "${f%%|*}") | | | fuzz_curl from an empty corpus (ci/bench-curl.sh says how each is counted) |")
done
if [ -s "$R/curl-coverage.txt" ]; then
  while read -r file lines missed cover n t; do
    rows+=("| coverage | curl $(basename "$file") | $cover of $lines lines ($missed missed) | | | fuzz_curl corpus ($n inputs) after a ${t}s run, llvm-cov |")
  done <"$R/curl-coverage.txt"
fi

table=$B/bench.md
b_seeds=$seeds b_cap=$cap b_jobs=$jobs b_commit=""
[ -f "$R/bugs-params.txt" ] && read -r b_seeds b_cap b_jobs b_commit < <(sed -E 's/[a-z]+=//g' "$R/bugs-params.txt")
{
  echo "| kind | subject | libFuzzer | AFL++ | naive baseline | note |"
  echo "|---|---|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Planted bugs: median time to the first finding over $b_seeds seed(s), cap ${b_cap}s, one core per"
  echo "run, $b_jobs run(s) at a time${b_commit:+, source at commit $b_commit}; '>' marks a median at the cap"
  echo "(found in at most half the runs); a ratio with '>=' has the baseline's median at the cap."
  echo "All start from scratch: libFuzzer with the dictionary and custom mutator and no corpus,"
  echo "AFL++ persistent + CMPLOG with the dictionary (and on scenario targets the scenario mutator)"
  echo "and one zero seed, the naive target with nothing."
} >"$table"

# A small SVG bar chart of the medians (log scale), no plotting package needed.
svg=$B/bench.svg
printf '%s\n' "${svg_data[@]}" | awk -v cap="$cap" '
  function y(v) { if (v < 0.1) v = 0.1; return 20 + 300 - 300 * (log(v) - log(0.1)) / (log(cap) - log(0.1)) }
  BEGIN { n = 0 }
  NF == 4 { name[n] = $1; v[n, 0] = $2; v[n, 1] = $3; v[n, 2] = $4; n++ }
  END {
    w = 80 + n * 60
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"460\" font-family=\"sans-serif\" font-size=\"10\">\n", w
    printf "<text x=\"10\" y=\"14\">median seconds to find each planted bug (log scale, cap %ss)</text>\n", cap
    split("#1f77b4 #ff7f0e #7f7f7f", col, " ")
    split("libFuzzer AFL++ naive", lab, " ")
    for (k = 0; k < 3; k++) printf "<rect x=\"%d\" y=\"430\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"439\">%s</text>\n", 60 + k * 90, col[k + 1], 74 + k * 90, lab[k + 1]
    for (t = 0.1; t <= cap * 1.01; t *= 10) printf "<line x1=\"50\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"5\" y=\"%.1f\">%gs</text>\n", w, y(t), y(t), y(t) + 3, t
    for (i = 0; i < n; i++) {
      for (k = 0; k < 3; k++) {
        if (v[i, k] == "" || v[i, k] == "-") continue
        x = 60 + i * 60 + k * 16
        printf "<rect x=\"%d\" y=\"%.1f\" width=\"14\" height=\"%.1f\" fill=\"%s\"/>\n", x, y(v[i, k]), 320 - y(v[i, k]), col[k + 1]
      }
      printf "<text transform=\"translate(%d,330) rotate(60)\">%s</text>\n", 60 + i * 60, name[i]
    }
    print "</svg>"
  }' >"$svg"

sf_step "results"
cat "$table"
echo
echo "table: $table   plot: $svg   per-run results: $R/"
