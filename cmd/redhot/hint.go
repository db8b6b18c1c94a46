package main

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
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
	case errors.Is(err, inspect.ErrTLS) && clientCertRefused(msg):
		return "the server wants a client certificate it trusts: pass --tls-cert and --tls-key (signed by a CA in the server's tls-ca-cert-file)"
	case errors.Is(err, inspect.ErrTLS):
		return "check --tls-ca (the CA that signed the server's certificate) and the rediss:// host, or use --tls-insecure to skip verification"
	case errors.Is(err, inspect.ErrBadOptions):
		return "run 'redhot <command> --help' for usage"
	case errors.Is(err, inspect.ErrAuth) || strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "NOAUTH"):
		return "check the user and password: --url redis://user@host:port with the password in REDISCLI_AUTH or REDHOT_PASSWORD"
	case errors.Is(err, inspect.ErrNoPerm) || strings.Contains(msg, "NOPERM"):
		return noPermHint(msg)
	case errors.Is(err, inspect.ErrNotReady) && strings.Contains(msg, "LOADING"):
		return "the server is loading its data after a restart: try again in a moment (INFO persistence shows loading progress)"
	case errors.Is(err, inspect.ErrNotReady) && strings.Contains(msg, "BUSY"):
		return "a script is blocking the server: wait for it, or SCRIPT KILL / FUNCTION KILL it if it has written nothing"
	case errors.Is(err, inspect.ErrNotReady):
		return "the replica cannot serve without its primary: point --url at the primary, or wait for the link to come back"
	case errors.Is(err, inspect.ErrUnreachable) || errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(msg, "connection refused"):
		return "is Redis running there? check --url (default redis://127.0.0.1:6379)"
	}
	return ""
}

// deniedCommand finds the command a NOPERM reply names: Redis says "no
// permissions to run the 'object|freq' command".
var deniedCommand = regexp.MustCompile(`no permissions to run the '([^']+)' command`)

// noPermHint says which ACL rule would let the command through.
func noPermHint(msg string) string {
	const table = "docs/security.md lists what each redhot command needs"
	switch {
	case deniedCommand.MatchString(msg):
		cmd := deniedCommand.FindStringSubmatch(msg)[1]
		return fmt.Sprintf("the ACL user may not run %s: grant it with ACL SETUSER <user> +%s, or connect as another user (%s)", strings.ToUpper(strings.ReplaceAll(cmd, "|", " ")), cmd, table)
	case strings.Contains(msg, "one of the keys"):
		return "the ACL user may not read the keys this command reads: grant them with ACL SETUSER <user> %R~<pattern> (~<pattern> for read and write), or connect as another user (" + table + ")"
	case strings.Contains(msg, "one of the channels"):
		return "the ACL user may not subscribe to the keyspace channels: grant the pattern redhot subscribes to, literally (for db 0 and the default --pattern: ACL SETUSER <user> '&__keyspace@0__:*'), or allchannels (" + table + ")"
	}
	return "the ACL user lacks a permission this command needs: grant it (ACL SETUSER <user> +<command>) or connect as another user (" + table + ")"
}

// clientCertRefused reports whether a TLS failure is the server refusing
// the client's certificate, or its lack of one.
func clientCertRefused(msg string) bool {
	return strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate") || strings.Contains(msg, "client certificate")
}
