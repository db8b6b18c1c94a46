package redistest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoRedisServer is returned by the constructors when no redis-server
// binary can be found.
var ErrNoRedisServer = errors.New("redistest: redis-server not found; run `make redis` (or scripts/ensure-redis.sh), or set REDIS_SERVER to its path")

// ErrNotRunning is returned by Kill, Pause and Resume when the server's
// process has already exited (or, for Resume, is not paused).
var ErrNotRunning = errors.New("redistest: server is not running")

// ErrClosed is returned by operations on a server, replicated setup or
// cluster after Close.
var ErrClosed = errors.New("redistest: closed")

// ServerOptions configure one redis-server process. The zero value starts a
// plain-TCP server with redistest's defaults. Start, StartReplicated and
// StartCluster do not modify the options they are given.
type ServerOptions struct {
	// Config lists extra redis.conf lines such as
	// "maxmemory-policy allkeys-lfu" or "user alice on >pw ~* +@read".
	// They come after redistest's defaults (save "", appendonly no,
	// protected-mode no, repl-diskless-sync-delay 0, shutdown-timeout 0, the
	// cluster settings), so they can override those, and before the settings
	// redistest manages (bind, port, TLS, dir, logfile, daemonize,
	// cluster-enabled, replicaof), which they cannot.
	// default: none
	Config []string

	// TLS selects plain TCP, TLS, or mutual TLS. With TLS the server has no
	// plain-TCP port; use Server.TLSConfig for clients.
	// default: TLSOff
	TLS TLSMode

	// Password sets requirepass, and masterauth so replicas can sync.
	// redistest's own connections and the clients from Client use it.
	// default: no password
	Password string

	// Binary is the redis-server executable to run.
	// default: $REDIS_SERVER if set, else redis-server on PATH
	Binary string

	// StartTimeout bounds how long starting or restarting a process waits
	// for it to answer PING, on top of the caller's context.
	// default: 10 seconds
	StartTimeout time.Duration
}

// withDefaults returns a copy of o with zero fields replaced by defaults and
// checks the rest.
func (o ServerOptions) withDefaults() (ServerOptions, error) {
	if o.StartTimeout < 0 {
		return o, fmt.Errorf("redistest: ServerOptions.StartTimeout is negative (%v)", o.StartTimeout)
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 10 * time.Second
	}
	if o.TLS < TLSOff || o.TLS > TLSMutual {
		return o, fmt.Errorf("redistest: ServerOptions.TLS is not a TLSMode (%d)", int(o.TLS))
	}
	for i, line := range o.Config {
		if strings.ContainsAny(line, "\r\n") {
			return o, fmt.Errorf("redistest: ServerOptions.Config[%d] spans several lines: %q", i, line)
		}
	}
	o.Config = append([]string(nil), o.Config...)
	return o, nil
}

// Server is one redis-server process on 127.0.0.1. Its port and directory
// stay the same across Restart. All methods are safe for concurrent use;
// lifecycle operations (Kill, Pause, Resume, Restart, Close) take turns.
type Server struct {
	// Fixed when the Server is created.
	opts    ServerOptions
	bin     string
	dir     string
	port    int
	busPort int      // cluster bus port; 0 for non-cluster servers
	cluster []string // cluster config lines; nil for non-cluster servers
	certs   *certs   // nil without TLS
	id      string   // cluster node ID; "" for non-cluster servers
	admin   *redis.Client

	// mu guards proc, closed, closeErr and replicaOf. Lifecycle operations
	// hold it from start to end, so a Restart never interleaves with a Close.
	mu        sync.Mutex
	proc      *process // current or last process; nil before the first start
	closed    bool
	closeErr  error
	replicaOf string // "host port" for the replicaof directive, or ""

	// clientsMu guards clients and clientsClosed.
	clientsMu     sync.Mutex
	clients       []*redis.Client // from Client, closed by Close
	clientsClosed bool            // set by Close; later clients are closed at once
}

// Start starts a standalone redis-server and returns once it answers PING.
// The caller must Close it.
func Start(ctx context.Context, opts ServerOptions) (*Server, error) {
	spec, err := newNodeSpec(opts)
	if err != nil {
		return nil, err
	}
	return startNode(ctx, spec)
}

// nodeSpec is what startNode needs to create one Server.
type nodeSpec struct {
	opts      ServerOptions
	bin       string
	certs     *certs   // shared certificates; nil to generate them (TLS) or none
	cluster   []string // cluster config lines, nil for a non-cluster server
	replicaOf string   // "host port" or ""
}

// newNodeSpec validates opts and finds the binary.
func newNodeSpec(opts ServerOptions) (nodeSpec, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nodeSpec{}, err
	}
	bin, err := findBinary(opts.Binary)
	if err != nil {
		return nodeSpec{}, err
	}
	return nodeSpec{opts: opts, bin: bin}, nil
}

// startNode creates a directory, picks ports and starts a server, retrying
// with new ports when a port is taken before redis-server binds it.
func startNode(ctx context.Context, spec nodeSpec) (*Server, error) {
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, fmt.Errorf("redistest: create server directory: %w", err)
	}
	s := &Server{
		opts:      spec.opts,
		bin:       spec.bin,
		dir:       dir,
		cluster:   spec.cluster,
		certs:     spec.certs,
		replicaOf: spec.replicaOf,
	}
	fail := func(err error) (*Server, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if s.opts.TLS != TLSOff && s.certs == nil {
		// A standalone server keeps its certificates in its own directory.
		c, err := generateCerts(dir)
		if err != nil {
			return fail(fmt.Errorf("redistest: %w", err))
		}
		s.certs = c
	}

	nports := 1
	if s.cluster != nil {
		nports = 2
	}
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(nports)
		if err != nil {
			return fail(fmt.Errorf("redistest: %w", err))
		}
		s.port = ports[0]
		if s.cluster != nil {
			s.busPort = ports[1]
		}
		// A failed attempt may leave a log behind; start each one clean.
		_ = os.Remove(filepath.Join(dir, logFile))
		_ = os.Remove(filepath.Join(dir, outputFile))
		p, err := launch(ctx, s.launchSpec())
		if err == nil {
			s.proc = p
			break
		}
		if !errors.Is(err, errAddrInUse) || attempt == portAttempts {
			return fail(fmt.Errorf("redistest: %w", err))
		}
	}
	s.admin = redis.NewClient(s.adminOptions())
	if s.cluster != nil {
		id, err := s.admin.Do(ctx, "CLUSTER", "MYID").Text()
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("redistest: CLUSTER MYID on %s: %w", s.Addr(), err)
		}
		s.id = id
	}
	return s, nil
}

// launchSpec describes how to run this server's process. Call it with mu
// held or before the Server is shared.
func (s *Server) launchSpec() launchSpec {
	return launchSpec{
		bin:     s.bin,
		dir:     s.dir,
		config:  s.config(),
		addr:    s.Addr(),
		tls:     s.certs.clientConfig(),
		timeout: s.opts.StartTimeout,
	}
}

// config renders the redis.conf this server runs with.
func (s *Server) config() string {
	lines := []string{
		`save ""`,
		"appendonly no",
		"protected-mode no",
		// Replicas of an empty primary sync at once instead of after 5 s.
		"repl-diskless-sync-delay 0",
		// SIGTERM exits at once instead of waiting for replicas.
		"shutdown-timeout 0",
	}
	if s.opts.Password != "" {
		lines = append(lines,
			"requirepass "+quote(s.opts.Password),
			"masterauth "+quote(s.opts.Password))
	}
	lines = append(lines, s.cluster...)
	lines = append(lines, s.opts.Config...)
	lines = append(lines, "bind 127.0.0.1")
	if s.certs != nil {
		lines = append(lines, tlsConfigLines(s.certs, s.opts.TLS, s.port)...)
	} else {
		lines = append(lines, "port "+strconv.Itoa(s.port))
	}
	lines = append(lines,
		"dir "+quote(s.dir),
		"logfile "+quote(filepath.Join(s.dir, logFile)),
		"daemonize no")
	if s.cluster != nil {
		lines = append(lines,
			"cluster-enabled yes",
			"cluster-config-file nodes.conf",
			"cluster-port "+strconv.Itoa(s.busPort))
	}
	if s.replicaOf != "" {
		lines = append(lines, "replicaof "+s.replicaOf)
	}
	return strings.Join(lines, "\n") + "\n"
}

// adminOptions are the options of redistest's own connection to the server.
func (s *Server) adminOptions() *redis.Options {
	o := s.clientOptions()
	o.Protocol = 2
	o.DisableIdentity = true
	o.ContextTimeoutEnabled = true
	o.DialTimeout = 2 * time.Second
	o.ReadTimeout = 2 * time.Second
	o.WriteTimeout = 2 * time.Second
	o.MaxRetries = 1
	o.PoolSize = 4
	return o
}

// clientOptions are the base options of clients from Client.
func (s *Server) clientOptions() *redis.Options {
	return &redis.Options{
		Addr:      s.Addr(),
		Password:  s.opts.Password,
		TLSConfig: s.certs.clientConfig(),
	}
}

// Client returns a new go-redis client for this server, with its address,
// password and TLS configuration filled in; configure functions may change
// any option before the client is created. Close closes it; after Close,
// Client returns a closed client.
func (s *Server) Client(configure ...func(*redis.Options)) *redis.Client {
	o := s.clientOptions()
	for _, f := range configure {
		f(o)
	}
	c := redis.NewClient(o)
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if s.clientsClosed {
		_ = c.Close()
		return c
	}
	s.clients = append(s.clients, c)
	return c
}

// Addr returns the server's address, "127.0.0.1:port".
func (s *Server) Addr() string { return addr(s.port) }

// Port returns the port the server listens on (its TLS port with TLS).
func (s *Server) Port() int { return s.port }

// String returns Addr.
func (s *Server) String() string { return s.Addr() }

// ID returns the server's cluster node ID, or "" if it is not a cluster node.
// It survives Restart.
func (s *Server) ID() string { return s.id }

// Dir returns the server's working directory, which holds its log (and
// nodes.conf for a cluster node). Close removes it.
func (s *Server) Dir() string { return s.dir }

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	return tailLines(filepath.Join(s.dir, logFile), n)
}

// TLSConfig returns a new client TLS configuration that trusts the server's
// CA and presents a client certificate, or nil for a plain-TCP server. To
// test a client without a certificate, clear Certificates.
func (s *Server) TLSConfig() *tls.Config { return s.certs.clientConfig() }

// TLSFiles returns the paths of the server's CA, certificate and key files,
// or the zero TLSFiles for a plain-TCP server.
func (s *Server) TLSFiles() TLSFiles {
	if s.certs == nil {
		return TLSFiles{}
	}
	return s.certs.files
}

// Close stops the server (SIGTERM, then SIGKILL after a second; a paused
// server is resumed first), waits for it to exit, closes the clients from
// Client and removes its directory. Later calls return the first call's
// result.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.closeErr
	}
	s.closed = true

	var errs []error
	s.clientsMu.Lock()
	clients := s.clients
	s.clients, s.clientsClosed = nil, true
	s.clientsMu.Unlock()
	for _, c := range clients {
		if err := c.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if s.admin != nil {
		_ = s.admin.Close()
	}
	if s.proc != nil {
		s.proc.stop(stopGrace)
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		s.closeErr = fmt.Errorf("redistest: close %s: %w", s.Addr(), err)
	}
	return s.closeErr
}

// live reports whether the server's process is running and not paused.
func (s *Server) live() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && s.proc != nil && !s.proc.exited() && !s.proc.paused
}

// setReplicaOf records the primary this server replicates from ("" for
// none), for the configuration of later restarts.
func (s *Server) setReplicaOf(primary *Server) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if primary == nil {
		s.replicaOf = ""
		return
	}
	s.replicaOf = fmt.Sprintf("127.0.0.1 %d", primary.port)
}

// info runs INFO section and returns its fields.
func (s *Server) info(ctx context.Context, section string) (map[string]string, error) {
	text, err := s.admin.Info(ctx, section).Result()
	if err != nil {
		return nil, fmt.Errorf("INFO %s on %s: %w", section, s.Addr(), err)
	}
	return parseInfo(text), nil
}

// parseInfo parses the "field:value" lines of INFO or CLUSTER INFO output.
func parseInfo(text string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// poll calls check every interval until it returns nil, and returns ctx's
// error, with check's last complaint, if ctx ends first.
func poll(ctx context.Context, interval time.Duration, check func(context.Context) error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}
