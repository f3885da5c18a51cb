// Package workflowtest holds the tests over .github/workflows: actionlint
// (github.com/rhysd/actionlint, the binary make deps builds) finds nothing
// in them, and
// each workflow still does its job (CI runs .ci/run on push and pull
// request; deployment health runs make smoke hourly and on demand).
package workflowtest
