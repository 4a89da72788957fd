# Options of the live suite's client wrappers (nullmailer_client.sh,
# ssmtp_client.sh, esmtp_client.sh), sourced by them:
#   client_args "OPTIONAL..." "REQUIRED..." -- ARGS...
# Sets the variable of each --NAME VALUE in ARGS (a dash in NAME becomes an
# underscore: --tls-max sets tls_max); every name starts empty. Exits 2 with
# the reason on an unknown option, an option without a value, or a required
# one missing or empty.
client_args() {
  local optional=$1 required=$2 me=${0##*/} name var
  shift 3
  for name in $optional $required; do
    printf -v "${name//-/_}" '%s' ''
  done
  while [ $# -gt 0 ]; do
    name=${1#--}
    if [[ "$1" != --* || " $optional $required " != *" $name "* ]]; then
      echo "$me: unknown option '$1'" >&2
      exit 2
    fi
    [ $# -ge 2 ] || { echo "$me: $1 needs a value" >&2; exit 2; }
    printf -v "${name//-/_}" '%s' "$2"
    shift 2
  done
  for name in $required; do
    var=${name//-/_}
    [ -n "${!var}" ] || { echo "$me: --$name is required" >&2; exit 2; }
  done
}
