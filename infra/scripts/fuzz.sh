#!/usr/bin/env bash
# make fuzz: run every Go fuzz test in the module for FUZZTIME each.
#
# The fuzz tests are discovered, not listed here: every `func FuzzXxx` that
# `go test -list` reports. Their seed corpora (f.Add and testdata/fuzz) already
# run in `make test`; this runs the fuzzing engine on each in turn. A crasher is
# written by Go to <package>/testdata/fuzz/FuzzXxx/ -- fix the code and commit
# that file so the case stays in the seed corpus.
#
# Usage: infra/scripts/fuzz.sh [FUZZTIME]   (default 20s; e.g. 1m, 500x)
set -euo pipefail
cd "$(dirname "$0")/../.."

fuzztime="${1:-20s}"
export CGO_ENABLED="${CGO_ENABLED:-0}"

# go test -list prints a package's matching names, then its "ok <pkg>" line.
mapfile -t found < <(go test -list '^Fuzz' ./... 2>&1 | awk '
  /^Fuzz[A-Za-z0-9_]*$/ { names[++n] = $1; next }
  /^ok[ \t]/            { for (i = 1; i <= n; i++) print $2 " " names[i]; n = 0; next }
  /^(FAIL|#|\?)/        { if ($0 ~ /^(FAIL|#)/) print "BUILD-FAIL " $0; n = 0 }
')

targets=()
broken=0
for line in "${found[@]}"; do
  if [[ $line == BUILD-FAIL* ]]; then
    echo "fuzz: cannot list: ${line#BUILD-FAIL }" >&2
    broken=1
  else
    targets+=("$line")
  fi
done
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "fuzz: no fuzz tests found" >&2
  exit 1
fi

echo "fuzz: ${#targets[@]} fuzz tests, ${fuzztime} each"
failed=()
for t in "${targets[@]}"; do
  pkg="${t% *}" name="${t#* }"
  echo "=== ${name} (${pkg})"
  # pipefail: the pipeline fails when go test does.
  if ! go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" 2>&1 | tail -n 20; then
    failed+=("$name ($pkg)")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  echo "fuzz: crashers are in <package>/testdata/fuzz/<FuzzName>/; fix the code and commit them." >&2
  exit 1
fi
if [[ $broken -ne 0 ]]; then
  echo "fuzz: some packages did not build (above); their fuzz tests did not run" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} passed"
