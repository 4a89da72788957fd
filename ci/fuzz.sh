#!/usr/bin/env bash
# Build the fuzz targets and fuzz each one for a while, then print a table.
#   ci/fuzz.sh                       libFuzzer (clang, ASan+UBSan), 60 s per target
#   ci/fuzz.sh --time 20 --engine both --targets fuzz_reply
#   ci/fuzz.sh --runs 20000 --engine both   the same inputs on any machine
# Options:
#   --time SECONDS       fuzzing time per target and engine (default 60)
#   --runs N             instead of a time: N executions per target and engine
#                        from a fixed seed, so that the machine's speed changes
#                        nothing. libFuzzer (-runs -seed=1 -reload=0, address
#                        randomisation off) then repeats itself exactly from
#                        the same corpus; AFL++ (-E -s 1, 10 s per input) still
#                        weighs inputs by their measured speed, so its path
#                        may vary, but no input fails for being slow
#   --jobs N             parallel fuzzing processes per target (default 1); with
#                        N > 1 one AFL++ secondary runs an ASan build
#   --engine E           libfuzzer, afl or both (default libfuzzer)
#   --targets a,b        only these targets (default: all)
#   -h, --help           this text
# The shipped corpus (corpus/<target>/) is copied to work/fuzz/<target>/corpus
# and never written; at the end each target's work corpus is merged (only
# inputs that add coverage kept: libFuzzer -merge=1, or afl-cmin when only
# AFL++ ran). Findings go to work/fuzz/findings/<target>/. Exit status:
# 0 without findings, 1 with findings or a failed run, 2 for a usage error.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

# The targets: SF_FUZZ_TARGETS, SF_SCENARIO_TARGETS and SF_BYOC_TARGETS in
# ci/lib.sh.
ALL_TARGETS=("${SF_FUZZ_TARGETS[@]}")
SCENARIO_TARGETS=("${SF_SCENARIO_TARGETS[@]}")
BYOC_TARGETS=("${SF_BYOC_TARGETS[@]}")

time_per_target=60
runs=""
jobs=1
engine=libfuzzer
targets=("${ALL_TARGETS[@]}" "${BYOC_TARGETS[@]}")

usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
die_usage() {
  echo "ci/fuzz.sh: $*" >&2
  echo "see ci/fuzz.sh --help" >&2
  exit 2
}
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die_usage "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --time) need_value "$@"; time_per_target=$2; shift 2 ;;
    --time=*) time_per_target=${1#*=}; shift ;;
    --runs) need_value "$@"; runs=$2; shift 2 ;;
    --runs=*) runs=${1#*=}; shift ;;
    --jobs) need_value "$@"; jobs=$2; shift 2 ;;
    --jobs=*) jobs=${1#*=}; shift ;;
    --engine) need_value "$@"; engine=$2; shift 2 ;;
    --engine=*) engine=${1#*=}; shift ;;
    --targets) need_value "$@"; IFS=, read -r -a targets <<<"$2"; shift 2 ;;
    --targets=*) IFS=, read -r -a targets <<<"${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done

[[ "$time_per_target" =~ ^[1-9][0-9]*$ ]] || die_usage "--time must be a positive number of seconds"
[ -z "$runs" ] || [[ "$runs" =~ ^[1-9][0-9]*$ ]] || die_usage "--runs must be a positive number"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die_usage "--jobs must be a positive number"
case "$engine" in
  libfuzzer) engines=(libfuzzer) ;;
  afl) engines=(afl) ;;
  both) engines=(libfuzzer afl) ;;
  *) die_usage "--engine must be libfuzzer, afl or both" ;;
esac
[ ${#targets[@]} -gt 0 ] || die_usage "--targets is empty"
for t in "${targets[@]}"; do
  [[ " ${ALL_TARGETS[*]} ${BYOC_TARGETS[*]} " == *" $t "* ]] ||
    die_usage "unknown target '$t' (known: ${ALL_TARGETS[*]} ${BYOC_TARGETS[*]})"
done

work=work/fuzz
# Bounds on everything this script starts.
build_limit=1800
grace=60
# What each fuzzing run is told to do, and its bound. With --runs the bound
# is only a safety net, far above what the runs take on a loaded machine.
lf_wrap=()
if [ -n "$runs" ]; then
  amount="$runs runs"
  limit=1800
  # -reload=0: libFuzzer rereads its corpus folder every second, which makes
  # its path depend on time. Without address randomisation its comparison
  # table (indexed by code address) is the same in every run too.
  lf_stop=(-runs="$runs" -seed=1 -reload=0)
  if setarch "$(uname -m)" -R true 2>/dev/null; then
    lf_wrap=(setarch "$(uname -m)" -R)
  else
    echo "ci/fuzz.sh: address randomisation cannot be turned off here: libFuzzer runs may differ" >&2
  fi
  afl_stop=(-E "$runs" -s 1)
  afl_timeout=10000
else
  amount="${time_per_target}s"
  limit=$((time_per_target + grace))
  lf_stop=(-max_total_time="$time_per_target")
  afl_stop=(-V "$time_per_target")
  afl_timeout=1000
fi
merge_limit=900

sf_kill_started_on_exit

sf_step "install what is missing"
pkgs=(cmake make clang libclang-rt-14-dev libssl-dev)
[[ " ${engines[*]} " == *" afl "* ]] && pkgs+=(afl++)
sf_install_packages "${pkgs[@]}"

# build DIR CC ENV... -- CMAKE_ARGS...: configure and build only the targets
# (or the CMake targets in $build_only).
build_only=""
# Targets AFL++ does not build: their library exists only as a libFuzzer build.
LIBFUZZER_ONLY=(fuzz_libesmtp)
build() {
  local dir=$1 cc=$2 tg=("${targets[@]}")
  [ -n "$build_only" ] && read -r -a tg <<<"$build_only"
  if [[ "$dir" == */fuzz-afl* ]]; then
    local keep=() t
    for t in "${tg[@]}"; do [[ " ${LIBFUZZER_ONLY[*]} " == *" $t "* ]] || keep+=("$t"); done
    tg=("${keep[@]}")
    [ ${#tg[@]} -gt 0 ] || return 0
  fi
  shift 2
  local env=()
  while [ "$1" != "--" ]; do env+=("$1"); shift; done
  shift
  sf_step "build $dir"
  env "${env[@]}" timeout "$build_limit" cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log" >&2; return 1; }
  env "${env[@]}" timeout "$build_limit" cmake --build "$dir" -j"$(nproc)" --target "${tg[@]}" \
    >"$dir.build.log" 2>&1 || { tail -n 40 "$dir.build.log" >&2; return 1; }
  echo "  built ${tg[*]} (log: $dir.build.log)"
}

mkdir -p build
# The libraries of the third-party targets asked for, per engine.
curl_lf=() curl_afl=()
if [[ " ${targets[*]} " == *" fuzz_libesmtp "* ]] && [[ " ${engines[*]} " == *" libfuzzer "* ]]; then
  sf_step "libESMTP for libfuzzer (ci/third-party.sh)"
  bash ci/third-party.sh libesmtp && curl_lf+=(-DSF_LIBESMTP_DIR="$PWD/build/third-party/libesmtp/install")
fi
if [[ " ${targets[*]} " == *" fuzz_curl "* ]]; then
  for e in "${engines[@]}"; do
    sf_step "libcurl for $e (ci/third-party.sh)"
    case "$e" in
      libfuzzer) bash ci/third-party.sh curl && curl_lf+=(-DSF_CURL_DIR="$PWD/build/third-party/curl/install") ;;
      afl) bash ci/third-party.sh --cc afl-clang-fast --variant afl curl &&
        curl_afl=(-DSF_CURL_DIR="$PWD/build/third-party/curl-afl/install") ;;
    esac
  done
fi
for e in "${engines[@]}"; do
  case "$e" in
    libfuzzer)
      build build/fuzz-libfuzzer clang -- -DSF_SANITIZE=ON -DSF_FUZZ_ENGINE=libfuzzer \
        -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link "${curl_lf[@]}"
      ;;
    afl)
      build build/fuzz-afl afl-clang-fast -- -DSF_FUZZ_ENGINE=afl "${curl_afl[@]}"
      # CMPLOG: comparison operands logged for afl-fuzz -c (input-to-state).
      # (The third-party library is the plain AFL++ build: CMPLOG covers the
      # harness's comparisons only.)
      build build/fuzz-afl-cmplog afl-clang-fast AFL_LLVM_CMPLOG=1 -- -DSF_FUZZ_ENGINE=afl "${curl_afl[@]}"
      # With secondaries, one of them runs a build with AddressSanitizer
      # (AFL_USE_ASAN): memory errors that do not crash the plain build.
      if [ "$jobs" -gt 1 ]; then
        build build/fuzz-afl-asan afl-clang-fast AFL_USE_ASAN=1 -- -DSF_FUZZ_ENGINE=afl "${curl_afl[@]}"
      fi
      # The custom mutators afl-fuzz loads (scenario targets, fuzz_reply):
      # from a plain, uninstrumented build.
      build_only="sf_afl_mutator sf_afl_mutator_reply" build build/fuzz-mutator clang -- -DSF_FUZZ_ENGINE=none
      ;;
  esac
done

# run_bounded SECONDS LOG LABEL PROGRESS_FN CMD...: runs CMD in the
# background under timeout, prints a progress line every 10 s, returns its
# exit status.
run_bounded() {
  local limit=$1 log=$2 label=$3 progress=$4
  shift 4
  timeout -k 10 "$limit" "$@" >"$log" 2>&1 &
  local pid=$! start=$SECONDS status=0
  SF_STARTED+=("$pid")
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if (((SECONDS - start) % 10 == 0)) && kill -0 "$pid" 2>/dev/null; then
      printf '  [%s %3ds] %s\n' "$label" "$((SECONDS - start))" "$($progress)"
    fi
  done
  wait "$pid" || status=$?
  return "$status"
}

lf_log=""
lf_progress() {
  grep -aE '^#[0-9]+' "$lf_log" 2>/dev/null | tail -n1 | cut -c1-110 || true
}
afl_out=""
afl_progress() {
  # With AFL_NO_UI the stats files are written only at start and end, so
  # progress is read from the output folders, which grow as it goes.
  local q c h
  q=$(find "$afl_out" -path '*/queue/id:*' -type f 2>/dev/null | wc -l)
  c=$(find "$afl_out" -path '*/crashes/id:*' -type f 2>/dev/null | wc -l)
  h=$(find "$afl_out" -path '*/hangs/id:*' -type f 2>/dev/null | wc -l)
  echo "queue $q  crashes $c  hangs $h"
}

rows=()
total_findings=0
failed_runs=0

count_findings() {
  find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'leak-*' \
    -o -name 'oom-*' -o -name 'afl-crash-*' -o -name 'afl-hang-*' \) 2>/dev/null | wc -l
}

fuzz_libfuzzer() {
  local t=$1 bin=build/fuzz-libfuzzer/fuzz/$1 dir=$work/$1 findings=$work/findings/$1
  local args=()
  mapfile -t args < <(sf_libfuzzer_args . "$t")
  if [ "$jobs" -gt 1 ]; then
    args+=("-fork=$jobs" "-ignore_crashes=1" "-ignore_timeouts=1" "-ignore_ooms=1")
  fi
  lf_log=$dir/libfuzzer.log
  local before status=0
  before=$(count_findings "$findings")
  sf_step "libFuzzer $t for $amount"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_bounded "$limit" "$lf_log" "$t" lf_progress \
    "${lf_wrap[@]}" "$bin" "${lf_stop[@]}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" "${args[@]}" "$dir/corpus" || status=$?

  local last execs eps ft cov corpus found
  last=$(grep -aE '^#[0-9]+' "$lf_log" | tail -n1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$lf_log" | tail -n1)
  [ -n "$execs" ] || execs=$(sed -E -n 's/^#([0-9]+).*/\1/p' <<<"$last")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$lf_log" | tail -n1)
  [ -n "$eps" ] || eps=$(sed -E -n 's/.*exec\/s:? ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -E -n 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  cov=$(sed -E -n 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  corpus=$(find "$dir/corpus" -type f | wc -l)
  found=$(($(count_findings "$findings") - before))
  if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then
    echo "libFuzzer $t exited with status $status and no finding; last lines of $lf_log:" >&2
    tail -n 20 "$lf_log" >&2
    failed_runs=$((failed_runs + 1))
  fi
  total_findings=$((total_findings + found))
  rows+=("| $t | libFuzzer+ASan+UBSan | ${execs:-?} | ${eps:-?} | ft ${ft:-?} (cov ${cov:-?}) | $corpus | $found |")
}

fuzz_afl() {
  local t=$1 bin=build/fuzz-afl/fuzz/$1 cmplog=build/fuzz-afl-cmplog/fuzz/$1
  local dir=$work/$1 findings=$work/findings/$1
  local opts=fuzz/$t.options dict args=()
  dict=$(sf_fuzz_option "$opts" dict)
  [ -n "$dict" ] && args+=(-x "fuzz/$dict")
  # A fixed limit per input, as libFuzzer's -timeout: AFL's calibrated
  # default is a few ms and reports "hangs" whenever the machine is busy
  # (1 s; 10 s with --runs, whose result must not depend on the machine).
  args+=(-t "$afl_timeout")
  afl_out=$dir/afl
  # A fresh output folder per run: what was found is kept in the corpus and
  # findings folders below, so nothing is lost.
  rm -rf "$afl_out"
  export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
    AFL_NO_AFFINITY=1
  # CMPLOG on new queue entries only: on a large seed corpus the
  # input-to-state stage would otherwise fill a short run.
  export AFL_CMPLOG_ONLY_NEW=1
  if [[ " ${SCENARIO_TARGETS[*]} " == *" $t "* ]]; then
    export AFL_CUSTOM_MUTATOR_LIBRARY=$PWD/build/fuzz-mutator/fuzz/sf_afl_mutator.so
  elif [ "$t" = fuzz_reply ]; then # limit steps (fuzz/afl_mutator_reply.c)
    export AFL_CUSTOM_MUTATOR_LIBRARY=$PWD/build/fuzz-mutator/fuzz/sf_afl_mutator_reply.so
  else
    unset AFL_CUSTOM_MUTATOR_LIBRARY
  fi
  local asan=build/fuzz-afl-asan/fuzz/$t
  sf_step "AFL++ $t for $amount ($jobs instance(s), CMPLOG on the main one${AFL_CUSTOM_MUTATOR_LIBRARY:+, custom mutator $(basename "$AFL_CUSTOM_MUTATOR_LIBRARY" .so)}$([ "$jobs" -gt 1 ] && echo ", ASan on s1"))"
  local status=0 pids=() i sbin
  # Secondary instances first, each bounded like the main one; s1 runs the
  # ASan build (afl-fuzz sets the ASAN_OPTIONS it needs).
  for ((i = 1; i < jobs; i++)); do
    sbin=$bin
    [ "$i" = 1 ] && sbin=$asan
    local stop=("${afl_stop[@]}")
    [ -n "$runs" ] && stop=(-E "$runs" -s "$((i + 1))") # a seed of its own
    timeout -k 10 "$limit" afl-fuzz "${stop[@]}" -i "$dir/corpus" \
      -o "$afl_out" -S "s$i" "${args[@]}" -- "$sbin" >"$afl_out.s$i.log" 2>&1 &
    pids+=($!)
    SF_STARTED+=($!)
  done
  local name=default
  [ "$jobs" -gt 1 ] && name=main
  local role=()
  [ "$jobs" -gt 1 ] && role=(-M main)
  run_bounded "$limit" "$afl_out.log" "$t" afl_progress \
    afl-fuzz "${afl_stop[@]}" -i "$dir/corpus" -o "$afl_out" "${role[@]}" \
    -c "$cmplog" "${args[@]}" -- "$bin" || status=$?
  local sstatus
  for ((i = 0; i < ${#pids[@]}; i++)); do
    sstatus=0
    wait "${pids[$i]}" || sstatus=$?
    if [ "$sstatus" -ne 0 ]; then
      echo "afl-fuzz $t secondary s$((i + 1)) exited with status $sstatus; last lines of $afl_out.s$((i + 1)).log:" >&2
      tail -n 20 "$afl_out.s$((i + 1)).log" >&2
      failed_runs=$((failed_runs + 1))
    fi
  done
  local ends=("$bin" "$cmplog")
  [ "$jobs" -gt 1 ] && ends+=("$asan")
  sf_end_stopped_orphans "${ends[@]}"

  local execs=0 eps=0 edges="" bitmap="" corpus=0 found=0 f inst
  for f in "$afl_out"/*/fuzzer_stats; do
    [ -f "$f" ] || continue
    inst=$(basename "$(dirname "$f")")
    execs=$((execs + $(awk -F' *: *' '$1=="execs_done"{print $2}' "$f")))
    eps=$(awk -v a="$eps" -F' *: *' '$1=="execs_per_sec"{printf "%.0f", a + $2}' "$f")
    if [ "$inst" = "$name" ]; then
      edges=$(awk -F' *: *' '$1=="edges_found"{print $2}' "$f")
      bitmap=$(awk -F' *: *' '$1=="bitmap_cvg"{print $2}' "$f")
      corpus=$(awk -F' *: *' '$1=="corpus_count"{print $2}' "$f")
    fi
  done
  # Findings: crashes and hangs of every instance.
  local kind src
  for inst in "$afl_out"/*/; do
    inst=${inst%/}
    for kind in crashes hangs; do
      for src in "$inst/$kind"/id:*; do
        [ -f "$src" ] || continue
        local short=${kind%es}
        short=${short%s}
        # Named by content, like libFuzzer's, so a later run adds rather
        # than overwrites.
        local dest
        dest="$findings/afl-$short-$(sha1sum <"$src" | cut -c1-40)"
        [ -f "$dest" ] || found=$((found + 1))
        cp "$src" "$dest"
      done
    done
    # New inputs join the work corpus, named by content so that repeated
    # runs add no duplicates; seeds (",orig:") are there already.
    for src in "$inst"/queue/id:*; do
      [ -f "$src" ] || continue
      case "$src" in *,orig:*) continue ;; esac
      cp -n "$src" "$dir/corpus/afl-$(sha1sum <"$src" | cut -c1-40)"
    done
  done
  if [ "$status" -ne 0 ]; then
    echo "afl-fuzz $t exited with status $status; last lines of $afl_out.log:" >&2
    tail -n 20 "$afl_out.log" >&2
    failed_runs=$((failed_runs + 1))
  fi
  total_findings=$((total_findings + found))
  rows+=("| $t | AFL++ persistent+CMPLOG | $execs | $eps | edges ${edges:-?} (bitmap ${bitmap:-?}) | $corpus | $found |")
}

# merge_corpus T: the work corpus of T cut down to the inputs that add
# coverage, into a fresh folder that then replaces it (corpus/ is never
# touched). libFuzzer's -merge=1 when its build is there, else afl-cmin.
merge_corpus() {
  local t=$1 dir=$work/$1 findings=$work/findings/$1
  local merged=$dir/corpus.merged before after tool status=0
  before=$(find "$dir/corpus" -type f | wc -l)
  rm -rf "$merged"
  mkdir -p "$merged"
  if [[ " ${engines[*]} " == *" libfuzzer "* ]]; then
    tool="libFuzzer -merge=1"
    sf_step "merge the work corpus of $t ($tool)"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      sf_bounded "$merge_limit" "$dir/merge.log" build/fuzz-libfuzzer/fuzz/"$t" -merge=1 \
      -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$findings/" \
      -merge_control_file="$dir/merge.control" "$merged" "$dir/corpus" || status=$?
  else
    tool="afl-cmin"
    sf_step "merge the work corpus of $t ($tool)"
    AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_QUIET=1 \
      sf_bounded "$merge_limit" "$dir/merge.log" afl-cmin -i "$dir/corpus" -o "$merged" -t 1000 \
      -- build/fuzz-afl/fuzz/"$t" || status=$?
  fi
  rm -f "$dir/merge.control"
  after=$(find "$merged" -type f | wc -l)
  if [ "$status" -ne 0 ] || { [ "$after" -eq 0 ] && [ "$before" -gt 0 ]; }; then
    echo "merge of $t ($tool) failed (status $status, $after inputs kept); the work corpus is left as it was; last lines of $dir/merge.log:" >&2
    tail -n 20 "$dir/merge.log" >&2
    rm -rf "$merged"
    failed_runs=$((failed_runs + 1))
    rows+=("| $t | corpus merge ($tool) | | | FAILED | $before | |")
    return 0
  fi
  rm -rf "$dir/corpus"
  mv "$merged" "$dir/corpus"
  echo "  $t: $before inputs, $after after the merge"
  rows+=("| $t | corpus merge ($tool) | | | | $before -> $after | |")
}

for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/findings/$t"
  # Seeds are copied, never linked: the fuzzers write into this folder.
  [ -d "corpus/$t" ] && cp -rn "corpus/$t/." "$work/$t/corpus/"
  find "$work/$t/corpus" -name '*.md' -delete
  for e in "${engines[@]}"; do
    case "$e" in
      libfuzzer) fuzz_libfuzzer "$t" ;;
      afl)
        if [[ " ${LIBFUZZER_ONLY[*]} " == *" $t "* ]]; then
          echo "  $t: libFuzzer only (no AFL++ build of its library)"
          continue
        fi
        fuzz_afl "$t"
        ;;
    esac
  done
  merge_corpus "$t"
done

# Each finding with its transcript, when the smtpfuzz command can show one.
show=""
for cand in build/fuzz-libfuzzer/harness/smtpfuzz build/harness/smtpfuzz build/ci-gcc/harness/smtpfuzz; do
  if [ -x "$cand" ] && timeout 10 "$cand" show --help >/dev/null 2>&1; then
    show=$cand
    break
  fi
done
if [ "$total_findings" -gt 0 ]; then
  sf_step "findings"
  for t in "${targets[@]}"; do
    for f in "$work/findings/$t"/*; do
      [ -f "$f" ] || continue
      case "$f" in *.show.txt) continue ;; esac
      echo "  $f"
      case "$t" in
        fuzz_curl | fuzz_libesmtp)
          # The library's own run (smtpfuzz show would replay our engine):
          # its libFuzzer build runs the one file and prints the transcript.
          if [ -x "build/fuzz-libfuzzer/fuzz/$t" ]; then
            SMTPFUZZ_SHOW=1 timeout 60 "build/fuzz-libfuzzer/fuzz/$t" "$f" >"$f.show.txt" 2>&1 || true
            echo "    transcript: $f.show.txt"
          fi
          ;;
        *)
          if [ -n "$show" ]; then
            timeout 30 "$show" show "$f" >"$f.show.txt" 2>&1 || true
            echo "    transcript: $f.show.txt"
          fi
          ;;
      esac
    done
  done
  [ -n "$show" ] || echo "  (no 'smtpfuzz show' built yet: no transcripts saved)"
fi

sf_step "summary ($amount per target and engine, $jobs job(s))"
{
  echo "| target | engine | executions | exec/s | coverage | corpus | findings |"
  echo "|---|---|---:|---:|---|---:|---:|"
  printf '%s\n' "${rows[@]}"
} | tee "$work/summary.md"
echo
echo "corpora: $work/<target>/corpus   findings: $work/findings/<target>/   table: $work/summary.md"
if [ "$total_findings" -gt 0 ] || [ "$failed_runs" -gt 0 ]; then
  echo "ci/fuzz.sh: $total_findings finding(s), $failed_runs failed run(s)"
  exit 1
fi
echo "ci/fuzz.sh: no findings"
