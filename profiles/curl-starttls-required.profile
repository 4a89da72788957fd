# curl smtp:// with --ssl-reqd (STARTTLS required), certificate verified against the test CA
# Run: smtpfuzz audit --profile profiles/curl-starttls-required.profile corpus/scenarios
name = curl-starttls-required
description = curl smtp:// with --ssl-reqd (STARTTLS required), certificate verified against the test CA
mode = starttls
tls = required
verify = yes
arg = curl
arg = --ssl-reqd
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
