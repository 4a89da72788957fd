#!/bin/bash -eu
# ClusterFuzzLite build: exactly the OSS-Fuzz one (ci/oss-fuzz/build.sh).
exec "$SRC/smtpfuzz/ci/oss-fuzz/build.sh" "$@"
