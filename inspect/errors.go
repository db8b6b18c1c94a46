package inspect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// Kinds of failure. An *Error carries one of them as its Kind, so callers
// test with errors.Is(err, inspect.ErrNoPerm) and read the details with
// errors.As(err, &e).
var (
	// ErrBadOptions is returned when an option or the URL is invalid.
	ErrBadOptions = errors.New("inspect: invalid options")
	// ErrUnreachable is returned when a server does not accept connections
	// or stops answering.
	ErrUnreachable = errors.New("inspect: server unreachable")
	// ErrTLS is returned when the TLS handshake fails.
	ErrTLS = errors.New("inspect: TLS handshake failed")
	// ErrAuth is returned when the server rejects the user or password.
	ErrAuth = errors.New("inspect: authentication failed")
	// ErrNoPerm is returned when the ACL user may not run a command that
	// the method needs.
	ErrNoPerm = errors.New("inspect: command not permitted by ACL")
	// ErrNotLFU is returned by Hotkeys when the server keeps no access
	// frequencies because maxmemory-policy is not an LFU policy.
	ErrNotLFU = errors.New("inspect: maxmemory-policy is not LFU")
	// ErrNotifyOff is returned by Notify when notify-keyspace-events does
	// not publish keyspace events.
	ErrNotifyOff = errors.New("inspect: keyspace notifications are off")
	// ErrUnsupported is returned when the server lacks a command the
	// method needs (HOTKEYS before Redis 8.6, for instance).
	ErrUnsupported = errors.New("inspect: not supported by this server")
	// ErrRefused is returned when redhot refuses to do something unsafe,
	// such as switching a noeviction server with maxmemory to an evicting
	// policy.
	ErrRefused = errors.New("inspect: refused as unsafe")
	// ErrNotReady is returned when the server answers but cannot serve
	// yet: it is loading its dataset (LOADING, after a restart), busy
	// with a script (BUSY), or a replica without its primary
	// (MASTERDOWN).
	ErrNotReady = errors.New("inspect: server not ready")
	// ErrAllNodesFailed is returned when no node could be inspected.
	ErrAllNodesFailed = errors.New("inspect: no node could be inspected")
)

// Error is a failure of an inspection, with the node it happened on.
// Its message is one line and never contains a password.
type Error struct {
	// Kind is one of the ErrX values above.
	Kind error
	// Node is the address of the node, or "" when the failure is not tied
	// to one.
	Node string
	// Msg says what went wrong in words an operator understands.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Node != "" {
		b.WriteString(e.Node)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return oneLine(b.String())
}

// Unwrap returns the kind and the underlying error, so errors.Is matches
// both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func newError(kind error, node, format string, args ...any) *Error {
	return &Error{Kind: kind, Node: node, Msg: fmt.Sprintf(format, args...)}
}

// oneLine folds line breaks so an error prints on a single line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}

// classify turns an error from go-redis or the network into an *Error of
// the right kind, saying what redhot was doing (doing is like "SCAN"
// or "connect"). Context cancellation is returned unchanged.
func classify(node, doing string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ie *Error
	if errors.As(err, &ie) {
		return err
	}
	msg := err.Error()
	kind := error(nil)
	what := doing + " failed"
	var (
		opErr   *net.OpError
		dnsErr  *net.DNSError
		certErr x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
		invErr  x509.CertificateInvalidError
	)
	switch {
	case strings.HasPrefix(msg, "LOADING"):
		kind, what = ErrNotReady, "the server is loading its dataset ("+doing+")"
	case strings.HasPrefix(msg, "BUSY"):
		kind, what = ErrNotReady, "the server is busy running a script ("+doing+")"
	case strings.HasPrefix(msg, "MASTERDOWN"):
		kind, what = ErrNotReady, "the replica has lost its primary ("+doing+")"
	case strings.HasPrefix(msg, "NOPERM"):
		kind, what = ErrNoPerm, doing+" not permitted"
	case strings.HasPrefix(msg, "WRONGPASS"), strings.HasPrefix(msg, "NOAUTH"),
		strings.Contains(msg, "invalid password"), strings.Contains(msg, "called without any password configured"),
		strings.Contains(msg, "invalid username-password pair"):
		kind, what = ErrAuth, "authentication failed"
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &recErr), errors.As(err, &invErr),
		strings.Contains(msg, "tls: "), strings.Contains(msg, "x509: "):
		kind, what = ErrTLS, "TLS handshake failed"
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &dnsErr), errors.As(err, &opErr),
		strings.Contains(msg, "connection refused"), strings.Contains(msg, "i/o timeout"),
		strings.Contains(msg, "connection pool timeout"), strings.Contains(msg, "use of closed network connection"):
		kind, what = ErrUnreachable, "not reachable ("+doing+")"
	case strings.HasPrefix(msg, "ERR unknown command"), strings.HasPrefix(msg, "ERR unknown subcommand"),
		strings.Contains(msg, "unknown subcommand"):
		kind, what = ErrUnsupported, doing+" is not supported by this server"
	default:
		kind = nil
	}
	if kind == nil {
		return &Error{Kind: errOther, Node: node, Msg: what, Err: err}
	}
	return &Error{Kind: kind, Node: node, Msg: what, Err: err}
}

// errOther is the kind of errors that fit no other kind.
var errOther = errors.New("inspect: error")

// isRedisError reports whether err is an error reply from the server (as
// opposed to a network failure).
func isRedisError(err error) bool {
	var re interface{ RedisError() }
	return errors.As(err, &re)
}
