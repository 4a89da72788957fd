# Shared helpers for ci/*.sh (sourced, not run).

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
