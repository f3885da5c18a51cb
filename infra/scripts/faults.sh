#!/usr/bin/env bash
# make faults: the fault tests (infra/faults) against the real binaries.
#
#   - DynamoDB Local killed during a stream of ticket requests, then restarted
#   - DynamoDB slowed by a latency proxy: SDK deadlines fire before the timeout
#   - the event bus failing: tickets still created, events arrive after recovery
#   - a keepalive target hanging: the run completes inside its deadline
#   - log output of a ticket with markers and CRLF, through the whole stack
#
# They take over a minute (each scenario starts DynamoDB Local and the local
# stack), so they are not in `make test`; CI runs this after it.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT="${OUT:-bin/faults}"
mkdir -p "$OUT"
echo "faults: building the functions for this machine and the local stack"
make -s build-test-bins
export LEVQOR_PREBUILT="$PWD/bin/test" LEVQOR_FAULTS=1
go test -count=1 -timeout 15m -v ./infra/faults 2>&1 | tee "$OUT/faults.log" | grep -E '^(=== RUN|--- |\s+\S+_test.go:|PASS|FAIL|ok)' || true
if ! grep -qE '^ok\s' "$OUT/faults.log"; then
  echo "faults: FAILED (full output in $OUT/faults.log)" >&2
  exit 1
fi
if grep -q -- '--- SKIP' "$OUT/faults.log"; then
  echo "faults: some fault tests were skipped (see $OUT/faults.log)" >&2
  exit 1
fi
echo "faults: all passed"
