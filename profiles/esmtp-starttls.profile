# esmtp 1.2 (Debian's sendmail replacement on libESMTP 1.1.0, unpacked by tests/live/mta_clients.sh) with starttls=required, username and password, the test CA as libESMTP's ~/.config/libesmtp/ca.pem, TLS capped at 1.2, through tests/live/esmtp_client.sh.
# TLS 1.2: over TLS 1.3 libESMTP waits (300 s) for the answer to a post-TLS EHLO it has not flushed whenever the server's session tickets are readable first, a race that made about 60 of the 161 rows SLOW, a different set each run (against a real Postfix it hung 10 times out of 10); the cap (an OpenSSL configuration file of the client's own) keeps every other row judgeable. See tests/live/esmtp_client.sh.
# Run: smtpfuzz audit --profile profiles/esmtp-starttls.profile corpus/scenarios (after tests/live/mta_clients.sh)
name = esmtp-starttls
description = esmtp 1.2 (libESMTP 1.1.0) with starttls=required, username and password, the test CA in ~/.config/libesmtp/ca.pem, TLS capped at 1.2 by OPENSSL_CONF (over TLS 1.3 libESMTP races the server's session tickets and can wait 300 s for the answer to an EHLO it never flushed)
mode = starttls
tls = required
verify = yes
tls_name = localhost
arg = ../tests/live/esmtp_client.sh
arg = --addr
arg = {addr}
arg = --port
arg = {port}
arg = --host
arg = {host}
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
arg = --dir
arg = {dir}
arg = --tls-max
arg = 1.2
