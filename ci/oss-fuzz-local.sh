#!/usr/bin/env bash
# Emulate OSS-Fuzz without Docker: run ci/oss-fuzz/build.sh with the
# environment the OSS-Fuzz builder sets, then check every binary in $OUT the
# way its build check does (seed corpus unzipped, a short run, fail on crash).
#   ci/oss-fuzz-local.sh                  all four configurations, short runs (~1-2 min)
#   ci/oss-fuzz-local.sh --runs 20000     more mutations per target
#   ci/oss-fuzz-local.sh --configs libfuzzer-address,coverage
# Options:
#   --configs a,b   libfuzzer-address, libfuzzer-undefined, afl-address, coverage
#                   (default: all)
#   --runs N        libFuzzer mutations after the corpus, AFL++ executions (default 10000)
#   -h, --help      this text
# Output: build/oss-<config>/{out,work,src}; logs next to them. Exit 0 when
# every configuration built and every target ran its corpus clean.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

all_configs=(libfuzzer-address libfuzzer-undefined afl-address coverage)
configs=("${all_configs[@]}")
runs=10000
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --configs) [ $# -ge 2 ] || { usage >&2; exit 2; }; IFS=, read -r -a configs <<<"$2"; shift 2 ;;
    --runs) [ $# -ge 2 ] || { usage >&2; exit 2; }; runs=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ci/oss-fuzz-local.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "ci/oss-fuzz-local.sh: --runs must be a positive number" >&2; exit 2; }
for c in "${configs[@]}"; do
  [[ " ${all_configs[*]} " == *" $c "* ]] || { echo "ci/oss-fuzz-local.sh: unknown config '$c'" >&2; exit 2; }
done

sf_install_packages cmake make clang libclang-rt-14-dev llvm libssl-dev zip unzip afl++

# The builder's flags (infra/base-images/base-clang, base-builder): common
# flags, then one sanitizer's, then the engine's coverage flags.
common="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
san_address="-fsanitize=address -fsanitize-address-use-after-scope"
ub_checks="array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unsigned-integer-overflow,unreachable,vla-bound,vptr"
ub_fatal="array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr"
san_undefined="-fsanitize=$ub_checks -fno-sanitize-recover=$ub_fatal"
san_coverage="-fprofile-instr-generate -fcoverage-mapping -pthread -Wl,--no-as-needed -Wl,-ldl -Wl,-lm -Wno-unused-command-line-argument"
afl_driver=/usr/lib/afl/libAFLDriver.a

build_limit=900
run_limit=120
sf_kill_started_on_exit

failures=0
rows=()
fail() {
  echo "  FAIL: $*" >&2
  failures=$((failures + 1))
}

check_config() {
  local cfg=$1 base=build/oss-$1
  local engine=${cfg%%-*} sanitizer=${cfg#*-}
  [ "$cfg" = coverage ] && engine=libfuzzer sanitizer=coverage
  local env_cc=clang env_cxx=clang++ lib="-fsanitize=fuzzer" cflags="$common"
  case "$sanitizer" in
    address) cflags+=" $san_address" ;;
    undefined) cflags+=" $san_undefined" ;;
    coverage) cflags+=" $san_coverage" ;;
  esac
  case "$engine" in
    libfuzzer) [ "$sanitizer" = coverage ] || cflags+=" -fsanitize=fuzzer-no-link" ;;
    afl) env_cc=afl-clang-fast env_cxx=afl-clang-fast++ lib=$afl_driver ;;
  esac
  sf_step "OSS-Fuzz build: engine $engine, sanitizer $sanitizer"
  rm -rf "$base/out" "$base/work"
  mkdir -p "$base/out" "$base/work" "$base/src"
  local status=0
  CC=$env_cc CXX=$env_cxx CFLAGS="$cflags" CXXFLAGS="$cflags" LIB_FUZZING_ENGINE="$lib" \
    SANITIZER=$sanitizer FUZZING_ENGINE=$engine ARCHITECTURE=x86_64 \
    OUT=$PWD/$base/out WORK=$PWD/$base/work SRC=$PWD/$base/src \
    AFL_QUIET=1 SMTPFUZZ_BUILD_LIMIT=$build_limit \
    sf_bounded "$build_limit" "$base/build.log" bash ci/oss-fuzz/build.sh || status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$base/build.log" >&2
    fail "$cfg: build.sh exited $status (log: $base/build.log)"
    return 0
  fi

  local out=$base/out n=0 t
  for f in "$out"/*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    t=$(basename "$f")
    n=$((n + 1))
    for extra in "$t.dict" "$t.options"; do
      [ -f "$out/$extra" ] || fail "$cfg: $t has no $extra in \$OUT"
    done
    # A target without seeds yet is allowed (OSS-Fuzz starts it from an
    # empty corpus), but said.
    [ -f "$out/${t}_seed_corpus.zip" ] || echo "  note: $t has no seed corpus (corpus/$t)"
    local corpus=$base/work/check/$t
    rm -rf "$corpus"
    mkdir -p "$corpus"
    [ -f "$out/${t}_seed_corpus.zip" ] && unzip -q -o "$out/${t}_seed_corpus.zip" -d "$corpus"
    local seeds log=$base/check-$t.log start=$SECONDS
    seeds=$(find "$corpus" -type f | wc -l)
    # No seeds: one empty-ish input, so every engine has something to start from.
    [ "$seeds" -gt 0 ] || printf '\n' >"$corpus/empty"
    status=0
    case "$cfg" in
      libfuzzer-*)
        # As ClusterFuzz runs them: unsigned wrap-around is reported by the
        # undefined build but silenced at run time (silence_unsigned_overflow).
        ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:silence_unsigned_overflow=1 \
          sf_bounded "$run_limit" "$log" "$out/$t" -runs="$runs" -timeout=25 -rss_limit_mb=2560 \
          -dict="$out/$t.dict" -print_final_stats=1 -artifact_prefix="$base/work/check/$t-" \
          "$corpus" || status=$?
        ;;
      afl-*)
        # The AFL++ driver runs file arguments one by one (what
        # reproduce does); then a short afl-fuzz run, as the bad-build
        # check, which needs the instrumentation to be there.
        local files=()
        mapfile -t files < <(find "$corpus" -type f | sort)
        ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:symbolize=0 \
          sf_bounded "$run_limit" "$log" "$out/$t" "${files[@]}" || status=$?
        if [ "$status" -eq 0 ]; then
          rm -rf "$base/work/afl-$t"
          AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
            AFL_BENCH_UNTIL_CRASH=1 ASAN_OPTIONS=abort_on_error=1:detect_leaks=0:symbolize=0 \
            sf_bounded "$run_limit" "$log.afl" afl-fuzz -i "$corpus" -o "$base/work/afl-$t" \
            -E "$runs" -t 1000 -x "$out/$t.dict" -- "$out/$t" || status=$?
          local crashes
          crashes=$(find "$base/work/afl-$t" -path '*/crashes/id:*' -type f 2>/dev/null | wc -l)
          [ "$crashes" -eq 0 ] || { status=1; echo "afl-fuzz found $crashes crash(es)" >>"$log"; }
          [ "$status" -eq 0 ] || cat "$log.afl" >>"$log"
        fi
        ;;
      coverage)
        rm -rf "$base/work/prof-$t"
        mkdir -p "$base/work/prof-$t"
        LLVM_PROFILE_FILE="$PWD/$base/work/prof-$t/%p.profraw" \
          sf_bounded "$run_limit" "$log" "$out/$t" -runs=0 "$corpus" || status=$?
        if [ "$status" -eq 0 ]; then
          llvm-profdata-14 merge -sparse "$base/work/prof-$t"/*.profraw -o "$base/work/$t.profdata" >>"$log" 2>&1 &&
            llvm-cov-14 report "$out/$t" -instr-profile="$base/work/$t.profdata" >"$base/cov-$t.txt" 2>>"$log" ||
            status=$?
        fi
        ;;
    esac
    local secs=$((SECONDS - start)) note="ok"
    if [ "$status" -ne 0 ]; then
      note="FAILED (exit $status)"
      tail -n 25 "$log" >&2
      fail "$cfg: $t over its $seeds seeds exited $status (log: $log)"
    elif [ "$cfg" = coverage ]; then
      note="ok, lines $(awk '/^TOTAL/{print $10}' "$base/cov-$t.txt")"
    fi
    echo "  $t: $seeds seeds, ${secs}s, $note"
    rows+=("| $cfg | $t | $seeds | ${secs}s | $note |")
  done
  [ "$n" -gt 0 ] || fail "$cfg: no fuzz target in \$OUT"
}

for c in "${configs[@]}"; do check_config "$c"; done

sf_step "summary"
{
  echo "| configuration | target | seeds | time | result |"
  echo "|---|---|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} | tee build/oss-summary.md
if [ "$failures" -gt 0 ]; then
  echo "ci/oss-fuzz-local.sh: $failures failure(s)"
  exit 1
fi
echo "ci/oss-fuzz-local.sh: all configurations passed"
