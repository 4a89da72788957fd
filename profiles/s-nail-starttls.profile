# s-nail with smtp-use-starttls (STARTTLS required; s-nail fails when it is not offered), tls-ca-file the test CA; no AUTH (s-nail sends AUTH PLAIN without an initial response, which the scripted servers answer at once, so the mail path would never be reached)
# Run: smtpfuzz audit --profile profiles/s-nail-starttls.profile corpus/scenarios
name = s-nail-starttls
description = s-nail with smtp-use-starttls (STARTTLS required), tls-ca-file the test CA; no AUTH: s-nail sends AUTH PLAIN without an initial response and the scripted servers answer 235 at once, so the mail path would never be reached
mode = starttls
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
arg = mta=smtp://{host}:{port}
arg = -S
arg = smtp-use-starttls
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
