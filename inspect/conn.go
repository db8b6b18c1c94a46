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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// ConnOptions say how to reach a server or a cluster. The zero value
// connects to redis://127.0.0.1:6379 without TLS or password.
type ConnOptions struct {
	// URL is redis://[user[:password]@]host[:port][/db], or rediss:// for
	// TLS. A bare host:port is read as redis://host:port. For a cluster,
	// any node will do: the others are discovered.
	// default: redis://127.0.0.1:6379
	URL string

	// Password is used when the URL carries none. The CLI fills it from
	// REDISCLI_AUTH or REDHOT_PASSWORD so that it never shows in ps.
	// default: none
	Password string

	// TLSCA is a PEM file of certificate authorities to verify the server
	// with, instead of the system's.
	// default: the system roots
	TLSCA string

	// TLSCert and TLSKey are a client certificate and its key, for servers
	// that ask for one (tls-auth-clients).
	// default: none
	TLSCert, TLSKey string

	// TLSInsecure skips verification of the server's certificate.
	// default: false
	TLSInsecure bool

	// Replicas makes the scanning methods (Hotkeys, Bigkeys, Memkeys,
	// Patterns) read from a replica of each primary where one is online,
	// sparing the primaries, and Monitor watch replicas as well.
	// default: false
	Replicas bool

	// Timeout bounds dialing and each command.
	// default: 5 seconds
	Timeout time.Duration

	// Log receives notes as they happen: what each method costs the
	// server, before it starts, and config changes and their restoration.
	// Notes never contain passwords or values.
	// default: discarded
	Log io.Writer
}

// Role is a node's replication role.
type Role string

// Roles of nodes.
const (
	Primary Role = "primary"
	Replica Role = "replica"
)

// Mode is how the server is deployed.
type Mode string

// Deployment modes.
const (
	Standalone Mode = "standalone"
	Cluster    Mode = "cluster"
)

// Target is a connected server or cluster: the nodes redhot found and a
// client for each. It is safe for concurrent use; Close it when done.
type Target struct {
	ep      endpoint
	tls     *tls.Config
	opts    ConnOptions
	mode    Mode
	version string
	nodes   []*node
	notes   []string // found while connecting, copied into every report

	logMu sync.Mutex // serialises writes to opts.Log
}

// node is one server of the target.
type node struct {
	addr      string
	host      string
	port      int
	id        string // cluster node ID; "" when standalone
	role      Role
	primaryID string // for cluster replicas
	primary   string // address of the primary, for replicas
	down      string // why the cluster considers the node failed; "" if not
	slots     [][2]int
	client    *redis.Client
	// noTouch records whether CLIENT NO-TOUCH worked on the last
	// connection: noTouchUnknown, noTouchOn or noTouchOff.
	noTouch atomic.Int32
}

const (
	noTouchUnknown = iota
	noTouchOn
	noTouchOff
)

func (n *node) String() string { return n.addr }

// Connect connects to the server at opts.URL, finds out whether it is a
// cluster and, if so, discovers every node. It fails when the first node
// cannot be reached or refuses the credentials.
func Connect(ctx context.Context, opts ConnOptions) (*Target, error) {
	ep, err := parseURL(opts.URL)
	if err != nil {
		return nil, err
	}
	if !ep.HasPassword && opts.Password != "" {
		ep.Password = opts.Password
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Timeout < 0 {
		return nil, newError(ErrBadOptions, "", "ConnOptions.Timeout is negative (%v)", opts.Timeout)
	}
	if !ep.TLS && (opts.TLSCA != "" || opts.TLSCert != "" || opts.TLSKey != "" || opts.TLSInsecure) {
		return nil, newError(ErrBadOptions, "", "TLS options need a rediss:// URL (got %s)", ep.Redacted())
	}
	t := &Target{ep: ep, opts: opts, mode: Standalone}
	if ep.TLS {
		if t.tls, err = tlsConfig(opts); err != nil {
			return nil, err
		}
	}
	seed := t.newNode(ep.Host, ep.Port)
	t.nodes = []*node{seed}
	if err := seed.client.Ping(ctx).Err(); err != nil {
		t.Close()
		return nil, t.classifyConnect(seed.addr, err)
	}
	if err := t.discover(ctx, seed); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// classifyConnect classifies the failure of the first command sent to a
// node. A TLS server that requires a client certificate (tls-auth-clients)
// and gets none, or one it does not trust, may simply drop the connection
// once the handshake ends, which the client sees as a reset or an EOF on
// its first command rather than as a TLS error: that is reported as a TLS
// failure, not as a server that is not there.
func (t *Target) classifyConnect(addr string, err error) error {
	e := classify(addr, "connect", err)
	if t.tls == nil || !errors.Is(e, ErrUnreachable) {
		return e
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Kind: ErrTLS, Node: addr, Err: err,
			Msg: "TLS handshake failed: the server closed the connection, as Redis does when it requires a client certificate and gets none or one it does not trust"}
	}
	return e
}

// tlsConfig builds the client TLS configuration from the options.
func tlsConfig(opts ConnOptions) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.TLSInsecure}
	if opts.TLSCA != "" {
		pem, err := os.ReadFile(opts.TLSCA)
		if err != nil {
			return nil, &Error{Kind: ErrBadOptions, Msg: "--tls-ca", Err: err}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, newError(ErrBadOptions, "", "--tls-ca %s holds no PEM certificate", opts.TLSCA)
		}
		conf.RootCAs = pool
	}
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return nil, newError(ErrBadOptions, "", "--tls-cert and --tls-key go together")
	}
	if opts.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return nil, &Error{Kind: ErrBadOptions, Msg: "--tls-cert/--tls-key", Err: err}
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

// newNode returns a node with a client that has not dialed yet.
func (t *Target) newNode(host string, port int) *node {
	n := &node{host: host, port: port, addr: net.JoinHostPort(host, strconv.Itoa(port)), role: Primary}
	o := &redis.Options{
		Addr:                     n.addr,
		Username:                 t.ep.Username,
		Password:                 t.ep.Password,
		Protocol:                 2,
		DisableIdentity:          true,
		DialTimeout:              t.opts.Timeout,
		ReadTimeout:              t.opts.Timeout,
		WriteTimeout:             t.opts.Timeout,
		ContextTimeoutEnabled:    true,
		MaxRetries:               -1,
		DialerRetries:            1,
		PoolSize:                 4,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		OnConnect: func(ctx context.Context, cn *redis.Conn) error {
			// Name the connection for CLIENT LIST, and stop our reads
			// from touching keys' LRU/LFU data where the server can
			// (Redis 7.2+). Both are courtesies: errors are ignored.
			_ = cn.Process(ctx, redis.NewStatusCmd(ctx, "client", "setname", "redhot"))
			if cn.Process(ctx, redis.NewStatusCmd(ctx, "client", "no-touch", "on")) == nil {
				n.noTouch.Store(noTouchOn)
			} else {
				n.noTouch.Store(noTouchOff)
			}
			if n.role == Replica && n.id != "" {
				return cn.ReadOnly(ctx).Err()
			}
			return nil
		},
	}
	if t.mode == Standalone {
		o.DB = t.ep.DB
	}
	if t.tls != nil {
		c := t.tls.Clone()
		if c.ServerName == "" {
			c.ServerName = host
		}
		o.TLSConfig = c
	}
	n.client = redis.NewClient(o)
	return n
}

// discover finds the deployment mode and the other nodes.
func (t *Target) discover(ctx context.Context, seed *node) error {
	info, err := nodeInfo(ctx, seed, "server", "cluster", "replication")
	if err != nil {
		if !isNoPerm(err) {
			return err
		}
		// Without INFO, CLUSTER INFO tells a cluster node from a
		// standalone server, which refuses it.
		ci, cerr := seed.client.ClusterInfo(ctx).Result()
		switch {
		case cerr == nil && strings.Contains(ci, "cluster_state:"):
			return t.discoverCluster(ctx, seed)
		case cerr != nil && strings.Contains(cerr.Error(), "cluster support disabled"):
			t.note("INFO is not permitted for this user: replicas cannot be found and some figures will be missing")
		default:
			t.note("INFO and CLUSTER INFO are not permitted for this user: assuming a standalone server; some figures will be missing")
		}
		return nil
	}
	t.version = info["redis_version"]
	if v := info["valkey_version"]; v != "" {
		t.version = "valkey " + v
	}
	if info["cluster_enabled"] == "1" {
		return t.discoverCluster(ctx, seed)
	}
	if info["role"] == "slave" {
		seed.role = Replica
		seed.primary = net.JoinHostPort(info["master_host"], info["master_port"])
		return nil
	}
	for _, r := range replicasFromInfo(info) {
		n := t.newNode(r.host, r.port)
		n.role = Replica
		n.primary = seed.addr
		t.nodes = append(t.nodes, n)
	}
	return nil
}

type hostPort struct {
	host string
	port int
}

// replicasFromInfo returns the online replicas listed by INFO replication.
func replicasFromInfo(info map[string]string) []hostPort {
	var out []hostPort
	for i := 0; ; i++ {
		v, ok := info["slave"+strconv.Itoa(i)]
		if !ok {
			return out
		}
		f := parseInfoFields(v)
		if f["state"] != "online" {
			continue
		}
		p, err := strconv.Atoi(f["port"])
		if err != nil || p < 1 || p > 65535 {
			continue
		}
		out = append(out, hostPort{f["ip"], p})
	}
}

// parseInfoFields parses "a=1,b=2".
func parseInfoFields(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// discoverCluster reads CLUSTER NODES from the seed and makes a node for
// every member.
func (t *Target) discoverCluster(ctx context.Context, seed *node) error {
	t.mode = Cluster
	text, err := seed.client.ClusterNodes(ctx).Result()
	if err != nil {
		return classify(seed.addr, "CLUSTER NODES", err)
	}
	entries := parseClusterNodes(text)
	if len(entries) == 0 {
		return newError(errOther, seed.addr, "CLUSTER NODES listed no nodes")
	}
	seed.client.Close()
	t.nodes = t.nodes[:0]
	for _, e := range entries {
		host := e.host
		if host == "" {
			host = seed.host
		}
		// OnConnect reads the role when the node first dials, which is
		// after these fields are set.
		n := t.newNode(host, e.port)
		n.id, n.role, n.primaryID, n.down, n.slots = e.id, e.role, e.primaryID, e.down, e.slots
		t.nodes = append(t.nodes, n)
	}
	byID := map[string]*node{}
	for _, n := range t.nodes {
		byID[n.id] = n
	}
	for _, n := range t.nodes {
		if p := byID[n.primaryID]; p != nil {
			n.primary = p.addr
		}
		if n.down != "" {
			t.logf("node %s (%s) is %s in the cluster's view; it is left out and results are partial", n.addr, n.role, n.down)
		}
	}
	return nil
}

// clusterEntry is one line of CLUSTER NODES.
type clusterEntry struct {
	id        string
	host      string
	port      int
	role      Role
	primaryID string
	down      string
	slots     [][2]int
}

// parseClusterNodes parses the CLUSTER NODES format:
// <id> <ip:port@cport[,hostname]> <flags> <primary> <ping> <pong> <epoch> <link> <slot>...
func parseClusterNodes(text string) []clusterEntry {
	var out []clusterEntry
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		flags := strings.Split(f[2], ",")
		if slices.Contains(flags, "handshake") || slices.Contains(flags, "noaddr") {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		host, portStr, err := net.SplitHostPort(addr)
		if err != nil {
			continue
		}
		port, err := strconv.Atoi(portStr)
		if err != nil || port < 1 || port > 65535 {
			continue
		}
		e := clusterEntry{id: f[0], host: host, port: port, role: Primary}
		if slices.Contains(flags, "slave") {
			e.role = Replica
			e.primaryID = f[3]
		}
		switch {
		case slices.Contains(flags, "fail"):
			e.down = "marked failed"
		case slices.Contains(flags, "fail?"):
			e.down = "suspected failed (fail?)"
		case f[7] == "disconnected" && !slices.Contains(flags, "myself"):
			e.down = "disconnected from the cluster bus"
		}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				continue // a slot being imported or migrated
			}
			lo, hi, isRange := strings.Cut(s, "-")
			a, err1 := strconv.Atoi(lo)
			b := a
			var err2 error
			if isRange {
				b, err2 = strconv.Atoi(hi)
			}
			// Callers walk every slot of a range: only real slots count.
			if err1 == nil && err2 == nil && 0 <= a && a <= b && b < 16384 {
				e.slots = append(e.slots, [2]int{a, b})
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b clusterEntry) int {
		if a.role != b.role {
			if a.role == Primary {
				return -1
			}
			return 1
		}
		return strings.Compare(net.JoinHostPort(a.host, strconv.Itoa(a.port)), net.JoinHostPort(b.host, strconv.Itoa(b.port)))
	})
	return out
}

// Close closes every node's connections.
func (t *Target) Close() error {
	for _, n := range t.nodes {
		n.client.Close()
	}
	return nil
}

// Mode returns Standalone or Cluster.
func (t *Target) Mode() Mode { return t.mode }

// URL returns the target's URL without the password.
func (t *Target) URL() string { return t.ep.Redacted() }

// DB returns the database number the scanning methods read.
func (t *Target) DB() int {
	if t.mode == Cluster {
		return 0
	}
	return t.ep.DB
}

// Nodes describes every node redhot knows of.
func (t *Target) Nodes() []NodeInfo {
	out := make([]NodeInfo, 0, len(t.nodes))
	for _, n := range t.nodes {
		out = append(out, n.info())
	}
	return out
}

func (n *node) info() NodeInfo {
	return NodeInfo{Addr: n.addr, ID: n.id, Role: n.role, Primary: n.primary}
}

// primaries returns the live primaries.
func (t *Target) primaries() []*node {
	var out []*node
	for _, n := range t.nodes {
		if n.role == Primary && n.down == "" {
			out = append(out, n)
		}
	}
	if t.mode == Standalone && len(out) == 0 {
		// Pointed at a replica: that is the node to inspect.
		out = append(out, t.nodes[0])
	}
	return out
}

// replicasOf returns the live replicas of p.
func (t *Target) replicasOf(p *node) []*node {
	var out []*node
	for _, n := range t.nodes {
		if n.role == Replica && n.down == "" && n.primary == p.addr {
			out = append(out, n)
		}
	}
	return out
}

// live returns every node not known to be down.
func (t *Target) live() []*node {
	var out []*node
	for _, n := range t.nodes {
		if n.down == "" {
			out = append(out, n)
		}
	}
	return out
}

// scanNodes returns the node to scan for each primary's data: the primary
// itself, or with ConnOptions.Replicas one of its replicas when one is
// online. Notes say where replicas were wanted but missing.
func (t *Target) scanNodes() ([]*node, []string) {
	var out []*node
	var notes []string
	for _, p := range t.primaries() {
		if !t.opts.Replicas || p.role == Replica {
			out = append(out, p)
			continue
		}
		if rs := t.replicasOf(p); len(rs) > 0 {
			out = append(out, rs[0])
			continue
		}
		notes = append(notes, fmt.Sprintf("--replicas: primary %s has no online replica; scanning the primary", p.addr))
		out = append(out, p)
	}
	return out, notes
}

// down returns the nodes the cluster considers failed, as failures.
func (t *Target) downNodes() []nodeFailure {
	var out []nodeFailure
	for _, n := range t.nodes {
		if n.down != "" {
			out = append(out, nodeFailure{n, newError(ErrUnreachable, n.addr, "%s in the cluster's view", n.down)})
		}
	}
	return out
}

// note records a note made while connecting, to be repeated in every
// report, and logs it.
func (t *Target) note(s string) {
	t.notes = append(t.notes, s)
	t.logf("%s", s)
}

// logf writes one note line to ConnOptions.Log.
func (t *Target) logf(format string, args ...any) {
	if t.opts.Log == nil {
		return
	}
	t.logMu.Lock()
	defer t.logMu.Unlock()
	fmt.Fprintf(t.opts.Log, "note: "+format+"\n", args...)
}

// nodeInfo runs INFO with the given sections on n and parses it.
func nodeInfo(ctx context.Context, n *node, sections ...string) (map[string]string, error) {
	text, err := n.client.Info(ctx, sections...).Result()
	if err != nil {
		return nil, classify(n.addr, "INFO", err)
	}
	return parseInfo(text), nil
}

// parseInfo parses INFO output into field: value.
func parseInfo(text string) map[string]string {
	m := make(map[string]string, 64)
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

func isNoPerm(err error) bool {
	var e *Error
	return err != nil && (strings.Contains(err.Error(), "NOPERM") || (errors.As(err, &e) && e.Kind == ErrNoPerm))
}
