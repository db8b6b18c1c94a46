package metrics

import (
	"errors"
	"fmt"

	"github.com/redhot/redhot/heat"
)

// Options configure the collectors that export per-key series. The zero
// value gives the documented defaults.
type Options struct {
	// TopK is how many of the source's hottest keys get series of their
	// own at each scrape. Keys that leave the top K lose their series.
	// default: 20; at most 1000
	TopK int

	// MaxKeyBytes is the longest "key" label value, in bytes; longer
	// labels are cut and end in "…" (see KeyLabel).
	// default: 128; at least 8
	MaxKeyBytes int
}

// ErrInvalidOptions is returned by the constructors when an option is out
// of range; the wrapping error names the field.
var ErrInvalidOptions = errors.New("metrics: invalid options")

func (o Options) withDefaults() (Options, error) {
	if o.TopK == 0 {
		o.TopK = 20
	}
	if o.TopK < 0 || o.TopK > 1000 {
		return o, fmt.Errorf("%w: Options.TopK = %d", ErrInvalidOptions, o.TopK)
	}
	if o.MaxKeyBytes == 0 {
		o.MaxKeyBytes = 128
	}
	if o.MaxKeyBytes < 8 {
		return o, fmt.Errorf("%w: Options.MaxKeyBytes = %d", ErrInvalidOptions, o.MaxKeyBytes)
	}
	return o, nil
}

// TopSource is what per-key series are read from: *heat.Tracker and
// *fleet.Member implement it.
type TopSource interface {
	Top(k int) []heat.KeyStat
	Totals() heat.Totals
}
