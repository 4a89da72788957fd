# curl smtp:// with --ssl (STARTTLS if offered, else plaintext: curl's opportunistic mode)
# Run: smtpfuzz audit --profile profiles/curl-starttls-opportunistic.profile corpus/scenarios
name = curl-starttls-opportunistic
description = curl smtp:// with --ssl (STARTTLS if offered, else plaintext: curl's opportunistic mode)
mode = starttls
tls = opportunistic
verify = yes
arg = curl
arg = --ssl
arg = --url
arg = smtp://{host}:{port}
arg = --silent
arg = --show-error
arg = --cacert
arg = {cafile}
arg = --resolve
arg = {host}:{port}:{addr}
arg = --user
arg = {user}:{password}
arg = --mail-from
arg = {from}
arg = --mail-rcpt
arg = {to}
arg = --upload-file
arg = {message}
