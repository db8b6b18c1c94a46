package alert_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redhot/redhot/alert"
)

// webhook returns a webhook notifier for url with fast retries.
func webhook(t *testing.T, url string, configure ...func(*alert.WebhookOptions)) *alert.Webhook {
	t.Helper()
	o := alert.WebhookOptions{URL: url, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: time.Second}
	for _, f := range configure {
		f(&o)
	}
	w, err := alert.NewWebhook(o)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	return w
}

// server starts a test server whose handler answers request n (from 1)
// with handle, and counts the requests.
func server(t *testing.T, handle func(n int64, w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(n.Add(1), w, r)
	}))
	t.Cleanup(s.Close)
	return s, &n
}

var sample = alert.Alert{
	Kind: alert.Firing, Rule: "hot-products", Key: "product:\xff42", Op: alert.Reads,
	Rate: 1520.5, Share: 0.118, ReadRate: 1500, WriteRate: 20.5, MinRate: 1000,
	At: t0, Since: t0, Origin: "api-1",
}

func TestWebhookPayload(t *testing.T) {
	var got map[string]any
	var header http.Header
	s, n := server(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		header = r.Header
		if r.Method != http.MethodPost {
			t.Errorf("method %s; want POST", r.Method)
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decoding the body: %v", err)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	wh := webhook(t, s.URL, func(o *alert.WebhookOptions) { o.Header = http.Header{"Authorization": {"Bearer x"}} })
	if err := wh.Notify(t.Context(), sample); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if n.Load() != 1 {
		t.Fatalf("%d requests; want 1", n.Load())
	}
	if ct, auth := header.Get("Content-Type"), header.Get("Authorization"); ct != "application/json" || auth != "Bearer x" {
		t.Errorf("Content-Type %q, Authorization %q; want application/json and Bearer x", ct, auth)
	}
	key, _ := base64.StdEncoding.DecodeString(got["key_base64"].(string))
	want := map[string]any{
		"version": 1.0, "kind": "firing", "rule": "hot-products", "key": `product:\xff42`,
		"op": "read", "rate": 1520.5, "share": 0.118, "min_rate": 1000.0, "at": "2025-11-26T08:00:00Z", "origin": "api-1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("payload[%q] = %v; want %v", k, got[k], v)
		}
	}
	if string(key) != sample.Key {
		t.Errorf("key_base64 decodes to %q; want %q", key, sample.Key)
	}
}

func TestWebhookRetries(t *testing.T) {
	cases := []struct {
		name     string
		retries  int
		handle   func(n int64, w http.ResponseWriter, r *http.Request)
		requests int64
		status   int // of the StatusError returned; 0: success
	}{
		{"success after two 503s", 0, func(n int64, w http.ResponseWriter, _ *http.Request) {
			if n <= 2 {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}, 3, 0},
		{"429 is retried", 0, func(n int64, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.WriteHeader(http.StatusTooManyRequests)
			}
		}, 2, 0},
		{"gives up after the retries", 2, func(_ int64, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "upstream down")
		}, 3, http.StatusBadGateway},
		{"a 4xx is final", 0, func(_ int64, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}, 1, http.StatusUnauthorized},
		{"no retries", -1, func(_ int64, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}, 1, http.StatusInternalServerError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, n := server(t, c.handle)
			err := webhook(t, s.URL, func(o *alert.WebhookOptions) { o.Retries = c.retries }).Notify(t.Context(), sample)
			var se *alert.StatusError
			switch {
			case c.status == 0 && err != nil:
				t.Errorf("Notify = %v; want nil", err)
			case c.status != 0 && (!errors.As(err, &se) || se.StatusCode != c.status):
				t.Errorf("Notify = %v; want a StatusError %d", err, c.status)
			}
			if n.Load() != c.requests {
				t.Errorf("%d requests; want %d", n.Load(), c.requests)
			}
		})
	}
}

// TestWebhookTimeout: a server that never answers costs Timeout per
// attempt, and every attempt is made.
func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	s, n := server(t, func(_ int64, _ http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // before the server's Close, which waits for handlers
	wh := webhook(t, s.URL, func(o *alert.WebhookOptions) { o.Timeout = 20 * time.Millisecond; o.Retries = 2 })
	start := time.Now()
	err := wh.Notify(t.Context(), sample)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Notify = %v; want a deadline error", err)
	}
	if n.Load() != 3 {
		t.Errorf("%d requests; want 3", n.Load())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Notify took %v; the attempts' timeouts did not hold", d)
	}
}

// TestWebhookUnreachable: nothing listens; the error is the transport's,
// after the retries.
func TestWebhookUnreachable(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	url := s.URL
	s.Close()
	err := webhook(t, url).Notify(t.Context(), sample)
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("Notify = %v; want a connection error", err)
	}
}

// TestWebhookCancel: cancelling the context stops the retries at once.
func TestWebhookCancel(t *testing.T) {
	s, _ := server(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	wh := webhook(t, s.URL, func(o *alert.WebhookOptions) { o.Backoff = time.Hour; o.MaxBackoff = time.Hour })
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := wh.Notify(ctx, sample); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Notify = %v; want the context's error", err)
	}
}

func TestNewWebhookInvalid(t *testing.T) {
	cases := []struct {
		name  string
		opts  alert.WebhookOptions
		field string
	}{
		{"no URL", alert.WebhookOptions{}, "URL"},
		{"not http", alert.WebhookOptions{URL: "ftp://x/y"}, "URL"},
		{"timeout", alert.WebhookOptions{URL: "http://x", Timeout: -1}, "Timeout"},
		{"backoff", alert.WebhookOptions{URL: "http://x", Backoff: -1}, "Backoff"},
		{"max backoff", alert.WebhookOptions{URL: "http://x", Backoff: time.Second, MaxBackoff: time.Millisecond}, "MaxBackoff"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := alert.NewWebhook(c.opts)
			if !errors.Is(err, alert.ErrInvalidOptions) || !strings.Contains(err.Error(), "WebhookOptions."+c.field) {
				t.Errorf("NewWebhook = %v; want ErrInvalidOptions naming %s", err, c.field)
			}
		})
	}
}
