#!/bin/bash
# OSS-Fuzz / ClusterFuzzLite build script for smtpfuzz. The build.sh of the
# OSS-Fuzz project folder (ci/oss-fuzz/project/build.sh) and
# .clusterfuzzlite/build.sh only call this one.
#   ci/oss-fuzz/build.sh            run inside the builder image (or by ci/oss-fuzz-local.sh)
#   ci/oss-fuzz/build.sh --help     this text
# Reads the builder's environment: CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE
# SANITIZER FUZZING_ENGINE SRC WORK OUT. Puts into $OUT, for every fuzz target
# (SF_FUZZ_TARGETS in ci/lib.sh): the target, NAME_seed_corpus.zip
# (corpus/NAME), NAME.dict and NAME.options.
#
# The targets are built by CMake like every other build of ours, with the
# builder's compilers and flags, SF_FUZZ_ENGINE=libfuzzer (the
# LLVMFuzzerTestOneInput interface) and LIB_FUZZING_ENGINE, which the targets
# are linked with by $CXX. The structure-aware custom mutators call
# LLVMFuzzerMutate, so they are linked for the libFuzzer engine only
# (SF_FUZZ_MUTATORS). The build stays in $WORK/smtpfuzz-build, where
# run_tests.sh builds and runs the unit tests.
#
# OpenSSL 3: with $SRC/openssl (the Dockerfiles clone a release there) it is
# built first, static, with the same $CC/$CFLAGS (so it is instrumented like
# our code), outside the source tree, into $WORK/openssl
# (SMTPFUZZ_OPENSSL_PREFIX overrides; a build made with the same source and
# flags is reused). Without $SRC/openssl the system's OpenSSL 3 is used.
set -eu -o pipefail

case "${1:-}" in
  -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}"
: "${SANITIZER:=address}" "${FUZZING_ENGINE:=libfuzzer}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${SRC:=/src}" "${WORK:=/work}" "${OUT:=/out}"
here=$(cd "$(dirname "$0")" && pwd)
# The source: next to this script (ci/oss-fuzz/ in the tree), or where the
# Dockerfiles put it.
if [ -n "${SMTPFUZZ_ROOT:-}" ]; then
  root=$SMTPFUZZ_ROOT
elif [ -f "$here/../../fuzz/target.h" ]; then
  root=$(cd "$here/../.." && pwd)
else
  root=$SRC/smtpfuzz
fi
# shellcheck source=../lib.sh
source "$root/ci/lib.sh" # SF_FUZZ_TARGETS
# Every step is bounded: a stuck compiler must not hang the builder.
limit=${SMTPFUZZ_BUILD_LIMIT:-1800}
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$OUT" "$WORK"

# run LOG CMD...: CMD bounded, its output in LOG; on failure the end of LOG
# is shown and the script stops.
run() {
  local log=$1
  shift
  if ! timeout "$limit" "$@" >"$log" 2>&1; then
    echo "build.sh: failed: $*" >&2
    tail -n 60 "$log" >&2
    echo "build.sh: (whole log: $log)" >&2
    exit 1
  fi
}

cmake_args=()
if [ -f "$SRC/openssl/Configure" ]; then
  ossl=${SMTPFUZZ_OPENSSL_PREFIX:-$WORK/openssl}
  # MemorySanitizer sees no writes made by assembly: C only then.
  asm=()
  [ "$SANITIZER" = memory ] && asm=(no-asm)
  # Only the libraries: no tests, apps or docs are built or installed.
  conf=(no-shared no-tests no-module no-dso "${asm[@]}" "--prefix=$ossl" --libdir=lib
    "CC=$CC" "CFLAGS=$CFLAGS")
  version=$(sed -n 's/^ *\(MAJOR\|MINOR\|PATCH\) *= *\([0-9]*\).*/\2/p' "$SRC/openssl/VERSION.dat" |
    paste -sd. -)
  stamp="openssl $version: ${conf[*]}"
  if [ -f "$ossl/lib/libssl.a" ] && [ "$(cat "$ossl/.smtpfuzz-stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "build.sh: OpenSSL $version already built with these flags in $ossl"
  else
    echo "build.sh: building OpenSSL $version from $SRC/openssl into $ossl"
    rm -rf "$ossl" "$ossl.build"
    mkdir -p "$ossl.build"
    (cd "$ossl.build" && run "$ossl.configure.log" "$SRC/openssl/Configure" "${conf[@]}")
    run "$ossl.build.log" make -C "$ossl.build" -j"$jobs" build_libs
    run "$ossl.install.log" make -C "$ossl.build" install_dev
    echo "$stamp" >"$ossl/.smtpfuzz-stamp"
    rm -rf "$ossl.build"
  fi
  cmake_args+=("-DOPENSSL_ROOT_DIR=$ossl" -DOPENSSL_USE_STATIC_LIBS=TRUE)
fi

# libcurl for fuzz_curl (ci/third-party.sh builds it with the builder's
# flags): from $SRC/curl, the Dockerfile's clone, or SMTPFUZZ_CURL_SRC; none,
# no fuzz_curl. (libESMTP's target is not built here.)
targets=("${SF_FUZZ_TARGETS[@]}")
curl_src=${SMTPFUZZ_CURL_SRC:-$SRC/curl}
if [ -d "$curl_src" ]; then
  run "$WORK/curl.log" bash "$root/ci/third-party.sh" --src "$curl_src" --out "$WORK/curl" \
    --cc "$CC" --cflags "$CFLAGS" ${ossl:+--openssl "$ossl"} curl
  cmake_args+=("-DSF_CURL_DIR=$WORK/curl/install")
  targets+=(fuzz_curl)
fi

mutators=OFF
[ "$FUZZING_ENGINE" = libfuzzer ] && mutators=ON
bdir=$WORK/smtpfuzz-build
echo "build.sh: configuring ($FUZZING_ENGINE, $SANITIZER) in $bdir"
rm -rf "$bdir"
# CMAKE_BUILD_TYPE=None: the builder's flags alone choose optimisation and
# sanitizers; warnings are not errors with whatever clang the image carries.
run "$bdir.configure.log" cmake -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" \
  -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DSF_FUZZ_ENGINE=libfuzzer -DLIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" \
  -DSF_FUZZ_MUTATORS="$mutators" -DSF_SANITIZE=OFF -DSF_WERROR=OFF "${cmake_args[@]}"
echo "build.sh: building ${targets[*]} (custom mutators: $mutators)"
run "$bdir.build.log" cmake --build "$bdir" -j"$jobs" --target "${targets[@]}"

for t in "${targets[@]}"; do
  cp "$bdir/fuzz/$t" "$OUT/$t"
  # Seeds, dictionary, options.
  rm -f "$OUT/${t}_seed_corpus.zip"
  if [ -d "$root/corpus/$t" ]; then
    (cd "$root/corpus/$t" && find . -type f ! -name '*.md' -print0 | sort -z |
      xargs -0 -r zip -q -j "$OUT/${t}_seed_corpus.zip")
  fi
  dict=smtp.dict
  if [ -f "$root/fuzz/$t.options" ]; then
    cp "$root/fuzz/$t.options" "$OUT/$t.options"
    d=$(sed -n 's/^[[:space:]]*dict[[:space:]]*=[[:space:]]*\([^[:space:]]*\).*/\1/p' "$root/fuzz/$t.options" | head -n1)
    [ -n "$d" ] && dict=$d
  fi
  if [ -f "$root/fuzz/$dict" ]; then
    cp "$root/fuzz/$dict" "$OUT/$t.dict"
    # The .options file names the dictionary by its own name too.
    cp "$root/fuzz/$dict" "$OUT/$dict"
  fi
done
echo "build.sh: built ${targets[*]} into $OUT"
