# Shared by the real-server tests (postfix.sh, aiosmtpd.sh, twisted_server.sh),
# which source it with their own arguments, SMTPFUZZ WORKDIR: it sets sf and
# work from them, bin (the tests build folder), root (the repository) and
# fail=0.
#   make_certs DIR      a test CA (DIR/ca.pem) and a certificate it signed for
#                       mx.example.com (DIR/cert.pem, key DIR/key.pem)
#   free_ports N        N free loopback ports: ones the kernel gave out and
#                       took back
#   wait_ready FILE LOG NAME   waits up to 10 s for a server to write FILE;
#                       if it does not, prints its LOG and fails
#   send_cfg FILE MODE PORT CAFILE [KEY=VALUE...]   a live_send configuration
#   expect_send CFG PORT WANT-EXIT GREP WHAT        our engine over a real
#                       socket: run it, check its exit status and words
sf=$1
work=$2
bin=$(dirname "$sf")/../tests
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fail=0

make_certs() (
  cd "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=smtpfuzz test CA" -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=mx.example.com" \
    -keyout key.pem -out req.csr 2>/dev/null
  printf 'subjectAltName=DNS:mx.example.com\n' >ext.cnf
  openssl x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile ext.cnf -out cert.pem 2>/dev/null
  chmod 644 ca.pem cert.pem
)
free_ports() {
  python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])' "$1"
}
wait_ready() {
  local _
  for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "FAIL: $3 did not start"
  cat "$2"
  return 1
}
send_cfg() {
  local file=$1 mode=$2 port=$3 ca=$4
  shift 4
  {
    printf 'mode = %s\ntls = required\nhost = mx.example.com\ncafile = %s\nport = %s\n' "$mode" "$ca" "$port"
    printf 'from = alice@example.org\nto = bob@example.com\n'
    printf 'message = Subject: smtpfuzz live\\n\\nHello from smtpfuzz.\\n\n'
    printf 'timeout.greeting = 3000\ntimeout.tls = 3000\n'
    local kv
    for kv in "$@"; do printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"; done
  } >"$file"
}
expect_send() {
  local out rc=0
  out=$(timeout 30 "$bin/live_send" "$1" "127.0.0.1:$2" 10000) || rc=$?
  echo "    $out"
  if [ "$rc" = "$3" ] && echo "$out" | grep -q "$4"; then echo "ok: $5"; else echo "FAIL: $5 (exit $rc)"; fail=1; fi
}
