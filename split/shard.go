package split

// ShardOf returns which of n shards holds sub-key sub (a set member, a hash
// field, a user ID of a Sharded key): the 32-bit FNV-1a hash of sub's bytes
// modulo n. FNV-1a starts from 2166136261 (0x811C9DC5) and, for each byte,
// XORs it in and multiplies by 16777619 (0x01000193) modulo 2^32. So the
// shard is stable across processes, machines and languages: in Python
//
//	def shard_of(sub: bytes, n: int) -> int:
//	    h = 0x811C9DC5
//	    for b in sub:
//	        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
//	    return h % n
//
// ShardOf("foobar", 12) is 4 (FNV-1a("foobar") = 0xBF9CF968). It panics if
// n < 1.
func ShardOf(sub string, n int) int {
	if n < 1 {
		panic("split: ShardOf: n < 1")
	}
	return int(fnv1a(sub) % uint32(n))
}

// fnv1a returns the 32-bit FNV-1a hash of s.
func fnv1a(s string) uint32 {
	h := uint32(0x811C9DC5)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 0x01000193
	}
	return h
}
