#!/usr/bin/env python3
"""A small SMTP client on Python's smtplib, for `smtpfuzz audit`.

usage: smtplib_client.py --mode starttls|implicit --tls required|opportunistic
                         --addr A --port P --host NAME --cafile F
                         --user U --password P --from F --to T --message FILE

It connects to ADDR but verifies the certificate for NAME (as a client that
resolved NAME to ADDR would). Exit 0 when the message was accepted.
"""
import argparse
import smtplib
import ssl
import sys


def main():
    ap = argparse.ArgumentParser()
    for opt in ("mode", "tls", "addr", "port", "host", "cafile", "user", "password", "from",
                "to", "message"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()
    ctx = ssl.create_default_context(cafile=a.cafile)
    # As text: smtplib turns its line ends into CRLF (it leaves bytes as they are).
    with open(a.message, "r", encoding="utf-8", errors="replace") as f:
        msg = f.read()
    if a.mode == "implicit":
        s = smtplib.SMTP_SSL(timeout=a.timeout, context=ctx)
        s._host = a.host  # the name to verify; smtplib connects to --addr
        # SMTP_SSL wraps in _get_socket with server_hostname=self._host.
        s.connect(a.addr, int(a.port))
    else:
        s = smtplib.SMTP(timeout=a.timeout)
        s.connect(a.addr, int(a.port))
        s._host = a.host
        s.ehlo()
        if s.has_extn("starttls"):
            s.starttls(context=ctx)
            s.ehlo()
        elif a.tls == "required":
            print("STARTTLS not offered; TLS is required", file=sys.stderr)
            s.quit()
            return 1
    if s.has_extn("auth"):
        s.login(a.user, a.password)
    s.sendmail(getattr(a, "from"), [a.to], msg)
    s.quit()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (smtplib.SMTPException, OSError, ssl.SSLError) as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
