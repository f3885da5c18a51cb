// Package buildinfo carries the version and build stamped into each binary at
// link time and the moment this execution environment started.
package buildinfo

import "time"

// Version is the release every function and /health report: the one place
// it is written (the template, the Makefile and the tools read it from
// here, never a copy).
const Version = "1.0.0"

// Build is the short commit, set with -ldflags -X by the Makefile; "dev"
// when unknown.
var Build = "dev"

// Started is when this process (the Lambda execution environment) started;
// uptime counts from here.
var Started = time.Now()
