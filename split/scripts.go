package split

import (
	"crypto/sha1"
	"encoding/hex"
)

// script is a Lua script and its SHA1, for EVAL and EVALSHA.
type script struct{ src, sha string }

func newScript(src string) script {
	h := sha1.Sum([]byte(src))
	return script{src: src, sha: hex.EncodeToString(h[:])}
}

// eval returns the arguments of an EVAL of the script on key. Pipelines
// send the body, which Redis compiles once and caches, rather than EVALSHA
// and another round trip after NOSCRIPT.
func (s script) eval(key string, args ...any) []any {
	a := make([]any, 0, 4+len(args))
	a = append(a, "eval", s.src, 1, key)
	return append(a, args...)
}

// evalSha returns the arguments of an EVALSHA of the script on key.
func (s script) evalSha(key string, args ...any) []any {
	a := make([]any, 0, 4+len(args))
	a = append(a, "evalsha", s.sha, 1, key)
	return append(a, args...)
}

// incrTTL adds ARGV[1] to the counter shard KEYS[1] and, if the shard has
// no TTL (it was just created), gives it ARGV[2] milliseconds.
var incrTTL = newScript(`
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return v
`)

// copySet writes one copy of a replicated value unless the copy already
// holds the same or a newer version, so copies only ever move forward and
// a repeated or late write is harmless. A copy is a hash: v (version), w
// (writer, the tie-break between equal versions) and d (the data; absent
// in a tombstone, which Delete writes). KEYS[1] is the copy; ARGV: version,
// writer, "1" with data or "0" for a tombstone, data, TTL in milliseconds
// (0: none). It returns 1 if it wrote, 0 if the copy was as new or newer.
var copySet = newScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'w')
if cur[1] then
	local cv, nv = tonumber(cur[1]), tonumber(ARGV[1])
	if cv > nv or (cv == nv and tonumber(cur[2] or '0') >= tonumber(ARGV[2])) then
		return 0
	end
end
redis.call('DEL', KEYS[1])
if ARGV[3] == '1' then
	redis.call('HSET', KEYS[1], 'v', ARGV[1], 'w', ARGV[2], 'd', ARGV[4])
else
	redis.call('HSET', KEYS[1], 'v', ARGV[1], 'w', ARGV[2])
end
local ttl = tonumber(ARGV[5])
if ttl > 0 then
	redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`)

// copyExpire sets the TTL of a copy that holds version ARGV[1] and writer
// ARGV[2] (milliseconds in ARGV[3]; 0 removes it), and leaves a copy that
// holds another version alone: a Set that raced ahead keeps its own TTL.
var copyExpire = newScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'w')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then
	return 0
end
local ttl = tonumber(ARGV[3])
if ttl > 0 then
	redis.call('PEXPIRE', KEYS[1], ttl)
else
	redis.call('PERSIST', KEYS[1])
end
return 1
`)
