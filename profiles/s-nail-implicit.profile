# s-nail with an smtps:// URL (implicit TLS), tls-ca-file the test CA; no AUTH (s-nail sends AUTH PLAIN without an initial response, which the scripted servers answer at once, so the mail path would never be reached)
# Run: smtpfuzz audit --profile profiles/s-nail-implicit.profile corpus/scenarios
name = s-nail-implicit
description = s-nail with an smtps:// URL (implicit TLS), tls-ca-file the test CA; no AUTH (see s-nail-starttls)
mode = implicit
tls = required
verify = yes
tls_name = localhost
stdin = {message}
arg = s-nail
arg = -n
arg = -#
arg = -S
arg = v15-compat
arg = -S
arg = mta=smtps://{host}:{port}
arg = -S
arg = smtp-auth=none
arg = -S
arg = tls-ca-file={cafile}
arg = -S
arg = tls-ca-no-defaults
arg = -S
arg = tls-verify=strict
arg = -S
arg = sendwait
arg = -r
arg = {from}
arg = -s
arg = smtpfuzz
arg = {to}
