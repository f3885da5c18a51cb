//go:build !linux

package dynamolocal

import "syscall"

// sysProcAttr puts the server in its own process group so Stop can kill the
// group. Without Linux's parent-death signal, callers must Stop the server
// (tests: dynamolocal.Main from TestMain).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
