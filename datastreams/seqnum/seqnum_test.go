package seqnum

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

// reference renders p with math/big, straight from the documented hex layout.
func reference(p Parts) string {
	h := fmt.Sprintf("2%09x%x%016x00%09x%08x2", p.ShardCreated, p.ShardIndex&15, p.Counter, p.Arrival, p.ShardIndex)
	n, _ := new(big.Int).SetString(h, 16)
	return n.String()
}

func TestAWSExample(t *testing.T) {
	// The value shown in the AWS CLI documentation for put-record.
	const aws = "49600871682979337187563555549332609155523708941634633746"
	p, err := Parse(aws)
	if err != nil {
		t.Fatal(err)
	}
	if p.ShardCreated != 1572297165 || p.ShardIndex != 1 || p.Counter != 0 || p.Arrival != 1572297165 {
		t.Fatalf("decoded %+v", p)
	}
	if got := Format(p); got != aws {
		t.Fatalf("re-encoded %s", got)
	}
}

func TestRoundTrip(t *testing.T) {
	cases := []Parts{
		{ShardCreated: 1, ShardIndex: 0, Counter: 0, Arrival: 1},
		{ShardCreated: 1767225600, ShardIndex: 3, Counter: 1, Arrival: 1767225601},
		{ShardCreated: 1767225600, ShardIndex: 12345, Counter: 1<<63 - 1, Arrival: 1<<36 - 1},
		{ShardCreated: 1<<36 - 1, ShardIndex: 1<<32 - 1, Counter: 1 << 40, Arrival: 0},
	}
	for _, p := range cases {
		s := Format(p)
		if s != reference(p) {
			t.Fatalf("%+v: Format %s, reference %s", p, s, reference(p))
		}
		if len(s) != 56 {
			t.Fatalf("%+v: %d digits", p, len(s))
		}
		q, err := Parse(s)
		if err != nil || q != p {
			t.Fatalf("%+v: parsed %+v %v", p, q, err)
		}
	}
}

func TestOrderFollowsCounter(t *testing.T) {
	a := Format(Parts{ShardCreated: 100, ShardIndex: 2, Counter: 9, Arrival: 5000})
	b := Format(Parts{ShardCreated: 100, ShardIndex: 2, Counter: 10, Arrival: 4000})
	if !(len(a) == len(b) && a < b) {
		t.Fatalf("%s should sort before %s", a, b)
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "0", "12a", "1" + string(make([]byte, 60)), "49600871682979337187563555549332609155523708941634633747",
		"99999999999999999999999999999999999999999999999999999999999"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) succeeded", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("49600871682979337187563555549332609155523708941634633746")
	f.Add("0")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		// Anything accepted must print back to the same number (modulo leading zeros).
		n, ok := new(big.Int).SetString(s, 10)
		if !ok || Format(p) != n.String() {
			t.Fatalf("Parse(%q) = %+v formats as %s", s, p, Format(p))
		}
	})
}

func BenchmarkFormat(b *testing.B) {
	p := Parts{ShardCreated: 1767225600, ShardIndex: 3, Counter: 123456789, Arrival: 1767225601}
	var buf []byte
	for b.Loop() {
		buf = Append(buf[:0], p)
	}
}

// Append writes the same digits as math/big does for the 188-bit value,
// for random parts and the edges of every field.
func TestAppendMatchesBig(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	parts := []Parts{{}, {ShardCreated: mask36, ShardIndex: ^uint32(0), Counter: ^uint64(0), Arrival: mask36}, {Counter: 1}}
	for range 20000 {
		parts = append(parts, Parts{ShardCreated: r.Int64N(mask36 + 1), ShardIndex: r.Uint32(), Counter: r.Uint64() >> r.UintN(64), Arrival: r.Int64N(mask36 + 1)})
	}
	for _, p := range parts {
		hi, mid, lo := p.words()
		v := new(big.Int).SetUint64(hi)
		v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(mid))
		v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(lo))
		if got, want := string(Append([]byte("x"), p)), "x"+v.String(); got != want {
			t.Fatalf("%+v: %s, want %s", p, got, want)
		}
	}
}
