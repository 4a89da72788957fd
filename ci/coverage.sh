#!/usr/bin/env bash
# Source coverage of the engine from the shipped corpus: every fuzz target
# (SF_FUZZ_TARGETS in ci/lib.sh) built with clang source-based coverage and the replay
# driver, run over corpus/<target>/, merged into one profile.
#   ci/coverage.sh            build, run, print the per-file summary of src/
#   ci/coverage.sh --all      summary of harness/ and fuzz/ too
# Output: the summary (line, branch, function, region) on stdout and in
# build/coverage/summary.txt; an HTML report in build/coverage/html/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

scope=src
case "${1:-}" in
  "") ;;
  --all) scope=all ;;
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "ci/coverage.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

sf_install_packages cmake make clang llvm libssl-dev
profdata=llvm-profdata-14
llvmcov=llvm-cov-14
command -v "$profdata" >/dev/null || profdata=llvm-profdata
command -v "$llvmcov" >/dev/null || llvmcov=llvm-cov

dir=build/coverage
limit=900
targets=("${SF_FUZZ_TARGETS[@]}")
replays=()
for t in "${targets[@]}"; do replays+=("${t}_replay"); done

sf_step "build (clang -fprofile-instr-generate -fcoverage-mapping) in $dir"
mkdir -p "$dir"
flags="-O0 -g -fprofile-instr-generate -fcoverage-mapping"
timeout "$limit" cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" \
  -DSF_FUZZ_ENGINE=none >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log" >&2; exit 1; }
timeout "$limit" cmake --build "$dir" -j"$(nproc)" --target "${replays[@]}" >"$dir/build.log" 2>&1 ||
  { tail -n 40 "$dir/build.log" >&2; exit 1; }

sf_step "run every target over its corpus"
rm -rf "$dir/profraw"
mkdir -p "$dir/profraw"
objects=()
for t in "${targets[@]}"; do
  bin=$dir/fuzz/${t}_replay
  [ -d "corpus/$t" ] || { echo "  $t: no corpus/$t, skipped"; continue; }
  LLVM_PROFILE_FILE="$PWD/$dir/profraw/$t-%p.profraw" timeout 300 "$bin" "corpus/$t" \
    >"$dir/run-$t.log" 2>&1 || { tail -n 20 "$dir/run-$t.log" >&2; echo "ci/coverage.sh: $t failed on its corpus" >&2; exit 1; }
  echo "  $t: $(tail -n 1 "$dir/run-$t.log")"
  objects+=(-object "$bin")
done
"$profdata" merge -sparse "$dir"/profraw/*.profraw -o "$dir/merged.profdata"

# Everything outside the chosen folders is left out of the report.
ignore='(/usr/|/tests/|/bench/)'
[ "$scope" = src ] && ignore='(/usr/|/tests/|/bench/|/harness/|/fuzz/)'
first=${objects[1]}
rest=("${objects[@]:2}")
sf_step "coverage of ${scope/all/src, harness and fuzz} from the shipped corpus"
"$llvmcov" report "$first" "${rest[@]}" -instr-profile="$dir/merged.profdata" \
  -ignore-filename-regex="$ignore" -show-branch-summary -show-functions=false \
  | sed "s|$PWD/||" | tee "$dir/summary.txt"
rm -rf "$dir/html"
"$llvmcov" show "$first" "${rest[@]}" -instr-profile="$dir/merged.profdata" \
  -ignore-filename-regex="$ignore" -show-branches=count -format=html -output-dir="$dir/html" \
  -project-title="smtpfuzz corpus coverage"
echo
echo "summary: $dir/summary.txt   html: $dir/html/index.html"
