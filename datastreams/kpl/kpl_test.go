package kpl

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.bin from the schema encoder")

// goldenRecords covers repeated and new keys, explicit hash keys on some
// records only, empty data, a multi-byte varint length and non-ASCII keys.
func goldenRecords() []Record {
	return []Record{
		{PartitionKey: "alpha", Data: []byte("first")},
		{PartitionKey: "beta", ExplicitHashKey: "170141183460469231731687303715884105728", Data: []byte("second")},
		{PartitionKey: "alpha", Data: nil},
		{PartitionKey: "γάμμα", ExplicitHashKey: "0", Data: bytes.Repeat([]byte{0xAB}, 300)},
		{PartitionKey: "beta", ExplicitHashKey: "170141183460469231731687303715884105728", Data: []byte{0}},
		{PartitionKey: "delta", Data: []byte("last")},
	}
}

func frame(body []byte) []byte {
	sum := md5.Sum(body)
	return slices.Concat(Magic, body, sum[:])
}

func TestGolden(t *testing.T) {
	md := schema(t)
	recs := goldenRecords()
	want := frame(schemaEncode(t, md, recs))
	path := filepath.Join("testdata", "golden.bin")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(golden, want) {
		t.Fatalf("the protobuf library encodes the golden records differently from testdata/golden.bin")
	}
	var a Aggregator
	for i, r := range recs {
		predicted := a.SizeWith(r)
		a.Add(r)
		if a.Size() != predicted || a.Len() != i+1 {
			t.Fatalf("after %d: size %d, predicted %d, len %d", i, a.Size(), predicted, a.Len())
		}
	}
	got := a.Bytes()
	if !bytes.Equal(got, golden) {
		t.Fatalf("aggregator output differs from golden:\n got %x\nwant %x", got, golden)
	}
	if a.Size() != len(got) {
		t.Fatalf("Size %d, len %d", a.Size(), len(got))
	}
	// The golden decodes with the protobuf library to the same records.
	dec, err := schemaDecode(md, golden[4:len(golden)-16])
	if err != nil {
		t.Fatal(err)
	}
	if !equal(dec, recs) {
		t.Fatalf("schema decode: %+v", dec)
	}
	back, ok, err := Deaggregate(golden, "outer", "")
	if err != nil || !ok || !equal(back, recs) {
		t.Fatalf("deaggregate: ok %v err %v %+v", ok, err, back)
	}
}

// TestHandEncoded checks one small record against bytes worked out by hand
// from the protobuf wire format.
func TestHandEncoded(t *testing.T) {
	var a Aggregator
	a.Add(Record{PartitionKey: "a", Data: []byte("x")})
	a.Add(Record{PartitionKey: "a", ExplicitHashKey: "9", Data: []byte("yz")})
	body, _ := hex.DecodeString(
		"0a0161" + // field 1 (len): "a"
			"120139" + // field 2 (len): "9"
			"1a05" + "0800" + "1a0178" + // field 3 (len 5): index 0, data "x"
			"1a08" + "0800" + "1000" + "1a02797a") // field 3 (len 8): index 0, ehk index 0, data "yz"
	if got := a.Bytes(); !bytes.Equal(got, frame(body)) {
		t.Fatalf("got %x\nwant %x", got, frame(body))
	}
}

func TestRoundTripAndReset(t *testing.T) {
	var a Aggregator
	for round := range 3 {
		var recs []Record
		for i := range 1000 + round {
			r := Record{PartitionKey: fmt.Sprintf("pk-%d", i%37), Data: fmt.Appendf(nil, "rec %d/%d", round, i)}
			if i%5 == 0 {
				r.ExplicitHashKey = fmt.Sprint(i * 7919)
			}
			recs = append(recs, r)
			if a.SizeWith(r) != a.Size()+sizeGrowth(t, r, &a) {
				t.Fatal("SizeWith disagrees")
			}
			a.Add(r)
		}
		b := a.Bytes()
		if len(b) != a.Size() || !IsAggregated(b) {
			t.Fatalf("round %d: size %d len %d", round, a.Size(), len(b))
		}
		back, ok, err := Deaggregate(b, "x", "")
		if err != nil || !ok || !equal(back, recs) {
			t.Fatalf("round %d: ok %v err %v", round, ok, err)
		}
		dec, err := schemaDecode(schema(t), b[4:len(b)-16])
		if err != nil || !equal(dec, recs) {
			t.Fatalf("round %d: schema decode %v", round, err)
		}
		if got := a.AppendTo([]byte("pre")); !bytes.Equal(got[3:], b) {
			t.Fatal("AppendTo differs from Bytes")
		}
		late := a.AppendUndigested(nil)
		if bytes.Equal(late, b) {
			t.Fatal("AppendUndigested wrote the digest")
		}
		if FillDigest(late); !bytes.Equal(late, b) {
			t.Fatal("AppendUndigested and FillDigest differ from Bytes")
		}
		a.Reset()
		if a.Len() != 0 || a.Size() != Overhead {
			t.Fatalf("reset: len %d size %d", a.Len(), a.Size())
		}
	}
}

// sizeGrowth measures how much Add(r) grows a copy of a.
func sizeGrowth(t *testing.T, r Record, a *Aggregator) int {
	t.Helper()
	var c Aggregator
	c.pkTable, c.ehkTable, c.records = slices.Clone(a.pkTable), slices.Clone(a.ehkTable), slices.Clone(a.records)
	c.pkIndex, c.ehkIndex = clone(a.pkIndex), clone(a.ehkIndex)
	before := c.Size()
	c.Add(r)
	return c.Size() - before
}

func clone(m map[string]uint64) map[string]uint64 {
	c := make(map[string]uint64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func TestNotAggregated(t *testing.T) {
	var a Aggregator
	a.Add(Record{PartitionKey: "k", Data: []byte("v")})
	good := a.Bytes()
	badSum := slices.Clone(good)
	badSum[len(badSum)-1] ^= 1
	cases := map[string][]byte{
		"plain":        []byte("hello world, not aggregated at all"),
		"empty":        nil,
		"magic only":   Magic,
		"short":        append(slices.Clone(Magic), make([]byte, 16)...),
		"bad trailer":  badSum,
		"other magic":  append([]byte{0xF3, 0x89, 0x9A, 0xC3}, good[4:]...),
		"empty record": frame(nil),
	}
	for name, data := range cases {
		recs, ok, err := Deaggregate(data, "pk", "42")
		if ok || err != nil || len(recs) != 1 || !bytes.Equal(recs[0].Data, data) || recs[0].PartitionKey != "pk" || recs[0].ExplicitHashKey != "42" {
			t.Errorf("%s: ok %v err %v %+v", name, ok, err, recs)
		}
		if IsAggregated(data) {
			t.Errorf("%s: IsAggregated", name)
		}
	}
}

func TestMalformed(t *testing.T) {
	cases := map[string]string{
		"truncated table": "0a05616263",
		"no data":         "0a01611a020800",
		"no pk index":     "0a01611a031a0178",
		"pk index past":   "0a01611a050801" + "1a0178",
		"ehk index past":  "0a01611a070800" + "1000" + "1a0178",
		"bad varint":      "0a01611a0b08ffffffffffffffffffff01",
	}
	for name, h := range cases {
		body, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(name, err)
		}
		data := frame(body)
		recs, ok, err := Deaggregate(data, "pk", "")
		if ok || !errors.Is(err, ErrMalformed) || len(recs) != 1 || !bytes.Equal(recs[0].Data, data) {
			t.Errorf("%s: ok %v err %v", name, ok, err)
		}
	}
	// Tags and unknown fields are skipped; tables may follow the records.
	body, _ := hex.DecodeString("1a0d" + "0800" + "1a0178" + "2206" + "0a016b" + "120176" + "2803" + "0a0161")
	recs, ok, err := Deaggregate(frame(body), "pk", "")
	if !ok || err != nil || len(recs) != 1 || recs[0].PartitionKey != "a" || string(recs[0].Data) != "x" {
		t.Fatalf("tags: ok %v err %v %+v", ok, err, recs)
	}
}

func equal(a, b []Record) bool {
	return slices.EqualFunc(a, b, func(x, y Record) bool {
		return x.PartitionKey == y.PartitionKey && x.ExplicitHashKey == y.ExplicitHashKey && bytes.Equal(x.Data, y.Data)
	})
}

func FuzzDeaggregate(f *testing.F) {
	var a Aggregator
	for _, r := range goldenRecords() {
		a.Add(r)
	}
	f.Add(a.Bytes())
	f.Add([]byte("plain"))
	f.Add(frame(nil))
	body, _ := hex.DecodeString("1a0d0800" + "1a0178" + "2206" + "0a016b" + "120176" + "2803" + "0a0161")
	f.Add(frame(body))
	f.Add(body)
	md := schema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		// Whole inputs, and inputs framed with a matching trailer so the
		// parser itself is reached.
		for _, in := range [][]byte{data, frame(data)} {
			recs, ok, err := Deaggregate(in, "outer", "")
			if !ok {
				if len(recs) != 1 || !bytes.Equal(recs[0].Data, in) {
					t.Fatalf("not aggregated but not itself: %+v", recs)
				}
				if err != nil && !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v", err)
				}
			}
			if !IsAggregated(in) {
				continue
			}
			// The protobuf library is the reference: what it reads, so
			// must Deaggregate, to the same records.
			want, refErr := schemaDecode(md, in[4:len(in)-16])
			if refErr == nil && (!ok || !equal(recs, want)) {
				t.Fatalf("reference decodes %d records, Deaggregate ok %v err %v", len(want), ok, err)
			}
			if ok && len(recs) > 0 { // an empty aggregate is too short to re-frame
				var b Aggregator
				for _, r := range recs {
					b.Add(r)
				}
				again, ok2, err2 := Deaggregate(b.Bytes(), "outer", "")
				if !ok2 || err2 != nil || !equal(again, recs) {
					t.Fatalf("re-aggregation: ok %v err %v", ok2, err2)
				}
			}
		}
	})
}

func BenchmarkAggregate(b *testing.B) {
	data := bytes.Repeat([]byte("x"), 100)
	pks := make([]string, 256)
	for i := range pks {
		pks[i] = fmt.Sprintf("partition-%d", i)
	}
	var a Aggregator
	b.SetBytes(100)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := Record{PartitionKey: pks[i%len(pks)], Data: data}
		if a.SizeWith(r) > 51200 {
			_ = a.Bytes()
			a.Reset()
		}
		a.Add(r)
	}
}

func BenchmarkDeaggregate(b *testing.B) {
	var a Aggregator
	for i := range 480 {
		a.Add(Record{PartitionKey: fmt.Sprintf("partition-%d", i%64), Data: bytes.Repeat([]byte("x"), 100)})
	}
	agg := a.Bytes()
	b.SetBytes(int64(len(agg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := Deaggregate(agg, "p", ""); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// TestTryAdd checks TryAdd against SizeWith: it adds exactly when the
// result fits, or when the aggregate is empty.
func TestTryAdd(t *testing.T) {
	var a, b Aggregator
	var want []Record
	for i := range 3000 {
		r := Record{PartitionKey: fmt.Sprintf("k%d", i%50), Data: bytes.Repeat([]byte{byte(i)}, i%200)}
		if i%7 == 0 {
			r.ExplicitHashKey = fmt.Sprint(i % 11)
		}
		const limit = 2500
		fits := a.Len() == 0 || a.SizeWith(r) <= limit
		if got := a.TryAdd(r, limit); got != fits {
			t.Fatalf("record %d: TryAdd %v, SizeWith says %v", i, got, fits)
		}
		if !fits {
			if got, _, err := Deaggregate(a.Bytes(), "", ""); err != nil || !equal(got, want) {
				t.Fatalf("record %d: %v", i, err)
			}
			b.Reset()
			for _, w := range want {
				b.Add(w)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) || a.Size() > limit {
				t.Fatalf("record %d: TryAdd and Add build different bytes (%d, %d, limit %d)", i, a.Size(), b.Size(), limit)
			}
			a.Reset()
			want = want[:0]
			a.TryAdd(r, limit)
		}
		want = append(want, r)
	}
}
