package proc

import "syscall"

// Attr puts the child in its own process group and has the kernel SIGKILL it
// when the thread that started it exits (Linux's parent-death signal), so a
// killed test binary or devstack leaves no java or emulator behind. (A
// function the emulator started is in a group of its own; it ends when it
// next reaches for its Runtime API, at the end of an invocation at most.)
func Attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
