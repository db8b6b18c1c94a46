package stampede

import (
	"errors"
	"fmt"
)

// ErrNotFound is the not-found sentinel. A loader returns it (or an error
// wrapping it) to say that the key has no value; Fetch then returns
// ErrNotFound, and caches that answer for Options.NegativeTTL when it is
// set.
var ErrNotFound = errors.New("stampede: not found")

// ErrInvalidOptions is returned by New when an option is out of range; the
// wrapping error names the field.
var ErrInvalidOptions = errors.New("stampede: invalid options")

// ErrInvalidArgument is returned by Fetch for a ttl that is not positive or
// a nil loader; the wrapping error names the argument.
var ErrInvalidArgument = errors.New("stampede: invalid argument")

// ErrClosed is returned by Fetch after Close, and to callers still waiting
// when Close is called.
var ErrClosed = errors.New("stampede: cache closed")

// ErrUnavailable is returned by Fetch when Redis cannot be used and
// Options.OnUnavailable is ReturnError. The wrapping error names the
// operation and wraps the client's error too, so errors.Is works for both.
var ErrUnavailable = errors.New("stampede: redis unavailable")

// ErrLeaseTimeout is returned by Fetch when another holder's lease kept the
// caller waiting for longer than Options.WaitTimeout and there was no stale
// value to serve instead (or Options.OnLeaseTimeout is ReturnError).
var ErrLeaseTimeout = errors.New("stampede: timed out waiting for the lease holder")

// ErrLoaderPanic is wrapped by the error that every caller sharing a load
// receives when the loader panics. The wrapping error carries the panic
// value and the loader's stack.
var ErrLoaderPanic = errors.New("stampede: loader panicked")

// ErrCachedError is wrapped by the error Fetch returns for a loader error
// that was cached because Options.ErrorTTL is set; the wrapping error
// carries the original error's message (its type is not preserved).
var ErrCachedError = errors.New("stampede: cached loader error")

// invalid returns an ErrInvalidOptions error naming field.
func invalid(field string, v any, want string) error {
	return fmt.Errorf("%w: %s = %v; want %s", ErrInvalidOptions, field, v, want)
}
