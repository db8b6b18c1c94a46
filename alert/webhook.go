package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// WebhookOptions configure NewWebhook.
type WebhookOptions struct {
	// URL receives one POST per alert with the JSON Payload as its body
	// (Content-Type application/json). Required; http or https.
	URL string

	// Name identifies the notifier.
	// default: "webhook"
	Name string

	// Client sends the requests; its own Timeout, if any, applies too.
	// default: a client of the webhook's own (Go's default transport
	// settings, no overall timeout)
	Client *http.Client

	// Header is added to every request, for example Authorization.
	// default: none
	Header http.Header

	// Timeout bounds each attempt, from sending the request to reading the
	// response.
	// default: 5 seconds
	Timeout time.Duration

	// Retries is how many times a failed attempt is repeated. Attempts
	// fail with a transport error, a timeout, or status 408, 429 or 5xx;
	// any other status other than 2xx fails at once, without retry.
	// Negative: no retries.
	// default: 3
	Retries int

	// Backoff is the wait before the first retry. It doubles at each
	// retry up to MaxBackoff, and each wait is drawn between half and all
	// of it (jitter, so instances that failed together do not retry
	// together). A Retry-After header in seconds on a 429 or 503 response
	// replaces the wait, capped at MaxBackoff.
	// default: 250 milliseconds
	Backoff time.Duration

	// MaxBackoff caps each wait between attempts.
	// default: 10 seconds
	MaxBackoff time.Duration
}

// StatusError is returned by a webhook's Notify when the last attempt got
// a status other than 2xx.
type StatusError struct {
	// StatusCode is the response's status code.
	StatusCode int
	// Body is the start of the response body (at most 256 bytes).
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("alert: webhook answered %d %s: %q", e.StatusCode, http.StatusText(e.StatusCode), e.Body)
}

// Webhook is a Notifier that POSTs alerts as JSON. Create it with
// NewWebhook.
type Webhook struct {
	opts   WebhookOptions
	client *http.Client
}

// NewWebhook returns a webhook notifier configured by opts.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	bad := func(field string, v any) (*Webhook, error) {
		return nil, fmt.Errorf("%w: WebhookOptions.%s = %v", ErrInvalidOptions, field, v)
	}
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("URL", strconv.Quote(opts.URL))
	}
	if opts.Name == "" {
		opts.Name = "webhook"
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Timeout < 0 {
		return bad("Timeout", opts.Timeout)
	}
	if opts.Retries == 0 {
		opts.Retries = 3
	}
	opts.Retries = max(opts.Retries, 0)
	if opts.Backoff == 0 {
		opts.Backoff = 250 * time.Millisecond
	}
	if opts.Backoff < 0 {
		return bad("Backoff", opts.Backoff)
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 10 * time.Second
	}
	if opts.MaxBackoff < opts.Backoff {
		return bad("MaxBackoff", opts.MaxBackoff)
	}
	opts.Header = opts.Header.Clone()
	c := opts.Client
	if c == nil {
		c = &http.Client{}
	}
	return &Webhook{opts: opts, client: c}, nil
}

// Name returns WebhookOptions.Name.
func (w *Webhook) Name() string { return w.opts.Name }

// Notify POSTs a's Payload, retrying as WebhookOptions say. It returns
// nil once an attempt gets a 2xx status, a *StatusError or the last
// transport error otherwise, or ctx's error when ctx ends first.
func (w *Webhook) Notify(ctx context.Context, a Alert) error {
	body, err := Marshal(a)
	if err != nil {
		return err
	}
	wait := w.opts.Backoff
	for attempt := 0; ; attempt++ {
		retryAfter, err := w.post(ctx, body)
		if err == nil {
			return nil
		}
		if !retryable(err) || attempt >= w.opts.Retries || ctx.Err() != nil {
			return err
		}
		d := wait/2 + rand.N(wait/2+1)
		if retryAfter > 0 {
			d = retryAfter
		}
		d = min(d, w.opts.MaxBackoff)
		wait = min(2*wait, w.opts.MaxBackoff)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// post makes one attempt. It returns the Retry-After the server asked for
// (0 when none).
func (w *Webhook) post(ctx context.Context, body []byte) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.opts.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range w.opts.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "redhot-alert/1")
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	var retryAfter time.Duration
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		retryAfter = time.Duration(s) * time.Second
	}
	return retryAfter, &StatusError{StatusCode: resp.StatusCode, Body: string(head)}
}

// retryable reports whether an attempt that failed with err may succeed
// if repeated.
func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		c := se.StatusCode
		return c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500
	}
	return true // transport errors and timeouts
}
