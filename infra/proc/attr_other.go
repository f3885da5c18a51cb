//go:build !linux

package proc

import "syscall"

// Attr puts the child in its own process group. Without Linux's
// parent-death signal, callers must stop their children themselves
// (dynamolocal.Main from TestMain, the devstack on Ctrl-C).
func Attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
