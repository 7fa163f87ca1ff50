#!/usr/bin/env bash
# The short CI fuzz run: build and instrument once, then every target for FUZZ_CI_SECONDS (default 45) seconds,
# one AFL++ instance at a time. Exits non-zero if any target saved a crash or a hang (see fuzz/run.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_CI_SECONDS:-45}
start=$(date +%s)
fuzz/run.sh all "$seconds"
rc=$?
echo "fuzz CI: $(( $(date +%s) - start ))s for every target at ${seconds}s each, exit $rc"
exit $rc
