package alert_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/alert"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
)

// TestPubSub: another system subscribed to the channel receives each
// alert as a JSON payload, binary keys included; sharded channels too.
func TestPubSub(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	client := srv.Client()
	for _, sharded := range []bool{false, true} {
		name := map[bool]string{false: "PUBLISH", true: "SPUBLISH"}[sharded]
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			subscriber := srv.Client()
			var sub *redis.PubSub
			if sharded {
				sub = subscriber.SSubscribe(ctx, "ops:alerts")
			} else {
				sub = subscriber.Subscribe(ctx, "ops:alerts")
			}
			defer sub.Close()
			if _, err := sub.Receive(ctx); err != nil { // the subscription's confirmation
				t.Fatal(err)
			}
			ps, err := alert.NewPubSub(client, alert.PubSubOptions{Channel: "ops:alerts", Sharded: sharded})
			if err != nil {
				t.Fatal(err)
			}
			src := &source{}
			m := monitor(t, src, alert.Options{
				Rules:     []alert.Rule{{Name: "big", MinRate: 1000}},
				Notifiers: []alert.Notifier{ps},
				Clock:     heat.NewFakeClock(t0),
				Origin:    "api-1",
			})
			binKey := "\x00\xffsession\r\n"
			src.set(key(binKey, 3000, 100))
			m.Evaluate()
			msg, err := sub.ReceiveTimeout(ctx, 10*time.Second)
			if err != nil {
				t.Fatalf("receiving: %v", err)
			}
			var p alert.Payload
			if err := json.Unmarshal([]byte(msg.(*redis.Message).Payload), &p); err != nil {
				t.Fatalf("payload %q: %v", msg.(*redis.Message).Payload, err)
			}
			key, _ := base64.StdEncoding.DecodeString(p.KeyBase64)
			if p.Version != alert.PayloadVersion || p.Kind != "firing" || p.Rule != "big" || string(key) != binKey || p.Rate != 3100 || p.Origin != "api-1" {
				t.Errorf("payload %+v; want version 1, firing, rule big, key %q at 3100/s from api-1", p, binKey)
			}
			m.Close()
			if st := m.Stats().Notifiers[0]; st.Sent != 1 || st.Name != "pubsub:ops:alerts" {
				t.Errorf("notifier stats %+v; want pubsub:ops:alerts with 1 sent", st)
			}
		})
	}
}

// TestPubSubUnreachable: a Redis that is gone makes the notifier fail,
// counted, without holding up the Monitor.
func TestPubSubUnreachable(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	client := srv.Client(func(o *redis.Options) { o.MaxRetries = -1; o.DialTimeout = 200 * time.Millisecond })
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	ps, err := alert.NewPubSub(client, alert.PubSubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := &source{}
	m := monitor(t, src, alert.Options{Rules: []alert.Rule{{MinRate: 1}}, Notifiers: []alert.Notifier{ps}, Clock: heat.NewFakeClock(t0)})
	src.set(key("k", 10, 0))
	start := time.Now()
	if n := len(m.Evaluate()); n != 1 {
		t.Fatalf("Evaluate raised %d alerts; want 1", n)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Evaluate took %v with Redis down", d)
	}
	m.Close()
	st := m.Stats().Notifiers[0]
	if st.Failed != 1 || st.Sent != 0 || st.LastError == "" {
		t.Errorf("notifier stats %+v; want one failure with its error", st)
	}
	if _, err := alert.NewPubSub(nil, alert.PubSubOptions{}); !errors.Is(err, alert.ErrInvalidOptions) {
		t.Errorf("NewPubSub(nil) = %v; want ErrInvalidOptions", err)
	}
}
