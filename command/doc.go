// Package command knows which arguments of a Redis command line are keys,
// and whether the command reads or writes each of them.
//
// Two parts of redhot need this for every command, not a fixed handful:
// the MONITOR sampler of the redhot CLI (package inspect), which counts the
// keys of each line a live server executes, and the go-redis middleware,
// which observes every command a service sends and whose near cache caches
// reads and drops keys on writes. Both call the same two methods on a
// Table: Keys for string arguments (a parsed MONITOR line) and KeysAny for
// go-redis's cmd.Args(). Both take a dst slice to append to and allocate
// nothing once it has room; command names are matched without regard to
// case, and the subcommand of a container command (OBJECT FREQ, XINFO
// STREAM, MEMORY USAGE, CLIENT LIST, ...) is looked up from the second
// argument. Find returns the Spec of a line, whose Class says what the
// command does as a whole (read, write, admin, other or unknown).
//
// # Tables
//
// Builtin is compiled in: every command and subcommand of Redis 7.0 with
// its arity, flags, ACL categories and key specs, generated from the
// COMMAND output of redis-server 7.0 by ./internal/gen (run
// `go generate ./command/` with Redis installed; it starts a throwaway
// server). Load reads the live server's COMMAND output instead and merges
// it over Builtin, so commands added in later versions and module commands
// are understood as the server describes them. Servers older than 7.0 give
// no key specs: Load then keeps the builtin spec of every command it knows
// and derives one from first key, last key and step for the others, as
// Redis 7 itself does for such commands. When COMMAND is refused (an ACL
// without it) or a MONITOR capture is parsed offline, use Builtin.
//
// A Table is immutable and safe for concurrent use. Lines that do not fit
// the command (wrong arity, malformed numkeys, huge or negative counts,
// arguments of any type) yield no keys or fewer keys, never a panic or an
// index outside the line.
//
// # How keys are found
//
// Redis 7 describes the keys of a command with key specs (see
// https://redis.io/docs/reference/key-specs/ and COMMAND INFO). Each spec
// has two steps. begin_search finds the first key: at a fixed index, or
// after a keyword (matched without regard to case) searched forwards from
// startfrom up to the next-to-last argument, or, for a negative startfrom,
// backwards from that many arguments before the end down to index 2; a
// missing keyword means the spec names no key. find_keys then takes either
// a range (lastkey relative to the first key, or counted from the end of
// the line when negative; keystep; and with limit L, only the first 1/L of
// the remaining arguments, as in XREAD's "key ... id ...") or a keynum (the
// argument at keynumidx says how many keys follow from firstkey, every
// keystep). Specs flagged not_key (the shard channels of SPUBLISH and
// SSUBSCRIBE) are skipped.
//
// This package applies specs exactly as Redis 7.0's
// getKeysFromCommandWithSpecs (src/db.c) does:
//
//  1. A line whose length does not fit the arity has no keys.
//  2. If every spec is valid for the line and complete, their keys, in
//     spec order, are the answer. A spec whose begin_search or find_keys is
//     "unknown" or which is flagged incomplete, or one that does not fit
//     the line (numkeys that is not a canonical integer, negative, or
//     larger than what follows; a range beyond the end), invalidates the
//     whole answer, and
//  3. Redis's own key-finding code for the command runs instead, ported
//     here with the flags it reports: SORT and SORT_RO (the BY and GET
//     patterns are not keys; the last STORE destination is), MIGRATE (the
//     key, or the keys after KEYS), EVAL, EVALSHA, FCALL and their _RO
//     forms, ZUNION/ZINTER/ZDIFF[STORE], ZINTERCARD, SINTERCARD, LMPOP,
//     BLMPOP, ZMPOP and BZMPOP (numkeys, parsed with C's atoi as Redis
//     does), XREAD and XREADGROUP (their options are parsed, since STREAMS
//     may also be a group, consumer or key name), GEORADIUS and
//     GEORADIUSBYMEMBER (STORE and STOREDIST). Commands whose key flags
//     depend on the arguments (variable_flags) use this code directly: SET
//     (a read as well with GET) and BITFIELD (read-only with only GET and
//     OVERFLOW). A command without such code has no keys on that line, as
//     in Redis (which, for one, reports none for PFMERGE without a source
//     key), except that
//  4. a command that has unknown or incomplete specs but no such code (a
//     module or future command) gets the keys its other specs found. Here
//     alone this package deliberately differs from Redis, which would
//     report none: for counting hot keys part of the keys is better than
//     none.
//
// The tests check this against the server's own COMMAND GETKEYSANDFLAGS,
// keys and flags, for every command and subcommand, on some fifty thousand
// lines per run generated from the argument grammar of COMMAND DOCS, with
// keywords and malformed numbers mixed in.
//
// # Reads, writes and classes
//
// Each Key carries its spec's flags and an Access derived from them: RW,
// OW, RM, insert, update or delete make it a Write (the command may change,
// replace or remove the key); RO or access alone make it a Read. Keys for
// which Redis gives no flags are reads for readonly commands and writes for
// all others, so a near cache errs towards invalidating. The access of a
// key and the class of its command can differ: PFCOUNT is a readonly
// command whose keys are RW, because it caches the cardinality in the key
// and signals the key as modified.
//
// A command's Class comes from its flags: ClassWrite for the write flag,
// ClassRead for readonly, ClassWrite also for a command that has neither
// but declares keys it writes (EVAL, EVALSHA, FCALL), ClassAdmin for
// admin, ClassOther for the rest (PING, MULTI, EXEC, SUBSCRIBE, CLIENT
// SETNAME), and ClassUnknown for a command the table does not know.
package command
