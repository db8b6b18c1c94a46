package inspect

import (
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// NewClient returns a go-redis client for the target, with the target's
// user, password, TLS settings and timeouts: a *redis.ClusterClient
// seeded with every live primary when the target is a cluster, a
// *redis.Client on the URL's database otherwise. It is for callers that
// need a general client on the same deployment, such as a fleet observer
// (fleet.Join) reading the fleet stream; the inspection methods never use
// it. The caller closes it, before closing the target or after.
func (t *Target) NewClient() redis.UniversalClient {
	seed := t.nodes[0]
	if t.mode == Cluster {
		var addrs []string
		for _, n := range t.primaries() {
			addrs = append(addrs, n.addr)
		}
		if len(addrs) == 0 {
			addrs = []string{seed.addr}
		}
		o := &redis.ClusterOptions{
			Addrs:                    addrs,
			Username:                 t.ep.Username,
			Password:                 t.ep.Password,
			Protocol:                 2,
			DisableIdentity:          true,
			DialTimeout:              t.opts.Timeout,
			ReadTimeout:              t.opts.Timeout,
			WriteTimeout:             t.opts.Timeout,
			ContextTimeoutEnabled:    true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		}
		if t.tls != nil {
			// An empty ServerName makes each node's dial check the
			// certificate against that node's own host.
			o.TLSConfig = t.tls.Clone()
		}
		return redis.NewClusterClient(o)
	}
	o := &redis.Options{
		Addr:                     seed.addr,
		Username:                 t.ep.Username,
		Password:                 t.ep.Password,
		DB:                       t.ep.DB,
		Protocol:                 2,
		DisableIdentity:          true,
		DialTimeout:              t.opts.Timeout,
		ReadTimeout:              t.opts.Timeout,
		WriteTimeout:             t.opts.Timeout,
		ContextTimeoutEnabled:    true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	if t.tls != nil {
		o.TLSConfig = t.tls.Clone()
		if o.TLSConfig.ServerName == "" {
			o.TLSConfig.ServerName = seed.host
		}
	}
	return redis.NewClient(o)
}
