# curl smtps:// (implicit TLS), certificate verified against the test CA
# Run: smtpfuzz audit --profile profiles/curl-implicit.profile corpus/scenarios
name = curl-implicit
description = curl smtps:// (implicit TLS), certificate verified against the test CA
mode = implicit
tls = required
verify = yes
arg = curl
arg = --url
arg = smtps://{host}:{port}
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
