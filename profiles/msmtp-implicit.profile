# msmtp with tls=on, tls_starttls=off (implicit TLS), auth=on
# Run: smtpfuzz audit --profile profiles/msmtp-implicit.profile corpus/scenarios
name = msmtp-implicit
description = msmtp with tls=on, tls_starttls=off (implicit TLS), auth=on
mode = implicit
tls = required
verify = yes
stdin = {message}
arg = msmtp
arg = --host={addr}
arg = --port={port}
arg = --tls=on
arg = --tls-starttls=off
arg = --tls-trust-file={cafile}
arg = --tls-host-override={host}
arg = --auth=on
arg = --user={user}
arg = --passwordeval=echo {password}
arg = --from={from}
arg = --timeout=30
arg = --
arg = {to}
