#!/usr/bin/env bash
# How long the scenario fuzz targets take to catch each deliberately flawed
# client (harness/flawed_client.h), from an empty corpus and from the shipped
# one, under libFuzzer (ASan+UBSan, one core). Prints a Markdown table of the
# median executions and seconds until the flaw's own verdict is found
# (SMTPFUZZ_VERDICTS restricts findings to it; seconds include process
# start-up), over the seeds.
#   ci/flaw-hunt.sh [--cap SECONDS] [--seeds N] [--targets a,b] [--flaws a,b]
# Defaults: --cap 60 --seeds 3, targets fuzz_session,fuzz_portmode, every flaw.
# Needs the libFuzzer build of ci/fuzz.sh (build/fuzz-libfuzzer); builds it if
# missing. Results: work/flaw-hunt/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

cap=60 seeds=3 targets=fuzz_session,fuzz_portmode
flaws=fallback-on-454,no-starttls-check,keep-pipelined,reuse-pretls-caps,no-greeting-timeout,plaintext-auth,accept-bad-cert
while [ $# -gt 0 ]; do
  case "$1" in
    --cap) cap=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --flaws) flaws=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/flaw-hunt.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$cap" =~ ^[1-9][0-9]*$ && "$seeds" =~ ^[1-9][0-9]*$ ]] || { echo "ci/flaw-hunt.sh: --cap and --seeds take positive numbers" >&2; exit 2; }

bin_dir=build/fuzz-libfuzzer/fuzz
IFS=, read -r -a target_list <<<"$targets"
IFS=, read -r -a flaw_list <<<"$flaws"
if [ ! -x "$bin_dir/${target_list[0]}" ]; then
  bash ci/fuzz.sh --time 1 --engine libfuzzer --targets "$targets" >/dev/null
fi

work=work/flaw-hunt
mkdir -p "$work"
out=$work/results.md

# The verdict each flaw should earn (harness/flawed_client.h).
own_verdict() {
  case "$1" in
    fallback-on-454|no-starttls-check) echo DOWNGRADE ;;
    keep-pipelined) echo INJECTION ;;
    reuse-pretls-caps) echo STALE_CAPS ;;
    no-greeting-timeout) echo HANG ;;
    plaintext-auth) echo LEAK_AUTH ;;
    accept-bad-cert) echo CERT ;;
    *) echo "ci/flaw-hunt.sh: unknown flaw '$1'" >&2; exit 2 ;;
  esac
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

{
  echo "| target | flaw | corpus | median executions | median s | found | verdict |"
  echo "|---|---|---|---:|---:|---:|---|"
} >"$out"

for t in "${target_list[@]}"; do
  for flaw in "${flaw_list[@]}"; do
    for corpus in empty shipped; do
      times=() execs=() found=0 verdict=""
      for ((seed = 1; seed <= seeds; seed++)); do
        run=$work/$t.$flaw.$corpus.$seed
        rm -rf "$run" && mkdir -p "$run/corpus" "$run/art"
        [ "$corpus" = shipped ] && cp corpus/"$t"/* "$run/corpus/"
        start=$(date +%s.%N)
        status=0
        SMTPFUZZ_FLAW=$flaw SMTPFUZZ_VERDICTS=$(own_verdict "$flaw") timeout -k 5 "$((cap + 30))" "$bin_dir/$t" -seed="$seed" \
          -max_total_time="$cap" -timeout=10 -dict=fuzz/smtp.dict -print_final_stats=1 \
          -artifact_prefix="$run/art/" "$run/corpus" >"$run.log" 2>&1 || status=$?
        end=$(date +%s.%N)
        if ls "$run/art/"crash-* >/dev/null 2>&1; then
          found=$((found + 1))
          times+=("$(echo "$end - $start" | bc)")
          execs+=("$(sed -n 's/^stat::number_of_executed_units: *//p' "$run.log" | head -n 1)")
          verdict=$(sed -n 's/.*: verdict \([A-Z_][A-Z_]*\):.*/\1/p' "$run.log" | head -n 1)
        fi
        rm -rf "$run/corpus"
      done
      m=$(printf '%s\n' "${times[@]+"${times[@]}"}" | grep . | median || true)
      [ "$m" = "-" ] || m=$(printf '%.2f' "$m")
      e=$(printf '%s\n' "${execs[@]+"${execs[@]}"}" | grep . | median || true)
      line="| $t | $flaw | $corpus | ${e:--} | ${m:--} | $found/$seeds | ${verdict:-none within ${cap}s} |"
      echo "$line" | tee -a "$out"
    done
  done
done
echo "results: $out"
