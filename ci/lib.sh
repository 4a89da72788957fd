# Shared helpers for ci/*.sh (sourced, not run).

# Every fuzz target, one word each (fuzz/<name>.c, corpus/<name>/, one
# sf_fuzz_target line in fuzz/CMakeLists.txt): the one list every script
# reads (ci/fuzz.sh, ci/bench.sh, ci/coverage.sh, ci/oss-fuzz/build.sh).
SF_FUZZ_TARGETS=(fuzz_reply fuzz_ehlo fuzz_session fuzz_portmode fuzz_starttls)
# Those whose inputs are binary scenarios: AFL++ gets the scenario custom
# mutator for them (fuzz/afl_mutator.c), as libFuzzer gets mutator_scenario.c.
SF_SCENARIO_TARGETS=(fuzz_session fuzz_portmode fuzz_starttls fuzz_curl fuzz_libesmtp)
# Third-party clients in-process (harness/byoc/): each needs its library,
# built first by ci/third-party.sh (for libFuzzer with ASan+UBSan, for AFL++
# with afl-clang-fast; libESMTP for libFuzzer only).
SF_BYOC_TARGETS=(fuzz_curl fuzz_libesmtp)

# sf_install_packages PKG...: install the Debian packages that are missing.
sf_install_packages() {
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  # Another install may hold dpkg's lock (two scripts at once): wait for it.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}"
}

sf_step() {
  printf '\n== %s ==\n' "$*"
}

# Background processes a script started (SF_STARTED, by PID); only these
# are ever killed. sf_kill_started_on_exit installs the traps that do it.
SF_STARTED=()
sf_kill_started() {
  local pid
  for pid in "${SF_STARTED[@]+"${SF_STARTED[@]}"}"; do
    kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null || true
  done
}
sf_kill_started_on_exit() {
  trap sf_kill_started EXIT
  trap 'sf_kill_started; exit 130' INT TERM
}

# sf_children_cpu FILE: the CPU seconds (user and system) of the finished
# children, from FILE, which holds the output of bash's `times` (run into a
# file: in a pipe or $(...) it would run in a subshell of its own).
sf_children_cpu() {
  tail -n1 "$1" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); n += t[1] * 60 + t[2] } printf "%.3f", n }'
}

# sf_bounded SECONDS LOG CMD...: CMD under timeout, output to LOG, in the
# background so that only its PID is ever killed; returns its exit status.
sf_bounded() {
  local limit=$1 log=$2 status=0
  shift 2
  timeout -k 5 "$limit" "$@" >"$log" 2>&1 &
  local pid=$!
  SF_STARTED+=("$pid")
  wait "$pid" || status=$?
  return "$status"
}

# sf_end_stopped_orphans BINARY...: afl-fuzz, when it ends (at -V, or at its
# first crash with AFL_BENCH_UNTIL_CRASH), can leave a stopped persistent-mode
# child of a fork server behind, in a session of its own (so no process group
# of ours holds it) and reparented once its server is gone. Such a child runs
# one of the BINARYs (built by the calling script; the child of the CMPLOG
# server shows the CMPLOG path but runs the main binary), is stopped, and its
# parent is no fork server running one of them, or that server's afl-fuzz is
# gone (the server then goes too). A live run's processes (another instance
# on the same binaries) have a live afl-fuzz above them and never match.
# Call it once the afl-fuzz has exited: nothing forks such a child after that.
sf_end_stopped_orphans() {
  local exes=() b pid state ppid gpid afl
  for b in "$@"; do exes+=("$(realpath "$b")"); done
  afl=$(readlink -f "$(command -v afl-fuzz)")
  ours() { [[ " ${exes[*]} " == *" $(readlink "/proc/$1/exe" 2>/dev/null) "* ]]; }
  proc_stat() { awk '{print $3, $4}' "/proc/$1/stat" 2>/dev/null || echo "- -"; }
  for pid in $(for b in "$@"; do pgrep -x "$(basename "$b" | cut -c1-15)"; done | sort -u); do
    ours "$pid" || continue
    read -r state ppid <<<"$(proc_stat "$pid")"
    [ "$state" = T ] || continue
    if ! ours "$ppid"; then
      kill -KILL "$pid" 2>/dev/null || true
      continue
    fi
    read -r _ gpid <<<"$(proc_stat "$ppid")"
    [ "$(readlink "/proc/$gpid/exe" 2>/dev/null)" = "$afl" ] || kill -KILL "$pid" "$ppid" 2>/dev/null || true
  done
}

# sf_fuzz_option FILE KEY: a value from a fuzz target's .options file
# ("key = value" under [libfuzzer]), or nothing when the file or key is not
# there.
sf_fuzz_option() {
  [ -f "$1" ] || return 0
  sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*\\(.*[^[:space:]]\\)[[:space:]]*\$/\\1/p" "$1" | head -n1
}

# sf_libfuzzer_args SRC TARGET: the libFuzzer arguments TARGET's .options
# file in SRC/fuzz asks for (its dictionary and max_len, as OSS-Fuzz passes
# them), one per line, for `mapfile -t ARRAY < <(sf_libfuzzer_args ...)`.
sf_libfuzzer_args() {
  local opts=$1/fuzz/$2.options dict max_len
  dict=$(sf_fuzz_option "$opts" dict)
  max_len=$(sf_fuzz_option "$opts" max_len)
  [ -z "$dict" ] || echo "-dict=$1/fuzz/$dict"
  [ -z "$max_len" ] || echo "-max_len=$max_len"
}

# sf_bug_field BUG COLUMN: a column of BUG's line in bench/bugs/reproducers
# (1 the bug, 2 its fuzz target, 3 its reproducer, 4.. what the finding
# says); fails with a message when the bug has no line.
sf_bug_field() {
  local line
  line=$(awk -v b="$1" '$1 == b { print; exit }' bench/bugs/reproducers 2>/dev/null)
  [ -n "$line" ] || { echo "bench/bugs/reproducers: no line for bug '$1'" >&2; return 1; }
  if [ "$2" -ge 4 ]; then
    awk '{ $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' <<<"$line"
  else
    awk -v c="$2" '{ print $c }' <<<"$line"
  fi
}

# sf_apt_source PKG DIR: Debian's source package PKG (the newest version in
# the suites apt already uses that the mirror serves whole, Debian's patches
# applied) unpacked into DIR/PKG-VERSION, whose path is printed. Fetched
# once: later calls reuse it (remove DIR to fetch again). The machine's apt
# configuration is only read: the deb-src entries and the package lists
# live in a private folder (DIR/apt), passed to apt with -o, so nothing
# under /etc/apt or /var/lib/apt changes. Needs dpkg-dev (dpkg-source).
sf_apt_source() {
  local pkg=$1 dir=$2
  if [ -f "$dir/$pkg.path" ] && [ -f "$(cat "$dir/$pkg.path")/.sf-unpacked" ]; then
    cat "$dir/$pkg.path"
    return 0
  fi
  local apt=$dir/apt
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d"
  apt=$(cd "$apt" && pwd)
  # The Debian suites apt already fetches from (deb822 or one-line sources
  # alike), as apt itself reports them: "500 URI SUITE/COMPONENT ARCH
  # Packages", then "release ...,o=Debian,...".
  local entries
  entries=$(apt-cache policy 2>/dev/null | awk '
    $1 ~ /^[0-9]+$/ && $2 ~ /^(https?|file):/ && $NF == "Packages" { uri = $2; sc = $3; next }
    uri != "" && /release/ && /o=Debian/ {
      n = split(sc, p, "/"); comp = p[n]
      print uri, substr(sc, 1, length(sc) - length(comp) - 1), comp
    }
    { uri = "" }' | sort -u)
  [ -n "$entries" ] || { echo "sf_apt_source: apt uses no Debian mirror (apt-cache policy)" >&2; return 1; }
  local keyring="" uri suite comp
  [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] &&
    keyring="[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
  while read -r uri suite comp; do
    echo "deb-src ${keyring}$uri $suite $comp"
  done <<<"$entries" >"$apt/sources.list"
  local opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=$apt/sources.list.d"
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=root")
  timeout 600 apt-get "${opts[@]}" update -qq >"$apt/update.log" 2>&1 ||
    { cat "$apt/update.log" >&2; echo "sf_apt_source: apt-get update (private lists) failed" >&2; return 1; }
  local versions v upstream got=""
  versions=$(apt-cache "${opts[@]}" showsrc "$pkg" 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -rV -u)
  [ -n "$versions" ] || { echo "sf_apt_source: no source package '$pkg' in $apt/sources.list" >&2; return 1; }
  # Newest first; a mirror that lacks a version's files (a security update
  # not mirrored yet) makes it fall back to the next.
  local stage=$dir/download
  for v in $versions; do
    rm -rf "$stage"
    mkdir -p "$stage"
    if (cd "$stage" && timeout 900 apt-get "${opts[@]}" source --download-only -qq "$pkg=$v") \
      >"$apt/source.log" 2>&1; then
      got=$v
      break
    fi
    echo "sf_apt_source: $pkg $v is not on the mirror whole; trying an older version" >&2
  done
  [ -n "$got" ] || { cat "$apt/source.log" >&2; echo "sf_apt_source: no version of $pkg could be fetched" >&2; return 1; }
  upstream=${got#*:}
  upstream=${upstream%-*}
  rm -rf "${dir:?}/$pkg-$upstream"
  (cd "$stage" && timeout 600 dpkg-source --no-copy -x "$(ls ./*.dsc)" "../$pkg-$upstream") \
    >"$apt/unpack.log" 2>&1 ||
    { cat "$apt/unpack.log" >&2; echo "sf_apt_source: dpkg-source -x failed for $pkg $got" >&2; return 1; }
  rm -rf "$stage"
  touch "$dir/$pkg-$upstream/.sf-unpacked"
  (cd "$dir/$pkg-$upstream" && pwd) | tee "$dir/$pkg.path"
}

# The planted bugs (bench/bugs/NAME.patch) whose names begin with one of the
# comma-separated prefixes in $1 (every one when $1 is empty), by name into
# the array `bugs`.
sf_select_bugs() {
  bugs=()
  local p n w keep wanted
  for p in bench/bugs/*.patch; do
    n=$(basename "$p" .patch)
    if [ -n "$1" ]; then
      keep=0
      IFS=, read -r -a wanted <<<"$1"
      for w in "${wanted[@]}"; do [[ "$n" == "$w"* ]] && keep=1; done
      [ "$keep" = 1 ] || continue
    fi
    bugs+=("$n")
  done
}

# sf_lines FILE: how many lines FILE has, 0 when it does not exist.
sf_lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
