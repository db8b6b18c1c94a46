package alert

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// DefaultChannel is PubSubOptions.Channel's default.
const DefaultChannel = "redhot:alerts"

// PubSubOptions configure NewPubSub.
type PubSubOptions struct {
	// Channel is the channel alerts are published on. Other systems
	// SUBSCRIBE to it (redis-cli SUBSCRIBE redhot:alerts) and receive one
	// JSON Payload per message.
	// default: DefaultChannel ("redhot:alerts")
	Channel string

	// Sharded publishes with SPUBLISH (Redis 7) instead of PUBLISH. In a
	// cluster a sharded message goes only to the nodes of the channel's
	// slot instead of to every node; subscribers then use SSUBSCRIBE.
	// default: false
	Sharded bool

	// Name identifies the notifier.
	// default: "pubsub:" + Channel
	Name string
}

// PubSub is a Notifier that publishes alerts on a Redis pub/sub channel of
// the deployment the service already uses. Create it with NewPubSub.
type PubSub struct {
	client redis.UniversalClient
	opts   PubSubOptions
}

// NewPubSub returns a notifier that publishes on client. The client stays
// the caller's: Close of the Monitor does not close it.
func NewPubSub(client redis.UniversalClient, opts PubSubOptions) (*PubSub, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: client is nil", ErrInvalidOptions)
	}
	if opts.Channel == "" {
		opts.Channel = DefaultChannel
	}
	if opts.Name == "" {
		opts.Name = "pubsub:" + opts.Channel
	}
	return &PubSub{client: client, opts: opts}, nil
}

// Name returns PubSubOptions.Name.
func (p *PubSub) Name() string { return p.opts.Name }

// Channel returns the channel alerts go to.
func (p *PubSub) Channel() string { return p.opts.Channel }

// Notify publishes a's Payload once; a message nobody is subscribed to is
// not an error (pub/sub keeps no messages).
func (p *PubSub) Notify(ctx context.Context, a Alert) error {
	body, err := Marshal(a)
	if err != nil {
		return err
	}
	if p.opts.Sharded {
		err = p.client.SPublish(ctx, p.opts.Channel, body).Err()
	} else {
		err = p.client.Publish(ctx, p.opts.Channel, body).Err()
	}
	if err != nil {
		return fmt.Errorf("alert: publish on %s: %w", p.opts.Channel, err)
	}
	return nil
}
