package inspect

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxMonitorLine is the longest MONITOR line redhot reads whole; longer
// lines (commands with huge values) are skipped and counted.
const maxMonitorLine = 16 << 20

// errLineTooLong is returned by rawConn.readLine for a line over
// maxMonitorLine, after it has been skipped.
var errLineTooLong = errors.New("MONITOR line too long")

// rawConn is a plain RESP2 connection for MONITOR, whose endless stream of
// replies go-redis's pooled clients are not made for. It is used by one
// goroutine.
type rawConn struct {
	nc  net.Conn
	r   *bufio.Reader
	big []byte // assembles lines longer than the reader's buffer
}

// dialRaw connects to n and authenticates as the target's clients do.
func (t *Target) dialRaw(ctx context.Context, n *node) (*rawConn, error) {
	d := net.Dialer{Timeout: t.opts.Timeout}
	nc, err := d.DialContext(ctx, "tcp", n.addr)
	if err != nil {
		return nil, classify(n.addr, "connect", err)
	}
	if t.tls != nil {
		conf := t.tls.Clone()
		if conf.ServerName == "" {
			conf.ServerName = n.host
		}
		tc := tls.Client(nc, conf)
		hctx, cancel := context.WithTimeout(ctx, t.opts.Timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, classify(n.addr, "connect", err)
		}
		nc = tc
	}
	c := &rawConn{nc: nc, r: bufio.NewReaderSize(nc, 256<<10)}
	if t.ep.Password != "" {
		args := []string{"AUTH", t.ep.Password}
		if t.ep.Username != "" {
			args = []string{"AUTH", t.ep.Username, t.ep.Password}
		}
		// A server without a password answers AUTH with an error that
		// go-redis's HELLO never sees; like redis-cli, carry on.
		if _, err := c.do(t.opts.Timeout, args...); err != nil && !strings.Contains(err.Error(), "without any password configured") {
			c.Close()
			return nil, classify(n.addr, "AUTH", err)
		}
	}
	_, _ = c.do(t.opts.Timeout, "CLIENT", "SETNAME", "redhot-monitor")
	return c, nil
}

// respError is an error reply.
type respError string

func (e respError) Error() string { return string(e) }
func (respError) RedisError()     {}

// do sends one command and reads its reply as a line: the text of a simple
// string, an error or an integer. Other replies are not needed here.
func (c *rawConn) do(timeout time.Duration, args ...string) (string, error) {
	if err := c.nc.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	defer c.nc.SetDeadline(time.Time{})
	buf := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		buf = append(buf, '$')
		buf = strconv.AppendInt(buf, int64(len(a)), 10)
		buf = append(buf, "\r\n"...)
		buf = append(buf, a...)
		buf = append(buf, "\r\n"...)
	}
	if _, err := c.nc.Write(buf); err != nil {
		return "", err
	}
	line, err := c.readLine()
	if err != nil {
		return "", err
	}
	switch {
	case len(line) == 0:
		return "", fmt.Errorf("empty reply")
	case line[0] == '-':
		return "", respError(line[1:])
	case line[0] == '+' || line[0] == ':':
		return string(line[1:]), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line[:min(len(line), 16)])
}

// readLine returns the next line without "\r\n". The slice is valid until
// the next call.
func (c *rawConn) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if err == nil {
		return trimCRLF(line), nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	c.big = append(c.big[:0], line...)
	for {
		line, err = c.r.ReadSlice('\n')
		if len(c.big) <= maxMonitorLine {
			c.big = append(c.big, line...)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
	if len(c.big) > maxMonitorLine {
		c.big = c.big[:0]
		return nil, errLineTooLong
	}
	return trimCRLF(c.big), nil
}

func trimCRLF(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Close closes the connection.
func (c *rawConn) Close() error { return c.nc.Close() }
