#!/usr/bin/env bash
# Live tests: real SMTP clients against `smtpfuzz audit` over loopback,
# `smtpfuzz serve` and `smtpfuzz probe` (against fake servers for every
# hostile case, and three real servers: Postfix, aiosmtpd and Twisted). Installs what
# is missing (Debian packages), builds if needed, and checks the verdicts the tool gives each
# real client against tests/live/expected/PROFILE.txt, so a regression in
# the tool shows. The audits run beside one busy loop per core: verdicts
# must not depend on how loaded the machine is.
#   ci/live-test.sh              everything
#   ci/live-test.sh --no-postfix skip the Postfix interop part
#   ci/live-test.sh --idle       audits without the busy loops
#   ci/live-test.sh --update     rewrite the expected-verdict files
# Every process started here is bounded by `timeout` and stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

postfix=1
update=0
busy=1
for arg in "$@"; do
  case "$arg" in
    --no-postfix) postfix=0 ;;
    --update) update=1 ;;
    --idle) busy=0 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/live-test.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

start=$(date +%s)
# libmailtools-perl: git send-email needs its Mail::Address, a Recommends of
# git-email only (installs here take no Recommends).
sf_install_packages cmake make gcc libssl-dev python3 openssl curl msmtp swaks libnet-ssleay-perl \
  libio-socket-ssl-perl libauthen-sasl-perl s-nail mutt neomutt sendemail python3-aiosmtplib python3-aiosmtpd python3-twisted node-nodemailer \
  git git-email libmailtools-perl mailutils php-cli libphp-phpmailer php-symfony-mailer default-jdk-headless libmail-java libcommons-net-java ruby golang-go libetpan-dev
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
cmake --build "$dir" -j"$(nproc)" --target smtpfuzz test_live live_send fake_client >/dev/null
sf=$PWD/$dir/harness/smtpfuzz
bash tests/live/java_client_jar.sh JavaMailClient /usr/share/java/javax.mail.jar javamail-client >/dev/null
bash tests/live/java_client_jar.sh CommonsNetClient /usr/share/java/commons-net.jar commons-net-client >/dev/null
bash tests/live/go_smtp_client.sh >/dev/null      # the go-smtp-* profiles run it
bash tests/live/etpan_client.sh >/dev/null       # the libetpan-* profiles run it
bash tests/live/mta_clients.sh >/dev/null        # the nullmailer-*, ssmtp-*, esmtp-* profiles run them
"$dir"/tests/test_live
bash tests/live/audit_judge.sh "$sf" "$PWD/$dir/tests/fake_client"

work=$(mktemp -d "${TMPDIR:-/tmp}/smtpfuzz-live.XXXXXX")
pids=()
busy_pids=()
stop_busy() {
  local p
  for p in "${busy_pids[@]+"${busy_pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${busy_pids[@]+"${busy_pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
  busy_pids=()
}
cleanup() {
  local p
  stop_busy
  for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]+"${pids[@]}"}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
listen_port() { sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$1"; }

# ---- serve: loopback only, bounded, recorded -------------------------------------------
sf_step "serve"
if timeout 10 "$sf" serve --addr 0.0.0.0:0 corpus/scenarios/submission-ok.scn 2>"$work/err"; then
  bad "serve bound a non-loopback address"
else
  grep -q "not a loopback address" "$work/err" && ok "serve refuses 0.0.0.0"
fi
timeout 60 "$sf" serve --addr 127.0.0.1:0 --max-conns 4 --conn-timeout 3000 --max-stall 200 \
  --ca-out "$work/ca.pem" corpus/scenarios/submission-ok.scn corpus/scenarios/silent-greeting-587.scn \
  >"$work/serve.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(listen_port "$work/serve.out")
# 1: a real client delivers; 2: a silent server, the client gives up (its own timeout);
# 3: garbage and an early close; 4: a slow trickle cut by the connection deadline.
timeout 20 python3 tests/live/smtplib_client.py --mode starttls --tls required --addr 127.0.0.1 \
  --port "$port" --host mx.example.com --cafile "$work/ca.pem" --user alice --password s3cret-Pa55 \
  --from alice@example.org --to bob@example.com --message tests/live/message.eml && ok "delivered via serve"
timeout 20 python3 tests/live/smtplib_client.py --timeout 1 --mode starttls --tls required \
  --addr 127.0.0.1 --port "$port" --host mx.example.com --cafile "$work/ca.pem" --user a --password b \
  --from a@b --to c@d --message tests/live/message.eml || ok "silent server, client gave up"
timeout 10 python3 tests/live/misbehave.py garbage 127.0.0.1 "$port"
timeout 10 python3 tests/live/misbehave.py trickle 127.0.0.1 "$port"
wait "${pids[0]}" || bad "serve did not end after --max-conns"
pids=()
if grep -q "verdict: none" "$work/serve.out" && [ "$(grep -c "== connection" "$work/serve.out")" = 4 ]; then
  ok "serve recorded and judged 4 connections"
else
  bad "serve output"; cat "$work/serve.out"
fi

# Nobody reads serve's standard output (a pipe into a process that never
# reads it): serve goes on all the same. 150 short sessions leave more
# transcript than a pipe holds. One at a time: each next session waits to
# be accepted while the last one's process ends (none may be closed unserved,
# however slow the machine is to end them).
sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkfifo "$work/unread"
sleep 110 <"$work/unread" & # holds the pipe open and never reads it
pids+=($!)
timeout 120 "$sf" serve --addr "127.0.0.1:$sport" --duration 100 --max-parallel 1 \
  corpus/scenarios/submission-ok.scn >"$work/unread" 2>"$work/unread.err" &
pids+=($!)
if timeout 100 python3 - "$sport" <<'PY'; then
import socket, sys, time
port = int(sys.argv[1])
def session():
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.settimeout(5)
    buf = b""
    for cmd in (None, b"EHLO probe\r\n", b"QUIT\r\n"):
        if cmd:
            s.sendall(cmd)
        while not any(l[3:4] == b" " for l in buf.split(b"\r\n") if len(l) > 3):
            data = s.recv(4096)
            if not data:
                return False
            buf += data
        last = [l for l in buf.split(b"\r\n") if l[3:4] == b" "][-1]
        buf = b""
        if cmd == b"QUIT\r\n":
            return last.startswith(b"221")
    return False
for _ in range(100):  # serve is starting
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        break
    except OSError:
        time.sleep(0.1)
done = sum(1 for _ in range(150) if session())
print("served %d of 150 sessions" % done)
sys.exit(0 if done == 150 else 1)
PY
  ok "serve served 150 sessions while nobody read its stdout"
else
  bad "serve stopped serving when its stdout was not read"
fi
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
pids=()

# ---- probe ----------------------------------------------------------------------------------
sf_step "probe (against smtpfuzz serve and a fake server per hostile case)"
timeout 60 "$sf" serve --addr 127.0.0.1:0 --conn-timeout 5000 --duration 50 --ca-out "$work/ca2.pem" \
  corpus/scenarios/ok-implicit-465-auth-plain.scn >"$work/imp.out" 2>&1 &
pids+=($!)
timeout 60 "$sf" serve --addr 127.0.0.1:0 --conn-timeout 5000 --duration 50 \
  corpus/scenarios/submission-ok.scn >"$work/sub.out" 2>&1 &
pids+=($!)
( cd "$work" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=mx.example.com" -addext "subjectAltName=DNS:mx.example.com" \
    -keyout fake-key.pem -out fake-cert.pem 2>/dev/null )
modes="greet421 starttls454 starttls-garbage starttls-close no-ehlo https close split-greeting
  slow-greeting big-ehlo evil-greeting vulnerable safe starttls-again implicit-starttls
  starttls-group-stall endless-ehlo trickle-ehlo"
for m in $modes; do
  timeout 60 python3 tests/live/misbehave.py server "$m" "$work/$m.port" --cert "$work/fake-cert.pem" \
    --key "$work/fake-key.pem" --duration 50 &
  pids+=($!)
done
for f in imp.out sub.out; do
  for _ in $(seq 50); do grep -q listening "$work/$f" 2>/dev/null && break; sleep 0.1; done
done
for m in $modes; do wait_file "$work/$m.port" || bad "fake server $m did not start"; done
iport=$(listen_port "$work/imp.out")
sport=$(listen_port "$work/sub.out")
# A port nothing listens on: one the kernel gave out and took back.
rport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Several targets in one call; one JSON object per target.
targets=("127.0.0.1:$iport" "127.0.0.1:$sport" "127.0.0.1:$rport")
for m in $modes; do targets+=("127.0.0.1:$(cat "$work/$m.port")"); done
timeout 120 "$sf" probe --timeout 5000 --json "${targets[@]}" >"$work/probe.json" || true
timeout 120 "$sf" probe --timeout 5000 --ca "$work/ca2.pem" --name mx.example.com "127.0.0.1:$iport" \
  >"$work/probe-imp.txt" || true
python3 - "$work/probe.json" $iport $sport $rport $(for m in $modes; do echo "$m:$(cat "$work/$m.port")"; done) <<'PY' || fail=1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
by_port = {int(o["target"].rsplit(":", 1)[1]): o for o in lines}
want = {  # mode, starttls, injection, words the summary or problem must hold
    "implicit": ("implicit", "absent", "not tested", "implicit TLS"),
    "starttls": ("starttls", "optional", "safe", "STARTTLS"),
    "greet421": ("none", "absent", "not tested", "421"),
    "starttls454": ("plain", "refused", "not tested", "454"),
    "starttls-garbage": ("plain", "broken", "not tested", "not TLS"),
    "starttls-close": ("plain", "broken", "not tested", "closed the connection"),
    "no-ehlo": ("none", "absent", "not tested", "does not answer EHLO"),
    "https": ("none", "absent", "not tested", "HTTP"),
    "close": ("none", "absent", "not tested", "closes the connection at once"),
    "refused": ("none", "absent", "not tested", "nothing listens on this port"),
    "split-greeting": ("plain", "absent", "not tested", "without STARTTLS"),
    "slow-greeting": ("plain", "absent", "not tested", "after 3."),
    "big-ehlo": ("starttls", "optional", "safe", "STARTTLS"),
    "evil-greeting": ("plain", "absent", "not tested", "without STARTTLS"),
    "vulnerable": ("starttls", "optional", "vulnerable", "CVE-2011-0411"),
    "safe": ("starttls", "required", "safe", "STARTTLS"),
    "starttls-again": ("starttls", "optional", "safe", "RFC 3207 4.2"),
    "implicit-starttls": ("implicit", "absent", "not tested", "RFC 3207 4.2"),
    "starttls-group-stall": ("starttls", "optional", "not tested", "no answer to STARTTLS in time"),
    "endless-ehlo": ("none", "absent", "not tested", "an answer to EHLO that does not end"),
    "trickle-ehlo": ("none", "absent", "not tested", "had not ended within the time-out"),
}
ports = {"implicit": int(sys.argv[2]), "starttls": int(sys.argv[3]), "refused": int(sys.argv[4])}
for a in sys.argv[5:]:
    m, p = a.rsplit(":", 1)
    ports[m] = int(p)
bad = 0
for name, (mode, st, inj, words) in want.items():
    o = by_port.get(ports[name])
    if o is None:
        print("FAIL: probe gave no object for %s" % name); bad = 1; continue
    text = " ".join([o["summary"], o["problem"], o["injection_note"]])
    got = (o["mode"], o["starttls"], o["starttls_command_injection"])
    # STARTTLS offered over TLS is named only where the fake server does it.
    again = "RFC 3207 4.2" in o["problem"] and words != "RFC 3207 4.2"
    if got != (mode, st, inj) or words not in text or not isinstance(o["ms"], int) or again:
        print("FAIL: probe %s: got %s, want %s with '%s': %s" % (name, got, (mode, st, inj), words, text)); bad = 1
    else:
        print("ok: probe names %s: %s" % (name, o["summary"]))
for name in want:  # "not tested" always says why
    o = by_port.get(ports[name])
    if o is not None and o["starttls_command_injection"] == "not tested" and not o["injection_note"]:
        print("FAIL: probe %s: 'not tested' without a reason" % name); bad = 1
big = by_port[ports["big-ehlo"]]
if big["ehlo_bytes"] <= 4096 or "STARTTLS" not in big["capabilities"]:
    print("FAIL: the EHLO reply over 4 KiB was not read whole"); bad = 1
raw = open(sys.argv[1], "rb").read()
if b"\x1b" in raw or "\\x1b" not in by_port[ports["evil-greeting"]]["greeting"]:
    print("FAIL: server bytes are not escaped"); bad = 1
sys.exit(bad)
PY
if grep -q "verified: yes" "$work/probe-imp.txt" && grep -q "names the name asked for" "$work/probe-imp.txt" &&
   grep -q "expires" "$work/probe-imp.txt"; then
  ok "probe verifies the certificate against --ca and checks --name"
else
  bad "probe certificate details"; cat "$work/probe-imp.txt"
fi
timeout 60 "$sf" probe --timeout 3000 "127.0.0.1:$(cat "$work/evil-greeting.port")" >"$work/evil.txt" || true
if LC_ALL=C grep -q $'\x1b' "$work/evil.txt"; then bad "probe printed a raw escape byte"; else ok "probe escapes server bytes"; fi
if timeout 10 "$sf" probe 10.0.0.1:25 2>/dev/null; then bad "probe left loopback"; fi
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
pids=()

# ---- audit of every client profile, beside one busy loop per core -----------------------
if [ "$busy" = 1 ]; then
  sf_step "audit of real clients, every core saturated"
  for _ in $(seq "$(nproc)"); do
    (exec yes >/dev/null) &
    busy_pids+=($!)
  done
else
  sf_step "audit of real clients"
fi
t0=$(date +%s)
# From another folder than the repository: profile paths are relative to the profile.
ls "$PWD"/profiles/*.profile | (cd /tmp && xargs -P 2 -I{} sh -c '
  n=$(basename {} .profile)
  timeout 600 "$1" audit --quiet --hang-budget 3000 --max-stall 500 --profile {} \
    --report-dir "$2/audit/$n" "$3/corpus/scenarios" >"$2/$n.out" 2>&1
  echo "$n: exit $? ($(grep -o "\"total_ms\": [0-9]*" "$2/audit/$n/report.json" 2>/dev/null))"
' sh "$sf" "$work" "$OLDPWD")
stop_busy
echo "audits took $(( $(date +%s) - t0 )) s"
for f in profiles/*.profile; do
  n=$(basename "$f" .profile)
  exp=tests/live/expected/$n.txt
  if [ "$update" = 1 ]; then cp "$work/audit/$n/verdicts.txt" "$exp"; continue; fi
  # An expected line may list alternatives, "NAME A|B": a client whose own
  # behaviour is racy (noted in tests/live/README.md) may give either; "NAME *"
  # takes any verdict, for a race with more outcomes than are worth listing
  # (also noted there): the scenario must still run.
  if awk 'NR == FNR { want[$1] = $2; next }
          { seen[$1] = 1; n = split(want[$1], alt, "|"); ok = want[$1] == "*"
            for (i = 1; i <= n; i++) if (alt[i] == $2) ok = 1
            if (!ok) { printf "%s: expected %s, got %s\n", $1, ($1 in want) ? want[$1] : "(no line)", $2; bad = 1 } }
          END { for (k in want) if (!(k in seen)) { printf "%s: expected %s, not run\n", k, want[k]; bad = 1 }
                exit bad }' "$exp" "$work/audit/$n/verdicts.txt" >"$work/$n.diff"; then
    ok "$n: $(awk '{print $2}' "$exp" | sort | uniq -c | tr -s ' \n' ' ')"
  else
    bad "$n: verdicts differ from $exp"; cat "$work/$n.diff"
    # What happened, for whoever reads the log: each differing transcript.
    for s in $(awk -F: '{print $1}' "$work/$n.diff"); do
      t=$work/audit/$n/transcripts/$s.txt
      [ -f "$t" ] && { echo "--- $t"; cat "$t"; }
    done
  fi
  python3 tests/live/check_reports.py --sarif "$work/audit/$n/report.sarif" \
    --junit "$work/audit/$n/report.xml" --json "$work/audit/$n/report.json" ||
    bad "$n: SARIF or JUnit report"
done
ok "SARIF and JUnit reports checked for every profile"
for n in curl-starttls-required mutt-starttls; do
  echo "time: $n over the scenario library: $(grep -o '"total_ms": [0-9]*' "$work/audit/$n/report.json")"
done

# ---- Postfix ------------------------------------------------------------------------------
if [ "$postfix" = 1 ]; then
  sf_step "Postfix interop"
  bash tests/live/postfix.sh "$sf" "$work" || fail=1
fi

# ---- aiosmtpd: a second real server -------------------------------------------------------
sf_step "aiosmtpd interop"
bash tests/live/aiosmtpd.sh "$sf" "$work" || fail=1

# ---- Twisted's ESMTP server: a third, with two faults probe must find -----------------------
sf_step "Twisted ESMTP server interop"
bash tests/live/twisted_server.sh "$sf" "$work" || fail=1

echo "ci/live-test.sh: $(( $(date +%s) - start )) s"
if [ "$fail" != 0 ]; then echo "ci/live-test.sh: FAILED"; exit 1; fi
echo "ci/live-test.sh: all live tests passed"
