# Symfony Mailer 5.4 (STARTTLS when offered, judged as a client that must use TLS, which 5.4 cannot require; tests/live/symfony_mailer_client.php under Debian's php), the certificate verified; it names localhost
# Run: smtpfuzz audit --profile profiles/symfony-mailer-starttls.profile corpus/scenarios
name = symfony-mailer-starttls
description = Symfony Mailer 5.4 (STARTTLS when offered, judged as a client that must use TLS, which 5.4 cannot require; tests/live/symfony_mailer_client.php under Debian's php), the certificate verified; it names localhost
mode = starttls
tls = required
verify = yes
tls_name = localhost
arg = /usr/bin/php
arg = ../tests/live/symfony_mailer_client.php
arg = --mode
arg = starttls
arg = --host
arg = {host}
arg = --port
arg = {port}
arg = --cafile
arg = {cafile}
arg = --user
arg = {user}
arg = --password
arg = {password}
arg = --from
arg = {from}
arg = --to
arg = {to}
arg = --message
arg = {message}
