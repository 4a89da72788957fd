# NeoMutt 20220429 with an smtps:// URL (implicit TLS), the test CA as certificate_file
# Run: smtpfuzz audit --profile profiles/neomutt-implicit.profile corpus/scenarios
name = neomutt-implicit
description = NeoMutt 20220429 with an smtps:// URL (implicit TLS), the test CA as certificate_file
mode = implicit
tls = required
verify = yes
tls_name = localhost
stdin = {message}
arg = neomutt
arg = -n
arg = -F
arg = /dev/null
arg = -e
arg = set smtp_url=smtps://{user}@{host}:{port}/ smtp_pass={password} ssl_force_tls=yes certificate_file={cafile} ssl_verify_host=yes ssl_ca_certificates_file={cafile} from={from} smtp_authenticators=plain
arg = -s
arg = smtpfuzz
arg = {to}
