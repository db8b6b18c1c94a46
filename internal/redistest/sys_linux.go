package redistest

import "syscall"

// sysProcAttr puts redis-server in its own process group, so a Ctrl-C meant
// for `go test` does not reach it first, and has the kernel SIGKILL it if the
// Go process dies without running Close. (The kernel ties Pdeathsig to the
// thread that started the child; the Go runtime only retires threads that a
// goroutine locked and left locked, which nothing here does.)
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
