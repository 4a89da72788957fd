# git send-email --smtp-encryption=ssl (Net::SMTP with SSL => 1, implicit TLS), the test CA as --smtp-ssl-cert-path; the certificate names localhost
# Run: smtpfuzz audit --profile profiles/git-send-email-implicit.profile corpus/scenarios
name = git-send-email-implicit
description = git send-email --smtp-encryption=ssl (Net::SMTP with SSL => 1, implicit TLS), the test CA as --smtp-ssl-cert-path; the certificate names localhost
mode = implicit
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
arg = --smtp-encryption=ssl
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
