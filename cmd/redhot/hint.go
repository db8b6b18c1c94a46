package main

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"

	"github.com/redhot/redhot/inspect"
)

// hint returns a one-line suggestion for a common failure, or "".
func hint(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, exec.ErrNotFound) || strings.Contains(msg, "redis-server not found"):
		return "install Redis (make redis does it on Debian/Ubuntu and macOS) or pass --url"
	case errors.Is(err, inspect.ErrNotLFU):
		return "no LFU counters to read: run 'redhot monitor' to sample live traffic (MONITOR costs throughput while it runs), " +
			"or rerun with --allow-config-change to switch to an LFU policy for the scan (restored on exit)"
	case errors.Is(err, inspect.ErrNotifyOff):
		return "rerun with --allow-config-change to add KA to notify-keyspace-events for the run (restored on exit), or use 'redhot monitor'"
	case errors.Is(err, inspect.ErrUnsupported) && strings.Contains(msg, "HOTKEYS"):
		return "use the default --method lfu, or 'redhot monitor'"
	case errors.Is(err, inspect.ErrTLS):
		return "check --tls-ca (the CA that signed the server's certificate) and the rediss:// host, or use --tls-insecure to skip verification"
	case errors.Is(err, inspect.ErrBadOptions):
		return "run 'redhot <command> --help' for usage"
	case errors.Is(err, inspect.ErrAuth) || strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "NOAUTH"):
		return "check the user and password: --url redis://user@host:port with the password in REDISCLI_AUTH or REDHOT_PASSWORD"
	case errors.Is(err, inspect.ErrNoPerm) || strings.Contains(msg, "NOPERM"):
		return "the ACL user lacks a permission this command needs: grant it (ACL SETUSER <user> +<command>) or connect as another user"
	case errors.Is(err, inspect.ErrUnreachable) || errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(msg, "connection refused"):
		return "is Redis running there? check --url (default redis://127.0.0.1:6379)"
	}
	return ""
}
