# Sourced by the shell tests. check WHAT COMMAND...: runs COMMAND with its
# output in $check_log (which the test sets) and counts a pass or a failure;
# a failure prints WHAT, that output and each file named in $check_show
# (what the command looked at). check_done NAME prints the count and fails
# if anything did.
passed=0
failed=0
check_show=""

check() {
  local what=$1 f
  shift
  if "$@" >"$check_log" 2>&1; then
    passed=$((passed + 1))
    return
  fi
  failed=$((failed + 1))
  echo "FAIL: $what" >&2
  for f in "$check_log" $check_show; do
    sed "s/^/  $(basename "$f")| /" "$f" >&2
  done
}

check_done() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
