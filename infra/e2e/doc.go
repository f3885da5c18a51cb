// Package e2e holds the end-to-end test of the local stack: `go test
// ./infra/e2e` builds every function and infra/devstack, runs them on free
// ports against DynamoDB Local ($DYNAMODB_ENDPOINT under `make test`), and
// checks the seed's verification commands and the SPEC's error behaviour
// over real HTTP. The harness is in package stacktest.
package e2e
