#!/usr/bin/env bash
# A second real server on loopback: Debian's aiosmtpd (python3-aiosmtpd 1.4.3,
# patched for CVE-2024-34083, its STARTTLS command injection), from
# ci/live-test.sh:
#   tests/live/aiosmtpd.sh SMTPFUZZ WORKDIR
# tests/live/aiosmtpd_server.py listens on three free loopback ports: a relay
# (STARTTLS optional), a submission port (STARTTLS required) and an
# implicit-TLS port, AUTH only under TLS, with a test CA's certificate for
# mx.example.com. Checks: probe names each port's mode and finds the server
# safe from STARTTLS command injection; our engine authenticates (PLAIN on
# one port, LOGIN on the others) and delivers under TLS on all three, the
# server says so, and a wrong password ends in the server's 535; the
# mismatched pairings fail with the diagnosis. The server stops by itself.
set -euo pipefail
source "$(dirname "$0")/real_server_lib.sh" "$@"

dir=$(mktemp -d "$work/aiosmtpd.XXXXXX")
make_certs "$dir"
read -r relay sub imp < <(free_ports 3)

timeout 120 /usr/bin/python3 "$root/tests/live/aiosmtpd_server.py" --cert "$dir/cert.pem" \
  --key "$dir/key.pem" --user alice --password s3cret --ready "$dir/ready" --duration 90 \
  "$relay" "$sub" "$imp" >"$dir/server.log" 2>&1 &
server=$!
stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap stop_server EXIT
wait_ready "$dir/ready" "$dir/server.log" aiosmtpd || exit 1
echo "aiosmtpd on 127.0.0.1 ports $relay (relay), $sub (submission), $imp (implicit TLS)"

# ---- probe: each port's mode ----
timeout 60 "$sf" probe --timeout 5000 --ca "$dir/ca.pem" --name mx.example.com --json \
  "127.0.0.1:$relay" "127.0.0.1:$sub" "127.0.0.1:$imp" >"$dir/probe.json" || true
python3 "$root/tests/live/check_probe.py" "$dir/probe.json" \
  "$relay:starttls:optional:safe:tls=required" "$sub:starttls:required:safe:tls=required" \
  "$imp:implicit:absent:not tested:implicit" || fail=1

# ---- our engine over a socket, with AUTH ----
send_cfg "$dir/relay.cfg" starttls "$relay" "$dir/ca.pem" auth=login user=alice password=s3cret
send_cfg "$dir/sub.cfg" starttls "$sub" "$dir/ca.pem" auth=plain user=alice password=s3cret
send_cfg "$dir/imp.cfg" implicit "$imp" "$dir/ca.pem" auth=login user=alice password=s3cret
send_cfg "$dir/wrong.cfg" starttls "$sub" "$dir/ca.pem" auth=plain user=alice password=wrong
expect_send "$dir/relay.cfg" "$relay" 0 "^done" "engine delivers on the relay port with STARTTLS and AUTH LOGIN"
expect_send "$dir/sub.cfg" "$sub" 0 "^done" "engine delivers on the submission port with STARTTLS and AUTH PLAIN"
expect_send "$dir/imp.cfg" "$imp" 0 "^done" "engine delivers on the implicit-TLS port with AUTH LOGIN"
expect_send "$dir/wrong.cfg" "$sub" 1 "535" "a wrong password ends in the server's 535"
expect_send "$dir/sub.cfg" "$imp" 1 "implicit TLS" "STARTTLS client on the implicit-TLS port fails at its greeting deadline with the diagnosis"
expect_send "$dir/imp.cfg" "$sub" 1 "plaintext SMTP" "implicit-TLS client on the submission port fails at once with the diagnosis"

# What the server itself saw: three messages, each under TLS and after AUTH.
for port in "$relay" "$sub" "$imp"; do
  if grep -q "^delivered port=$port tls=yes auth=alice from=alice@example.org to=bob@example.com$" "$dir/server.log"; then
    echo "ok: aiosmtpd took the message on port $port under TLS from the authenticated user"
  else
    echo "FAIL: aiosmtpd has no message on port $port under TLS after AUTH"
    cat "$dir/server.log"
    fail=1
  fi
done
exit "$fail"
