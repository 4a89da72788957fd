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
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
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

