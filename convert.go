package redhot

import (
	"math/big"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/nearcache"
)

// setReply sets v, a cached or filled reply, as cmd's result, as go-redis
// would have parsed the same reply off the wire for a client speaking
// protocol proto. It returns false, leaving cmd alone, when v has a shape
// the cmd does not expect; the caller then sends the command to Redis.
func setReply(cmd redis.Cmder, name string, v *nearcache.Value, proto int) bool {
	if v.Kind == nearcache.KindError {
		return false
	}
	null := v.Kind == nearcache.KindNull
	switch c := cmd.(type) {
	case *redis.StringCmd:
		if null {
			c.SetVal("")
			c.SetErr(redis.Nil)
			return true
		}
		s, ok := scalarString(v)
		if !ok {
			return false
		}
		c.SetVal(s)
	case *redis.IntCmd:
		if v.Kind != nearcache.KindInt {
			return false
		}
		c.SetVal(v.Int)
	case *redis.BoolCmd:
		switch v.Kind {
		case nearcache.KindInt, nearcache.KindBool:
			c.SetVal(v.Int != 0)
		default:
			return false
		}
	case *redis.FloatCmd:
		switch {
		case null:
			c.SetVal(0)
			c.SetErr(redis.Nil)
			return true
		case v.Kind == nearcache.KindDouble:
			c.SetVal(v.Float)
		case v.Kind == nearcache.KindString:
			f, err := strconv.ParseFloat(v.Str, 64)
			if err != nil {
				return false
			}
			c.SetVal(f)
		default:
			return false
		}
	case *redis.StringSliceCmd:
		if !isList(v) {
			return false
		}
		out := make([]string, len(v.Elems))
		for i := range v.Elems {
			s, ok := scalarString(&v.Elems[i])
			if !ok && v.Elems[i].Kind != nearcache.KindNull {
				return false
			}
			out[i] = s
		}
		c.SetVal(out)
	case *redis.SliceCmd:
		if !isList(v) {
			return false
		}
		out := make([]any, len(v.Elems))
		for i := range v.Elems {
			out[i] = generic(&v.Elems[i], proto, name)
		}
		c.SetVal(out)
	case *redis.MapStringStringCmd:
		if v.Kind != nearcache.KindMap && v.Kind != nearcache.KindArray || len(v.Elems)%2 != 0 {
			return false
		}
		out := make(map[string]string, len(v.Elems)/2)
		for i := 0; i < len(v.Elems); i += 2 {
			k, ok1 := scalarString(&v.Elems[i])
			val, ok2 := scalarString(&v.Elems[i+1])
			if !ok1 || !ok2 {
				return false
			}
			out[k] = val
		}
		c.SetVal(out)
	case *redis.ZSliceCmd:
		zs, ok := zslice(v)
		if !ok {
			return false
		}
		c.SetVal(zs)
	case *redis.Cmd:
		if null {
			c.SetVal(nil)
			c.SetErr(redis.Nil)
			return true
		}
		c.SetVal(generic(v, proto, name))
	default:
		return false
	}
	return true
}

func isList(v *nearcache.Value) bool {
	return v.Kind == nearcache.KindArray || v.Kind == nearcache.KindSet
}

// scalarString returns a string, or the text of a number, as go-redis's
// ReadString does.
func scalarString(v *nearcache.Value) (string, bool) {
	switch v.Kind {
	case nearcache.KindString, nearcache.KindDouble, nearcache.KindBigNumber:
		return v.Str, true
	case nearcache.KindInt:
		return strconv.FormatInt(v.Int, 10), true
	case nearcache.KindBool:
		if v.Int != 0 {
			return "1", true
		}
		return "0", true
	}
	return "", false
}

// zslice reads ZRANGE ... WITHSCORES: pairs in RESP3, a flat list in RESP2.
func zslice(v *nearcache.Value) ([]redis.Z, bool) {
	if v.Kind != nearcache.KindArray {
		return nil, false
	}
	score := func(s *nearcache.Value) (float64, bool) {
		if s.Kind == nearcache.KindDouble {
			return s.Float, true
		}
		f, err := strconv.ParseFloat(s.Str, 64)
		return f, err == nil && s.Kind == nearcache.KindString
	}
	if len(v.Elems) > 0 && v.Elems[0].Kind == nearcache.KindArray {
		out := make([]redis.Z, len(v.Elems))
		for i := range v.Elems {
			p := &v.Elems[i]
			if p.Kind != nearcache.KindArray || len(p.Elems) != 2 {
				return nil, false
			}
			m, ok := scalarString(&p.Elems[0])
			f, ok2 := score(&p.Elems[1])
			if !ok || !ok2 {
				return nil, false
			}
			out[i] = redis.Z{Member: m, Score: f}
		}
		return out, true
	}
	if len(v.Elems)%2 != 0 {
		return nil, false
	}
	out := make([]redis.Z, len(v.Elems)/2)
	for i := range out {
		m, ok := scalarString(&v.Elems[2*i])
		f, ok2 := score(&v.Elems[2*i+1])
		if !ok || !ok2 {
			return nil, false
		}
		out[i] = redis.Z{Member: m, Score: f}
	}
	return out, true
}

// generic converts v as go-redis's ReadReply does for a client speaking
// proto: RESP3 maps become map[any]any, sets []any, doubles float64. For a
// RESP2 client the reply is reshaped into what the server would have sent
// in RESP2: maps flattened, doubles as their text, booleans as integers,
// and ZRANGE's [member, score] pairs flattened.
func generic(v *nearcache.Value, proto int, name string) any {
	switch v.Kind {
	case nearcache.KindNull:
		return nil
	case nearcache.KindString:
		return v.Str
	case nearcache.KindInt:
		return v.Int
	case nearcache.KindDouble:
		if proto == 2 {
			return v.Str
		}
		return v.Float
	case nearcache.KindBool:
		if proto == 2 {
			return v.Int
		}
		return v.Int != 0
	case nearcache.KindBigNumber:
		if proto == 2 {
			return v.Str
		}
		n, ok := new(big.Int).SetString(v.Str, 10)
		if !ok {
			return v.Str
		}
		return n
	case nearcache.KindError:
		return error(redisError(v.Str))
	case nearcache.KindMap:
		if proto == 2 {
			out := make([]any, len(v.Elems))
			for i := range v.Elems {
				out[i] = generic(&v.Elems[i], proto, name)
			}
			return out
		}
		out := make(map[any]any, len(v.Elems)/2)
		for i := 0; i+1 < len(v.Elems); i += 2 {
			k := &v.Elems[i]
			var key any = k.Str // aggregates cannot be map keys in Go
			switch k.Kind {
			case nearcache.KindArray, nearcache.KindSet, nearcache.KindMap, nearcache.KindPush:
			default:
				key = generic(k, proto, name)
			}
			out[key] = generic(&v.Elems[i+1], proto, name)
		}
		return out
	default: // array, set, push
		if proto == 2 && name == "zrange" && len(v.Elems) > 0 && v.Elems[0].Kind == nearcache.KindArray {
			out := make([]any, 0, 2*len(v.Elems))
			for i := range v.Elems {
				for j := range v.Elems[i].Elems {
					out = append(out, generic(&v.Elems[i].Elems[j], proto, name))
				}
			}
			return out
		}
		out := make([]any, len(v.Elems))
		for i := range v.Elems {
			out[i] = generic(&v.Elems[i], proto, name)
		}
		return out
	}
}

// redisError is an error reply nested in a reply.
type redisError string

func (e redisError) Error() string { return string(e) }

// RedisError marks it as a reply of the server, as go-redis's own does.
func (redisError) RedisError() {}
