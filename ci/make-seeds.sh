#!/usr/bin/env bash
# Regenerates the binary seeds of the scenario fuzz targets from text:
#   corpus/fuzz_session/<name>.bin    one per corpus/scenarios/<name>.scn
#   corpus/fuzz_portmode/<pairing>.bin the whole port x mode x tls x server matrix
# Existing seeds are kept (smtpfuzz convert never overwrites); delete a file
# to have it made again.
#   ci/make-seeds.sh [BUILD_DIR]   (default build/ci-gcc; must hold harness/smtpfuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
smtpfuzz="${1:-build/ci-gcc}/harness/smtpfuzz"
[ -x "$smtpfuzz" ] || { echo "ci/make-seeds.sh: $smtpfuzz not built" >&2; exit 2; }

mkdir -p corpus/fuzz_session corpus/fuzz_portmode
made=0
for scn in corpus/scenarios/*.scn; do
  out="corpus/fuzz_session/$(basename "$scn" .scn).bin"
  [ -e "$out" ] && continue
  "$smtpfuzz" convert "$scn" "$out"
  made=$((made + 1))
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for port in 25 465 587 2525; do
  for profile in plain/none starttls/opportunistic starttls/required implicit/required; do
    mode=${profile%/*} tls=${profile#*/}
    for server in submission implicit relay legacy silent; do
      name="p$port-$mode-$tls-vs-$server"
      out="corpus/fuzz_portmode/$name.bin"
      [ -e "$out" ] && continue
      printf 'name = %s\nclient.port = %s\nclient.mode = %s\nclient.tls = %s\nserver = %s\n' \
        "$name" "$port" "$mode" "$tls" "$server" >"$tmp/$name.scn"
      "$smtpfuzz" convert "$tmp/$name.scn" "$out"
      made=$((made + 1))
    done
  done
done
echo "ci/make-seeds.sh: $made seeds made"
