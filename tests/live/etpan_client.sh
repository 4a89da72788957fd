#!/usr/bin/env bash
# Builds tests/live/etpan_client.c once into build/etpan/etpan-client against
# Debian's LibEtPan (libetpan-dev) and OpenSSL: the libetpan-* profiles run it.
#   tests/live/etpan_client.sh     (needs libetpan-dev, libssl-dev, gcc)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/etpan
mkdir -p "$out"
timeout 300 gcc -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O1 -g -o "$out/etpan-client" \
  tests/live/etpan_client.c -letpan -lcrypto
echo "$out/etpan-client"
