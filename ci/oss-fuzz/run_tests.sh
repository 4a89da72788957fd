#!/bin/bash
# OSS-Fuzz's run_tests.sh for smtpfuzz (ci/oss-fuzz/project/run_tests.sh
# calls this one): after build.sh, builds the rest of its build
# ($WORK/smtpfuzz-build: the unit tests, with the same compilers, flags and
# OpenSSL) and runs every test with ctest. Needs no network; writes only
# under $WORK (the source tree is left as it was).
#   ci/oss-fuzz/run_tests.sh          inside the builder image, after build.sh
#   ci/oss-fuzz/run_tests.sh --help   this text
# Exit status: ctest's (0 when every test passed).
set -eu -o pipefail

case "${1:-}" in
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "run_tests.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

: "${WORK:=/work}"
bdir=$WORK/smtpfuzz-build
[ -f "$bdir/CMakeCache.txt" ] || { echo "run_tests.sh: no build in $bdir: run build.sh first" >&2; exit 1; }
limit=${SMTPFUZZ_BUILD_LIMIT:-1800}
jobs=$(nproc 2>/dev/null || echo 2)

echo "run_tests.sh: building the tests in $bdir"
if ! timeout "$limit" cmake --build "$bdir" -j"$jobs" >"$bdir.tests-build.log" 2>&1; then
  tail -n 60 "$bdir.tests-build.log" >&2
  echo "run_tests.sh: build failed (whole log: $bdir.tests-build.log)" >&2
  exit 1
fi
# A coverage build's programs write profiles where they are told, not into
# the source tree (ctest runs them from there).
mkdir -p "$WORK/test-profiles"
LLVM_PROFILE_FILE="$WORK/test-profiles/%p.profraw" \
  timeout "$limit" ctest --test-dir "$bdir" --output-on-failure --timeout 300 -j"$jobs"
