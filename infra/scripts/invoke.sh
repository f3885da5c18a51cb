#!/usr/bin/env bash
# make invoke FN=health EVENT=events/health.json: build one function for this
# machine and run it once on the event under the Lambda runtime interface
# emulator, like `sam local invoke` (see infra/invoke/cmd/invoke).
set -euo pipefail
cd "$(dirname "$0")/../.."
if (( $# != 2 )); then
  echo "usage: make invoke FN=<function folder> EVENT=<event file>   e.g. make invoke FN=health EVENT=events/health.json" >&2
  exit 2
fi
mkdir -p bin/tools
go build -o bin/tools/invoke ./infra/invoke/cmd/invoke
exec bin/tools/invoke "$1" "$2"
