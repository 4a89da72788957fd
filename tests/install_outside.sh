#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then an outside project built
# against the installed files only (tests/outside/: a tiny client that sends
# AUTH in plaintext, its adapter and a scenario), once through pkg-config
# and once through find_package(smtpfuzz); each must earn exactly LEAK_AUTH.
# Also: every installed header compiles on its own, and the installed
# command, man page and completion are there.
#   tests/install_outside.sh BUILD_DIR CC "CFLAGS"    (from the repository root)
set -u

if [ $# -ne 3 ] || [ ! -d "$1" ]; then
  echo "usage: tests/install_outside.sh BUILD_DIR CC \"CFLAGS\"" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
cc=$2
read -r -a cflags <<<"$3"
src=$PWD/tests/outside
work=$build/install-test
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"
check_log=$work/log
source "$(dirname "$0")/check.sh"

# verdict_is WANT CMD...: CMD runs the adapter, whose last line must be WANT.
verdict_is() {
  local want=$1
  shift
  local got
  got=$("$@" 2>&1) || { echo "$got"; return 1; }
  echo "$got"
  [ "$(printf '%s\n' "$got" | tail -n 1)" = "$want" ]
}

check "cmake --install into $prefix" cmake --install "$build" --prefix "$prefix"

# The command, its man page and completion.
check "installed smtpfuzz runs" "$prefix/bin/smtpfuzz" --version
check "installed smtpfuzz is the built one" \
  cmp <("$prefix/bin/smtpfuzz" help) <("$build/harness/smtpfuzz" help)
check "man page installed" test -s "$prefix/share/man/man1/smtpfuzz.1"
check "bash completion installed" test -s "$prefix/share/bash-completion/completions/smtpfuzz"

# The library: archives, headers, pkg-config file, CMake package.
inc=$prefix/include/smtpfuzz
check "the harness archive installed" test -s "$prefix/lib/libsf_harness.a"
check "pkg-config file installed" test -s "$prefix/lib/pkgconfig/smtpfuzz-harness.pc"
check "CMake package installed" test -s "$prefix/lib/cmake/smtpfuzz/smtpfuzzConfig.cmake"
for h in client.h sim.h oracle.h scenario.h scenario_text.h wire.h; do
  check "public header $h installed" test -s "$inc/$h"
done
# Each header alone, from the installed folder only (it includes nothing of
# ours that was not installed).
mkdir -p "$work/headers"
for h in "$inc"/*.h; do
  name=$(basename "$h")
  printf '#include "%s"\n' "$name" >"$work/headers/$name.c"
  check "installed $name compiles on its own" \
    "$cc" -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$work/headers/$name.c"
done

# Through pkg-config.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
check "pkg-config knows smtpfuzz-harness" pkg-config --exists --print-errors smtpfuzz-harness
read -r -a pc_cflags <<<"$(pkg-config --cflags smtpfuzz-harness 2>/dev/null)"
read -r -a pc_libs <<<"$(pkg-config --libs smtpfuzz-harness 2>/dev/null)"
check "adapter builds through pkg-config" \
  "$cc" -std=c11 -Wall -Wextra -Werror "${cflags[@]}" "${pc_cflags[@]}" "$src/adapter.c" \
  -o "$work/adapter-pkgconfig" "${pc_libs[@]}"
check "adapter (pkg-config) earns LEAK_AUTH" \
  verdict_is "verdicts: LEAK_AUTH" "$work/adapter-pkgconfig" "$src/plaintext-auth.scn"

# Through find_package(smtpfuzz).
check "adapter configures with find_package(smtpfuzz)" \
  cmake -S "$src" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="${cflags[*]}"
check "find_package found the installed package" \
  grep -qxF "smtpfuzz_DIR:PATH=$prefix/lib/cmake/smtpfuzz" "$work/cmake-build/CMakeCache.txt"
check "adapter builds with find_package(smtpfuzz)" cmake --build "$work/cmake-build"
check "adapter (find_package) earns LEAK_AUTH" \
  verdict_is "verdicts: LEAK_AUTH" "$work/cmake-build/adapter" "$src/plaintext-auth.scn"

check_done install_outside
