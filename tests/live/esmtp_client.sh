#!/usr/bin/env bash
# Runs esmtp 1.2 (Debian's, a sendmail replacement on Debian's libESMTP 1.1.0),
# unpacked by tests/live/mta_clients.sh into build/mta-clients/root/, once, for
# the esmtp-* profiles. esmtp takes its settings from a configuration file only
# (-C), and libESMTP its trusted CAs from fixed paths under the user's home, so
# this writes both into the scratch folder the audit gives each scenario:
#   DIR/esmtprc                     hostname=HOST:PORT, username, password,
#                                   starttls=required (mode 0600: esmtp refuses
#                                   one its group or others may read or write)
#   DIR/.config/libesmtp/ca.pem     the test CA (Debian builds libESMTP with
#                                   its XDG layout: $XDG_CONFIG_DIR/libesmtp/ if
#                                   that is set, else $HOME/.config/libesmtp/, not
#                                   ~/.authenticate/; the folder 0700 and the
#                                   file 0600, or libESMTP refuses to start TLS)
# and runs esmtp with HOME=DIR, the message on standard input, -f for the
# sender and the recipient as its argument. esmtp delivers synchronously in the
# foreground (no queue, no fork: it has only popen() for a local MDA, unused
# for an address with an @), so its exit status is the delivery's.
# libESMTP connects to the name it checks the certificate against and has no
# way to connect to an address while verifying another name: HOST must resolve
# to ADDR (the profile sets tls_name = localhost); ADDR is checked, not used.
# --tls-max 1.2 caps TLS at 1.2 (below: libESMTP deadlocks over TLS 1.3).
#   tests/live/esmtp_client.sh --addr A --port P --host H --cafile F \
#     --user U --password W --from F --to T --message FILE --dir D \
#     [--tls-max 1.2]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
esmtp=$here/../../build/mta-clients/root/usr/bin/esmtp
source "$here/client_args.sh"
client_args "user password tls-max" "addr port host cafile from to message dir" -- "$@"
[ -x "$esmtp" ] || { echo "esmtp_client.sh: $esmtp missing (run tests/live/mta_clients.sh)" >&2; exit 2; }
# The name must lead to the address the audit serves on.
if ! getent ahosts "$host" | awk -v a="$addr" '$1 == a { f = 1 } END { exit !f }'; then
  echo "esmtp_client.sh: $host does not resolve to $addr" >&2
  exit 2
fi

# esmtprc values in double quotes, with C escapes (esmtprc(5)).
quote() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

umask 077
mkdir -p "$dir/.config/libesmtp"
chmod 700 "$dir/.config" "$dir/.config/libesmtp"
cp "$cafile" "$dir/.config/libesmtp/ca.pem"
chmod 600 "$dir/.config/libesmtp/ca.pem"
{
  echo "hostname = $(quote "$host:$port")"
  [ -z "$user" ] || echo "username = $(quote "$user")"
  [ -z "$password" ] || echo "password = $(quote "$password")"
  echo "starttls = required"
} >"$dir/esmtprc"
chmod 600 "$dir/esmtprc"

# --tls-max 1.2: neither esmtp nor libESMTP has a setting for the TLS version,
# so it is capped in an OpenSSL configuration file of the client's own (Debian
# 12's /etc/ssl/openssl.cnf sets nothing for TLS; this adds MaxProtocol only),
# which OpenSSL reads when libESMTP makes its SSL_CTX. Why the profile does it:
# over TLS 1.3 the server's session tickets arrive after the handshake, and
# libESMTP's protocol loop, finding the socket readable and its next command
# (EHLO, or QUIT) still in its write buffer, reads first: SSL_read() takes the
# tickets, finds no reply and waits for one (300 s) for a command it has not
# sent. Whether the tickets are there in time is a race, so a TLS 1.3 audit
# gives a different set of SLOW rows on every run.
if [ -n "$tls_max" ]; then
  case $tls_max in
    1.2 | 1.3) ;;
    *) echo "esmtp_client.sh: --tls-max takes 1.2 or 1.3" >&2; exit 2 ;;
  esac
  printf '%s\n' 'openssl_conf = openssl_init' '[openssl_init]' 'ssl_conf = ssl_sect' \
    '[ssl_sect]' 'system_default = system_default_sect' '[system_default_sect]' \
    "MaxProtocol = TLSv$tls_max" >"$dir/openssl.cnf"
  export OPENSSL_CONF=$dir/openssl.cnf
fi

export HOME=$dir
unset XDG_CONFIG_DIR
# exec: esmtp replaces this shell, so its status is the script's and no process
# of ours is left behind.
exec "$esmtp" -C "$dir/esmtprc" -f "$from" -- "$to" <"$message"
