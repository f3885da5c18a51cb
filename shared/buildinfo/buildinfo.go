// Package buildinfo carries the version and build stamped into each binary at
// link time and the moment this execution environment started.
package buildinfo

import "time"

// Version and Build are set with -ldflags -X by the Makefile. Build is the
// short commit, "dev" when unknown.
var (
	Version = "1.0.0"
	Build   = "dev"
)

// Started is when this process (the Lambda execution environment) started;
// uptime counts from here.
var Started = time.Now()
