package consumer

import (
	"testing"
)

func TestCompareOrdersSentinelsAndSequences(t *testing.T) {
	order := []Position{
		{Sequence: SentinelAtTimestamp},
		{Sequence: SentinelTrimHorizon},
		{Sequence: SentinelLatest},
		{Sequence: "9"},
		{Sequence: "10"},
		{Sequence: "10", SubSequence: 1},
		{Sequence: "10", SubSequence: 2},
		{Sequence: "49590338271490256608559692538361571095921575989136588898"},
		{Sequence: "49590338271490256608559692538361571095921575989136588899"},
		{Sequence: SentinelShardEnd},
	}
	for i := range order {
		for j := range order {
			want := cmpInt(int64(i), int64(j))
			if got := Compare(order[i], order[j]); got != want {
				t.Errorf("Compare(%v, %v) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	// Leading zeros do not matter: sequence numbers compare as numbers.
	if Compare(Position{Sequence: "0010"}, Position{Sequence: "10"}) != 0 {
		t.Error("0010 != 10")
	}
}

func TestParsePosition(t *testing.T) {
	for _, ok := range []string{"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", "SHARD_END", "0", "4959033827149025660855969253836"} {
		if _, err := ParsePosition(ok, 0); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-1", "12a", "1.5", "trim_horizon"} {
		if _, err := ParsePosition(bad, 0); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParsePosition("5", -1); err == nil {
		t.Error("negative sub-sequence accepted")
	}
	p, _ := ParsePosition("SHARD_END", 7)
	if p.SubSequence != 0 {
		t.Errorf("sentinel keeps sub-sequence %d", p.SubSequence)
	}
}

// FuzzParsePosition: whatever parses compares consistently with itself and
// round-trips through its fields.
func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"TRIM_HORIZON", "SHARD_END", "0", "49590338271490256608559692538361571095921575989136588898", "x", ""} {
		f.Add(s, int64(0), "12", int64(3))
	}
	f.Fuzz(func(t *testing.T, a string, asub int64, b string, bsub int64) {
		pa, errA := ParsePosition(a, asub)
		pb, errB := ParsePosition(b, bsub)
		if errA != nil || errB != nil {
			return
		}
		if Compare(pa, pa) != 0 {
			t.Fatalf("%v != itself", pa)
		}
		if Compare(pa, pb) != -Compare(pb, pa) {
			t.Fatalf("Compare(%v,%v) not antisymmetric", pa, pb)
		}
		again, err := ParsePosition(pa.Sequence, pa.SubSequence)
		if err != nil || again != pa {
			t.Fatalf("%v does not round-trip: %v %v", pa, again, err)
		}
	})
}
