#!/usr/bin/env bash
# make bench: measure the functions against a bare aws-lambda-go "hello" on
# this machine, in one run, and write BENCHMARKS.md. Every figure in
# BENCHMARKS.md comes from this script; raw benchstat-comparable lines are
# kept in $OUT/bench.txt (compare two runs with `go tool benchstat old new`).
#
#   1. binary size, linux/arm64 stripped and zipped (the Makefile's own flags)
#   2. cold init: process start to first /next, >= 20 starts each, + inittrace
#   3. warm handler cost: go test -bench -benchmem over the handler benchmarks
#   4. end to end through the local stack (infra/devstack, DynamoDB Local):
#      load at fixed concurrency, and the gateway's overhead vs direct invokes
#
# Tunables (environment): COLD_STARTS (40), BENCH_COUNT (6), BENCH_TIME (300ms),
# LOAD_C (4), LOAD_D (5s), LOAD_ROUNDS (3), DIRECT_N (500), OUT (bin/bench).
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT="${OUT:-bin/bench}"
COLD_STARTS="${COLD_STARTS:-40}"
BENCH_COUNT="${BENCH_COUNT:-6}"
BENCH_TIME="${BENCH_TIME:-300ms}"
LOAD_C="${LOAD_C:-4}"
LOAD_D="${LOAD_D:-5s}"
LOAD_ROUNDS="${LOAD_ROUNDS:-3}"
DIRECT_N="${DIRECT_N:-500}"
MD="$OUT/BENCHMARKS.md"
RAW="$OUT/bench.txt"

rm -rf "$OUT"
mkdir -p "$OUT/arm64" "$OUT/host" "$OUT/md"
: >"$RAW"
started=$(date -u +%s)

log() { echo "bench: $*" >&2; }

# The functions that exist in this checkout (main.go under functions/).
fns=()
for d in functions/*/; do
  f=$(basename "$d")
  [[ -f "functions/$f/main.go" ]] && fns+=("$f")
done

# --- builds: the Makefile's own command line, reused for the hello ---------
# `make -n build-HealthFunction` prints the exact lambda build command; the
# hello and every function are built from it, so the flags are identical.
lambda_cmd=$(make -s -n build-HealthFunction ARTIFACTS_DIR=@OUT@ | grep 'go build')
[[ $lambda_cmd == *"./functions/health"* ]] || { log "cannot read the lambda build command from the Makefile"; exit 1; }
build() { # build <src> <out> <arm64|host>
  local cmd=${lambda_cmd//@OUT@\/bootstrap/$2}
  cmd=${cmd//.\/functions\/health/$1}
  [[ $3 == host ]] && cmd=${cmd//GOOS=linux GOARCH=arm64 /}
  eval "$cmd"
}
flags=${lambda_cmd#*go build }
flags=${flags% -o *}
log "build (flags: $flags)"
build ./infra/bench/hello "$OUT/arm64/hello/bootstrap" arm64
build ./infra/bench/hello "$OUT/host/hello/bootstrap" host
# The hello again with net/http's HTTP/2 left in (the Makefile's
# nethttpomithttp2 tag removed): what that tag saves, measured.
if [[ $lambda_cmd == *nethttpomithttp2* ]]; then
  h2_cmd=${lambda_cmd//,nethttpomithttp2/}
  h2_cmd=${h2_cmd//nethttpomithttp2,/}
  h2_cmd=${h2_cmd//@OUT@\/bootstrap/$OUT/arm64/hello-http2/bootstrap}
  eval "${h2_cmd//.\/functions\/health/./infra/bench/hello}"
fi
build ./infra/bench/sdkfloorenv "$OUT/arm64/sdkfloorenv/bootstrap" arm64
build ./infra/bench/sdkfloorenv "$OUT/host/sdkfloorenv/bootstrap" host
build ./infra/bench/sdkfloordrift "$OUT/arm64/sdkfloordrift/bootstrap" arm64
build ./infra/bench/sdkfloordrift "$OUT/host/sdkfloordrift/bootstrap" host
for f in "${fns[@]}"; do
  build "./functions/$f" "$OUT/arm64/$f/bootstrap" arm64
  build "./functions/$f" "$OUT/host/$f/bootstrap" host
done
go build -o "$OUT/benchcmd" ./infra/bench
B="$OUT/benchcmd"

# --- 1. size -------------------------------------------------------------
log "1/4 binary size"
args=(hello="$OUT/arm64/hello/bootstrap")
[[ -f $OUT/arm64/hello-http2/bootstrap ]] && args+=(hello-http2="$OUT/arm64/hello-http2/bootstrap")
args+=(sdkfloorenv="$OUT/arm64/sdkfloorenv/bootstrap" sdkfloordrift="$OUT/arm64/sdkfloordrift/bootstrap")
for f in "${fns[@]}"; do args+=("$f=$OUT/arm64/$f/bootstrap"); done
"$B" size -md "$OUT/md/1-size.md" "${args[@]}" | tee -a "$RAW"

# --- 2. cold init --------------------------------------------------------
log "2/4 cold init ($COLD_STARTS starts each)"
args=(hello="$OUT/host/hello/bootstrap" sdkfloorenv="$OUT/host/sdkfloorenv/bootstrap" sdkfloordrift="$OUT/host/sdkfloordrift/bootstrap")
for f in "${fns[@]}"; do args+=("$f=$OUT/host/$f/bootstrap"); done
"$B" coldinit -n "$COLD_STARTS" -md "$OUT/md/2-coldinit.md" "${args[@]}" | tee -a "$RAW"

# --- 3. warm handler cost ------------------------------------------------
# The handler benchmarks the function owners wrote: health, ticket create
# (DynamoDB + EventBridge answered by in-process HTTP stubs), keepalive
# result building, drift report building, a full client-log batch and the
# browser logger's served size. DynamoDB Local is not needed.
log "3/4 handler benchmarks (count $BENCH_COUNT, benchtime $BENCH_TIME)"
bench_pkgs=()
for p in ./functions/health ./functions/tickets ./functions/keepalive ./functions/driftscan ./functions/clientlogs \
         ./shared/tickets ./shared/uptime ./shared/probe ./shared/drift ./shared/clientlogs ./shared/status; do
  compgen -G "$p/*_test.go" >/dev/null && bench_pkgs+=("$p")
done
go test -run '^$' -bench . -benchmem -count "$BENCH_COUNT" -benchtime "$BENCH_TIME" "${bench_pkgs[@]}" \
  | tee "$OUT/gobench.txt" | grep -E '^(Benchmark|ok|FAIL|---)' >&2
grep -E '^(Benchmark|goos|goarch|pkg|cpu)' "$OUT/gobench.txt" >>"$RAW"
{
  echo '```'
  go tool benchstat "$OUT/gobench.txt"
  echo '```'
  echo
} >"$OUT/md/3-handlers.md"

# --- 4. end to end through the local stack ------------------------------
log "4/4 end to end through infra/devstack"
e2e_md="$OUT/md/4-e2e.md"
: >"$e2e_md"
if [[ ! -f infra/devstack/main.go ]] || [[ ${#fns[@]} -lt 4 ]]; then
  echo "_Not measured: the local stack or a function is missing from this checkout._" >>"$e2e_md"
else
  go build -o "$OUT/devstack" ./infra/devstack
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo 3917)
  "$OUT/devstack" -template template.yaml -bin "$OUT/host" -addr "127.0.0.1:$port" \
    -schedules=false -fire-at-start none >"$OUT/devstack.log" 2>&1 &
  ds_pid=$!
  trap 'kill -TERM $ds_pid 2>/dev/null || true; wait $ds_pid 2>/dev/null || true' EXIT
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$url/health" 2>/dev/null && break
    kill -0 $ds_pid 2>/dev/null || { cat "$OUT/devstack.log" >&2; log "devstack exited"; exit 1; }
    sleep 0.5
  done
  printf '{"subject":"Bench","body":"Load test ticket","tier":"growth"}' >"$OUT/ticket.json"
  echo "pkg: github.com/levqor/serverless/infra/bench" >>"$RAW" # benchstat groups by pkg: keep these apart from the go test lines
  "$B" load -md "$e2e_md" -name health -url "$url/health" -c "$LOAD_C" -d "$LOAD_D" -rounds "$LOAD_ROUNDS" -expect 200 | tee -a "$RAW"
  "$B" load -md "$e2e_md" -name tickets -url "$url/api/support/tickets" -post "$OUT/ticket.json" -c "$LOAD_C" -d "$LOAD_D" -rounds "$LOAD_ROUNDS" -expect 201 | tee -a "$RAW"
  "$B" direct -md "$e2e_md" -bin "$OUT/host/health/bootstrap" -fn health -path /health -url "$url/health" -n "$DIRECT_N" -rounds "$LOAD_ROUNDS" | tee -a "$RAW"
  kill -TERM $ds_pid 2>/dev/null || true
  wait $ds_pid 2>/dev/null || true
  trap - EXIT
fi

# --- BENCHMARKS.md -------------------------------------------------------
"$B" verdict -raw "$RAW" -md "$OUT/md/0-verdict.md"
elapsed=$(( $(date -u +%s) - started ))
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
{
  echo "# Benchmarks"
  echo
  echo "Generated by \`make bench\` (\`infra/scripts/bench.sh\`); every figure below comes from that one run,"
  echo "each beside its reference measured in the same run. Do not edit by hand: run \`make bench\` and commit."
  echo
  echo "| | |"
  echo "| --- | --- |"
  echo "| command | \`make bench\` (COLD_STARTS=$COLD_STARTS BENCH_COUNT=$BENCH_COUNT BENCH_TIME=$BENCH_TIME LOAD_C=$LOAD_C LOAD_D=$LOAD_D LOAD_ROUNDS=$LOAD_ROUNDS DIRECT_N=$DIRECT_N) |"
  echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') (took ${elapsed}s) |"
  echo "| commit | $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' 2>/dev/null || echo ' (with uncommitted changes)') |"
  echo "| CPU | ${cpu:-unknown}, \`nproc\` = $(nproc) |"
  echo "| memory | $(free -h | awk '/^Mem:/{print $2" total, "$7" available"}') |"
  echo "| go | $(go version) |"
  echo
  echo "## Targets (issue 6) against this run"
  echo
  cat "$OUT/md/0-verdict.md"
  echo "Fault behaviour is proven by \`make faults\` (infra/faults), not measured here."
  echo
  echo "## 1. Binary size (linux/arm64, the Makefile's flags: \`$flags\`)"
  echo
  echo "Zipped = the binary alone as \`bootstrap\` in a zip made as SAM CLI makes the deployment artifact (Python zipfile, ZIP_DEFLATED, zlib's default level). Targets: tickets ≤ 8 MiB stripped, ≤ 3 MiB zipped."
  echo
  cat "$OUT/md/1-size.md"
  echo "## 2. Cold init (host build, CGO_ENABLED=0, the Makefile's tags, same ldflags)"
  echo
  echo "Measured by \`infra/bench coldinit\`: its own Runtime API on loopback; the clock runs from just before exec to the"
  echo "function's first \`GET /2018-06-01/runtime/invocation/next\`. Target: within 3 ms of the hello's median."
  echo
  cat "$OUT/md/2-coldinit.md"
  echo "## 3. Warm handler cost (\`go test -run '^\$' -bench . -benchmem -count $BENCH_COUNT -benchtime $BENCH_TIME\`)"
  echo
  echo "Packages: ${bench_pkgs[*]}. Each benchmark runs with the garbage collector of the function it stands for (\`testutil.LambdaHeap\`: shared/heap's settings for that function's \`MemorySize\`), CreateTicket/seed-default-gc with Go's defaults. benchstat summary (median ± 95% confidence interval over $BENCH_COUNT runs):"
  echo
  cat "$OUT/md/3-handlers.md"
  [[ -f infra/bench/notes.md ]] && cat infra/bench/notes.md
  echo "## 4. End to end through the local stack (infra/devstack + DynamoDB Local)"
  echo
  echo "Load by \`infra/bench load\` (loopback only, fixed concurrency and duration); every answer must have the expected"
  echo "status, anything else counts as an error. Gateway overhead by \`infra/bench direct\`."
  echo
  cat "$e2e_md"
  echo "## Raw results"
  echo
  echo "All benchstat-comparable lines of this run are in \`$RAW\` (not committed). Compare two runs with"
  echo "\`go tool benchstat old.txt new.txt\`."
} >"$MD"
cp "$MD" BENCHMARKS.md
log "wrote BENCHMARKS.md and $RAW in ${elapsed}s"
