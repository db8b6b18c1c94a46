package command

import (
	"context"
	"encoding"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
)

// recorder is a go-redis hook that records the arguments of every command
// and sends nothing, so that commands such as MIGRATE or FLUSHALL can be
// built without being run.
type recorder struct{ args [][]any }

func (r *recorder) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *recorder) ProcessHook(redis.ProcessHook) redis.ProcessHook {
	return func(_ context.Context, cmd redis.Cmder) error {
		r.args = append(r.args, slices.Clone(cmd.Args()))
		return nil
	}
}

func (r *recorder) ProcessPipelineHook(redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(_ context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			r.args = append(r.args, slices.Clone(cmd.Args()))
		}
		return nil
	}
}

// goRedisText is the text go-redis writes for an argument (proto.Writer).
func goRedisText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 64)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case time.Duration:
		return strconv.FormatInt(v.Nanoseconds(), 10)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case encoding.BinaryMarshaler:
		b, _ := v.MarshalBinary()
		return string(b)
	}
	return fmt.Sprint(v) // integers
}

// TestKeysAnyGoRedisCommands builds commands through go-redis's own API,
// as a service would, and checks KeysAny on their cmd.Args() against the
// server's COMMAND GETKEYSANDFLAGS for the same lines.
func TestKeysAnyGoRedisCommands(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	truth := srv.Client(func(o *redis.Options) { o.Protocol = 2 })
	rec := &recorder{}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DisableIdentity: true})
	defer c.Close()
	c.AddHook(rec)
	ctx := testContext(t)

	c.Get(ctx, "g")
	c.Set(ctx, "s", "v", time.Minute)
	c.SetArgs(ctx, "sa", "v", redis.SetArgs{Get: true, TTL: time.Second})
	c.MGet(ctx, "m1", "m2", "m3")
	c.MSet(ctx, "ms1", 1, "ms2", 2.5)
	c.HSet(ctx, "h", "f", 1, "g", true)
	c.HGet(ctx, "h2", "f")
	c.HMGet(ctx, "h3", "a", "b")
	c.HGetAll(ctx, "h4")
	c.Incr(ctx, "i")
	c.IncrByFloat(ctx, "if", 1.5)
	c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "m"})
	c.Exists(ctx, "e1", "e2")
	c.StrLen(ctx, "sl")
	c.LRange(ctx, "lr", 0, -1)
	c.SMembers(ctx, "sm")
	c.SIsMember(ctx, "sim", "x")
	c.ZRange(ctx, "zr", 0, -1)
	c.ZScore(ctx, "zs", "m")
	c.Del(ctx, "d1", "d2")
	c.Expire(ctx, "ex", time.Minute)
	c.Eval(ctx, "return 1", []string{"ek1", "ek2"}, "a", 2)
	c.EvalSha(ctx, "abc", []string{"esk"})
	c.EvalRO(ctx, "return 1", []string{"erk"})
	c.FCall(ctx, "fn", []string{"fk1", "fk2"}, 1)
	c.FCallRO(ctx, "fn", []string{"frk"})
	c.SortStore(ctx, "sort", "sorted", &redis.Sort{By: "w_*", Get: []string{"o_*"}, Offset: 0, Count: 10, Alpha: true})
	c.SortRO(ctx, "sortro", &redis.Sort{By: "w_*"})
	c.ZUnionStore(ctx, "zu", &redis.ZStore{Keys: []string{"za", "zb"}, Weights: []float64{1, 2}})
	c.ZInterStore(ctx, "zi", &redis.ZStore{Keys: []string{"zc", "zd"}})
	c.ZInter(ctx, &redis.ZStore{Keys: []string{"ze", "zf"}})
	c.ZDiff(ctx, "zg", "zh")
	c.ZInterCard(ctx, 1, "zj", "zk")
	c.SInterCard(ctx, 1, "sa1", "sb1")
	c.LMPop(ctx, "left", 2, "la", "lb")
	c.BLMPop(ctx, time.Second, "right", 1, "lc")
	c.ZMPop(ctx, "min", 1, "zl")
	c.BZMPop(ctx, time.Second, "max", 1, "zm", "zn")
	c.XRead(ctx, &redis.XReadArgs{Streams: []string{"xs1", "xs2", "0", "0"}, Count: 10, Block: time.Second})
	c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "streams", Consumer: "c", Streams: []string{"xs3", ">"}, NoAck: true})
	c.XAdd(ctx, &redis.XAddArgs{Stream: "xa", Values: map[string]any{"f": 1}})
	c.XInfoStreamFull(ctx, "xi", 10)
	c.GeoRadiusStore(ctx, "geo", 1, 2, &redis.GeoRadiusQuery{Radius: 10, Unit: "km", Store: "gstore"})
	c.GeoRadiusByMemberStore(ctx, "geo2", "m", &redis.GeoRadiusQuery{Radius: 10, Unit: "km", StoreDist: "gdist"})
	c.GeoSearchStore(ctx, "gsrc", "gdst", &redis.GeoSearchStoreQuery{GeoSearchQuery: redis.GeoSearchQuery{Member: "m", Radius: 1, RadiusUnit: "km"}})
	c.ObjectFreq(ctx, "of")
	c.ObjectEncoding(ctx, "oe")
	c.MemoryUsage(ctx, "mu", 5)
	c.Copy(ctx, "csrc", "cdst", 0, true)
	c.SMove(ctx, "smsrc", "smdst", "m")
	c.LMove(ctx, "lmsrc", "lmdst", "left", "right")
	c.BLMove(ctx, "blsrc", "bldst", "left", "right", time.Second)
	c.Rename(ctx, "ra", "rb")
	c.GetDel(ctx, "gd")
	c.GetEx(ctx, "ge", time.Minute)
	c.BitOpAnd(ctx, "bdst", "b1", "b2")
	c.BitField(ctx, "bf", "get", "u8", 0)
	c.BitField(ctx, "bf2", "set", "u8", 0, 1)
	c.PFCount(ctx, "pf1", "pf2")
	c.PFMerge(ctx, "pfd", "pf3")
	c.Type(ctx, "ty")
	c.Migrate(ctx, "127.0.0.1", "1", "mig", 0, time.Second)
	c.BLPop(ctx, time.Second, "bl1", "bl2")
	c.Watch(ctx, func(*redis.Tx) error { return nil }, "w1", "w2")
	c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "tx1")
		p.Get(ctx, "tx2")
		return nil
	})
	c.ClientList(ctx)
	c.FunctionList(ctx, redis.FunctionListQuery{})
	c.Do(ctx, "GET", "do1")
	c.Do(ctx, "Object", "FREQ", "do2")
	c.Do(ctx, "eval", "return 1", int64(1), []byte("do3"))

	tab := Builtin()
	var withKeys int
	for _, args := range rec.args {
		text := make([]any, 0, len(args)+2)
		text = append(text, "command", "getkeysandflags")
		for _, a := range args {
			text = append(text, goRedisText(a))
		}
		want, err := serverKeys(truth.Do(ctx, text...))
		if err != nil {
			t.Fatalf("COMMAND GETKEYSANDFLAGS %v: %v", args, err)
		}
		var got []string
		for _, k := range tab.KeysAny(args, nil) {
			got = append(got, goRedisText(args[k.Pos])+"["+k.Flags.String()+"]")
		}
		if len(want) > 0 {
			withKeys++
		}
		if !slices.Equal(got, want) {
			t.Errorf("KeysAny(%v) = %q; server says %q", args, got, want)
		}
	}
	t.Logf("%d go-redis commands, %d with keys", len(rec.args), withKeys)
	if len(rec.args) < 70 || withKeys < 60 {
		t.Errorf("recorded %d commands, %d with keys; want at least 70 and 60", len(rec.args), withKeys)
	}
}
