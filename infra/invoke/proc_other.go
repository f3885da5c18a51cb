//go:build !linux

package invoke

import "syscall"

// sysProcAttr gives the emulator (and the function it starts) its own
// process group for Stop.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
