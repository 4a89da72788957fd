#!/usr/bin/python3
"""A third real SMTP server for the live tests: Twisted's twisted.mail.smtp.ESMTP.

  twisted_server.py --cert PEM --key PEM --ready FILE --duration S \\
      STARTTLS_PORT IMPLICIT_PORT

Debian's python3-twisted (22.4), as an application would set it up: an
ESMTP factory with a TLS context, listening on 127.0.0.1 only, on a port
that offers STARTTLS (optional) and on an implicit-TLS port (RFC 8314)
with the same factory. No AUTH. Each message accepted is printed as one
line ("delivered port=N tls=yes|no from=... to=..."); the message itself is
dropped. Writes "ready" to FILE once both listen, and stops by itself after
S seconds.
"""
import argparse
import sys

from twisted.internet import defer, reactor, ssl
from twisted.mail import smtp
from zope.interface import implementer


@implementer(smtp.IMessage)
class Sink:
    def __init__(self, proto, port, implicit, mail_from, to):
        self.proto, self.port, self.implicit = proto, port, implicit
        self.mail_from, self.to = mail_from, to

    def lineReceived(self, line):
        pass

    def eomReceived(self):
        tls = self.implicit or getattr(self.proto, "startedTLS", False)
        print("delivered port=%d tls=%s from=%s to=%s" % (
            self.port, "yes" if tls else "no", self.mail_from, self.to), flush=True)
        return defer.succeed(None)

    def connectionLost(self):
        pass


@implementer(smtp.IMessageDelivery)
class Delivery:
    def __init__(self, proto, port, implicit):
        self.proto, self.port, self.implicit = proto, port, implicit
        self.mail_from = None

    def receivedHeader(self, helo, origin, recipients):
        return None

    def validateFrom(self, helo, origin):
        self.mail_from = str(origin)
        return origin

    def validateTo(self, user):
        to = str(user.dest)
        return lambda: Sink(self.proto, self.port, self.implicit, self.mail_from, to)


class Factory(smtp.SMTPFactory):
    protocol = smtp.ESMTP

    def __init__(self, ctx, port, implicit):
        smtp.SMTPFactory.__init__(self)
        self.ctx, self.port, self.implicit = ctx, port, implicit

    def buildProtocol(self, addr):
        p = smtp.SMTPFactory.buildProtocol(self, addr)
        p.ctx = self.ctx  # what makes Twisted's ESMTP offer STARTTLS
        p.delivery = Delivery(p, self.port, self.implicit)
        return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("ports", type=int, nargs=2)
    a = ap.parse_args()
    ctx = ssl.DefaultOpenSSLContextFactory(a.key, a.cert)
    starttls, implicit = a.ports
    reactor.listenTCP(starttls, Factory(ctx, starttls, False), interface="127.0.0.1")
    reactor.listenSSL(implicit, Factory(ctx, implicit, True), ctx, interface="127.0.0.1")
    with open(a.ready, "w") as f:
        f.write("ready\n")
    reactor.callLater(a.duration, reactor.stop)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
