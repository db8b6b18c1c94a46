package redistest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name under which a Sentinel setup monitors its
// primary.
const SentinelMaster = "redistest"

// SentinelOptions configure a primary with replicas watched by Sentinel.
// The zero value starts one primary, one replica and one sentinel.
type SentinelOptions struct {
	// Replicas is the number of replicas of the primary.
	// default: 1
	Replicas int

	// Sentinels is the number of sentinel processes; the quorum is a
	// majority of them.
	// default: 1
	Sentinels int

	// Server configures the data servers (not the sentinels). TLS and
	// passwords are not supported here.
	// default: the zero ServerOptions
	Server ServerOptions

	// DownAfter is how long a primary must be unreachable before the
	// sentinels call it down and fail over.
	// default: 1 second
	DownAfter time.Duration
}

// Sentinel is a primary with replicas and the sentinels that watch them,
// for failover (Sentinel) clients.
type Sentinel struct {
	data *Replicated

	// procs, ports and dirs describe the sentinel processes, fixed after
	// StartSentinel.
	procs []*process
	ports []int
	dirs  []string

	closeOnce sync.Once
	closeErr  error
}

// StartSentinel starts a primary with replicas (see StartReplicated) and
// sentinels monitoring it as SentinelMaster, and returns once every
// sentinel knows the primary and all its replicas. The caller must Close it.
func StartSentinel(ctx context.Context, opts SentinelOptions) (*Sentinel, error) {
	if opts.Sentinels < 0 || opts.Replicas < 0 || opts.DownAfter < 0 {
		return nil, fmt.Errorf("redistest: SentinelOptions has a negative field (%+v)", opts)
	}
	if opts.Server.TLS != TLSOff || opts.Server.Password != "" {
		return nil, errors.New("redistest: SentinelOptions.Server: TLS and passwords are not supported with sentinels")
	}
	if opts.Sentinels == 0 {
		opts.Sentinels = 1
	}
	if opts.DownAfter == 0 {
		opts.DownAfter = time.Second
	}
	data, err := StartReplicated(ctx, ReplicatedOptions{Replicas: opts.Replicas, Server: opts.Server})
	if err != nil {
		return nil, err
	}
	s := &Sentinel{data: data}
	bin, err := findBinary(opts.Server.Binary)
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("redistest: %w", err)
	}
	quorum := opts.Sentinels/2 + 1
	for range opts.Sentinels {
		if err := s.startOne(ctx, bin, quorum, opts.DownAfter); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	want := len(data.Replicas())
	err = poll(ctx, 20*time.Millisecond, func(ctx context.Context) error {
		for _, addr := range s.Addrs() {
			c := redis.NewSentinelClient(&redis.Options{Addr: addr})
			reps, err := c.Replicas(ctx, SentinelMaster).Result()
			c.Close()
			if err != nil {
				return err
			}
			if len(reps) < want {
				return fmt.Errorf("sentinel %s knows %d of %d replicas", addr, len(reps), want)
			}
		}
		return nil
	})
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("redistest: wait for sentinels to discover the replicas: %w", err)
	}
	return s, nil
}

// startOne starts one sentinel process. Sentinel insists on a config file
// it can rewrite, so unlike data servers it gets one in its directory.
func (s *Sentinel) startOne(ctx context.Context, bin string, quorum int, downAfter time.Duration) error {
	dir, err := os.MkdirTemp("", "redistest-sentinel-")
	if err != nil {
		return fmt.Errorf("redistest: create sentinel directory: %w", err)
	}
	primary := s.data.Primary()
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(1)
		if err != nil {
			_ = os.RemoveAll(dir)
			return fmt.Errorf("redistest: %w", err)
		}
		conf := strings.Join([]string{
			"port " + strconv.Itoa(ports[0]),
			"bind 127.0.0.1",
			"daemonize no",
			"protected-mode no",
			"dir " + quote(dir),
			"logfile " + quote(filepath.Join(dir, logFile)),
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d %d", SentinelMaster, primary.Port(), quorum),
			fmt.Sprintf("sentinel down-after-milliseconds %s %d", SentinelMaster, downAfter.Milliseconds()),
			fmt.Sprintf("sentinel failover-timeout %s %d", SentinelMaster, 3*downAfter.Milliseconds()),
			fmt.Sprintf("sentinel parallel-syncs %s 1", SentinelMaster),
		}, "\n") + "\n"
		file := filepath.Join(dir, "sentinel.conf")
		if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
			_ = os.RemoveAll(dir)
			return fmt.Errorf("redistest: write sentinel config: %w", err)
		}
		_ = os.Remove(filepath.Join(dir, logFile))
		p, err := launchArgs(ctx, launchSpec{
			bin:     bin,
			dir:     dir,
			addr:    addr(ports[0]),
			timeout: 10 * time.Second,
		}, file, "--sentinel")
		if err == nil {
			s.procs = append(s.procs, p)
			s.ports = append(s.ports, ports[0])
			s.dirs = append(s.dirs, dir)
			return nil
		}
		if !errors.Is(err, errAddrInUse) || attempt == portAttempts {
			_ = os.RemoveAll(dir)
			return fmt.Errorf("redistest: start sentinel: %w", err)
		}
	}
}

// NewSentinel starts a Sentinel setup for tb (see StartSentinel) and closes
// it when the test ends. It skips tb under -short and fails it if the
// processes cannot start.
func NewSentinel(tb testing.TB, opts SentinelOptions) *Sentinel {
	tb.Helper()
	SkipIfShort(tb)
	s, err := StartSentinel(tb.Context(), opts)
	if err != nil {
		tb.Fatalf("redistest.StartSentinel: %v", err)
	}
	cleanup(tb, s.Close, s.data.Servers()...)
	return s
}

// Addrs returns the sentinels' addresses.
func (s *Sentinel) Addrs() []string {
	out := make([]string, len(s.ports))
	for i, p := range s.ports {
		out[i] = addr(p)
	}
	return out
}

// Data returns the primary with replicas the sentinels watch. After
// Failover its Primary is the promoted server.
func (s *Sentinel) Data() *Replicated { return s.data }

// Client returns a failover client for SentinelMaster through these
// sentinels; configure may adjust its options. The caller closes it.
func (s *Sentinel) Client(configure ...func(*redis.FailoverOptions)) *redis.Client {
	o := &redis.FailoverOptions{MasterName: SentinelMaster, SentinelAddrs: s.Addrs()}
	for _, f := range configure {
		f(o)
	}
	return redis.NewFailoverClient(o)
}

// Failover asks the first sentinel to fail over (SENTINEL FAILOVER) and
// returns once the sentinel names a new primary, that server says it is a
// primary and the others replicate from it. Data then reflects the change.
func (s *Sentinel) Failover(ctx context.Context) error {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.Addrs()[0]})
	defer c.Close()
	old := s.data.Primary()
	// A sentinel that has only just discovered the replicas may not yet
	// have the replication details it needs to pick one (NOGOODSLAVE):
	// ask again until it agrees.
	err := poll(ctx, 50*time.Millisecond, func(ctx context.Context) error {
		return c.Failover(ctx, SentinelMaster).Err()
	})
	if err != nil {
		return fmt.Errorf("redistest: SENTINEL FAILOVER: %w", err)
	}
	var promoted *Server
	err = poll(ctx, 20*time.Millisecond, func(ctx context.Context) error {
		a, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
		if err != nil {
			return err
		}
		port, _ := strconv.Atoi(a[1])
		if port == old.Port() {
			return errors.New("the sentinel still names the old primary")
		}
		for _, r := range s.data.Replicas() {
			if r.Port() == port {
				promoted = r
			}
		}
		if promoted == nil {
			return fmt.Errorf("the sentinel names %s:%s, not one of the replicas", a[0], a[1])
		}
		role, err := promoted.admin.Do(ctx, "ROLE").Slice()
		if err != nil {
			return err
		}
		if len(role) == 0 || role[0] != "master" {
			return fmt.Errorf("%s is not a primary yet", promoted)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redistest: failover: %w", err)
	}
	// The sentinels repoint the other replicas themselves, and the old
	// primary only after their next INFO of it (up to 10 s); doing the
	// same now (a REPLICAOF a replica already follows changes nothing)
	// leaves the setup whole, and recorded, when Failover returns.
	r := s.data
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.follow(ctx, promoted); err != nil {
		return fmt.Errorf("redistest: failover: %w", err)
	}
	return nil
}

// Close stops the sentinels, then the data servers, and removes the
// sentinels' directories. Later calls return the first call's result.
func (s *Sentinel) Close() error {
	s.closeOnce.Do(func() {
		var err error
		for _, p := range s.procs {
			p.stop(stopGrace)
		}
		for _, d := range s.dirs {
			if rerr := os.RemoveAll(d); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		s.closeErr = errors.Join(err, s.data.Close())
	})
	return s.closeErr
}
