#!/usr/bin/env bash
# Runs nullmailer's SMTP protocol module (Debian 12's nullmailer 2.2, unpacked
# by tests/live/mta_clients.sh into build/mta-clients/root/, not installed)
# once, as nullmailer-send does for one queued message: the options on its
# standard input, one `name=value` a line as in /etc/nullmailer/remotes, and
# the queue file on descriptor 3 (sender line, one line per recipient, a blank
# line, the message). The nullmailer-* profiles run it.
#   tests/live/nullmailer_client.sh --mode starttls|implicit --addr A --port P
#       --host H --cafile F --user U --password W --from F --to T
#       --message FILE --dir D
# The module connects to the host it is given and checks the certificate
# against that same name (gnutls_server_name_set and
# gnutls_x509_crt_check_hostname on its `host`), so it cannot connect to A
# while verifying another name: H must be A, which the profiles get with
# `tls_name = 127.0.0.1` (the live certificates then carry the address). It
# never resolves H: a name would go to DNS. The message's CRLF line ends
# become LF, as in the files nullmailer-queue writes (the module sends each
# LF-ended line with CRLF); a bare CR is left as it is. $HELOHOST, which
# nullmailer-send sets from /etc/nullmailer/helohost or `me`, is
# client.example.org. Exits with the module's status: 0 when it reported the
# message accepted, nullmailer's error codes (errcodes.h) otherwise, 2 for a
# bad call of this script. The module is exec'd: nothing runs in the
# background.
set -euo pipefail
usage() { echo "usage: $0 --mode starttls|implicit --addr A --port P --host H --cafile F --user U --password W --from F --to T --message FILE --dir D" >&2; exit 2; }
source "$(dirname "$0")/client_args.sh"
client_args "user password" "mode addr port host cafile from to message dir" -- "$@"
case $mode in
  starttls) tlsopt=starttls ;;
  implicit) tlsopt=ssl ;;
  *) usage ;;
esac
if [ "$host" != "$addr" ]; then
  echo "$0: nullmailer verifies the name it connects to; the certificate name '$host' must be the address '$addr' (profile: tls_name = $addr)" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
smtp=$here/../../build/mta-clients/root/usr/lib/nullmailer/smtp
[ -x "$smtp" ] || { echo "$0: $smtp is missing (run tests/live/mta_clients.sh)" >&2; exit 2; }
mkdir -p "$dir"
# The queue file: envelope, blank line, message with LF line ends.
{
  printf '%s\n%s\n\n' "$from" "$to"
  sed 's/\r$//' "$message"
} >"$dir/nullmailer-queue-file"
# The options, as nullmailer-send hands over a remotes line's.
{
  printf 'host=%s\nport=%s\n%s\nx509cafile=%s\n' "$addr" "$port" "$tlsopt" "$cafile"
  [ -z "$user" ] || printf 'user=%s\n' "$user"
  [ -z "$password" ] || printf 'pass=%s\n' "$password"
} >"$dir/nullmailer-options"
export HELOHOST=client.example.org
exec "$smtp" <"$dir/nullmailer-options" 3<"$dir/nullmailer-queue-file"
