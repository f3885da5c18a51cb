package stacktest

import "syscall"

// childAttr makes the kernel kill the devstack if the test binary dies
// first, so that a crashed test leaves nothing running.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
