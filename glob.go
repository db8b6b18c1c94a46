package redhot

import "github.com/redhot/redhot/internal/glob"

// matchGlob reports whether key matches the Redis glob pattern, with the
// server's semantics (see package internal/glob).
func matchGlob(pattern, key string) bool { return glob.Match(pattern, key) }
