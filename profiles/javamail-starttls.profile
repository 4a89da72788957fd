# JavaMail 1.6.5 (starttls, tests/live/JavaMailClient.java under Debian's java 17), the chain verified, ssl.checkserveridentity and the timeouts at their defaults (false, none); it names localhost
# Run: smtpfuzz audit --profile profiles/javamail-starttls.profile corpus/scenarios
# Runs build/java/javamail-client.jar, which tests/live/java_client_jar.sh makes (ci/live-test.sh does)
name = javamail-starttls
description = JavaMail 1.6.5 (starttls, tests/live/JavaMailClient.java under Debian's java 17), the chain verified, ssl.checkserveridentity and the timeouts at their defaults (false, none); it names localhost
mode = starttls
tls = required
verify = yes
tls_name = localhost
arg = /usr/bin/java
arg = -jar
arg = ../build/java/javamail-client.jar
arg = --mode
arg = starttls
arg = --tls
arg = required
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
