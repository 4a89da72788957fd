#!/usr/bin/env bash
# Live tests (issue 5): real SMTP clients against `smtpfuzz audit` over
# loopback, `smtpfuzz serve` and `smtpfuzz probe`, and a real Postfix.
# Installs what is missing (Debian packages), builds if needed, and checks
# the verdicts the tool gives each real client against
# tests/live/expected/PROFILE.txt, so a regression in the tool shows.
#   ci/live-test.sh              everything
#   ci/live-test.sh --no-postfix skip the Postfix interop part
#   ci/live-test.sh --update     rewrite the expected-verdict files
# Every process started here is bounded by `timeout` and stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

postfix=1
update=0
for arg in "$@"; do
  case "$arg" in
    --no-postfix) postfix=0 ;;
    --update) update=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/live-test.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

start=$(date +%s)
sf_install_packages cmake make gcc libssl-dev python3 curl msmtp swaks libnet-ssleay-perl \
  libio-socket-ssl-perl libauthen-sasl-perl s-nail mutt
if [ "$postfix" = 1 ]; then
  # Postfix's package asks how to configure the machine's mail system: it is
  # told to leave it alone (tests/live/postfix.sh runs its own instance from
  # a private config folder, and the package's own service is never used).
  if ! dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q "install ok installed"; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  fi
  sf_install_packages postfix
fi

sf_step "build"
if [ -x build/ci-gcc/harness/smtpfuzz ] && [ -f build/ci-gcc/CMakeCache.txt ]; then
  dir=build/ci-gcc
else
  dir=build/live
fi
cmake -S . -B "$dir" >/dev/null
cmake --build "$dir" -j"$(nproc)" --target smtpfuzz test_live live_send >/dev/null
sf=$PWD/$dir/harness/smtpfuzz
"$dir"/tests/test_live

work=$(mktemp -d "${TMPDIR:-/tmp}/smtpfuzz-live.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${postfix_dir:-}" ] && [ -f "$postfix_dir/main.cf" ]; then
    timeout 30 postfix -c "$postfix_dir" stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail=0

# ---- serve: loopback only, bounded, recorded --------------------------------------
sf_step "serve"
if timeout 10 "$sf" serve --addr 0.0.0.0:0 corpus/scenarios/submission-ok.scn 2>"$work/err"; then
  echo "FAIL: serve bound a non-loopback address"; fail=1
else
  grep -q "not a loopback address" "$work/err" && echo "ok: serve refuses 0.0.0.0"
fi
timeout 60 "$sf" serve --addr 127.0.0.1:0 --max-conns 4 --conn-timeout 3000 --max-stall 200 \
  --ca-out "$work/ca.pem" corpus/scenarios/submission-ok.scn corpus/scenarios/silent-greeting-587.scn \
  >"$work/serve.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.out")
# 1: a real client delivers; 2: a silent server, the client gives up (its own timeout);
# 3: garbage and an early close; 4: a slow trickle cut by the connection deadline.
timeout 20 python3 tests/live/smtplib_client.py --mode starttls --tls required --addr 127.0.0.1 \
  --port "$port" --host mx.example.com --cafile "$work/ca.pem" --user alice --password s3cret-Pa55 \
  --from alice@example.org --to bob@example.com --message tests/live/message.eml && echo "ok: delivered via serve"
timeout 20 python3 tests/live/smtplib_client.py --timeout 1 --mode starttls --tls required \
  --addr 127.0.0.1 --port "$port" --host mx.example.com --cafile "$work/ca.pem" --user a --password b \
  --from a@b --to c@d --message tests/live/message.eml || echo "ok: silent server, client gave up"
timeout 10 python3 tests/live/misbehave.py garbage 127.0.0.1 "$port"
timeout 10 python3 tests/live/misbehave.py trickle 127.0.0.1 "$port"
wait "${pids[0]}" || { echo "FAIL: serve did not end after --max-conns"; fail=1; }
pids=()
grep -q "verdict: none" "$work/serve.out" && grep -c "== connection" "$work/serve.out" | grep -q 4 \
  && echo "ok: serve recorded and judged 4 connections" || { echo "FAIL: serve output"; cat "$work/serve.out"; fail=1; }

# ---- probe against serve --------------------------------------------------------------
sf_step "probe (against smtpfuzz serve)"
timeout 60 "$sf" serve --addr 127.0.0.1:0 --conn-timeout 5000 --duration 50 \
  corpus/scenarios/ok-implicit-465-auth-plain.scn >"$work/imp.out" 2>&1 &
pids+=($!)
timeout 60 "$sf" serve --addr 127.0.0.1:0 --conn-timeout 5000 --duration 50 \
  corpus/scenarios/submission-ok.scn >"$work/sub.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/imp.out" "$work/sub.out" 2>/dev/null && \
  [ "$(grep -l listening "$work/imp.out" "$work/sub.out" | wc -l)" = 2 ] && break; sleep 0.1; done
iport=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/imp.out")
sport=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/sub.out")
timeout 20 "$sf" probe --timeout 1000 "127.0.0.1:$iport" | tee "$work/p1" | grep -q "client mode:  implicit" \
  && echo "ok: probe names implicit TLS" || { echo "FAIL: probe implicit"; cat "$work/p1"; fail=1; }
timeout 20 "$sf" probe --timeout 1000 "127.0.0.1:$sport" | tee "$work/p2" | grep -q "client mode:  starttls" \
  && echo "ok: probe names STARTTLS" || { echo "FAIL: probe starttls"; cat "$work/p2"; fail=1; }
if timeout 10 "$sf" probe 10.0.0.1:25 2>/dev/null; then echo "FAIL: probe left loopback"; fail=1; fi
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
pids=()

# ---- audit of every client profile --------------------------------------------------
sf_step "audit of real clients (all profiles in parallel)"
t0=$(date +%s)
ls profiles/*.profile | xargs -P 8 -I{} sh -c '
  n=$(basename {} .profile)
  timeout 300 "$1" audit --quiet --hang-budget 3000 --max-stall 500 --profile {} \
    --report-dir "$2/$n" corpus/scenarios >"$2/$n.out" 2>&1
  echo "$n: exit $? ($(grep -o "\"total_ms\": [0-9]*" "$2/$n/report.json" 2>/dev/null))"
' sh "$sf" "$work"
echo "audits took $(( $(date +%s) - t0 )) s"
for f in profiles/*.profile; do
  n=$(basename "$f" .profile)
  exp=tests/live/expected/$n.txt
  if [ "$update" = 1 ]; then cp "$work/$n/verdicts.txt" "$exp"; continue; fi
  # An expected line may list alternatives, "NAME A|B": a client whose own
  # behaviour is racy (noted in tests/live/README.md) may give either.
  if awk 'NR == FNR { want[$1] = $2; next }
          { seen[$1] = 1; n = split(want[$1], alt, "|"); ok = 0
            for (i = 1; i <= n; i++) if (alt[i] == $2) ok = 1
            if (!ok) { printf "%s: expected %s, got %s\n", $1, ($1 in want) ? want[$1] : "(no line)", $2; bad = 1 } }
          END { for (k in want) if (!(k in seen)) { printf "%s: expected %s, not run\n", k, want[k]; bad = 1 }
                exit bad }' "$exp" "$work/$n/verdicts.txt" >"$work/$n.diff"; then
    echo "ok: $n: $(awk '{print $2}' "$exp" | sort | uniq -c | tr -s ' \n' ' ')"
  else
    echo "FAIL: $n: verdicts differ from $exp"; cat "$work/$n.diff"; fail=1
  fi
done

# ---- Postfix --------------------------------------------------------------------------
if [ "$postfix" = 1 ]; then
  sf_step "Postfix interop"
  bash tests/live/postfix.sh "$sf" "$work" || fail=1
fi

echo "ci/live-test.sh: $(( $(date +%s) - start )) s"
if [ "$fail" != 0 ]; then echo "ci/live-test.sh: FAILED"; exit 1; fi
echo "ci/live-test.sh: all live tests passed"
