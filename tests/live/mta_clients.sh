#!/usr/bin/env bash
# Unpacks the SMTP clients of three small Debian mail transfer agents into
# build/mta-clients/ without installing them: nullmailer's smtp module, ssmtp
# and esmtp (which runs on Debian's libESMTP). Each package provides
# mail-transport-agent, so installing one would remove Postfix, which the
# live suite also runs; `apt-get download` and `dpkg-deb -x` take only the
# files (no maintainer script runs, nothing under /etc or /usr changes). The
# libraries they link are installed as usual. The nullmailer-*, ssmtp-* and
# esmtp-* profiles run the unpacked programs through their wrappers
# (tests/live/nullmailer_client.sh, ssmtp_client.sh, esmtp_client.sh).
#   tests/live/mta_clients.sh      (after `apt-get update`; prints the folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
source ci/lib.sh
sf_install_packages libgnutls30 libgnutls-openssl27 libesmtp6 libstdc++6
out=$PWD/build/mta-clients
mkdir -p "$out/debs"
for p in nullmailer ssmtp esmtp; do
  v=$(apt-cache policy "$p" | sed -n 's/^ *Candidate: //p')
  if [ -z "$v" ] || [ "$v" = "(none)" ]; then
    echo "tests/live/mta_clients.sh: no Debian package '$p' known to apt (run apt-get update)" >&2
    exit 1
  fi
  # Unpacked already at this version: nothing to do.
  [ "$(cat "$out/$p.version" 2>/dev/null)" = "$v" ] && continue
  rm -f "$out/debs/${p}_"*.deb
  (cd "$out/debs" && timeout 300 apt-get -qq -o APT::Sandbox::User=root download "$p=$v")
  timeout 60 dpkg-deb -x "$out/debs/${p}_"*.deb "$out/root"
  echo "$v" >"$out/$p.version"
done
for f in usr/lib/nullmailer/smtp usr/sbin/ssmtp usr/bin/esmtp; do
  [ -x "$out/root/$f" ] || { echo "tests/live/mta_clients.sh: $out/root/$f is missing" >&2; exit 1; }
done
echo "$out"
