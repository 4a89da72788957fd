#!/usr/bin/env python3
"""Misbehaving clients for `smtpfuzz serve` tests: each ends by itself.

  misbehave.py garbage ADDR PORT   binary garbage, a flood line, then an early close
  misbehave.py trickle ADDR PORT   one byte every 200 ms for 4 s (the server's
                                   connection deadline is shorter)
"""
import socket
import sys
import time


def main():
    what, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
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


if __name__ == "__main__":
    sys.exit(main())
