#!/usr/bin/env bash
# Fetch and build third-party SMTP client libraries for the in-process
# "bring your own client" targets (harness/byoc/), from Debian 12 source
# packages, instrumented for fuzzing.
#   ci/third-party.sh curl            fetch (once) and build libcurl (once)
#   ci/third-party.sh libesmtp        the same for libESMTP 1.1.0 (meson)
#   ci/third-party.sh --rebuild curl  build again from the fetched source
#   ci/third-party.sh --patch FILE --variant NAME curl
#                                     a copy with FILE applied (a planted bug,
#                                     bench/curl/), built into NAME-named folders
#   ci/third-party.sh --cc afl-clang-fast --variant afl curl
#                                     another compiler (no sanitizer flags then)
#   ci/third-party.sh --coverage --variant cov curl
#                                     clang source-based coverage, no sanitizer
#   ci/third-party.sh --src DIR --out DIR --cc CC --cflags FLAGS curl
#                                     an outside build (OSS-Fuzz): a given source
#                                     tree (a git checkout gets autoreconf), the
#                                     builder's compiler and flags, DIR/install
#                                     (--openssl DIR: that OpenSSL, not the system's)
#   ci/third-party.sh --help          this text
# Source: `apt-get source NAME` through deb-src entries for the mirrors apt
# already uses (read from /etc/apt/sources.list and sources.list.d), written
# to a private apt configuration under build/third-party/apt; the machine's
# own apt configuration is never changed. Output: build/third-party/NAME/
#   src/      the unpacked source package (Debian patches applied)
#   install/  the static library and headers the CMake build finds
#   stamp     what was built, and how (a changed recipe builds again)
# (a variant: build/third-party/NAME-VARIANT/ with its own patched copy).
# Build: clang with -fsanitize=fuzzer-no-link,address,undefined (the
# flags of the libFuzzer and ASan builds), static, only what SMTP needs.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib.sh

usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
rebuild=0
libs=()
variant="" patch_file="" cc=clang coverage=0 given_src="" given_out="" given_cflags="" given_openssl=""
need() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "ci/third-party.sh: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rebuild) rebuild=1; shift ;;
    --variant) need "$@"; variant=$2; shift 2 ;;
    --patch) need "$@"; patch_file=$(realpath "$2"); shift 2 ;;
    --cc) need "$@"; cc=$2; shift 2 ;;
    --coverage) coverage=1; shift ;;
    --src) need "$@"; given_src=$(realpath "$2"); shift 2 ;;
    --out) need "$@"; mkdir -p "$2"; given_out=$(realpath "$2"); shift 2 ;;
    --cflags) [ $# -ge 2 ] || need "$@"; given_cflags=$2; shift 2 ;;
    --openssl) need "$@"; given_openssl=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    curl | libesmtp) libs+=("$1"); shift ;;
    *) echo "ci/third-party.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#libs[@]} -gt 0 ] || { echo "ci/third-party.sh: name a library (curl, libesmtp)" >&2; exit 2; }
[ -z "$patch_file" ] || [ -f "$patch_file" ] || { echo "ci/third-party.sh: no patch file $patch_file" >&2; exit 2; }
[ -z "$patch_file" ] || [ -n "$variant" ] || { echo "ci/third-party.sh: --patch needs --variant" >&2; exit 2; }
[[ "$variant" =~ ^[a-z0-9-]*$ ]] || { echo "ci/third-party.sh: --variant: letters, digits and - only" >&2; exit 2; }

top=$PWD/build/third-party
mkdir -p "$top"
limit=1800

# ---- a private apt configuration with deb-src entries --------------------------
apt_dir=$top/apt
apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=$apt_dir/sources.list.d"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Sandbox::User=root"
  -o "Debug::NoLocking=1")

# deb_src_lines: one "deb-src [signed-by=K] URI SUITE COMPONENTS" line per
# "deb" entry of the machine's sources, in both file formats.
deb_src_lines() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -nE 's/^[[:space:]]*deb[[:space:]]+((\[[^]]*\])[[:space:]]+)?([^[:space:]]+)[[:space:]]+(.*)$/deb-src \2 \3 \4/p' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: blank-line separated stanzas; keep those whose Types has deb.
    awk 'function flush() {
           if (types ~ /(^| )deb( |$)/ && uris != "" && suites != "" && enabled != "no") {
             n = split(uris, u, " "); m = split(suites, s, " ")
             for (i = 1; i <= n; i++) for (k = 1; k <= m; k++)
               printf "deb-src %s%s %s %s\n", (key != "" ? "[signed-by=" key "] " : ""), u[i], s[k], comps
           }
           types = uris = suites = comps = key = enabled = ""
         }
         /^[[:space:]]*#/ { next }
         /^[[:space:]]*$/ { flush(); next }
         { line = $0; sub(/^[^:]*:[[:space:]]*/, "", line); f = tolower($1); sub(/:$/, "", f)
           if (f == "types") types = line; else if (f == "uris") uris = line
           else if (f == "suites") suites = line; else if (f == "components") comps = line
           else if (f == "signed-by") key = line; else if (f == "enabled") enabled = tolower(line) }
         END { flush() }' "$f"
  done
}

apt_ready() {
  mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  deb_src_lines | sed -E 's/  +/ /g' | sort -u >"$apt_dir/sources.list.new"
  [ -s "$apt_dir/sources.list.new" ] ||
    { echo "ci/third-party.sh: no 'deb' entry in /etc/apt/sources.list{,.d}: no mirror to fetch sources from" >&2; exit 1; }
  if ! cmp -s "$apt_dir/sources.list.new" "$apt_dir/sources.list" || [ -z "$(ls "$apt_dir/lists" | grep -v partial)" ]; then
    mv "$apt_dir/sources.list.new" "$apt_dir/sources.list"
    echo "ci/third-party.sh: apt-get update (private lists: $apt_dir)"
    timeout "$limit" apt-get "${apt_opts[@]}" update -qq
  else
    rm -f "$apt_dir/sources.list.new"
  fi
}

# fetch NAME VERSION_PREFIX: the source package unpacked in $top/NAME/src.
fetch() {
  local name=$1 want=$2 dir=$top/$1
  if [ -f "$dir/src/.fetched" ]; then return 0; fi
  sf_install_packages dpkg-dev
  apt_ready
  rm -rf "$dir/fetch" "$dir/src"
  mkdir -p "$dir/fetch"
  (cd "$dir/fetch" && timeout "$limit" apt-get "${apt_opts[@]}" source -qq "$name" >../fetch.log 2>&1) ||
    { cat "$dir/fetch.log" >&2; echo "ci/third-party.sh: apt-get source $name failed" >&2; exit 1; }
  local unpacked
  unpacked=$(find "$dir/fetch" -mindepth 1 -maxdepth 1 -type d -name "$name-*" | head -n1)
  [ -n "$unpacked" ] || { echo "ci/third-party.sh: apt-get source $name unpacked nothing" >&2; exit 1; }
  case "$(basename "$unpacked")" in
    "$name-$want"*) ;;
    *) echo "ci/third-party.sh: expected $name $want, got $(basename "$unpacked")" >&2; exit 1 ;;
  esac
  mv "$unpacked" "$dir/src"
  ls "$dir/fetch" >"$dir/src/.fetched"
  rm -rf "$dir/fetch"
}

# ---- libcurl -----------------------------------------------------------------------
san_flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"

build_curl() {
  local dir=$top/curl${variant:+-$variant} src=$top/curl/src
  local flags=$san_flags ldflags="-fsanitize=address,undefined"
  if [ -n "$given_src" ]; then
    # Outside build: nothing installed or fetched here; the flags are the
    # caller's, for compiling and linking alike (sanitizers included).
    dir=${given_out:-$top/curl-outside} src=$given_src flags=$given_cflags ldflags=$given_cflags
    if [ ! -x "$src/configure" ]; then
      (cd "$src" && timeout "$limit" autoreconf -fi >/dev/null 2>&1) ||
        { echo "ci/third-party.sh: autoreconf failed in $src" >&2; exit 1; }
    fi
  else
    sf_install_packages clang libclang-rt-14-dev libssl-dev make patch rsync
    fetch curl 7.88
  fi
  # AFL++'s compiler instruments by itself; its builds here carry no sanitizer.
  if [ "$cc" != clang ] && [ -z "$given_src" ]; then flags="-g -O1 -fno-omit-frame-pointer" ldflags=""; fi
  if [ "$coverage" = 1 ]; then
    flags="-g -O1 -fprofile-instr-generate -fcoverage-mapping" ldflags="-fprofile-instr-generate"
  fi
  # SMTP and SMTPS over OpenSSL and (almost) nothing else: no other
  # protocol, no proxy, no compression, no IDN, no threads (the synchronous
  # resolver calls getaddrinfo, which the shim answers), no socketpair (the
  # multi handle's wake-up pipe would be a real descriptor). HTTP stays in:
  # Debian's fix for CVE-2023-38039 has pingpong.c (SMTP) call
  # Curl_bump_headersize(), which exists only in http.c, so 7.88.1-10+deb12u*
  # does not link with --disable-http.
  local conf=(--disable-shared --enable-static --with-openssl${given_openssl:+=$given_openssl} --without-zlib --without-brotli
    --without-zstd --without-libidn2 --without-libpsl --without-nghttp2 --without-nghttp3
    --without-ngtcp2 --without-librtmp --without-libssh2 --without-libssh --without-libgsasl
    --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp
    --disable-pop3 --disable-imap --disable-smb --disable-gopher --disable-mqtt --disable-ftp
    --disable-file --disable-proxy --disable-manual --disable-ntlm
    --disable-ntlm-wb --disable-unix-sockets --disable-cookies --disable-alt-svc --disable-hsts
    --disable-doh --disable-mime --disable-netrc --disable-progress-meter --disable-threaded-resolver
    --disable-socketpair --disable-ares --disable-websockets --enable-smtp
    --with-ca-bundle=/nonexistent --with-ca-path=/nonexistent)
  local recipe="$cc $flags ${conf[*]}${patch_file:+ patch $(sha1sum <"$patch_file" | cut -c1-40)}"
  if [ "$rebuild" = 0 ] && [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$recipe" ] &&
    [ -f "$dir/install/lib/libcurl.a" ]; then
    echo "ci/third-party.sh: libcurl already built ($dir/install)"
    return 0
  fi
  rm -rf "$dir/build" "$dir/install" "$dir/stamp"
  mkdir -p "$dir/build"
  if [ -n "$patch_file" ]; then
    # A copy of the source with the planted bug; the fetched source stays clean.
    rsync -a --delete --exclude .fetched "$src/" "$dir/src-patched/"
    patch -s -p1 -d "$dir/src-patched" <"$patch_file"
    src=$dir/src-patched
  fi
  echo "ci/third-party.sh: configuring libcurl${variant:+ ($variant)} (log: $dir/build/configure.log)"
  (cd "$dir/build" && CC=$cc CFLAGS="$flags" LDFLAGS="$ldflags" \
    timeout "$limit" "$src/configure" --prefix="$dir/install" "${conf[@]}" >configure.log 2>&1) ||
    { tail -n 30 "$dir/build/configure.log" >&2; exit 1; }
  echo "ci/third-party.sh: building libcurl (log: $dir/build/make.log)"
  (cd "$dir/build" && timeout "$limit" make -j"$(nproc)" -C lib >make.log 2>&1 &&
    timeout "$limit" make -C lib install >>make.log 2>&1 &&
    timeout "$limit" make -C include install >>make.log 2>&1) ||
    { tail -n 30 "$dir/build/make.log" >&2; exit 1; }
  echo "$recipe" >"$dir/stamp"
  echo "ci/third-party.sh: libcurl built into $dir/install"
}

# ---- libESMTP ------------------------------------------------------------------------
build_libesmtp() {
  local dir=$top/libesmtp${variant:+-$variant} src=$top/libesmtp/src
  sf_install_packages clang libclang-rt-14-dev libssl-dev meson ninja-build pkg-config
  fetch libesmtp 1.1
  # Static, STARTTLS over OpenSSL, no threads; the SASL mechanisms stay the
  # plugins libESMTP loads at run time (built and installed alongside).
  local opts=(--prefix="$dir/install" --libdir=lib -Ddefault_library=static -Dtls=enabled
    -Dpthreads=disabled -Dxdg=false -Dlwres=disabled --buildtype=plain)
  local recipe="$cc $san_flags ${opts[*]}"
  if [ "$rebuild" = 0 ] && [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$recipe" ] &&
    [ -f "$dir/install/lib/libesmtp.a" ]; then
    echo "ci/third-party.sh: libESMTP already built ($dir/install)"
    return 0
  fi
  rm -rf "$dir/build" "$dir/install" "$dir/stamp"
  echo "ci/third-party.sh: building libESMTP (log: $dir/build.log)"
  mkdir -p "$dir"
  (CC=$cc CFLAGS="$san_flags" LDFLAGS="-fsanitize=address,undefined" \
    timeout "$limit" meson setup "$dir/build" "$src" "${opts[@]}" >"$dir/build.log" 2>&1 &&
    timeout "$limit" meson compile -C "$dir/build" -j "$(nproc)" >>"$dir/build.log" 2>&1 &&
    timeout "$limit" meson install -C "$dir/build" >>"$dir/build.log" 2>&1) ||
    { tail -n 30 "$dir/build.log" >&2; exit 1; }
  echo "$recipe" >"$dir/stamp"
  echo "ci/third-party.sh: libESMTP built into $dir/install"
}

for l in "${libs[@]}"; do
  "build_$l"
done
