package command

import "sync"

// The builtin table is generated from the COMMAND output of a throwaway
// redis-server (the one on PATH, or $REDIS_SERVER). To regenerate it, with
// Redis 7.0 installed:
//
//	go generate ./command/
//
//go:generate go run ./internal/gen -o builtin_gen.go

// builtin builds the table from builtinSpecs once, on first use.
var builtin = sync.OnceValue(func() *Table { return New(builtinSpecs) })
