//go:build !linux

package lambdaenv

import "syscall"

// processGroupAttr puts the bootstrap in its own process group, so that a
// timeout or Ctrl-C ends it and anything it started.
func processGroupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to the process group led by pid.
func signalGroup(pid int, sig syscall.Signal) error {
	return syscall.Kill(-pid, sig)
}
