// Package lambdaenv runs a function's real bootstrap binary the way AWS Lambda
// does, without Docker: every execution environment is one process (in its own
// process group) that talks to its own Runtime API server on a loopback port
// and handles one invocation at a time. A Function keeps a small pool of such
// environments, so overlapping invocations run concurrently up to a cap, like
// Lambda concurrency, and later ones queue rather than being throttled.
package lambdaenv
