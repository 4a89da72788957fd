#!/bin/bash
# OSS-Fuzz / ClusterFuzzLite build script for smtpfuzz.
#   ci/oss-fuzz/build.sh            run inside the builder image (or by ci/oss-fuzz-local.sh)
#   ci/oss-fuzz/build.sh --help     this text
# Honours the builder's environment: CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE
# SANITIZER FUZZING_ENGINE OUT SRC WORK. Puts into $OUT, for every fuzz/fuzz_*.c:
# the target, NAME_seed_corpus.zip (corpus/NAME), NAME.dict and NAME.options.
#
# How a target is linked: CMake builds the engine and harness libraries and the
# target's replay program (SF_FUZZ_ENGINE=none) with $CC $CFLAGS; its recorded
# link line (link.txt) is then reused with driver_replay.o swapped for
# fuzz/driver_libfuzzer.c (the LLVMFuzzer* entry points), plus
# $LIB_FUZZING_ENGINE, linked by $CXX. So whatever a target needs (OpenSSL
# included) comes from the same CMake files as every other build. For AFL++,
# $LIB_FUZZING_ENGINE is libAFLDriver.a, which supplies main() and calls
# LLVMFuzzerInitialize/LLVMFuzzerTestOneInput. The scenario targets also get
# fuzz/mutator_scenario.c, fuzz/scenario_mutator.c and fuzz/limit_pad.c, and
# fuzz_reply gets fuzz/mutator_reply.c, with the libFuzzer engine only (they call
# LLVMFuzzerMutate, which only libFuzzer defines).
#
# OpenSSL 3: the default base-builder image ships OpenSSL 1.1.1, so the
# Dockerfile clones OpenSSL 3 into $SRC/openssl and this script builds it
# statically with the same $CC/$CFLAGS (instrumented, MSan-safe) into
# $WORK/openssl. Without $SRC/openssl (a local run) the system OpenSSL is used.
set -euo pipefail

case "${1:-}" in
  -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}"
: "${SANITIZER:=address}" "${FUZZING_ENGINE:=libfuzzer}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${SRC:=/src}" "${WORK:=/work}" "${OUT:=/out}"
here=$(cd "$(dirname "$0")" && pwd)
# The source: next to this script (ci/oss-fuzz/ in the tree), or where the
# Dockerfiles clone or copy it when this file runs as $SRC/build.sh.
if [ -n "${SMTPFUZZ_ROOT:-}" ]; then
  root=$SMTPFUZZ_ROOT
elif [ -f "$here/../../fuzz/target.h" ]; then
  root=$(cd "$here/../.." && pwd)
else
  root=$SRC/smtpfuzz
fi
# Every child is bounded: a stuck compiler must not hang the builder.
limit=${SMTPFUZZ_BUILD_LIMIT:-1800}
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$OUT" "$WORK"

cmake_args=()
if [ -d "$SRC/openssl" ] && [ -f "$SRC/openssl/Configure" ]; then
  ossl=$WORK/openssl
  if [ ! -f "$ossl/lib/libssl.a" ] && [ ! -f "$ossl/lib64/libssl.a" ]; then
    echo "build.sh: building OpenSSL 3 from $SRC/openssl into $ossl"
    (cd "$SRC/openssl" &&
      timeout "$limit" ./Configure no-shared no-tests no-module no-dso no-asm \
        enable-fuzz-libfuzzer-no-link --prefix="$ossl" --libdir=lib \
        CC="$CC" CFLAGS="$CFLAGS" >/dev/null 2>&1 ||
      timeout "$limit" ./Configure no-shared no-tests no-module no-dso no-asm \
        --prefix="$ossl" --libdir=lib CC="$CC" CFLAGS="$CFLAGS" &&
      timeout "$limit" make -j"$jobs" build_libs >/dev/null &&
      timeout "$limit" make install_dev >/dev/null)
  fi
  cmake_args+=("-DOPENSSL_ROOT_DIR=$ossl" -DOPENSSL_USE_STATIC_LIBS=TRUE)
fi

# libcurl for fuzz_curl (ci/third-party.sh builds it with the builder's
# flags): from $SRC/curl, the Dockerfile's clone, or SMTPFUZZ_CURL_SRC; none,
# no fuzz_curl.
curl_src=${SMTPFUZZ_CURL_SRC:-$SRC/curl}
if [ -d "$curl_src" ] && bash "$root/ci/third-party.sh" --src "$curl_src" --out "$WORK/curl" --cc "$CC" \
  --cflags "$CFLAGS" ${ossl:+--openssl "$ossl"} curl; then
  cmake_args+=("-DSF_CURL_DIR=$WORK/curl/install")
fi

# The target list: every fuzz/fuzz_*.c (a new target is picked up by itself).
targets=()
for f in "$root"/fuzz/fuzz_*.c; do
  [ -f "$f" ] && targets+=("$(basename "$f" .c)")
  # Third-party targets need their library: libcurl (above); no libESMTP here.
  [[ "$f" != */fuzz_curl.c || " ${cmake_args[*]} " == *SF_CURL_DIR* ]] || unset 'targets[-1]'
  [[ "$f" != */fuzz_libesmtp.c ]] || unset 'targets[-1]'
done
[ ${#targets[@]} -gt 0 ] || { echo "build.sh: no fuzz/fuzz_*.c in $root" >&2; exit 1; }

# Targets that link the structure-aware mutator: those fuzz/CMakeLists.txt
# gives mutator_scenario.c (its foreach(t ...) line).
mutated=" $(sed -n '/foreach(t /{N;/mutator_scenario/s/.*foreach(t \([^)]*\)).*/\1/p}' \
  "$root/fuzz/CMakeLists.txt" | tr '\n' ' ') "

bdir=$WORK/smtpfuzz-build
echo "build.sh: configuring ($FUZZING_ENGINE, $SANITIZER) in $bdir"
# CMAKE_BUILD_TYPE=None: the builder's $CFLAGS alone choose optimisation and
# sanitizers; warnings are not errors with whatever clang the image carries.
timeout "$limit" cmake -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" -DSF_FUZZ_ENGINE=none \
  -DSF_SANITIZE=OFF -DSF_WERROR=OFF "${cmake_args[@]}" >"$bdir.configure.log" 2>&1 ||
  { cat "$bdir.configure.log" >&2; exit 1; }
replays=()
for t in "${targets[@]}"; do replays+=("${t}_replay"); done
timeout "$limit" cmake --build "$bdir" -j"$jobs" --target "${replays[@]}" >"$bdir.build.log" 2>&1 ||
  { tail -n 60 "$bdir.build.log" >&2; exit 1; }

fdir=$bdir/fuzz
obj=$WORK/smtpfuzz-obj
mkdir -p "$obj"
# shellcheck disable=SC2086 # CFLAGS is a list of words by contract
timeout "$limit" $CC $CFLAGS -I"$root/fuzz" -c "$root/fuzz/driver_libfuzzer.c" -o "$obj/driver_libfuzzer.o"
mutator_objs=() reply_objs=()
if [ "$FUZZING_ENGINE" = libfuzzer ]; then
  for m in mutator_scenario scenario_mutator limit_pad mutator_reply; do
    # shellcheck disable=SC2086
    timeout "$limit" $CC $CFLAGS -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
      -I"$root/harness" -I"$root/src" -I"$root/fuzz" -c "$root/fuzz/$m.c" -o "$obj/$m.o"
    case $m in
      mutator_reply) reply_objs+=("$obj/$m.o") ;;
      limit_pad) mutator_objs+=("$obj/$m.o"); reply_objs+=("$obj/$m.o") ;;
      *) mutator_objs+=("$obj/$m.o") ;;
    esac
  done
fi

for t in "${targets[@]}"; do
  link=$fdir/CMakeFiles/${t}_replay.dir/link.txt
  [ -f "$link" ] || { echo "build.sh: no link line for $t ($link)" >&2; exit 1; }
  # The recorded line minus the compiler, the replay driver and its -o.
  read -r -a words <"$link"
  rest=()
  skip=0
  for ((i = 1; i < ${#words[@]}; i++)); do
    w=${words[$i]}
    if [ "$skip" = 1 ]; then skip=0; continue; fi
    case "$w" in
      -o) skip=1 ;;
      */driver_replay.c.o) ;;
      *) rest+=("$w") ;;
    esac
  done
  extra=("$obj/driver_libfuzzer.o")
  [ ${#mutator_objs[@]} -gt 0 ] && [[ "$mutated" == *" $t "* ]] && extra+=("${mutator_objs[@]}")
  # fuzz_reply's own step to the parser's limits (fuzz/mutator_reply.c).
  [ "$t" = fuzz_reply ] && [ ${#reply_objs[@]} -gt 0 ] && extra+=("${reply_objs[@]}")
  echo "build.sh: linking $t${mutator_objs[*]:+ (custom mutator: $([[ "$mutated" == *" $t "* ]] && echo yes || echo no))}"
  # shellcheck disable=SC2086 # CXXFLAGS and LIB_FUZZING_ENGINE are word lists
  (cd "$fdir" && timeout "$limit" $CXX $CXXFLAGS "${extra[@]}" "${rest[@]}" \
    $LIB_FUZZING_ENGINE -o "$OUT/$t")

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
