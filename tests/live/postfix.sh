#!/usr/bin/env bash
# A real Postfix on loopback against smtpfuzz (issue 5), from ci/live-test.sh:
#   tests/live/postfix.sh SMTPFUZZ WORKDIR
# Postfix runs from a private config and queue folder on 127.0.0.1 ports 25
# (STARTTLS optional), 587 (submission: TLS required, AUTH only over TLS) and
# 465 (implicit TLS, wrapper mode), with a test certificate for
# mx.example.com; mail from loopback is accepted without SASL and discarded.
# Checks: probe names each port's mode (STARTTLS optional on 25, required on
# 587, implicit TLS on 465), finds Postfix safe from STARTTLS command
# injection and verifies its certificate; our engine delivers on 587 (STARTTLS)
# and 465 (implicit); the mismatched pairings fail within their deadline
# with the diagnosis. Postfix is stopped with its own command, always.
set -euo pipefail
source "$(dirname "$0")/real_server_lib.sh" "$@"

# Standard ports unless something else holds them.
p25=25 p587=587 p465=465
if ss -ltn 2>/dev/null | grep -qE '127\.0\.0\.1:(25|465|587) |\*:(25|465|587) |0\.0\.0\.0:(25|465|587) '; then
  p25=10025 p587=10587 p465=10465
  echo "standard ports busy; using $p25/$p587/$p465"
fi

pdir=$(mktemp -d /tmp/smtpfuzz-postfix.XXXXXX)
chmod 755 "$pdir"
mkdir -p "$pdir/queue" "$pdir/data"
chown postfix "$pdir/data"
stop_postfix() {
  timeout 30 postfix -c "$pdir" stop >/dev/null 2>&1 || true
  [ -n "${SF_KEEP_POSTFIX:-}" ] || rm -rf "$pdir"
}
trap stop_postfix EXIT

make_certs "$pdir"

cat >"$pdir/main.cf" <<CF
compatibility_level = 3.6
config_directory = $pdir
queue_directory = $pdir/queue
data_directory = $pdir/data
maillog_file_prefixes = $pdir
maillog_file = $pdir/maillog
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.example.com
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = example.com
relay_transport = discard:
default_transport = discard:
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_cert_file = $pdir/cert.pem
smtpd_tls_key_file = $pdir/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_timeout = 20s
CF
cat >"$pdir/master.cf" <<CF
127.0.0.1:$p25   inet n - n - - smtpd
127.0.0.1:$p587  inet n - n - - smtpd -o syslog_name=postfix/submission -o smtpd_tls_security_level=encrypt -o smtpd_tls_auth_only=yes
127.0.0.1:$p465  inet n - n - - smtpd -o syslog_name=postfix/smtps -o smtpd_tls_wrappermode=yes
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CF

echo "starting Postfix (config $pdir)"
# postfix prints its errors only to a terminal or the log: script(1) gives it one.
timeout 60 script -qec "postfix -c $pdir start" /dev/null 2>&1 | grep -v "warning: not owned\|warning: group or other writable" || { echo "FAIL: Postfix did not start"; cat "$pdir/maillog" 2>/dev/null | tail -20; exit 1; }
for _ in $(seq 50); do
  ss -ltn | grep -q "127.0.0.1:$p465 " && ss -ltn | grep -q "127.0.0.1:$p587 " && break
  sleep 0.1
done

# ---- probe: each port's mode, three targets in one call ----
out=$(timeout 60 "$sf" probe --timeout 5000 --ca "$pdir/ca.pem" --name mx.example.com \
  "127.0.0.1:$p25" "127.0.0.1:$p587" "127.0.0.1:$p465" || true)
echo "$out" | sed 's/^/    /'
timeout 60 "$sf" probe --timeout 5000 --ca "$pdir/ca.pem" --name mx.example.com --json \
  "127.0.0.1:$p25" "127.0.0.1:$p587" "127.0.0.1:$p465" >"$work/postfix-probe.json" || true
python3 "$root/tests/live/check_probe.py" "$work/postfix-probe.json" \
  "$p25:starttls:optional:safe:relay" "$p587:starttls:required:safe:tls=required" \
  "$p465:implicit:absent:not tested:implicit" || fail=1

# ---- our engine over a socket ----
send_cfg "$work/pf-starttls.cfg" starttls "$p587" "$pdir/ca.pem"
send_cfg "$work/pf-implicit.cfg" implicit "$p465" "$pdir/ca.pem"
expect_send "$work/pf-starttls.cfg" "$p587" 0 "^done" "engine delivers on $p587 with STARTTLS"
expect_send "$work/pf-implicit.cfg" "$p465" 0 "^done" "engine delivers on $p465 with implicit TLS"
expect_send "$work/pf-starttls.cfg" "$p465" 1 "implicit TLS" "STARTTLS client on $p465 fails at its greeting deadline with the diagnosis"
expect_send "$work/pf-implicit.cfg" "$p587" 1 "plaintext SMTP" "implicit-TLS client on $p587 fails at once with the diagnosis"

# Mail accepted and discarded by Postfix.
if grep -q "status=sent (discarded" "$pdir/maillog" 2>/dev/null; then
  echo "ok: Postfix accepted and discarded $(grep -c 'status=sent (discarded' "$pdir/maillog") message(s)"
fi
exit "$fail"
