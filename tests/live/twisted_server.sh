#!/usr/bin/env bash
# A third real server on loopback: Twisted's ESMTP server (python3-twisted
# 22.4, twisted.mail.smtp), from ci/live-test.sh:
#   tests/live/twisted_server.sh SMTPFUZZ WORKDIR
# tests/live/twisted_server.py listens on two free loopback ports, one that
# offers STARTTLS and an implicit-TLS one, with a test CA's certificate for
# mx.example.com. Checks what probe finds there, both real faults of the
# server: on the STARTTLS port, STARTTLS command injection (the CVE-2011-0411
# class: its LineReceiver goes on with the lines that came in the same read
# as STARTTLS once TLS has started, and answers them inside TLS); on the
# implicit-TLS port, STARTTLS offered over TLS (RFC 3207 4.2). Our engine
# delivers under TLS on both, and the server says so. Stops by itself.
set -euo pipefail
source "$(dirname "$0")/real_server_lib.sh" "$@"

dir=$(mktemp -d "$work/twisted.XXXXXX")
make_certs "$dir"
read -r stls imp < <(free_ports 2)

timeout 120 /usr/bin/python3 "$root/tests/live/twisted_server.py" --cert "$dir/cert.pem" \
  --key "$dir/key.pem" --ready "$dir/ready" --duration 60 "$stls" "$imp" >"$dir/server.log" 2>&1 &
server=$!
stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap stop_server EXIT
wait_ready "$dir/ready" "$dir/server.log" "Twisted's ESMTP server" || exit 1
echo "Twisted ESMTP on 127.0.0.1 ports $stls (STARTTLS), $imp (implicit TLS)"

# ---- probe: each port's mode, and what is wrong with it ----
timeout 60 "$sf" probe --timeout 5000 --ca "$dir/ca.pem" --name mx.example.com --json \
  "127.0.0.1:$stls" "127.0.0.1:$imp" >"$dir/probe.json" || true
python3 "$root/tests/live/check_probe.py" "$dir/probe.json" \
  "$stls:starttls:optional:vulnerable:tls=required:answered inside TLS" \
  "$imp:implicit:absent:not tested:implicit:RFC 3207 4.2" || fail=1

# ---- our engine over a socket ----
send_cfg "$dir/stls.cfg" starttls "$stls" "$dir/ca.pem"
send_cfg "$dir/imp.cfg" implicit "$imp" "$dir/ca.pem"
expect_send "$dir/stls.cfg" "$stls" 0 "^done" "engine delivers on Twisted's STARTTLS port"
expect_send "$dir/imp.cfg" "$imp" 0 "^done" "engine delivers on Twisted's implicit-TLS port"
for port in "$stls" "$imp"; do
  if grep -q "^delivered port=$port tls=yes from=alice@example.org to=bob@example.com$" "$dir/server.log"; then
    echo "ok: Twisted took the message on port $port under TLS"
  else
    echo "FAIL: Twisted has no message on port $port under TLS"
    cat "$dir/server.log"
    fail=1
  fi
done
exit "$fail"
