#!/usr/bin/env bash
# How long the scenario fuzz targets take to catch each deliberately flawed
# client (harness/flawed_client.h), from an empty corpus and from the shipped
# one, under libFuzzer (ASan+UBSan, one core). Prints a Markdown table of the
# median executions and seconds until the flaw's own verdict is found
# (SMTPFUZZ_VERDICTS restricts findings to it; seconds include process
# start-up), over the seeds.
#   ci/flaw-hunt.sh [--cap SECONDS] [--seeds N] [--targets a,b] [--flaws a,b]
#                   [--corpora empty,shipped]
# Defaults: --cap 60 --seeds 3, targets fuzz_session,fuzz_portmode, every flaw
# (`smtpfuzz show --list-flaws` names them with the verdict each must earn),
# from an empty corpus; a last row per target runs our engine the same way,
# every verdict counting (it must find none).
# Needs the libFuzzer build of ci/fuzz.sh (build/fuzz-libfuzzer); builds it if
# missing. Results: work/flaw-hunt/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

cap=60 seeds=3 targets=fuzz_session,fuzz_portmode flaws="" corpora=empty
while [ $# -gt 0 ]; do
  case "$1" in
    --cap) cap=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --flaws) flaws=$2; shift 2 ;;
    --corpora) corpora=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/flaw-hunt.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$cap" =~ ^[1-9][0-9]*$ && "$seeds" =~ ^[1-9][0-9]*$ ]] || { echo "ci/flaw-hunt.sh: --cap and --seeds take positive numbers" >&2; exit 2; }

bin_dir=build/fuzz-libfuzzer/fuzz
IFS=, read -r -a target_list <<<"$targets"
# Built (or brought up to date: a stale build would hunt old code) first.
if [ ! -f build/fuzz-libfuzzer/CMakeCache.txt ]; then
  bash ci/fuzz.sh --time 1 --engine libfuzzer --targets "$targets" >/dev/null
fi
cmake --build build/fuzz-libfuzzer -j"$(nproc)" --target smtpfuzz "${target_list[@]}" >/dev/null
# The flaws and the verdict each must earn, from the flawed clients' own table.
list=$(build/fuzz-libfuzzer/harness/smtpfuzz show --list-flaws)
[ -n "$flaws" ] || flaws=$(cut -f1 <<<"$list" | paste -sd, -)
# The verdict each flaw should earn (harness/flawed_client.h).
own_verdict() {
  local v
  [ "$1" != engine ] || return 0 # every verdict counts
  v=$(awk -F'\t' -v f="$1" '$1 == f { print $2 }' <<<"$list")
  [ -n "$v" ] || { echo "ci/flaw-hunt.sh: unknown flaw '$1' (see smtpfuzz show --list-flaws)" >&2; exit 2; }
  echo "$v"
}
IFS=, read -r -a flaw_list <<<"$flaws"
for f in "${flaw_list[@]}"; do
  [ "$f" = engine ] || own_verdict "$f" >/dev/null || exit 2
done
# The engine itself, for the same time, with every verdict counting: it must
# earn none.
flaw_list+=(engine)

work=work/flaw-hunt
mkdir -p "$work"
out=$work/results.md


median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

{
  echo "| target | flaw | corpus | median executions | median s | found | verdict |"
  echo "|---|---|---|---:|---:|---:|---|"
} >"$out"

for t in "${target_list[@]}"; do
  for flaw in "${flaw_list[@]}"; do
    for corpus in ${corpora//,/ }; do
      times=() execs=() found=0 verdict=""
      for ((seed = 1; seed <= seeds; seed++)); do
        run=$work/$t.$flaw.$corpus.$seed
        rm -rf "$run" && mkdir -p "$run/corpus" "$run/art"
        [ "$corpus" = shipped ] && cp corpus/"$t"/* "$run/corpus/"
        start=$(date +%s.%N)
        status=0
        fl=$flaw
        [ "$flaw" = engine ] && fl=""
        SMTPFUZZ_FLAW=$fl SMTPFUZZ_VERDICTS=$(own_verdict "$flaw") timeout -k 5 "$((cap + 30))" "$bin_dir/$t" -seed="$seed" \
          -max_total_time="$cap" -timeout=10 -dict=fuzz/smtp.dict -print_final_stats=1 \
          -artifact_prefix="$run/art/" "$run/corpus" >"$run.log" 2>&1 || status=$?
        end=$(date +%s.%N)
        if ls "$run/art/"crash-* >/dev/null 2>&1; then
          found=$((found + 1))
          times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')")
          execs+=("$(sed -n 's/^stat::number_of_executed_units: *//p' "$run.log" | head -n 1)")
          verdict=$(sed -n 's/.*: verdict \([A-Z_][A-Z0-9_]*\):.*/\1/p' "$run.log" | head -n 1)
        fi
        rm -rf "$run/corpus"
      done
      m=$(printf '%s\n' "${times[@]+"${times[@]}"}" | grep . | median || true)
      [ "$m" = "-" ] || m=$(printf '%.2f' "$m")
      e=$(printf '%s\n' "${execs[@]+"${execs[@]}"}" | grep . | median || true)
      [ "$flaw" = engine ] && verdict=${verdict:-none (right)}
      line="| $t | $flaw | $corpus | ${e:--} | ${m:--} | $found/$seeds | ${verdict:-none within ${cap}s} |"
      echo "$line" | tee -a "$out"
    done
  done
done
echo "results: $out"
