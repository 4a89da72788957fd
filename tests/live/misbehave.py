#!/usr/bin/env python3
"""Misbehaving peers for the live tests; each ends by itself.

Clients, for `smtpfuzz serve`:
  misbehave.py garbage ADDR PORT   binary garbage, a flood line, then an early close
  misbehave.py trickle ADDR PORT   one byte every 200 ms for 4 s (the server's
                                   connection deadline is shorter)

Fake servers, for `smtpfuzz probe` (one per hostile case; each listens on a
free loopback port, writes it to PORT_FILE, serves every connection in a
thread, and exits after --duration seconds):
  misbehave.py server MODE PORT_FILE [--cert PEM --key PEM] [--duration S]
MODE:
  greet421        a 421 greeting, then a close
  starttls454     STARTTLS offered, answered 454; mail taken without TLS
  starttls-garbage  STARTTLS answered 220, then bytes that are not TLS
  starttls-close  STARTTLS answered 220, then a close
  no-ehlo         a 220 greeting, then nothing more, whatever comes
  https           implicit TLS, then HTTP: no greeting, 400 to any request
  close           closes every connection at once
  split-greeting  the greeting one byte at a time, then SMTP without STARTTLS
  slow-greeting   the greeting after 3 s, then SMTP without STARTTLS
  big-ehlo        an EHLO reply over 4 KiB with STARTTLS last; STARTTLS works
  evil-greeting   a greeting with terminal escape sequences and control bytes
  vulnerable      STARTTLS that keeps what was sent behind it and answers it
                  inside TLS (the CVE-2011-0411 class); mail taken without TLS
  safe            STARTTLS that drops what was sent behind it; mail refused
                  before TLS (530)
  starttls-again  STARTTLS works, and EHLO over TLS offers STARTTLS again
  implicit-starttls  implicit TLS, and EHLO offers STARTTLS inside it
  starttls-group-stall  STARTTLS works alone; with bytes behind it in the same
                  read it is never answered (probe's injection check: not tested)
  endless-ehlo    EHLO answered with "250-" lines that go on (3000 of them)
  trickle-ehlo    EHLO answered with a "250-" line every 0.5 s (at most 40)
"""
import socket
import ssl
import sys
import threading
import time


def client_main(what, addr, port):
    s = socket.create_connection((addr, port), timeout=5)
    if what == "garbage":
        s.sendall(bytes(range(256)) * 4 + b"\x16\x03\x01\xff\xff" + b"A" * 70000)
        s.close()
        return 0
    for _ in range(20):
        try:
            s.sendall(b"E")
        except OSError:
            break
        time.sleep(0.2)
    s.close()
    return 0


class Conn:
    """Line reading over a plain or TLS socket, with what is left over kept."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def send(self, data):
        self.sock.sendall(data)


EHLO_TLS = b"250-mx.example.com\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n"
# RFC 3207 4.2 says a server must not offer STARTTLS once TLS is up.
EHLO_TLS_STARTTLS = b"250-mx.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"


def smtp_loop(c, mode, ctx, in_tls):
    """Answers commands; STARTTLS as the mode says. Returns at QUIT or EOF."""
    for _ in range(200):
        line = c.line()
        if line is None:
            return
        verb = line.split(b" ")[0].upper()
        if verb in (b"EHLO", b"HELO") and mode in ("endless-ehlo", "trickle-ehlo"):
            line = b"250-X-FILLER %s\r\n" % (b"x" * 60)
            if mode == "endless-ehlo":  # one write, past the probe's line and byte limits
                c.send(line * 3000)
                return
            for _ in range(40):
                c.send(line)
                time.sleep(0.5)
            return
        if verb in (b"EHLO", b"HELO"):
            if in_tls and mode in ("starttls-again", "implicit-starttls"):
                c.send(EHLO_TLS_STARTTLS)
            elif in_tls:
                c.send(EHLO_TLS)
            elif mode == "big-ehlo":
                filler = b"".join(b"250-X-FILLER-%03d %s\r\n" % (i, b"x" * 60) for i in range(80))
                c.send(b"250-mx.example.com\r\n" + filler + b"250 STARTTLS\r\n")
            elif mode in ("split-greeting", "slow-greeting", "evil-greeting"):
                c.send(b"250-mx.example.com\r\n250 PIPELINING\r\n")
            else:
                c.send(b"250-mx.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        elif verb == b"MAIL":
            if mode == "safe" and not in_tls:
                c.send(b"530 5.7.0 Must issue a STARTTLS command first\r\n")
            else:
                c.send(b"250 2.1.0 Ok\r\n")
        elif verb in (b"RSET", b"NOOP"):
            c.send(b"250 2.0.0 Ok\r\n")
        elif verb == b"QUIT":
            c.send(b"221 2.0.0 Bye\r\n")
            return
        elif verb == b"STARTTLS" and not in_tls:
            if mode == "starttls-group-stall" and c.buf:
                for _ in range(100):  # silent until the peer gives up
                    if c.line() is None:
                        return
                return
            if mode == "starttls454":
                c.send(b"454 4.7.0 TLS not available due to local problem\r\n")
                continue
            c.send(b"220 2.0.0 Ready to start TLS\r\n")
            if mode == "starttls-garbage":
                c.send(b"\x00\xffthis is not TLS\r\n" * 4)
                time.sleep(2)
                return
            if mode == "starttls-close":
                return
            kept = c.buf
            c.buf = b""
            t = ctx.wrap_socket(c.sock, server_side=True)
            tc = Conn(t)
            if mode == "vulnerable":
                tc.buf = kept  # plaintext bytes taken as if they came over TLS
            smtp_loop(tc, mode, ctx, True)
            return
        else:
            c.send(b"500 5.5.2 Error: command not recognized\r\n")


def serve_conn(sock, mode, ctx):
    try:
        if mode == "close":
            return
        if mode == "greet421":
            sock.sendall(b"421 4.3.2 mx.example.com Service not available, closing channel\r\n")
            return
        if mode == "https":
            t = ctx.wrap_socket(sock, server_side=True)
            c = Conn(t)
            c.line()  # whatever the request line is
            t.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        if mode == "implicit-starttls":
            t = ctx.wrap_socket(sock, server_side=True)
            t.sendall(b"220 mx.example.com ESMTP fake\r\n")
            smtp_loop(Conn(t), mode, ctx, True)
            return
        if mode == "split-greeting":
            for b in b"220 mx.example.com ESMTP split into pieces\r\n":
                sock.sendall(bytes([b]))
                time.sleep(0.01)
        elif mode == "slow-greeting":
            time.sleep(3)
            sock.sendall(b"220 mx.example.com ESMTP slow\r\n")
        elif mode == "evil-greeting":
            sock.sendall(b"220 mx.example.com \x1b]0;owned\x07\x1b[2J\x1b[31mred\x00\x08\r\n")
        else:
            sock.sendall(b"220 mx.example.com ESMTP fake\r\n")
        if mode == "no-ehlo":
            for _ in range(100):
                if not sock.recv(4096):
                    return
            return
        smtp_loop(Conn(sock), mode, ctx, False)
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def server_main(args):
    mode, port_file = args[0], args[1]
    cert = key = None
    duration = 60.0
    i = 2
    while i < len(args):
        if args[i] == "--cert":
            cert = args[i + 1]
        elif args[i] == "--key":
            key = args[i + 1]
        elif args[i] == "--duration":
            duration = float(args[i + 1])
        else:
            print("misbehave.py: unknown argument %s" % args[i], file=sys.stderr)
            return 2
        i += 2
    ctx = None
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    lsock.settimeout(0.2)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    import os

    os.rename(port_file + ".tmp", port_file)
    end = time.monotonic() + duration
    while time.monotonic() < end:
        try:
            sock, _ = lsock.accept()
        except socket.timeout:
            continue
        sock.settimeout(max(1.0, end - time.monotonic()))
        threading.Thread(target=serve_conn, args=(sock, mode, ctx), daemon=True).start()
    return 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] in ("garbage", "trickle"):
        return client_main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    if len(sys.argv) >= 4 and sys.argv[1] == "server":
        return server_main(sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
