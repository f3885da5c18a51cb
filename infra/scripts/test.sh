#!/usr/bin/env bash
# Runs every test: go vet, then go test over the whole module with ONE
# DynamoDB Local shared by all packages (DYNAMODB_ENDPOINT). ddblocal stops
# DynamoDB Local when go test ends, however it ends; the java process also
# dies with ddblocal if that is killed. Exit code: go test's, or 1 when only
# go vet or the go.mod tidiness check failed.
# GOTESTFLAGS adds flags, e.g. GOTESTFLAGS="-run TestX -v" make test.
set -uo pipefail
cd "$(dirname "$0")/../.."

echo "== go vet ./..."
go vet ./...
vet=$?

# go.mod and go.sum must be what `go mod tidy` makes of the imports, so a
# dependency added or dropped in code is never left out of (or in) them.
echo "== gofmt -l"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './infra/dynamodb/*'))
if [[ -n $unformatted ]]; then
  echo "not gofmt'ed (run gofmt -w):" >&2
  echo "$unformatted" >&2
  vet=1
fi

echo "== go mod tidy -diff"
if ! go mod tidy -diff; then
  echo "go.mod/go.sum are not tidy: run go mod tidy and commit" >&2
  vet=1
fi

mkdir -p bin/tools
go build -o bin/tools/ddblocal ./infra/dynamolocal/cmd/ddblocal || exit 2

# Every binary a test runs is built here, outside the per-package timeout:
# on a cold build cache compiling them inside a test took minutes.
echo "== build the binaries the tests run (bin/test)"
make -s build-test-bins || exit 2
export LEVQOR_PREBUILT="$PWD/bin/test"

# Chromium for the browser tests (Debian's package; a no-op when present).
bash infra/scripts/chromium.sh

echo "== go test ./... (DynamoDB Local shared)"
# -p 2: two packages at a time keeps a 2-core machine responsive; -timeout
# bounds one package so a hung test cannot eat the whole run.
# shellcheck disable=SC2086
bin/tools/ddblocal -- go test -count=1 -p 2 -timeout 4m ${GOTESTFLAGS:-} ./...
code=$?

if (( code == 0 && vet != 0 )); then
  echo "go vet failed (see above)" >&2
  code=$vet
fi
exit $code
