package dynamolocal

import "syscall"

// sysProcAttr puts the server in its own process group (so Stop can kill
// the group) and has the kernel kill it when the Go process that started it
// dies, even by SIGKILL, so no java process outlives a test binary.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
