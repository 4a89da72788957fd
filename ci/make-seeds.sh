#!/usr/bin/env bash
# Makes the binary seeds of the scenario fuzz targets from text:
#   corpus/fuzz_session/<name>.bin       one per corpus/scenarios/<name>.scn
#   corpus/fuzz_curl/<name>.bin,         the same (libcurl and libESMTP in-process)
#   corpus/fuzz_libesmtp/<name>.bin
#   corpus/fuzz_starttls/<name>.bin      the same, and tls13-<name>.bin (TLS 1.3,
#                                        resumed) for the ok-, cert-,
#                                        injection-, caps- and submission- ones,
#                                        tls13-full-<name>.bin (TLS 1.3, full
#                                        handshakes) for the ok- and cert- ones
#   corpus/fuzz_curl/tls13-eager-<name>.bin,  for the ok- ones: TLS 1.3 resumed,
#   corpus/fuzz_libesmtp/tls13-eager-<name>.bin  the server reading each write
#                                        at once (harness/adapter.h)
#   corpus/fuzz_portmode/<pairing>.bin   the whole port x mode x tls x server matrix
# Existing seeds are kept (smtpfuzz convert never overwrites); delete a file to
# have it made again.
#   ci/make-seeds.sh [--rebuild] [BUILD_DIR]   (default build/ci-gcc; must hold harness/smtpfuzz)
# --rebuild first deletes the seeds this script makes (after a change of the
# binary form), never anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
rebuild=0
dir=build/ci-gcc
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --rebuild) rebuild=1 ;;
    -*) echo "ci/make-seeds.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
    *) dir=$arg ;;
  esac
done
smtpfuzz="$dir/harness/smtpfuzz"
[ -x "$smtpfuzz" ] || { echo "ci/make-seeds.sh: $smtpfuzz not built" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ports=(25 465 587 2525)
profiles=(plain/none starttls/opportunistic starttls/required implicit/required)
servers=(submission implicit relay legacy silent)

# tls13 NAME: the scenarios that also get a TLS 1.3 seed (resumed);
# tls13_full NAME: those that get one with a full handshake too;
# tls13_eager NAME: those that get a TLS 1.3 seed with an eager server for
# the clients under the shim.
tls13() { [[ "$1" =~ ^(ok|cert|injection|caps|submission)- ]]; }
tls13_full() { [[ "$1" =~ ^(ok|cert)- ]]; }
tls13_eager() { [[ "$1" =~ ^ok- ]]; }

if [ "$rebuild" = 1 ]; then
  for scn in corpus/scenarios/*.scn; do
    name=$(basename "$scn" .scn)
    rm -f "corpus/fuzz_session/$name.bin" "corpus/fuzz_starttls/$name.bin" "corpus/fuzz_curl/$name.bin" "corpus/fuzz_libesmtp/$name.bin" \
      "corpus/fuzz_starttls/tls13-$name.bin" "corpus/fuzz_starttls/tls13-full-$name.bin" \
      "corpus/fuzz_curl/tls13-eager-$name.bin" "corpus/fuzz_libesmtp/tls13-eager-$name.bin"
  done
  for port in "${ports[@]}"; do
    for profile in "${profiles[@]}"; do
      for server in "${servers[@]}"; do
        rm -f "corpus/fuzz_portmode/p$port-${profile%/*}-${profile#*/}-vs-$server.bin"
      done
    done
  done
fi

mkdir -p corpus/fuzz_session corpus/fuzz_portmode corpus/fuzz_starttls corpus/fuzz_curl corpus/fuzz_libesmtp
made=0
for scn in corpus/scenarios/*.scn; do
  name=$(basename "$scn" .scn)
  for t in fuzz_session fuzz_starttls fuzz_curl fuzz_libesmtp; do
    out="corpus/$t/$name.bin"
    # libESMTP's own crashers are asserted by a test of their own, not seeds:
    # the libesmtp-* scenarios, and cert-wildcard-too-wide (its host check
    # overflows a pointer on the one-character label '*': fuzz/CMakeLists.txt).
    [ "$t" = fuzz_libesmtp ] && [[ "$name" == libesmtp-* || "$name" == cert-wildcard-too-wide ]] &&
      continue
    [ -e "$out" ] && continue
    "$smtpfuzz" convert "$scn" "$out"
    made=$((made + 1))
  done
  # The scenario targets read the TLS-phase timeout's lowest bits
  # (harness/adapter.h): 1 is "TLS 1.3, resumed", 3 "TLS 1.3, a full
  # handshake", and 4 added, for the clients under the shim, "the server
  # reads each write at once".
  for seed in "300001 fuzz_starttls tls13 tls13" "300003 fuzz_starttls tls13-full tls13_full" \
    "300005 fuzz_curl tls13-eager tls13_eager" "300005 fuzz_libesmtp tls13-eager tls13_eager"; do
    read -r v t prefix wanted <<<"$seed"
    "$wanted" "$name" || continue
    out="corpus/$t/$prefix-$name.bin"
    [ -e "$out" ] && continue
    grep -v '^client\.timeout\.tls' "$scn" >"$tmp/$name.scn"
    echo "client.timeout.tls = $v" >>"$tmp/$name.scn"
    "$smtpfuzz" convert "$tmp/$name.scn" "$out"
    made=$((made + 1))
  done
done

for port in "${ports[@]}"; do
  for profile in "${profiles[@]}"; do
    mode=${profile%/*} tls=${profile#*/}
    for server in "${servers[@]}"; do
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
