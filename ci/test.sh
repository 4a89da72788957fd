#!/usr/bin/env bash
# Build with gcc and with clang, run every test, and run them again under
# AddressSanitizer + UndefinedBehaviorSanitizer; then the fuzz smoke run, the
# planted bugs, the OSS-Fuzz emulation and the live suite. Nothing here
# depends on how fast the machine is. Installs what is missing.
#   ci/test.sh            all configurations
#   ci/test.sh --quick    gcc only, no fuzzing (for a fast local loop)
# Whatever it runs writes only under build/ and work/: the last check fails
# when anything else in the clone changed or appeared.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
    *) echo "ci/test.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

# pkgconf and groff-base: the install and man page tests (tests/install_outside.sh,
# tests/cli_docs.sh).
sf_install_packages cmake make gcc clang libclang-rt-14-dev libssl-dev clang-format git pkgconf \
  groff-base

# What the clone holds outside build/ and work/ before anything runs
# (modified, untracked and ignored paths alike).
outside() {
  git status --porcelain --ignored --untracked-files=all | grep -vE '^.. "?(build|work)/' | sort || true
}
in_git=0
git rev-parse --is-inside-work-tree >/dev/null 2>&1 && in_git=1
mkdir -p build
[ "$in_git" = 1 ] && outside >build/outside.before

# name:compiler:sanitizers:build type. gcc builds optimized (-O3): some of
# its warnings (format truncation) come only from its value-range analysis.
configs=("gcc:gcc:OFF:Release")
if [ "$quick" = 0 ]; then
  configs+=("clang:clang:OFF:" "asan:clang:ON:")
  # libcurl for the in-process third-party tests (test_curl, fuzz_curl's
  # corpus replay) of the asan configuration: fetched and built once into
  # build/third-party/ (ci/third-party.sh), kept there afterwards.
  sf_step "libcurl and libESMTP (Debian source packages, instrumented)"
  bash ci/third-party.sh curl libesmtp
fi

for entry in "${configs[@]}"; do
  IFS=: read -r name cc sanitize type <<<"$entry"
  dir="build/ci-$name"
  sf_step "build $name ($cc, sanitizers $sanitize${type:+, $type})"
  cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DSF_SANITIZE="$sanitize" \
    -DCMAKE_BUILD_TYPE="$type" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
  sf_step "test $name"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure --timeout 300 -j"$(nproc)"
done

if [ "$quick" = 0 ]; then
  # A short run of every fuzz target under both engines, counted in
  # executions from a fixed seed, not in seconds: the builds work, the seeds
  # load, the corpus merge works, and the mutations find nothing. A failure
  # is a finding with its input saved, never a slow machine.
  sf_step "fuzz smoke run (libFuzzer and AFL++, 20000 executions each)"
  bash ci/fuzz.sh --runs 20000 --engine both --targets "$(IFS=,; echo "${SF_FUZZ_TARGETS[*]}")"
  # The third-party targets under libFuzzer only (an AFL++ build needs
  # libcurl built a second time: ci/fuzz.sh --engine afl --targets fuzz_curl).
  # Findings in third-party code are expected (libESMTP's crash of
  # corpus/scenarios/libesmtp-close-during-pipelined-rcpt.scn comes back
  # within seconds) and kept with their transcripts; a run that did not
  # build or start fails.
  mkdir -p build
  bash ci/fuzz.sh --runs 20000 --engine libfuzzer --targets "$(IFS=,; echo "${SF_BYOC_TARGETS[*]}")" |
    tee build/fuzz-third-party-smoke.log || true
  last=$(tail -n1 build/fuzz-third-party-smoke.log)
  [[ "$last" == "ci/fuzz.sh: no findings" || "$last" == *", 0 failed run(s)" ]] ||
    { echo "third-party fuzz smoke run failed: $last" >&2; exit 1; }

  # The planted bugs without a clock: each patched into a copy of the source
  # must fail its reproducer (ci/planted-bugs.sh). How fast the fuzzers find
  # them from scratch is measured by ci/bench.sh, never here.
  sf_step "planted bugs (deterministic replay)"
  bash ci/planted-bugs.sh
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
if [ "$in_git" = 1 ]; then
  git ls-files '*.c' '*.h' | xargs -r clang-format --dry-run -Werror
else
  find src harness fuzz tests bench -name '*.c' -o -name '*.h' | xargs -r clang-format --dry-run -Werror
fi

sf_step "nothing written outside build/ and work/"
if [ "$in_git" = 1 ]; then
  outside >build/outside.after
  if ! diff -u build/outside.before build/outside.after; then
    echo "ci/test.sh: the run changed or left files outside build/ and work/ (the diff above: + appeared or changed, - gone)" >&2
    exit 1
  fi
  echo "  git status outside build/ and work/: as before the run"
else
  echo "  not a git checkout: not checked"
fi
echo "ci/test.sh: all configurations passed"
