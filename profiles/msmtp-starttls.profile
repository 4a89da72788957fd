# msmtp with tls=on, tls_starttls=on, auth=on (its only TLS-required STARTTLS mode; msmtp has no opportunistic mode)
# Run: smtpfuzz audit --profile profiles/msmtp-starttls.profile corpus/scenarios
name = msmtp-starttls
description = msmtp with tls=on, tls_starttls=on, auth=on (its only TLS-required STARTTLS mode; msmtp has no opportunistic mode)
mode = starttls
tls = required
verify = yes
stdin = {message}
arg = msmtp
arg = --host={addr}
arg = --port={port}
arg = --tls=on
arg = --tls-starttls=on
arg = --tls-trust-file={cafile}
arg = --tls-host-override={host}
arg = --auth=on
arg = --user={user}
arg = --passwordeval=echo {password}
arg = --from={from}
arg = --timeout=30
arg = --
arg = {to}
