package seqnum

import (
	"math/big"
	"testing"
)

// hexNumber turns a hex layout into the decimal a client sends.
func hexNumber(t *testing.T, h string) string {
	t.Helper()
	n, ok := new(big.Int).SetString(h, 16)
	if !ok {
		t.Fatalf("bad hex %s", h)
	}
	return n.String()
}

func TestCheckLayouts(t *testing.T) {
	for _, c := range []struct {
		name, hex string
		dec       string
		ok        bool
		version   int
		ix        uint32
	}{
		{name: "zero", dec: "0", ok: true, version: 0},
		{name: "small", dec: "12345", ok: true, version: 0, ix: 12345},
		{name: "v2 all zeros", hex: "20000000000000000000000000000000000000000000002", ok: true, version: 2},
		{name: "v1 all zeros", hex: "20000000000000000000000000000000000000000000001", ok: true, version: 1},
		{name: "v2 every field at its maximum", hex: "2ffffffffff7fffffffffffffff000000000007fffffff2", ok: true, version: 2, ix: 0x7fffffff},
		{name: "negative shard index", hex: "20000000000000000000000000000000000000800000002"},
		{name: "negative counter", hex: "20000000000800000000000000000000000000000000002"},
		{name: "counter all f", hex: "20000000000ffffffffffffffff00000000000000000002"},
		{name: "version 0 in the long form", hex: "20000000000000000000000000000000000000000000000"},
		{name: "version 3", hex: "20000000000000000000000000000000000000000000003"},
		{name: "version 4", hex: "20000000000000000000000000000000000000000000004"},
		{name: "leading 1", hex: "1ffffffffff7fffffffffffffff000000000007fffffff2"},
		{name: "leading 3", hex: "30000000000000000000000000000000000000000000001"},
		{name: "layout 0 date too large", hex: "13bb2cc3d80000000000000000000000"},
		{name: "between the layouts", dec: "12345678901234567890123456789012345678901234567890"},
		{name: "too long", dec: "123456789012345678901234567890123456789012345678901234567890"},
		{name: "not digits", dec: "4960087168297933718756355554933260915552370894163463374x"},
		{name: "leading zero", dec: "049600871682979337187563555549332609155523708941634633746"},
		{name: "empty", dec: ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := c.dec
			if c.hex != "" {
				s = hexNumber(t, c.hex)
			}
			n, err := Check(s)
			if (err == nil) != c.ok {
				t.Fatalf("Check(%s) = %+v, %v; want ok=%v", s, n, err, c.ok)
			}
			if c.ok && (n.Version != c.version || n.ShardIndex != c.ix || n.Text() != s) {
				t.Fatalf("Check(%s) = %+v (text %s)", s, n, n.Text())
			}
		})
	}
	// Every number shardcast hands out passes.
	p := Parts{ShardCreated: 1767225600, ShardIndex: 3, Counter: 42, Arrival: 1767225601}
	n, err := Check(Format(p))
	if err != nil || n.Version != 2 || n.ShardCreated != p.ShardCreated || n.ShardIndex != 3 || n.Arrival != p.Arrival {
		t.Fatalf("Check(Format(%+v)) = %+v, %v", p, n, err)
	}
}

func TestCounterAbove(t *testing.T) {
	const created = 1767225600
	given := func(p Parts) Number {
		n, err := Check(Format(p))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The same shard, further on: the counter must pass it.
	n := given(Parts{ShardCreated: created, ShardIndex: 1, Counter: 1000, Arrival: created + 5})
	if c, ok := n.CounterAbove(created, 1); !ok || c != 1001 {
		t.Fatalf("same shard: %d %v", c, ok)
	}
	// A shard whose index has the same low bits: the counter decides too.
	if c, ok := n.CounterAbove(created, 17); !ok || c != 1001 {
		t.Fatalf("index 17: %d %v", c, ok)
	}
	// An older shard, or a lower index: any counter does.
	if c, ok := n.CounterAbove(created+10, 1); !ok || c != 0 {
		t.Fatalf("newer shard: %d %v", c, ok)
	}
	if c, ok := n.CounterAbove(created, 2); !ok || c != 0 {
		t.Fatalf("higher index: %d %v", c, ok)
	}
	// A newer shard's number cannot be passed by an older shard.
	if _, ok := n.CounterAbove(created-10, 1); ok {
		t.Fatal("older shard said it can pass a newer one")
	}
	// Layout 0 numbers are below every layout 2 number.
	z, _ := Check("0")
	if c, ok := z.CounterAbove(created, 0); !ok || c != 0 {
		t.Fatalf("zero: %d %v", c, ok)
	}
	// Whatever the arrival time, the answer's number is greater.
	for _, arrival := range []int64{0, created, 1<<36 - 1} {
		c, _ := n.CounterAbove(created, 1)
		mine, _ := new(big.Int).SetString(Format(Parts{ShardCreated: created, ShardIndex: 1, Counter: c, Arrival: arrival}), 10)
		theirs, _ := new(big.Int).SetString(n.Text(), 10)
		if mine.Cmp(theirs) <= 0 {
			t.Fatalf("arrival %d: %s is not above %s", arrival, mine, theirs)
		}
	}
}
