package main

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
)

// hint returns a one-line suggestion for a common failure, or "".
func hint(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, exec.ErrNotFound) || strings.Contains(msg, "redis-server not found"):
		return "install Redis (make redis does it on Debian/Ubuntu and macOS) or pass --url"
	case errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(msg, "connection refused"):
		return "is Redis running there? check --url (default redis://127.0.0.1:6379)"
	case strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "NOAUTH"):
		return "check the user and password in --url, or set REDISCLI_AUTH"
	case strings.Contains(msg, "NOPERM"):
		return "the ACL user lacks a permission this command needs; see docs/security.md"
	}
	return ""
}
