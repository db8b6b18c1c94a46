package redistest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ReplicatedOptions configure a primary with replicas. The zero value starts
// one primary and one replica.
type ReplicatedOptions struct {
	// Replicas is the number of replicas of the primary.
	// default: 1
	Replicas int

	// Server configures every process, primary and replicas alike. With
	// TLS, all of them share one CA and replicate over TLS.
	// default: the zero ServerOptions
	Server ServerOptions

	// ReadyTimeout bounds how long StartReplicated waits for the replicas
	// to sync, on top of the caller's context.
	// default: 30 seconds
	ReadyTimeout time.Duration
}

// Replicated is a primary with replicas (no cluster, no sentinel).
type Replicated struct {
	servers []*Server // all members in start order, fixed
	dir     string    // shared certificates; "" without TLS

	// mu guards primary and replicas, which Promote changes.
	mu       sync.Mutex
	primary  *Server
	replicas []*Server

	closeOnce sync.Once
	closeErr  error
}

// StartReplicated starts a primary and its replicas and returns once every
// replica reports master_link_status:up and the primary lists all of them
// online. The caller must Close it.
func StartReplicated(ctx context.Context, opts ReplicatedOptions) (*Replicated, error) {
	if opts.Replicas < 0 {
		return nil, fmt.Errorf("redistest: ReplicatedOptions.Replicas is negative (%d)", opts.Replicas)
	}
	if opts.Replicas == 0 {
		opts.Replicas = 1
	}
	if opts.ReadyTimeout < 0 {
		return nil, fmt.Errorf("redistest: ReplicatedOptions.ReadyTimeout is negative (%v)", opts.ReadyTimeout)
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 30 * time.Second
	}
	spec, err := newNodeSpec(opts.Server)
	if err != nil {
		return nil, err
	}
	r := &Replicated{}
	if spec.opts.TLS != TLSOff {
		if r.dir, spec.certs, err = sharedCerts(); err != nil {
			return nil, err
		}
	}
	fail := func(err error) (*Replicated, error) {
		_ = r.Close()
		return nil, err
	}

	r.primary, err = startNode(ctx, spec)
	if err != nil {
		return fail(err)
	}
	r.servers = append(r.servers, r.primary)
	replicaSpec := spec
	replicaSpec.replicaOf = fmt.Sprintf("127.0.0.1 %d", r.primary.port)
	r.replicas, err = startNodes(ctx, opts.Replicas, func(int) nodeSpec { return replicaSpec })
	r.servers = append(r.servers, r.replicas...)
	if err != nil {
		return fail(err)
	}

	wctx, cancel := context.WithTimeout(ctx, opts.ReadyTimeout)
	defer cancel()
	if err := r.WaitSynced(wctx); err != nil {
		return fail(err)
	}
	return r, nil
}

// sharedCerts generates certificates for a group of servers in a new
// directory.
func sharedCerts() (string, *certs, error) {
	dir, err := os.MkdirTemp("", "redistest-certs-")
	if err != nil {
		return "", nil, fmt.Errorf("redistest: create certificate directory: %w", err)
	}
	c, err := generateCerts(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, fmt.Errorf("redistest: %w", err)
	}
	return dir, c, nil
}

// startNodes starts n servers concurrently and returns those that started,
// in order, with the first error of those that did not.
func startNodes(ctx context.Context, n int, spec func(i int) nodeSpec) ([]*Server, error) {
	servers := make([]*Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { servers[i], errs[i] = startNode(ctx, spec(i)) })
	}
	wg.Wait()
	started := slices.DeleteFunc(servers, func(s *Server) bool { return s == nil })
	if failed := n - len(started); failed > 0 {
		// The failures usually share a cause; one log excerpt is enough.
		first := errs[slices.IndexFunc(errs, func(err error) bool { return err != nil })]
		return started, fmt.Errorf("%d of %d servers failed to start; the first: %w", failed, n, first)
	}
	return started, nil
}

// closeAll closes servers concurrently.
func closeAll(servers []*Server) error {
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() { errs[i] = s.Close() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Primary returns the current primary.
func (r *Replicated) Primary() *Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.primary
}

// Replicas returns the current replicas.
func (r *Replicated) Replicas() []*Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.replicas)
}

// Servers returns every member, primary first as started, whatever their
// current roles.
func (r *Replicated) Servers() []*Server { return slices.Clone(r.servers) }

// TLSConfig returns a client TLS configuration trusted by every member, or
// nil without TLS.
func (r *Replicated) TLSConfig() *tls.Config { return r.servers[0].TLSConfig() }

// WaitSynced waits until every running replica reports
// master_link_status:up with the current primary and the primary lists it
// online. Paused and killed replicas are not waited for. Pass a context with
// a deadline.
func (r *Replicated) WaitSynced(ctx context.Context) error {
	primary, replicas := r.Primary(), r.Replicas()
	err := poll(ctx, 20*time.Millisecond, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return checkReplicas(ctx, primary, replicas)
	})
	if err != nil {
		return fmt.Errorf("redistest: wait for replicas of %s to sync: %w", primary.Addr(), err)
	}
	return nil
}

// checkReplicas returns nil if every live server in replicas is in sync
// with primary, or what is not yet.
func checkReplicas(ctx context.Context, primary *Server, replicas []*Server) error {
	pinfo, err := primary.info(ctx, "replication")
	if err != nil {
		return err
	}
	if role := pinfo["role"]; role != "master" {
		return fmt.Errorf("%s: role:%s", primary.Addr(), role)
	}
	online := onlineReplicaPorts(pinfo)
	for _, rep := range replicas {
		if !rep.live() {
			continue
		}
		info, err := rep.info(ctx, "replication")
		if err != nil {
			return err
		}
		if info["role"] != "slave" || info["master_port"] != strconv.Itoa(primary.port) {
			return fmt.Errorf("%s: role:%s master_port:%s; want replica of %s",
				rep.Addr(), info["role"], info["master_port"], primary.Addr())
		}
		if st := info["master_link_status"]; st != "up" {
			return fmt.Errorf("%s: master_link_status:%s", rep.Addr(), st)
		}
		if !online[rep.port] {
			return fmt.Errorf("%s does not list %s online", primary.Addr(), rep.Addr())
		}
	}
	return nil
}

// onlineReplicaPorts returns the listening ports of the replicas a primary's
// INFO replication lists as online ("slave0:ip=...,port=...,state=online").
func onlineReplicaPorts(info map[string]string) map[int]bool {
	ports := make(map[int]bool)
	for k, v := range info {
		if !strings.HasPrefix(k, "slave") || !strings.Contains(v, "state=") {
			continue
		}
		var port int
		state := ""
		for _, f := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(f, "=")
			switch name {
			case "port":
				port, _ = strconv.Atoi(val)
			case "state":
				state = val
			}
		}
		if state == "online" {
			ports[port] = true
		}
	}
	return ports
}

// Promote makes replica the primary with REPLICAOF NO ONE, points every
// other member (the old primary included) at it, and waits until the
// running ones are in sync. Members that are not running are reconfigured
// for their next Restart. Pass a context with a deadline.
func (r *Replicated) Promote(ctx context.Context, replica *Server) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.replicas, replica) {
		return fmt.Errorf("redistest: promote %s: not a replica of this setup", replica)
	}
	if err := replica.admin.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		return fmt.Errorf("redistest: promote %s: REPLICAOF NO ONE: %w", replica, err)
	}
	return r.follow(ctx, replica)
}

// follow records that replica is now the primary (it already answers as
// one), points every other member (the old primary included) at it, and
// waits until the running ones are in sync; members that are not running
// are reconfigured for their next Restart. Call it with r.mu held.
func (r *Replicated) follow(ctx context.Context, replica *Server) error {
	replica.setReplicaOf(nil)
	others := []*Server{r.primary}
	for _, s := range r.replicas {
		if s != replica {
			others = append(others, s)
		}
	}
	for _, s := range others {
		s.setReplicaOf(replica)
		if !s.live() {
			continue
		}
		if err := s.admin.Do(ctx, "REPLICAOF", "127.0.0.1", replica.port).Err(); err != nil {
			return fmt.Errorf("redistest: promote %s: REPLICAOF on %s: %w", replica, s, err)
		}
	}
	r.primary, r.replicas = replica, others
	err := poll(ctx, 20*time.Millisecond, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return checkReplicas(ctx, replica, others)
	})
	if err != nil {
		return fmt.Errorf("redistest: promote %s: wait for replicas to sync: %w", replica, err)
	}
	return nil
}

// Close closes every member concurrently (see Server.Close) and removes the
// shared certificates. Later calls return the first call's result.
func (r *Replicated) Close() error {
	r.closeOnce.Do(func() {
		err := closeAll(r.servers)
		if r.dir != "" {
			if rerr := os.RemoveAll(r.dir); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		r.closeErr = err
	})
	return r.closeErr
}
