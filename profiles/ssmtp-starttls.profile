# ssmtp 2.64 with UseTLS=YES, UseSTARTTLS=YES, AuthUser (STARTTLS whatever the server offers; it gives up when it is refused): judged as a client that must verify the server, though Debian's GnuTLS build has no setting for it (no TLS_CA_File)
# Run: smtpfuzz audit --profile profiles/ssmtp-starttls.profile corpus/scenarios
# (after tests/live/mta_clients.sh, which unpacks ssmtp into build/mta-clients/)
name = ssmtp-starttls
description = ssmtp 2.64 with UseTLS=YES, UseSTARTTLS=YES, AuthUser (STARTTLS whatever the server offers; it gives up when it is refused): judged as a client that must verify the server, though Debian's GnuTLS build has no setting for it (no TLS_CA_File)
mode = starttls
tls = required
verify = yes
arg = ../tests/live/ssmtp_client.sh
arg = --mode
arg = starttls
arg = --addr
arg = {addr}
arg = --port
arg = {port}
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
arg = --dir
arg = {dir}
