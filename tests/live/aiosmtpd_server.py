#!/usr/bin/python3
"""A real second SMTP server for the live tests: Debian's aiosmtpd (python3-aiosmtpd).

  aiosmtpd_server.py --cert PEM --key PEM --user U --password P --ready FILE \\
      --duration S RELAY_PORT SUBMISSION_PORT IMPLICIT_PORT

Listens on 127.0.0.1 only, on three ports: a relay (STARTTLS offered and
optional), a submission port (STARTTLS required before MAIL, RFC 3207 4) and
an implicit-TLS port (RFC 8314). AUTH PLAIN and LOGIN are accepted only over
TLS, for the one user given. Each message accepted is printed as one line
("delivered port=N tls=yes|no auth=USER|- from=... to=..."); the message itself
is dropped. Writes "ready" to FILE once all three listen, and stops by itself
after S seconds.
"""
import argparse
import ssl
import sys
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, port, implicit=False):
        self.port = port
        self.implicit = implicit  # the listener is TLS; session.ssl tells STARTTLS only

    async def handle_DATA(self, server, session, envelope):
        print("delivered port=%d tls=%s auth=%s from=%s to=%s" % (
            self.port, "yes" if self.implicit or session.ssl else "no",
            session.auth_data.login.decode() if session.authenticated else "-",
            envelope.mail_from, ",".join(envelope.rcpt_tos)), flush=True)
        return "250 2.0.0 OK: dropped"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("ports", type=int, nargs=3)
    a = ap.parse_args()
    # aiosmtpd 1.4 warns about its own Session.login_data on every login.
    warnings.simplefilter("ignore", DeprecationWarning)

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)

    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == a.user.encode() and auth_data.password == a.password.encode()
        # handled=False: aiosmtpd itself answers a failure (535).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    relay, submission, implicit = a.ports
    common = dict(hostname="127.0.0.1", server_hostname="mx.example.com", authenticator=check)
    # aiosmtpd's auth_require_tls counts STARTTLS only; on the implicit-TLS
    # port every byte is already under TLS.
    servers = [
        Controller(Sink(relay), port=relay, tls_context=ctx, require_starttls=False,
                   auth_require_tls=True, **common),
        Controller(Sink(submission), port=submission, tls_context=ctx, require_starttls=True,
                   auth_require_tls=True, **common),
        Controller(Sink(implicit, True), port=implicit, ssl_context=ctx, auth_require_tls=False, **common),
    ]
    started = []
    try:
        for s in servers:
            s.start()
            started.append(s)
        with open(a.ready, "w") as f:
            f.write("ready\n")
        time.sleep(a.duration)
    finally:
        for s in started:
            s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
