#!/bin/bash -eu
# projects/smtpfuzz/run_tests.sh in google/oss-fuzz: runs the project's
# tests in the image after build.sh (ci/oss-fuzz/run_tests.sh).
exec "$SRC/smtpfuzz/ci/oss-fuzz/run_tests.sh" "$@"
