# GNU Mailutils 3.15 mail with an smtp:// mailer (STARTTLS when offered): judged as a client that must use TLS and verify the server, though it has no setting for either
# Run: smtpfuzz audit --profile profiles/mailutils-starttls.profile corpus/scenarios
name = mailutils-starttls
description = GNU Mailutils 3.15 mail with an smtp:// mailer (STARTTLS when offered): judged as a client that must use TLS and verify the server, though it has no setting for either
mode = starttls
tls = required
verify = yes
stdin = {message}
arg = mail.mailutils
arg = --set
arg = .tls.ssl-ca-file={cafile}
arg = -E
arg = set sendmail="smtp://{user}:{password}@{addr}:{port}"
arg = -s
arg = smtpfuzz
arg = -r
arg = {from}
arg = {to}
