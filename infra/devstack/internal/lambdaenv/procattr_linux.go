package lambdaenv

import "syscall"

// processGroupAttr puts the bootstrap in its own process group, so that a
// timeout or Ctrl-C ends it and anything it started, and asks the kernel to
// kill it should the devstack itself die without cleaning up.
func processGroupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the process group led by pid.
func signalGroup(pid int, sig syscall.Signal) error {
	return syscall.Kill(-pid, sig)
}
