#!/usr/bin/python3
"""A small SMTP client on Twisted's twisted.mail.smtp (Debian's python3-twisted 22.4), for `smtpfuzz audit`.

  twisted_client.py --addr A --port P --host NAME --cafile F --user U
      --password P --from F --to T --message FILE

It uses ESMTPSenderFactory as twisted.mail.smtp.sendmail() does, with
requireTransportSecurity=True (STARTTLS or nothing), the test CA as the trust
root of optionsForClientTLS(NAME) (chain and name verified), AUTH when the
server offers it (Twisted picks the mechanism), and the message file with its
line ends made LF, as the API asks.
Two choices differ from sendmail(): retries=0 (sendmail() tries 5 more
connections after a failure) and no HELO fallback, so each scenario is one
connection judged as it ended. The timeout stays at the factory's default,
None: no timeout. Exit 0 when the message was accepted, 1 with "error: ..."
on stderr otherwise, 2 for bad usage.
"""
import argparse
import sys
from io import BytesIO

from twisted.internet import defer, reactor, ssl
from twisted.mail.smtp import ESMTPSenderFactory


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for k in ("addr", "port", "host", "cafile", "user", "password", "from", "to", "message"):
        ap.add_argument("--" + k, required=True)
    a = ap.parse_args()
    with open(a.cafile, "rb") as f:
        ca = ssl.Certificate.loadPEM(f.read())
    # sendmail()'s contract: "Lines must be delimited by '\\n'" (it makes them
    # CRLF itself, so a CRLF given would go out as CR CR LF).
    with open(a.message, "rb") as f:
        message = f.read().replace(b"\r\n", b"\n")
    result = {"code": 1}
    done = defer.Deferred()

    def sent(res):
        result["code"] = 0

    def failed(err):
        print("error: %s" % err.getErrorMessage(), file=sys.stderr)

    done.addCallbacks(sent, failed)
    done.addBoth(lambda _: reactor.stop())
    factory = ESMTPSenderFactory(
        a.user.encode(), a.password.encode(), getattr(a, "from"), [a.to], BytesIO(message), done,
        retries=0, contextFactory=ssl.optionsForClientTLS(a.host, trustRoot=ca),
        heloFallback=False, requireAuthentication=False, requireTransportSecurity=True,
        hostname=a.host)
    reactor.connectTCP(a.addr, int(a.port), factory)
    reactor.run()
    return result["code"]


if __name__ == "__main__":
    sys.exit(main())
