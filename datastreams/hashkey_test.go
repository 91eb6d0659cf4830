package datastreams

import (
	"math/big"
	"testing"
)

func TestEvenRangesMatchAWS(t *testing.T) {
	// The three-shard layout AWS shows in its DescribeStream examples.
	r := evenRanges(3)
	want := [][2]string{
		{"0", "113427455640312821154458202477256070484"},
		{"113427455640312821154458202477256070485", "226854911280625642308916404954512140969"},
		{"226854911280625642308916404954512140970", "340282366920938463463374607431768211455"},
	}
	for i := range want {
		if r[i][0].String() != want[i][0] || r[i][1].String() != want[i][1] {
			t.Fatalf("shard %d: [%s, %s], want %v", i, r[i][0], r[i][1], want[i])
		}
	}
	if got := evenRanges(2)[0][1].String(); got != "170141183460469231731687303715884105727" {
		t.Fatalf("2 shards: first ends at %s", got)
	}
	if got := evenRanges(1)[0]; got[0].String() != "0" || got[1] != maxHashKey {
		t.Fatalf("1 shard: %v", got)
	}
	// Ranges tile the key space for many counts.
	for n := 1; n <= 40; n++ {
		r := evenRanges(n)
		for i := 1; i < n; i++ {
			if r[i][0] != r[i-1][1].add(1) {
				t.Fatalf("n=%d: gap between %d and %d", n, i-1, i)
			}
		}
	}
}

func TestParseHashKey(t *testing.T) {
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))
	for _, s := range []string{"0", "1", "18446744073709551616", max.String(), "99999999999999999999"} {
		k, ok := parseHashKey(s)
		if !ok || k.String() != s {
			t.Fatalf("%s: %v %v", s, k, ok)
		}
	}
	over := new(big.Int).Lsh(big.NewInt(1), 128).String()
	for _, s := range []string{"", "-1", "1a", over, "999999999999999999999999999999999999999"} {
		if _, ok := parseHashKey(s); ok {
			t.Fatalf("%q parsed", s)
		}
	}
}

func TestPartitionHash(t *testing.T) {
	// MD5("a") = 0cc175b9c0f1b6a831c399e269772661
	want, _ := new(big.Int).SetString("0cc175b9c0f1b6a831c399e269772661", 16)
	if got := partitionHash("a").String(); got != want.String() {
		t.Fatalf("got %s want %s", got, want)
	}
}

func FuzzParseHashKey(f *testing.F) {
	f.Add("340282366920938463463374607431768211455")
	f.Add("340282366920938463463374607431768211456")
	f.Fuzz(func(t *testing.T, s string) {
		k, ok := parseHashKey(s)
		n, isNum := new(big.Int).SetString(s, 10)
		inRange := isNum && n.Sign() >= 0 && n.BitLen() <= 128 && s[0] != '+' && s[0] != '-'
		if ok != inRange {
			t.Fatalf("%q: parsed=%v, in range=%v", s, ok, inRange)
		}
		if ok && k.String() != n.String() {
			t.Fatalf("%q: got %s", s, k)
		}
	})
}
