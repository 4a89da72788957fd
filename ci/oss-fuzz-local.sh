#!/usr/bin/env bash
# Emulate OSS-Fuzz without Docker: run ci/oss-fuzz/build.sh with the
# environment the OSS-Fuzz builder sets, then check every binary in $OUT the
# way its build check does (seed corpus unzipped, a short run, fail on crash).
# libfuzzer-address goes the way of the real service: OpenSSL built from
# source in $SRC/openssl (here Debian's source package, fetched once with a
# private apt configuration; the build is kept in build/oss-openssl/ and
# reused), and ci/oss-fuzz/run_tests.sh after the build. The other
# configurations use the system's OpenSSL.
#   ci/oss-fuzz-local.sh                  all four configurations, short runs
#   ci/oss-fuzz-local.sh --runs 20000     more mutations per target
#   ci/oss-fuzz-local.sh --configs libfuzzer-address,coverage
# Options:
#   --configs a,b      libfuzzer-address, libfuzzer-undefined, afl-address, coverage
#                      (default: all)
#   --runs N           libFuzzer mutations after the corpus, AFL++ executions (default 10000)
#   --system-openssl   no OpenSSL from source: every configuration uses the system's
#   -h, --help         this text
# Output: build/oss-<config>/{out,work,src}; logs next to them. Exit 0 when
# every configuration built, its tests passed and every target ran its
# corpus clean.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

all_configs=(libfuzzer-address libfuzzer-undefined afl-address coverage)
configs=("${all_configs[@]}")
runs=10000
source_openssl=1
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
die_usage() { echo "ci/oss-fuzz-local.sh: $*" >&2; echo "see ci/oss-fuzz-local.sh --help" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --configs) [ $# -ge 2 ] || die_usage "--configs needs a value"; IFS=, read -r -a configs <<<"$2"; shift 2 ;;
    --configs=*) IFS=, read -r -a configs <<<"${1#*=}"; shift ;;
    --runs) [ $# -ge 2 ] || die_usage "--runs needs a value"; runs=$2; shift 2 ;;
    --runs=*) runs=${1#*=}; shift ;;
    --system-openssl) source_openssl=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die_usage "--runs must be a positive number"
for c in "${configs[@]}"; do
  [[ " ${all_configs[*]} " == *" $c "* ]] || die_usage "unknown config '$c' (known: ${all_configs[*]})"
done

sf_install_packages cmake make clang libclang-rt-14-dev llvm libssl-dev zip unzip afl++ dpkg-dev perl

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
# OpenSSL built from source with sanitizers takes long on a loaded machine.
openssl_limit=2700
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
  # OpenSSL from $SRC/openssl, as on the real service, for libfuzzer-address.
  local with_source=0 openssl_note="system OpenSSL"
  [ "$source_openssl" = 1 ] && [ "$cfg" = libfuzzer-address ] && with_source=1
  sf_step "OSS-Fuzz build: engine $engine, sanitizer $sanitizer"
  rm -rf "$base/out" "$base/work" "$base/src"
  mkdir -p "$base/out" "$base/work" "$base/src"
  if [ "$with_source" = 1 ]; then
    local ossl_src
    ossl_src=$(sf_apt_source openssl build/oss-sources) || {
      fail "$cfg: no OpenSSL source package (use --system-openssl to build without one)"
      return 0
    }
    ln -s "$ossl_src" "$base/src/openssl"
    openssl_note="OpenSSL $(basename "$ossl_src" | sed 's/^openssl-//') from \$SRC/openssl"
    echo "  OpenSSL from source: $ossl_src (build kept in build/oss-openssl/$cfg)"
  fi
  local status=0
  CC=$env_cc CXX=$env_cxx CFLAGS="$cflags" CXXFLAGS="$cflags" LIB_FUZZING_ENGINE="$lib" \
    SANITIZER=$sanitizer FUZZING_ENGINE=$engine ARCHITECTURE=x86_64 \
    OUT=$PWD/$base/out WORK=$PWD/$base/work SRC=$PWD/$base/src \
    SMTPFUZZ_OPENSSL_PREFIX=$PWD/build/oss-openssl/$cfg \
    AFL_QUIET=1 SMTPFUZZ_BUILD_LIMIT=$build_limit \
    sf_bounded "$openssl_limit" "$base/build.log" bash ci/oss-fuzz/build.sh || status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$base/build.log" >&2
    fail "$cfg: build.sh exited $status (log: $base/build.log)"
    return 0
  fi
  if [ "$with_source" = 1 ]; then
    # OSS-Fuzz's run_tests.sh, in the same environment, after the build.
    status=0
    CC=$env_cc CXX=$env_cxx CFLAGS="$cflags" CXXFLAGS="$cflags" WORK=$PWD/$base/work \
      SRC=$PWD/$base/src OUT=$PWD/$base/out SMTPFUZZ_BUILD_LIMIT=$build_limit \
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      sf_bounded "$build_limit" "$base/run_tests.log" bash ci/oss-fuzz/run_tests.sh || status=$?
    local verdict
    verdict=$(grep -E 'tests passed' "$base/run_tests.log" | tail -n1 || true)
    if [ "$status" -ne 0 ]; then
      tail -n 40 "$base/run_tests.log" >&2
      fail "$cfg: run_tests.sh exited $status (log: $base/run_tests.log)"
      verdict="FAILED (exit $status)${verdict:+: $verdict}"
    fi
    echo "  run_tests.sh: $verdict"
    rows+=("| $cfg | run_tests.sh (ctest) | | | $verdict |")
  fi
  echo "  built with $openssl_note"
  rows+=("| $cfg | OpenSSL | | | $openssl_note |")

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
          sf_bounded "$run_limit" "$log" "$out/$t" -runs=0 \
          -artifact_prefix="$base/work/check/$t-" "$corpus" || status=$?
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
