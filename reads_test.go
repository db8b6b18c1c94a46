package redhot

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
)

// TestCachedRepliesMatchServer checks, for every cacheable read, through
// go-redis's typed methods and through Do, over RESP2 and RESP3, that a
// reply served from the near cache is exactly what the server gives a
// plain client: same value, same type, same error.
func TestCachedRepliesMatchServer(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	setup := srv.Client()
	setup.Set(ctx, "s", "hello", 0)
	setup.HSet(ctx, "h", "f1", "v1", "f2", "v2")
	setup.RPush(ctx, "l", "a", "b", "c")
	setup.SAdd(ctx, "set", "x")
	setup.ZAdd(ctx, "z", redis.Z{Score: 1.5, Member: "m1"}, redis.Z{Score: 2, Member: "m2"})

	type result struct {
		Val any
		Err string
	}
	res := func(c redis.Cmder) result {
		r := result{}
		if err := c.Err(); err != nil {
			r.Err = err.Error()
		}
		switch c := c.(type) {
		case *redis.StringCmd:
			r.Val = c.Val()
		case *redis.IntCmd:
			r.Val = c.Val()
		case *redis.BoolCmd:
			r.Val = c.Val()
		case *redis.FloatCmd:
			r.Val = c.Val()
		case *redis.SliceCmd:
			r.Val = c.Val()
		case *redis.StringSliceCmd:
			r.Val = c.Val()
		case *redis.MapStringStringCmd:
			r.Val = c.Val()
		case *redis.ZSliceCmd:
			r.Val = c.Val()
		case *redis.Cmd:
			r.Val = c.Val()
		default:
			panic(fmt.Sprintf("%T", c))
		}
		return r
	}
	tests := []struct {
		name string
		key  string
		run  func(c redis.UniversalClient) redis.Cmder
	}{
		{"GET", "s", func(c redis.UniversalClient) redis.Cmder { return c.Get(ctx, "s") }},
		{"GET missing", "none", func(c redis.UniversalClient) redis.Cmder { return c.Get(ctx, "none") }},
		{"Do GET", "s", func(c redis.UniversalClient) redis.Cmder { return c.Do(ctx, "GET", "s") }},
		{"Do GET missing", "none", func(c redis.UniversalClient) redis.Cmder { return c.Do(ctx, "get", "none") }},
		{"MGET", "s", func(c redis.UniversalClient) redis.Cmder { return c.MGet(ctx, "s", "none", "s") }},
		{"Do MGET", "s", func(c redis.UniversalClient) redis.Cmder { return c.Do(ctx, "MGET", "s", "none") }},
		{"HGET", "h", func(c redis.UniversalClient) redis.Cmder { return c.HGet(ctx, "h", "f1") }},
		{"HGET missing field", "h", func(c redis.UniversalClient) redis.Cmder { return c.HGet(ctx, "h", "nope") }},
		{"HMGET", "h", func(c redis.UniversalClient) redis.Cmder { return c.HMGet(ctx, "h", "f2", "nope", "f1") }},
		{"HGETALL", "h", func(c redis.UniversalClient) redis.Cmder { return c.HGetAll(ctx, "h") }},
		{"Do HGETALL", "h", func(c redis.UniversalClient) redis.Cmder { return c.Do(ctx, "HGETALL", "h") }},
		{"EXISTS", "s", func(c redis.UniversalClient) redis.Cmder { return c.Exists(ctx, "s") }},
		{"EXISTS missing", "none", func(c redis.UniversalClient) redis.Cmder { return c.Exists(ctx, "none") }},
		{"STRLEN", "s", func(c redis.UniversalClient) redis.Cmder { return c.StrLen(ctx, "s") }},
		{"LRANGE", "l", func(c redis.UniversalClient) redis.Cmder { return c.LRange(ctx, "l", 0, -1) }},
		{"LRANGE part", "l", func(c redis.UniversalClient) redis.Cmder { return c.LRange(ctx, "l", 1, 1) }},
		{"Do LRANGE", "l", func(c redis.UniversalClient) redis.Cmder { return c.Do(ctx, "LRANGE", "l", 0, -1) }},
		{"SMEMBERS", "set", func(c redis.UniversalClient) redis.Cmder { return c.SMembers(ctx, "set") }},
		{"Do SMEMBERS", "set", func(c redis.UniversalClient) redis.Cmder { return c.Do(ctx, "SMEMBERS", "set") }},
		{"SISMEMBER", "set", func(c redis.UniversalClient) redis.Cmder { return c.SIsMember(ctx, "set", "x") }},
		{"SISMEMBER no", "set", func(c redis.UniversalClient) redis.Cmder { return c.SIsMember(ctx, "set", "y") }},
		{"ZRANGE", "z", func(c redis.UniversalClient) redis.Cmder { return c.ZRange(ctx, "z", 0, -1) }},
		{"ZRANGE WITHSCORES", "z", func(c redis.UniversalClient) redis.Cmder { return c.ZRangeWithScores(ctx, "z", 0, -1) }},
		{"ZRANGE BYSCORE", "z", func(c redis.UniversalClient) redis.Cmder {
			return c.ZRangeArgs(ctx, redis.ZRangeArgs{Key: "z", Start: "(1", Stop: "+inf", ByScore: true})
		}},
		{"Do ZRANGE WITHSCORES", "z", func(c redis.UniversalClient) redis.Cmder { return c.Do(ctx, "ZRANGE", "z", 0, -1, "WITHSCORES") }},
		{"ZSCORE", "z", func(c redis.UniversalClient) redis.Cmder { return c.ZScore(ctx, "z", "m1") }},
		{"ZSCORE missing", "z", func(c redis.UniversalClient) redis.Cmder { return c.ZScore(ctx, "z", "nope") }},
		{"Do ZSCORE", "z", func(c redis.UniversalClient) redis.Cmder { return c.Do(ctx, "ZSCORE", "z", "m1") }},
		{"GET of a hash", "h", func(c redis.UniversalClient) redis.Cmder { return c.Get(ctx, "h") }},
	}
	for _, proto := range []int{2, 3} {
		plain := srv.Client(func(o *redis.Options) { o.Protocol = proto })
		rdb := srv.Client(func(o *redis.Options) { o.Protocol = proto })
		mw := attach(t, rdb, Options{})
		waitMode(t, mw, nearcache.ModeTracking)
		for _, tt := range tests {
			t.Run(fmt.Sprintf("RESP%d/%s", proto, tt.name), func(t *testing.T) {
				mw.Pin(tt.key)
				want := res(tt.run(plain))
				for i := range 3 { // a miss that fills, then hits
					hits := mw.Stats().Cache.Hits
					got := res(tt.run(rdb))
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("call %d: got %#v; want %#v (plain client)", i, got, want)
					}
					if i == 2 && tt.name != "GET of a hash" && mw.Stats().Cache.Hits == hits {
						t.Errorf("call %d was not served from the near cache", i)
					}
				}
			})
		}
	}
}
