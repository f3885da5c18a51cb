//go:build !linux

package stacktest

import "syscall"

// childAttr has no parent-death signal outside Linux; Stop still ends the
// devstack when the test ends.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{}
}
