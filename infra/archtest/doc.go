// Package archtest holds the tests over the module's structure: the domain
// packages under shared/ import no AWS SDK and no aws-lambda-go package
// (adapters at the edge do), so the domain can be read, tested and reused
// without AWS.
package archtest
