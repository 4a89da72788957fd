#!/bin/sh
# Writes the bash completion for smtpfuzz from the built command's own help,
# so every command's options stay right as its help changes:
#   - the commands from `smtpfuzz help`;
#   - each command's options from `smtpfuzz help CMD`: every '--name' in it;
#     one written '--name VALUE' or '--name=VALUE' takes a value, and VALUE
#     says how it completes: 'a|b|c' offers a, b and c; FILE (or F, PATH,
#     or a name ending in FILE) completes file names, DIR directories;
#     anything else (MS, N, key=value, ...) nothing;
#   - `show --flaw` offers the names `smtpfuzz show --list-flaws` prints.
# Operands complete file names, `smtpfuzz help` command names.
#   cmake/smtpfuzz-completion.sh path/to/smtpfuzz OUT
# Called by the build (cmake/docs.cmake); any failure leaves no OUT.
set -eu

if [ $# -ne 2 ] || [ ! -x "$1" ]; then
  echo "usage: cmake/smtpfuzz-completion.sh path/to/smtpfuzz OUT" >&2
  exit 2
fi
bin=$1
out=$2
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

commands=$("$bin" help | awk '/^Commands:$/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
[ -n "$commands" ] || { echo "smtpfuzz-completion.sh: no commands in 'smtpfuzz help'" >&2; exit 1; }

# options CMD: one line per option, "NAME<TAB>KIND", KIND as _smtpfuzz_value
# below prints it ("" for an option without a value).
options() {
  "$bin" help "$1" | awk '
    {
      line = $0
      while (match(line, /--[a-z][a-z0-9-]*/)) {
        name = substr(line, RSTART, RLENGTH)
        line = substr(line, RSTART + RLENGTH)
        if (!(name in seen)) { seen[name] = 1; order[++n] = name }
        if (line !~ /^[ =][^ ]/)
          continue
        tok = substr(line, 2)
        sub(/[ ,;)\]].*$/, "", tok)
        if (tok ~ /\|/) {
          gsub(/\|/, " ", tok)
          if (tok ~ /^[a-z0-9 ._-]+$/) { kind[name] = "words " tok; continue }
        }
        if (kind[name] ~ /^words /)
          continue
        if (tok ~ /^(F|PATH|[A-Z]*FILE)$/)
          kind[name] = "files"
        else if (tok ~ /^[A-Z]*DIR$/)
          kind[name] = "dirs"
        else if (tok ~ /^[A-Z][A-Z0-9_:.]*$/ || tok ~ /=/)
          if (kind[name] == "") kind[name] = "any"
      }
    }
    END {
      if (!("--help" in seen)) order[++n] = "--help"
      for (i = 1; i <= n; i++) printf "%s\t%s\n", order[i], kind[order[i]]
    }'
}

tmp=$out.tmp
trap 'rm -f "$tmp"' EXIT
{
  echo "# bash completion for smtpfuzz, made at build time from the command's own"
  echo "# help by cmake/smtpfuzz-completion.sh ($("$bin" --version))."
  echo
  echo "_smtpfuzz_commands='$(echo $commands)'"
  echo
  echo "# _smtpfuzz_options CMD: the options of CMD."
  echo "_smtpfuzz_options() {"
  echo "  case \$1 in"
  for cmd in $commands; do
    echo "  $cmd) echo '$(options "$cmd" | cut -f1 | tr '\n' ' ' | sed 's/ $//')' ;;"
  done
  echo "  esac"
  echo "}"
  echo
  echo "# _smtpfuzz_value CMD OPTION: how the value of OPTION completes: 'words W...',"
  echo "# 'files', 'dirs', 'any' (a value nothing can suggest), or nothing: OPTION"
  echo "# takes no value."
  echo "_smtpfuzz_value() {"
  echo "  case \"\$1 \$2\" in"
  for cmd in $commands; do
    options "$cmd" | while IFS='	' read -r name kind; do
      if [ "$cmd $name" = "show --flaw" ]; then
        kind="words $("$bin" show --list-flaws | cut -f1 | tr '\n' ' ' | sed 's/ $//')"
      fi
      if [ -n "$kind" ]; then
        echo "  '$cmd $name') echo '$kind' ;;"
      fi
    done
  done
  echo "  esac"
  echo "}"
  cat <<'BODY'

_smtpfuzz() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev="" cmd="" opt="" pre="" kind i first
  COMPREPLY=()
  # The command: the first word that is not an option.
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ ${COMP_WORDS[i]} != -* ]]; then
      cmd=${COMP_WORDS[i]}
      break
    fi
  done
  if [[ -z $cmd ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$_smtpfuzz_commands --help --version" -- "$cur")
    return 0
  fi
  first=$i
  # The value of an option: '--opt value', or '--opt=value', which bash
  # splits into three words when '=' is in COMP_WORDBREAKS (the default).
  ((COMP_CWORD > first + 1)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  if [[ $cur == = && $prev == --?* ]]; then
    opt=$prev
    cur=""
  elif [[ $prev == = ]] && ((COMP_CWORD > first + 2)); then
    opt=${COMP_WORDS[COMP_CWORD - 2]}
  elif [[ $cur == --?*=* ]]; then
    opt=${cur%%=*}
    pre=$opt=
    cur=${cur#*=}
  elif [[ $prev == --?* ]]; then
    opt=$prev
  fi
  kind=""
  [[ -n $opt ]] && kind=$(_smtpfuzz_value "$cmd" "$opt")
  if [[ -n $kind ]]; then
    case $kind in
    words\ *) mapfile -t COMPREPLY < <(compgen -W "${kind#words }" -- "$cur") ;;
    files) compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    dirs) compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    esac
    if [[ -n $pre ]]; then
      COMPREPLY=("${COMPREPLY[@]/#/$pre}")
    fi
    return 0
  fi
  # Options until '--'; then operands only.
  for ((i = first + 1; i < COMP_CWORD; i++)); do
    [[ ${COMP_WORDS[i]} == -- ]] && break
  done
  if ((i == COMP_CWORD)) && [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_smtpfuzz_options "$cmd")" -- "$cur")
    return 0
  fi
  if [[ $cmd == help ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$_smtpfuzz_commands" -- "$cur")
    return 0
  fi
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  return 0
}
complete -F _smtpfuzz smtpfuzz
BODY
} >"$tmp"
mv "$tmp" "$out"
trap - EXIT
