package alert

import (
	"context"
	"log/slog"
)

// Notifier delivers alerts somewhere. A Monitor gives each notifier its
// own goroutine and queue and calls Notify from that goroutine only, one
// alert at a time; Notify may block (a slow webhook delays its own queue
// and nothing else) and should return when ctx is done, which happens
// when the Monitor closes and its drain timeout has passed.
type Notifier interface {
	// Name identifies the notifier in Stats, logs and metrics; names are
	// unique within a Monitor.
	Name() string
	// Notify delivers one alert. An error is counted and logged; the
	// alert is not retried by the Monitor (notifiers that retry, such as
	// the webhook, do so inside Notify).
	Notify(ctx context.Context, a Alert) error
}

// Func returns a Notifier called name that calls fn. fn runs on the
// notifier's own goroutine and may block.
func Func(name string, fn func(ctx context.Context, a Alert) error) Notifier {
	return funcNotifier{name: name, fn: fn}
}

type funcNotifier struct {
	name string
	fn   func(context.Context, Alert) error
}

func (f funcNotifier) Name() string { return f.name }

func (f funcNotifier) Notify(ctx context.Context, a Alert) error { return f.fn(ctx, a) }

// Log returns a Notifier called "log" that writes each alert to logger
// (which must not be nil) as one structured record: firing alerts at Warn
// level, resolved ones at Info, with the alert's fields as attributes.
func Log(logger *slog.Logger) Notifier { return logNotifier{l: logger} }

type logNotifier struct{ l *slog.Logger }

func (logNotifier) Name() string { return "log" }

func (n logNotifier) Notify(ctx context.Context, a Alert) error {
	level, msg := slog.LevelWarn, "hot key alert firing"
	if a.Kind == Resolved {
		level, msg = slog.LevelInfo, "hot key alert resolved"
	}
	attrs := []slog.Attr{
		slog.String("rule", a.Rule),
		slog.String("key", readableKey(a.Key)),
		slog.String("op", a.Op.String()),
		slog.Float64("rate", a.Rate),
		slog.Float64("share", a.Share),
		slog.Float64("read_rate", a.ReadRate),
		slog.Float64("write_rate", a.WriteRate),
		slog.Time("since", a.Since),
	}
	if a.Truncated {
		attrs = append(attrs, slog.Bool("key_truncated", true))
	}
	if a.Kind == Resolved {
		attrs = append(attrs, slog.Duration("duration", a.Duration()))
	}
	if a.Suppressed > 0 {
		attrs = append(attrs, slog.Uint64("suppressed", a.Suppressed))
	}
	if a.Origin != "" {
		attrs = append(attrs, slog.String("origin", a.Origin))
	}
	n.l.LogAttrs(ctx, level, msg, attrs...)
	return nil
}
