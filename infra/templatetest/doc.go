// Package templatetest holds the template test: checks that template.yaml,
// the Makefile, functions/ and events/ agree. Every function folder has one
// function resource, a build-<LogicalId> target and sample events; every
// function is built the SAM way for provided.al2023 on arm64; every route
// belongs to an existing function; every route, schedule and stream has a
// sample event, and every sample HTTP event names a route of its function;
// the API, table, bus, schedules and outputs the SPEC needs exist. Each
// check is also run against a broken copy of the project to show that it
// fails. Run with `go test ./infra/templatetest`.
package templatetest
