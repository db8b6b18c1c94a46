//go:build !unix

package redistest

import (
	"errors"
	"os"
	"syscall"
)

// errNoSignals is returned where job-control signals do not exist.
var errNoSignals = errors.New("redistest: pausing a process needs a Unix system")

// sysProcAttr returns no special attributes.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// pauseProcess is not supported here.
func pauseProcess(*os.Process) error { return errNoSignals }

// resumeProcess is not supported here.
func resumeProcess(*os.Process) error { return errNoSignals }

// terminateProcess is not supported here; callers fall back to Kill.
func terminateProcess(*os.Process) error { return errNoSignals }
