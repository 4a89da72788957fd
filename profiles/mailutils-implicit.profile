# GNU Mailutils 3.15 mail with an smtps:// mailer (implicit TLS): judged as a client that must verify the server, though it has no setting for it
# Run: smtpfuzz audit --profile profiles/mailutils-implicit.profile corpus/scenarios
name = mailutils-implicit
description = GNU Mailutils 3.15 mail with an smtps:// mailer (implicit TLS): judged as a client that must verify the server, though it has no setting for it
mode = implicit
tls = required
verify = yes
stdin = {message}
arg = mail.mailutils
arg = --set
arg = .tls.ssl-ca-file={cafile}
arg = -E
arg = set sendmail="smtps://{user}:{password}@{addr}:{port}"
arg = -s
arg = smtpfuzz
arg = -r
arg = {from}
arg = {to}
