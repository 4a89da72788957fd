# NeoMutt 20220429 with ssl_starttls=yes and ssl_force_tls=yes (STARTTLS required), the test CA as certificate_file
# Run: smtpfuzz audit --profile profiles/neomutt-starttls.profile corpus/scenarios
name = neomutt-starttls
description = NeoMutt 20220429 with ssl_starttls=yes and ssl_force_tls=yes (STARTTLS required), the test CA as certificate_file
mode = starttls
tls = required
verify = yes
tls_name = localhost
stdin = {message}
arg = neomutt
arg = -n
arg = -F
arg = /dev/null
arg = -e
arg = set smtp_url=smtp://{user}@{host}:{port}/ smtp_pass={password} ssl_starttls=yes ssl_force_tls=yes certificate_file={cafile} ssl_verify_host=yes ssl_ca_certificates_file={cafile} from={from} smtp_authenticators=plain
arg = -s
arg = smtpfuzz
arg = {to}
