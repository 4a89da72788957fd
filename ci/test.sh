#!/usr/bin/env bash
# Build with gcc and with clang, run every test, and run them again under
# AddressSanitizer + UndefinedBehaviorSanitizer. Installs what is missing.
#   ci/test.sh            all configurations
#   ci/test.sh --quick    gcc only, no fuzz smoke run (for a fast local loop)
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/test.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

sf_install_packages cmake make gcc clang libclang-rt-14-dev libssl-dev

configs=("gcc:gcc:OFF")
if [ "$quick" = 0 ]; then
  configs+=("clang:clang:OFF" "asan:clang:ON")
  # libcurl for the in-process third-party tests (test_curl, fuzz_curl's
  # corpus replay) of the asan configuration: fetched and built once into
  # build/third-party/ (ci/third-party.sh), kept there afterwards.
  sf_step "libcurl and libESMTP (Debian source packages, instrumented)"
  bash ci/third-party.sh curl libesmtp
fi

for entry in "${configs[@]}"; do
  IFS=: read -r name cc sanitize <<<"$entry"
  dir="build/ci-$name"
  sf_step "build $name ($cc, sanitizers $sanitize)"
  cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DSF_SANITIZE="$sanitize" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
  sf_step "test $name"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure --timeout 300 -j"$(nproc)"
done

if [ "$quick" = 0 ]; then
  # A short run of every fuzz target under both engines: the builds work, the
  # seeds load, and a few seconds of mutation find nothing.
  sf_step "fuzz smoke run (libFuzzer and AFL++)"
  # The third-party targets under libFuzzer only: an AFL++ build needs
  # libcurl built a second time (ci/fuzz.sh --engine afl --targets fuzz_curl).
  bash ci/fuzz.sh --time 10 --engine both --targets "$(sed -n 's/^ALL_TARGETS=(\(.*\))/\1/p' ci/fuzz.sh | tr ' ' ,)"
  # Findings in third-party code are expected (libESMTP's crash of
  # corpus/scenarios/libesmtp-close-during-pipelined-rcpt.scn comes back
  # within seconds) and kept with their transcripts; a run that did not
  # build or start fails.
  mkdir -p build
  bash ci/fuzz.sh --time 10 --engine libfuzzer --targets fuzz_curl,fuzz_libesmtp |
    tee build/fuzz-third-party-smoke.log || true
  last=$(tail -n1 build/fuzz-third-party-smoke.log)
  [[ "$last" == "ci/fuzz.sh: no findings" || "$last" == *", 0 failed run(s)" ]] ||
    { echo "third-party fuzz smoke run failed: $last" >&2; exit 1; }

  # The planted-bug bench, smallest form: bug 05 (the 465 hang) patched into
  # a copy of the source must be found by libFuzzer and by AFL++ in both of
  # two 10 s runs, through the same scripts the full bench uses.
  sf_step "bench smoke (planted bug 05, both engines and the naive baseline)"
  rm -rf build/bench-smoke
  SF_BENCH_DIR=build/bench-smoke bash ci/bench.sh --quick --bugs 05 --only bugs --jobs "$(nproc)"
  row=$(grep '^| planted bug | 05-' build/bench-smoke/bench.md || true)
  IFS='|' read -r _ _ _ lf afl _ <<<"$row"
  [[ "$lf" == *"(2/2)"* && "$afl" == *"(2/2)"* ]] ||
    { echo "bench smoke: bug 05 not found in every run: $row" >&2; exit 1; }
fi

# Suites with their own set-up (each installs and starts what it needs and
# stops it again); each is skipped only while its script does not exist yet.
for suite in ci/oss-fuzz-local.sh ci/live-test.sh; do
  if [ "$quick" = 0 ] && [ -f "$suite" ]; then
    sf_step "$suite"
    bash "$suite"
  fi
done

sf_step "format check"
if command -v clang-format >/dev/null; then
  git ls-files '*.c' '*.h' | xargs -r clang-format --dry-run -Werror
fi
echo "ci/test.sh: all configurations passed"
