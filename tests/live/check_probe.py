#!/usr/bin/env python3
"""Checks `smtpfuzz probe --json` against a real server's ports (postfix.sh,
aiosmtpd.sh, twisted_server.sh).

  check_probe.py PROBE.json PORT:MODE:STARTTLS:INJECTION:HINT[:WORDS]...

For each port: the object's mode, starttls and starttls_command_injection
must be the three given, its client_mode must contain HINT, its problem and
injection note must hold WORDS (without WORDS, the problem must be empty),
and its certificate must verify and name mx.example.com (a test CA's, not
self-signed, not expired). Prints one ok/FAIL line per port; exit 1 on any
FAIL.
"""
import json
import sys


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    objs = {}
    with open(sys.argv[1]) as f:
        for line in f:
            o = json.loads(line)
            objs[int(o["target"].rsplit(":", 1)[1])] = o
    bad = 0
    for spec in sys.argv[2:]:
        port, mode, st, inj, hint, *words = spec.split(":", 5)
        port = int(port)
        o = objs.get(port)
        got = o and (o["mode"], o["starttls"], o["starttls_command_injection"])
        tls = o and o["tls"] or {}
        if got != (mode, st, inj) or hint not in o["client_mode"]:
            print("FAIL: probe port %d: got %s, want %s" % (port, got, (mode, st, inj)))
            bad = 1
        elif (words[0] not in o["problem"] + " " + o["injection_note"]) if words else o["problem"]:
            print("FAIL: probe port %d: problem '%s', note '%s', want %s" % (
                port, o["problem"], o["injection_note"], repr(words[0]) if words else "no problem"))
            bad = 1
        elif not (tls.get("verified") and tls.get("name_ok") and tls.get("days_left", 0) > 0
                  and "DNS:mx.example.com" in tls.get("san", "") and not tls.get("self_signed")):
            print("FAIL: probe port %d: certificate details %s" % (port, tls))
            bad = 1
        else:
            print("ok: probe port %d -> mode %s, STARTTLS %s, injection %s, certificate verified, "
                  "%d days left (%d ms)" % (port, mode, st, inj, tls["days_left"], o["ms"]))
    return bad


if __name__ == "__main__":
    sys.exit(main())
