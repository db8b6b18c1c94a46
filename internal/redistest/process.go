package redistest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Files every server keeps in its directory.
const (
	logFile    = "redis.log"  // the server's own log (logfile directive)
	outputFile = "output.log" // stdout and stderr, where config errors go
)

// stopGrace is how long a server may take to exit after SIGTERM before it
// gets SIGKILL.
const stopGrace = time.Second

// portAttempts is how many times a new server tries fresh ports when another
// process takes the chosen port between the pick and redis-server's bind.
const portAttempts = 5

// errAddrInUse marks a start that failed because a chosen port was taken.
var errAddrInUse = errors.New("address already in use")

// process is one run of redis-server. A Server has at most one at a time and
// replaces it on Restart.
type process struct {
	cmd *exec.Cmd

	// done is closed by the process's wait goroutine once the process has
	// exited and been reaped.
	done chan struct{}

	// err is the result of cmd.Wait; read it only after done is closed.
	err error

	// paused is true between SIGSTOP and SIGCONT. Guarded by Server.mu.
	paused bool
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill resumes the process if it is stopped, sends SIGKILL and waits until it
// has been reaped.
func (p *process) kill() {
	if p.exited() {
		return
	}
	_ = resumeProcess(p.cmd.Process)
	_ = p.cmd.Process.Kill()
	<-p.done
	p.paused = false
}

// stop asks the process to exit with SIGTERM and falls back to SIGKILL after
// grace. It returns once the process has been reaped.
func (p *process) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	_ = resumeProcess(p.cmd.Process)
	if err := terminateProcess(p.cmd.Process); err != nil {
		p.kill()
		return
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		p.paused = false
	case <-t.C:
		p.kill()
	}
}

// launchSpec is everything needed to run redis-server once.
type launchSpec struct {
	bin     string
	dir     string
	config  string
	addr    string      // 127.0.0.1:port, probed with PING
	tls     *tls.Config // nil for plain TCP
	timeout time.Duration
}

// launch starts redis-server and waits until it answers PING. On failure the
// process is gone and the error carries the tail of its log.
func launch(ctx context.Context, spec launchSpec) (*process, error) {
	return launchArgs(ctx, spec, "-")
}

// launchArgs is launch with redis-server's arguments given: "-" reads the
// config from stdin (spec.config); a sentinel gets a config file instead.
func launchArgs(ctx context.Context, spec launchSpec, args ...string) (*process, error) {
	out, err := os.OpenFile(filepath.Join(spec.dir, outputFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open output file: %w", err)
	}
	cmd := exec.Command(spec.bin, args...)
	cmd.Dir = spec.dir
	if spec.config != "" {
		cmd.Stdin = strings.NewReader(spec.config)
	}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	// The child has its own copy of the descriptor.
	out.Close()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	// The wait goroutine is owned by p: it ends when the process exits, and
	// every path that abandons p kills it and waits for done.
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()

	if err := waitReady(ctx, p, spec); err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// waitReady polls addr with PING until the server answers, the process exits,
// ctx is done or spec.timeout passes.
func waitReady(ctx context.Context, p *process, spec launchSpec) error {
	ctx, cancel := context.WithTimeout(ctx, spec.timeout)
	defer cancel()
	delay := 5 * time.Millisecond
	var last error
	for {
		ready, err := ping(ctx, spec.addr, spec.tls)
		if ready {
			return nil
		}
		last = err
		t := time.NewTimer(delay)
		select {
		case <-p.done:
			t.Stop()
			return startError(spec, fmt.Errorf("redis-server exited: %v", p.err))
		case <-ctx.Done():
			t.Stop()
			return startError(spec, fmt.Errorf("no answer to PING on %s: %w (last: %v)", spec.addr, ctx.Err(), last))
		case <-t.C:
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// startError describes a failed start with the tail of the server's output
// and log, and classifies it as errAddrInUse or ErrTLSUnsupported when the
// output says so.
func startError(spec launchSpec, err error) error {
	output := tailLines(filepath.Join(spec.dir, outputFile), 10)
	log := tailLines(filepath.Join(spec.dir, logFile), 20)
	both := output + "\n" + log
	switch {
	case strings.Contains(both, "Address already in use"):
		err = fmt.Errorf("%w: %w", errAddrInUse, err)
	case strings.Contains(both, "Bad directive") && strings.Contains(both, ">>> 'tls-"):
		err = fmt.Errorf("%w: %w", ErrTLSUnsupported, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "start redis-server on %s: %v", spec.addr, err)
	if output != "" {
		fmt.Fprintf(&b, "\n--- %s ---\n%s", outputFile, output)
	}
	if log != "" {
		fmt.Fprintf(&b, "\n--- %s ---\n%s", logFile, log)
	}
	return &startErr{msg: b.String(), err: err}
}

// startErr is a start failure whose message includes log excerpts but which
// still unwraps to its cause.
type startErr struct {
	msg string
	err error
}

// Error returns the description with the log excerpts.
func (e *startErr) Error() string { return e.msg }

// Unwrap returns the cause, for errors.Is.
func (e *startErr) Unwrap() error { return e.err }

// ping sends PING to addr and reports whether a live, loaded server answered.
// A NOAUTH error counts as alive: the server is up but wants a password.
func ping(ctx context.Context, addr string, tlsConf *tls.Config) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if tlsConf != nil {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return false, fmt.Errorf("tls handshake: %w", err)
		}
		conn = tc
	}
	if _, err := io.WriteString(conn, "*1\r\n$4\r\nPING\r\n"); err != nil {
		return false, err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return false, err
	}
	switch {
	case strings.HasPrefix(line, "+"), strings.HasPrefix(line, "-NOAUTH"):
		return true, nil
	default:
		return false, fmt.Errorf("PING: %s", strings.TrimSpace(line))
	}
}

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment
// ago. Another process may still take one before redis-server binds it;
// callers retry on errAddrInUse.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// findBinary returns the redis-server to run: bin if set, else $REDIS_SERVER,
// else redis-server on PATH.
func findBinary(bin string) (string, error) {
	source := "ServerOptions.Binary"
	if bin == "" {
		bin, source = os.Getenv("REDIS_SERVER"), "REDIS_SERVER"
	}
	if bin == "" {
		path, err := exec.LookPath("redis-server")
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrNoRedisServer, err)
		}
		return path, nil
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("%w: %s=%q: %w", ErrNoRedisServer, source, bin, err)
	}
	return path, nil
}

// quote renders s as a double-quoted redis.conf argument.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`)
	return `"` + r.Replace(s) + `"`
}

// tailLines returns the last n lines of the file at path, or "" if it cannot
// be read.
func tailLines(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil || n <= 0 {
		return ""
	}
	data = bytes.TrimRight(data, "\n")
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// addr formats a loopback address.
func addr(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
