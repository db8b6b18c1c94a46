package demo

import (
	"context"
	"net"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/heat"
)

// observer is a go-redis hook that feeds the demo's commands to a tracker.
// The demo only sends single-key GET and SET, so the key is the first
// argument; the library's middleware takes key positions from package
// command instead.
type observer struct {
	tr *heat.Tracker
}

var _ redis.Hook = observer{}

func (o observer) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

func (o observer) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		o.observe(cmd)
		return next(ctx, cmd)
	}
}

func (o observer) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			o.observe(cmd)
		}
		return next(ctx, cmds)
	}
}

func (o observer) observe(cmd redis.Cmder) {
	args := cmd.Args()
	if len(args) != 2 && len(args) != 3 {
		return
	}
	op := heat.Read
	switch cmd.Name() {
	case "get":
	case "set":
		op = heat.Write
	default:
		return
	}
	key, ok := args[1].(string)
	if !ok {
		return
	}
	o.tr.Observe(key, op)
}
