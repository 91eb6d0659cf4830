package producer

import (
	"context"
	"crypto/md5"
	"math/big"
	"testing"
	"time"
)

func TestHashKey(t *testing.T) {
	for _, pk := range []string{"a", "partition-key-7", "γάμμα", string(make([]byte, 300))} {
		sum := md5.Sum([]byte(pk))
		want := new(big.Int).SetBytes(sum[:]).String()
		h := hashOf(pk)
		if h.String() != want {
			t.Fatalf("%q: %s, want %s", pk, h, want)
		}
		back, err := parseHashKey(want)
		if err != nil || back != h {
			t.Fatalf("%q: parse %v %v", pk, back, err)
		}
	}
	max := "340282366920938463463374607431768211455"
	if h, err := parseHashKey(max); err != nil || h != (hashKey{^uint64(0), ^uint64(0)}) {
		t.Fatalf("max: %v %v", h, err)
	}
	for _, bad := range []string{"", "-1", "340282366920938463463374607431768211456", "12a", "0x10"} {
		if _, err := parseHashKey(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if !(hashKey{0, 5}).less(hashKey{1, 0}) || (hashKey{1, 0}).less(hashKey{0, 5}) || (hashKey{1, 1}).less(hashKey{1, 1}) {
		t.Fatal("less")
	}
}

func FuzzParseHashKey(f *testing.F) {
	for _, s := range []string{"0", "1", "340282366920938463463374607431768211455", "340282366920938463463374607431768211456", "-0", "+5", "007", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHashKey(s)
		if err != nil {
			return
		}
		n, _ := new(big.Int).SetString(s, 10)
		if h.String() != n.String() {
			t.Fatalf("%q read as %s", s, h)
		}
		again, err := parseHashKey(h.String())
		if err != nil || again != h {
			t.Fatalf("%q: round trip %v %v", s, again, err)
		}
	})
}

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := newBucket(1000, t0)
	if !b.allows(1000) || b.allows(1001) && b.tokens < 1000 {
		t.Fatal("a full bucket takes a second's worth")
	}
	b.take(1000)
	if b.allows(1) || b.wait(500) != 500*time.Millisecond {
		t.Fatalf("empty bucket: allows 1 %v, wait %v", b.allows(1), b.wait(500))
	}
	b.refill(t0.Add(250 * time.Millisecond))
	if !b.allows(250) || b.allows(251) {
		t.Fatalf("after 250ms: %v tokens", b.tokens)
	}
	b.refill(t0.Add(time.Hour))
	if b.tokens != 1000 {
		t.Fatalf("refill past the cap: %v", b.tokens)
	}
	// A record larger than a second's allowance goes when the bucket is full.
	if !b.allows(5000) {
		t.Fatal("oversized record refused by a full bucket")
	}
	b.take(5000)
	if b.allows(1) || b.wait(5000) != 5*time.Second {
		t.Fatalf("after an oversized record: wait %v", b.wait(5000))
	}
	off := newBucket(0, t0)
	off.take(1e9)
	if !off.allows(1e12) || off.wait(1e12) != 0 {
		t.Fatal("a zero rate is no limit")
	}
}

func TestRing(t *testing.T) {
	for _, keep := range []bool{false, true} {
		r := ring{keep: keep}
		const n = 5000
		for i := range n {
			if seq := r.push(); seq != uint64(i) {
				t.Fatalf("push %d gave %d", i, seq)
			}
		}
		// Resolve odd ones first: nothing pops until 0 is done.
		for i := 1; i < n; i += 2 {
			if sl := r.resolve(uint64(i)); keep {
				sl.ev.SubSequence = i
			}
		}
		if _, k := r.pop(nil); k != 0 {
			t.Fatalf("popped %d with seq 0 open", k)
		}
		var got []slot
		total := 0
		for i := 0; i < n; i += 2 {
			if sl := r.resolve(uint64(i)); keep {
				sl.ev.SubSequence = i
			}
			var k int
			got, k = r.pop(got)
			total += k
			if r.push() != uint64(n+i/2) {
				t.Fatal("push after pop")
			}
		}
		if total != n || r.base != n {
			t.Fatalf("popped %d, base %d", total, r.base)
		}
		if keep {
			for i, s := range got {
				if s.ev.SubSequence != i {
					t.Fatalf("slot %d holds %d", i, s.ev.SubSequence)
				}
			}
		} else if got != nil {
			t.Fatal("slots kept without keep")
		}
	}
}

func TestRoute(t *testing.T) {
	p := &Producer{known: map[string]shardRange{}}
	p.cfg, _ = withDefaults(Config{Kinesis: nilKinesis{}, StreamName: "s"})
	p.log = p.cfg.Logger
	p.unrouted = p.newShard(shardRange{}, time.Now())
	third := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(3))
	key := func(n *big.Int) hashKey { h, _ := parseHashKey(n.String()); return h }
	one := key(new(big.Int).Sub(third, big.NewInt(1)))
	two := key(new(big.Int).Sub(new(big.Int).Mul(third, big.NewInt(2)), big.NewInt(1)))
	top := hashKey{^uint64(0), ^uint64(0)}
	next := func(h hashKey) hashKey {
		if h.lo == ^uint64(0) {
			return hashKey{h.hi + 1, 0}
		}
		return hashKey{h.hi, h.lo + 1}
	}
	p.applyShards([]shardRange{
		{id: "c", start: next(two), end: top, open: true},
		{id: "a", start: hashKey{}, end: one, open: true},
		{id: "b", start: next(one), end: two, open: true},
		{id: "old", start: hashKey{}, end: top, open: false},
	}, time.Now())
	for _, c := range []struct {
		h  hashKey
		id string
	}{{hashKey{}, "a"}, {one, "a"}, {next(one), "b"}, {two, "b"}, {next(two), "c"}, {top, "c"}} {
		if got := p.route(c.h).r.id; got != c.id {
			t.Errorf("%s routes to %q, want %q", c.h, got, c.id)
		}
	}
	if _, ok := p.known["old"]; !ok {
		t.Fatal("closed shards are known for landing checks")
	}
	// A gap in the map routes to the unrouted buffer.
	p.applyShards([]shardRange{{id: "a", start: hashKey{}, end: one, open: true}}, time.Now())
	if p.route(top) != p.unrouted {
		t.Fatal("a key in no open shard must be unrouted")
	}
}

// nilKinesis only fills Config for withDefaults; TestRoute makes no call.
type nilKinesis struct{ KinesisAPI }

func TestHashCache(t *testing.T) {
	var c hashCache
	for i := range 3 * hashCacheSize {
		pk := string(rune('a'+i%26)) + string(rune(i))
		miss, hit := c.of(pk), c.of(pk)
		if miss != hashOf(pk) || hit != miss {
			t.Fatalf("%q", pk)
		}
		if len(c.m) > hashCacheSize {
			t.Fatalf("cache holds %d", len(c.m))
		}
	}
}

// TestWrongLandingWaitsForItsShard: an aggregate that landed on a shard
// the map does not hold yet (the refresh under way was read before that
// shard was made) or while the refresh fails is not put again on that
// map's word; it waits, and a map that holds the shard decides it.
func TestWrongLandingWaitsForItsShard(t *testing.T) {
	p := &Producer{known: map[string]shardRange{}}
	p.cfg, _ = withDefaults(Config{Kinesis: nilKinesis{}, StreamName: "s"})
	p.log = p.cfg.Logger
	p.ctx = context.Background()
	p.unrouted = p.newShard(shardRange{}, time.Now())
	top := hashKey{^uint64(0), ^uint64(0)}
	half := hashKey{1 << 63, 0}
	p.applyShards([]shardRange{{id: "parent", start: hashKey{}, end: top, open: true}}, time.Now())
	users := []userRecord{{pk: "a", hash: hashKey{0, 1}, seq: p.order.push()}, {pk: "b", hash: hashKey{0, 2}, seq: p.order.push()}}
	k := &kRecord{pk: "a", ehk: "1", users: users, shard: p.shards[0]}
	p.refresh.running = true // a refresh is under way: its map is read before child-low was made
	p.landed(k, "child-low", "100")
	if len(p.wrong) != 1 {
		t.Fatalf("%d waiting, want the aggregate", len(p.wrong))
	}
	for _, fresh := range []bool{true, false} { // a stale map, then a failed refresh
		if !p.settleWrong(fresh) || len(p.wrong) != 1 || len(p.ready) != 0 || p.m.Retries != 0 {
			t.Fatalf("fresh %v: decided on a map without its shard: %d waiting, %d ready, %d retries", fresh, len(p.wrong), len(p.ready), p.m.Retries)
		}
	}
	p.applyShards([]shardRange{
		{id: "parent", start: hashKey{}, end: top},
		{id: "child-low", start: hashKey{}, end: half, open: true},
		{id: "child-high", start: hashKey{1 << 63, 1}, end: top, open: true},
	}, time.Now())
	if p.settleWrong(true) || len(p.ready) != 0 || p.m.UserRecords != 2 {
		t.Fatalf("inside its shard: %d ready, %d user records delivered", len(p.ready), p.m.UserRecords)
	}
	// One that crosses the shard's range is put again; one whose shard
	// never shows up is put again after MaxRetries refreshes.
	cross := &kRecord{pk: "c", users: []userRecord{{pk: "c", hash: hashKey{0, 3}, seq: p.order.push()}, {pk: "d", hash: top, seq: p.order.push()}}, shard: p.shards[0], ehk: "3"}
	p.landed(cross, "child-high", "101")
	if p.settleWrong(true) || p.m.Retries != 1 {
		t.Fatalf("a crossing aggregate was not put again: %d retries", p.m.Retries)
	}
	lost := &kRecord{pk: "e", users: []userRecord{{pk: "e", hash: hashKey{0, 4}, seq: p.order.push()}}, shard: p.shards[1], ehk: "4"}
	lost.users = append(lost.users, userRecord{pk: "f", hash: hashKey{0, 5}, seq: p.order.push()})
	p.landed(lost, "nowhere", "102")
	n := 0
	for p.settleWrong(true) {
		n++
	}
	if n != p.cfg.MaxRetries || p.m.Retries != 2 {
		t.Fatalf("waited %d refreshes (MaxRetries %d), %d retries", n, p.cfg.MaxRetries, p.m.Retries)
	}
}
