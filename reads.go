package redhot

import (
	"strconv"
)

// cacheable lists the reads the near cache answers, by lowercase name. All
// take their one key at position 1, except MGET whose arguments are all
// keys; every argument after the key is part of what is cached (the
// variant: HGET's field, LRANGE's range, ZRANGE's options).
var cacheable = map[string]bool{
	"get": true, "mget": true, "hget": true, "hmget": true, "hgetall": true,
	"exists": true, "strlen": true, "lrange": true, "smembers": true,
	"sismember": true, "zrange": true, "zscore": true,
}

// argString returns a command argument as go-redis writes it on the wire,
// for the argument types a read's key and options come in. It reports
// false for other types, whose reads are then not cached.
func argString(a any) (string, bool) {
	switch v := a.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case int16:
		return strconv.FormatInt(int64(v), 10), true
	case int8:
		return strconv.FormatInt(int64(v), 10), true
	case uint:
		return strconv.FormatUint(uint64(v), 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case uint32:
		return strconv.FormatUint(uint64(v), 10), true
	case uint16:
		return strconv.FormatUint(uint64(v), 10), true
	case uint8:
		return strconv.FormatUint(uint64(v), 10), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 64), true
	case bool:
		if v {
			return "1", true
		}
		return "0", true
	}
	return "", false
}
