package redhot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/nearcache"
)

// errStreamingCredentials is why the near cache stays off for a client
// whose credentials rotate (StreamingCredentialsProvider): its own
// connections would have to re-authenticate as the client's do, which the
// near cache does not do yet.
var errStreamingCredentials = errors.New("the client uses StreamingCredentialsProvider, which the near cache does not support yet")

// nodeConfig returns how the near cache reaches the node a go-redis
// client (or a cluster's node client) talks to: with the client's own
// dialer, so TLS, Sentinel failover and custom dialers apply unchanged,
// and its own credentials and database.
func nodeConfig(o *redis.Options) (nearcache.NodeConfig, error) {
	if o.StreamingCredentialsProvider != nil {
		return nearcache.NodeConfig{}, errStreamingCredentials
	}
	dial := o.Dialer
	if dial == nil {
		dial = redis.NewDialer(o)
	}
	network, addr := o.Network, o.Addr
	if network == "" {
		network = "tcp"
	}
	cfg := nearcache.NodeConfig{
		Addr: addr,
		Dial: func(ctx context.Context) (net.Conn, error) { return dial(ctx, network, addr) },
		DB:   o.DB,
	}
	switch {
	case o.CredentialsProviderContext != nil:
		cfg.Auth = o.CredentialsProviderContext
	case o.CredentialsProvider != nil:
		f := o.CredentialsProvider
		cfg.Auth = func(context.Context) (string, string, error) {
			u, p := f()
			return u, p, nil
		}
	case o.Password != "":
		u, p := o.Username, o.Password
		cfg.Auth = func(context.Context) (string, string, error) { return u, p, nil }
	}
	return cfg, nil
}

// topology is the near cache's view of where keys live, for one client.
type topology struct {
	cluster *redis.ClusterClient // nil for a standalone or failover client
	single  nearcache.NodeConfig // the one node of a non-cluster client

	// mu guards byAddr: a cluster node's config, made once.
	mu     sync.Mutex
	byAddr map[string]nearcache.NodeConfig
}

// newTopology returns the topology of c, the protocol its replies are
// parsed in, and whether it is a cluster.
func newTopology(c redis.UniversalClient) (*topology, int, error) {
	switch c := c.(type) {
	case *redis.Client:
		o := c.Options()
		cfg, err := nodeConfig(o)
		if err != nil {
			return nil, 0, err
		}
		return &topology{single: cfg}, protocol(o.Protocol), nil
	case *redis.ClusterClient:
		if c.Options().StreamingCredentialsProvider != nil {
			return nil, 0, errStreamingCredentials
		}
		return &topology{cluster: c, byAddr: make(map[string]nearcache.NodeConfig)}, protocol(c.Options().Protocol), nil
	}
	return nil, 0, fmt.Errorf("%w: %T", ErrUnsupportedClient, c)
}

// protocol returns the RESP version go-redis speaks for a Protocol option.
func protocol(p int) int {
	if p == 2 {
		return 2
	}
	return 3
}

// node is the nearcache.Topology: the node that serves key.
func (t *topology) node(ctx context.Context, key string) (nearcache.NodeConfig, error) {
	if t.cluster == nil {
		return t.single, nil
	}
	nc, err := t.cluster.MasterForKey(ctx, key)
	if err != nil {
		return nearcache.NodeConfig{}, err
	}
	return t.config(nc.Options())
}

// config returns the node config of a cluster node client's options,
// made once per address.
func (t *topology) config(o *redis.Options) (nearcache.NodeConfig, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cfg, ok := t.byAddr[o.Addr]; ok {
		return cfg, nil
	}
	cfg, err := nodeConfig(o)
	if err != nil {
		return nearcache.NodeConfig{}, err
	}
	t.byAddr[o.Addr] = cfg
	return cfg, nil
}
