# Twisted 22.4 twisted.mail.smtp ESMTPSenderFactory (tests/live/twisted_client.py under Debian's python3): STARTTLS required, the certificate verified, no timeout (its default)
# Run: smtpfuzz audit --profile profiles/twisted-starttls.profile corpus/scenarios
name = twisted-starttls
description = Twisted 22.4 twisted.mail.smtp ESMTPSenderFactory (tests/live/twisted_client.py under Debian's python3): STARTTLS required, the certificate verified, no timeout (its default)
mode = starttls
tls = required
verify = yes
arg = /usr/bin/python3
arg = ../tests/live/twisted_client.py
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
