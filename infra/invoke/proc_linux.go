package invoke

import "syscall"

// sysProcAttr gives the emulator (and the function it starts) its own
// process group for Stop, and kills it if our process dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
