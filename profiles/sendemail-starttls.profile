# sendEmail 1.56 -o tls=yes (STARTTLS required), the test CA trusted through SSL_CERT_FILE; the certificate names 127.0.0.1, the address it checks
# Run: smtpfuzz audit --profile profiles/sendemail-starttls.profile corpus/scenarios
name = sendemail-starttls
description = sendEmail 1.56 -o tls=yes (STARTTLS required), the test CA trusted through SSL_CERT_FILE; the certificate names 127.0.0.1, the address it checks
mode = starttls
tls = required
verify = yes
tls_name = 127.0.0.1
arg = env
arg = SSL_CERT_FILE={cafile}
arg = sendemail
arg = -s
arg = {host}:{port}
arg = -o
arg = tls=yes
arg = -o
arg = timeout=30
arg = -o
arg = message-format=raw
arg = -o
arg = message-file={message}
arg = -xu
arg = {user}
arg = -xp
arg = {password}
arg = -f
arg = {from}
arg = -t
arg = {to}
