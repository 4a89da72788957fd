#!/usr/bin/env bash
# Runs Debian's ssmtp 2.64 (unpacked, not installed, by tests/live/mta_clients.sh
# into build/mta-clients/root/) as the ssmtp-* profiles need it: ssmtp takes its
# server, TLS mode and credentials only from a configuration file, so this writes
# one into the scenario's scratch folder and runs ssmtp on it (-C) with the
# message on its standard input and the recipient as its argument.
#   ssmtp_client.sh --mode starttls|implicit --addr A --port P --user U
#                   --password W --from F --to T --message FILE --dir D
# --mode starttls is UseTLS=YES + UseSTARTTLS=YES (it says STARTTLS whatever the
# server offers and gives up when it is refused), implicit is UseTLS=YES alone.
# Debian's build (on GnuTLS's OpenSSL layer) knows no TLS_CA_File or TLS_CA_Dir:
# ssmtp checks no certificate and no name (it asks only that there is one) and
# sends no SNI, so there is no CA file or server name to give it.
# Any failure makes ssmtp append the message to dead.letter in the home folder
# of the passwd entry of its user (getpwuid(), never $HOME): run as root, that
# is /root/dead.letter. As root this drops to nobody (setpriv), whose home
# (/nonexistent) does not exist, so nothing is written outside the scratch
# folder; the configuration, readable by nobody, is handed over as an open file
# (/dev/fd/3), so the scratch folder's own permissions do not matter.
# Exits with ssmtp's status (exec: no process of this script stays behind).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ssmtp=$here/../../build/mta-clients/root/usr/sbin/ssmtp
source "$here/client_args.sh"
client_args "user password" "mode addr port from to message dir" -- "$@"
case $mode in
  starttls) tls='UseTLS=YES
UseSTARTTLS=YES' ;;
  implicit) tls='UseTLS=YES
UseSTARTTLS=NO' ;;
  *) echo "ssmtp_client.sh: --mode must be starttls or implicit" >&2; exit 2 ;;
esac
[ -x "$ssmtp" ] || { echo "ssmtp_client.sh: $ssmtp is missing (run tests/live/mta_clients.sh)" >&2; exit 2; }
# ssmtp reads a line up to its first blank as the key and the rest after '='
# as the value: no quoting, so a value must not hold a newline.
case "$addr$port$user$password" in
  *$'\n'*) echo "ssmtp_client.sh: a value holds a newline" >&2; exit 2 ;;
esac
conf=$dir/ssmtp.conf
umask 077
{
  echo "mailhub=$addr:$port"
  echo "$tls"
  echo "Hostname=client.example.org"
  echo "FromLineOverride=YES"
  if [ -n "$user" ]; then
    echo "AuthUser=$user"
    echo "AuthPass=$password"
  fi
} >"$conf"
run=()
if [ "$(id -u)" = 0 ]; then
  chmod 0644 "$conf"
  run=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
fi
exec 3<"$conf"
exec "${run[@]}" "$ssmtp" -C /dev/fd/3 -f "$from" -- "$to" <"$message"
