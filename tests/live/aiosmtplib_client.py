#!/usr/bin/python3
"""A small SMTP client on aiosmtplib (asyncio), for `smtpfuzz audit`.

usage: aiosmtplib_client.py --mode starttls|implicit --tls required|opportunistic
                            --host NAME --port P --cafile F
                            --user U --password P --from F --to T --message FILE

It connects to NAME (the profile's tls_name, a name that resolves to the
loopback address the server listens on) and verifies the certificate for it,
as aiosmtplib does: use_tls for implicit TLS, starttls() when the EHLO
offered it. AUTH when the server offers it. Exit 0 when the message was
accepted. Run by Debian's own python3 (/usr/bin/python3), which has the
python3-aiosmtplib package.
"""
import argparse
import asyncio
import ssl
import sys

import aiosmtplib


async def send(a):
    ctx = ssl.create_default_context(cafile=a.cafile)
    with open(a.message, "r", encoding="utf-8", errors="replace") as f:
        msg = f.read()
    smtp = aiosmtplib.SMTP(hostname=a.host, port=int(a.port), timeout=a.timeout,
                           use_tls=a.mode == "implicit", start_tls=False, tls_context=ctx)
    await smtp.connect()
    await smtp.ehlo()
    if a.mode == "starttls":
        if smtp.supports_extension("starttls"):
            await smtp.starttls(tls_context=ctx)
            await smtp.ehlo()
        elif a.tls == "required":
            print("STARTTLS not offered; TLS is required", file=sys.stderr)
            await smtp.quit()
            return 1
    if smtp.supports_extension("auth"):
        await smtp.login(a.user, a.password)
    await smtp.sendmail(getattr(a, "from"), [a.to], msg)
    await smtp.quit()
    return 0


def main():
    ap = argparse.ArgumentParser()
    for opt in ("mode", "tls", "host", "port", "cafile", "user", "password", "from", "to",
                "message"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()
    return asyncio.run(send(a))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
