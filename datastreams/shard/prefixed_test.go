package shard_test

import (
	"context"
	"testing"

	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/datastreams/shard/shardtest"
)

// A prefixed view is a store like any other.
func TestPrefixedContract(t *testing.T) {
	mem := shardtest.PerTest(func(t *testing.T) *shard.MemStore { return shard.NewMemStore(nil) })
	shardtest.Run(t, func(t *testing.T) shard.Store { return shard.Prefixed(mem(t), "video-") })
}

// Two views of one store see only their own logs.
func TestPrefixedViewsAreApart(t *testing.T) {
	ctx := context.Background()
	base := shard.NewMemStore(nil)
	a, b := shard.Prefixed(base, "kinesis-"), shard.Prefixed(base, "video-")
	for _, v := range []struct {
		s  shard.Store
		id shard.LogID
	}{{a, shard.LogID{Stream: "s1", Shard: "x"}}, {b, shard.LogID{Stream: "s2", Shard: "y"}}} {
		l, err := v.s.Open(ctx, v.id, shard.LogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
	}
	la, _ := a.Logs(ctx)
	lb, _ := b.Logs(ctx)
	all, _ := base.Logs(ctx)
	if len(la) != 1 || la[0].Stream != "s1" || len(lb) != 1 || lb[0].Stream != "s2" || len(all) != 2 {
		t.Fatalf("views %v %v, store %v", la, lb, all)
	}
	if err := a.Remove(ctx, shard.LogID{Stream: "s2", Shard: "y"}); err != nil {
		t.Fatal(err)
	}
	if lb, _ := b.Logs(ctx); len(lb) != 1 {
		t.Fatalf("a removal through one view took another's log: %v", lb)
	}
}
