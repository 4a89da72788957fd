# LibEtPan 1.9.4 mailsmtp (Debian, GnuTLS; tests/live/etpan_client.c): implicit TLS (mailsmtp_ssl_connect), the certificate checked by the program after the handshake
# Run: smtpfuzz audit --profile profiles/libetpan-implicit.profile corpus/scenarios (after tests/live/etpan_client.sh)
name = libetpan-implicit
description = LibEtPan 1.9.4 mailsmtp (Debian, GnuTLS; tests/live/etpan_client.c): implicit TLS (mailsmtp_ssl_connect), the certificate checked by the program after the handshake
mode = implicit
tls = required
verify = yes
arg = ../build/etpan/etpan-client
arg = --mode
arg = implicit
arg = --addr
arg = {addr}
arg = --port
arg = {port}
arg = --host
arg = {host}
arg = --cafile
arg = {cafile}
arg = --user
arg = {user}
arg = --password
arg = {password}
arg = --from
arg = {from}
arg = --to
arg = {to}
arg = --message
arg = {message}
