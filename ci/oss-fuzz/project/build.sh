#!/bin/bash -eu
# projects/smtpfuzz/build.sh in google/oss-fuzz: the build lives in the
# smtpfuzz repository (ci/oss-fuzz/build.sh), so it changes with the code.
exec "$SRC/smtpfuzz/ci/oss-fuzz/build.sh" "$@"
