# git send-email --smtp-encryption=tls (Net::SMTP's starttls(), required), the test CA as --smtp-ssl-cert-path; the certificate names localhost
# Run: smtpfuzz audit --profile profiles/git-send-email-starttls.profile corpus/scenarios
name = git-send-email-starttls
description = git send-email --smtp-encryption=tls (Net::SMTP's starttls(), required), the test CA as --smtp-ssl-cert-path; the certificate names localhost
mode = starttls
tls = required
verify = yes
tls_name = localhost
arg = git
arg = -c
arg = user.name=smtpfuzz
arg = -c
arg = user.email={from}
arg = send-email
arg = --smtp-server={host}
arg = --smtp-server-port={port}
arg = --smtp-encryption=tls
arg = --smtp-ssl-cert-path={cafile}
arg = --smtp-user={user}
arg = --smtp-pass={password}
arg = --smtp-domain=client.example.org
arg = --from={from}
arg = --to={to}
arg = --confirm=never
arg = --suppress-cc=all
arg = --no-validate
arg = --quiet
arg = {message}
