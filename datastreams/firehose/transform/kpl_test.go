package transform

import (
	"crypto/md5"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

type subRecord struct {
	pkIndex uint64
	data    string
}

// aggregate builds a KPL aggregated record as the KPL writes it.
func aggregate(keys []string, records []subRecord) []byte {
	var body []byte
	for _, k := range keys {
		body = protowire.AppendTag(body, 1, protowire.BytesType)
		body = protowire.AppendString(body, k)
	}
	body = protowire.AppendTag(body, 2, protowire.BytesType)
	body = protowire.AppendString(body, "170141183460469231731687303715884105728")
	for _, r := range records {
		var rec []byte
		rec = protowire.AppendTag(rec, 1, protowire.VarintType)
		rec = protowire.AppendVarint(rec, r.pkIndex)
		rec = protowire.AppendTag(rec, 2, protowire.VarintType)
		rec = protowire.AppendVarint(rec, 0)
		rec = protowire.AppendTag(rec, 3, protowire.BytesType)
		rec = protowire.AppendString(rec, r.data)
		var tag []byte
		tag = protowire.AppendTag(tag, 1, protowire.BytesType)
		tag = protowire.AppendString(tag, "k")
		rec = protowire.AppendTag(rec, 4, protowire.BytesType)
		rec = protowire.AppendBytes(rec, tag)
		body = protowire.AppendTag(body, 3, protowire.BytesType)
		body = protowire.AppendBytes(body, rec)
	}
	sum := md5.Sum(body)
	out := append([]byte{0xF3, 0x89, 0x9A, 0xC2}, body...)
	return append(out, sum[:]...)
}

func TestKPL(t *testing.T) {
	agg := aggregate([]string{"pk-a", "pk-b"}, []subRecord{{0, "one"}, {1, "two"}, {0, "three"}})
	bad := append([]byte(nil), agg...)
	bad[len(bad)-1] ^= 1 // MD5 mismatch: passes through
	in := recs("plain", "", "")
	in[1].Data = agg
	in[2].Data = bad
	for i := range in {
		in[i].Source = &delivery.KinesisSource{ShardID: "shardId-000000000000", PartitionKey: "outer", SequenceNumber: "4959"}
	}
	p := mustNew(t, Config{KinesisSource: true})
	out, failed := run(t, p, in)
	if len(failed) != 0 {
		t.Fatalf("failed: %+v", failed)
	}
	want := []string{"plain", "one", "two", "three", string(bad)}
	if got := datas(out); !reflect.DeepEqual(got, want) {
		t.Fatalf("out = %q, want %q", got, want)
	}
	for i, w := range []struct {
		pk  string
		sub int
	}{{"outer", 0}, {"pk-a", 0}, {"pk-b", 1}, {"pk-a", 2}, {"outer", 0}} {
		s := out[i].Source
		if s.PartitionKey != w.pk || s.SubSequence != w.sub || s.SequenceNumber != "4959" || s.ShardID != "shardId-000000000000" {
			t.Errorf("out[%d].Source = %+v", i, s)
		}
	}
	if in[1].Source.PartitionKey != "outer" {
		t.Error("de-aggregation changed the input's source")
	}
	// Without a Kinesis source the aggregate is just data.
	out, _ = run(t, mustNew(t, Config{}), in[1:2])
	if len(out) != 1 {
		t.Errorf("a DirectPut stream de-aggregated: %d records", len(out))
	}
}

func TestKPLRejects(t *testing.T) {
	for name, data := range map[string][]byte{
		"short":           {0xF3, 0x89, 0x9A, 0xC2, 1, 2, 3},
		"index out":       aggregate([]string{"a"}, []subRecord{{1, "x"}}),
		"no magic":        aggregate([]string{"a"}, []subRecord{{0, "x"}})[1:],
		"truncated proto": func() []byte { b := aggregate([]string{"a"}, []subRecord{{0, "xyz"}}); return fixMD5(b[:len(b)-18]) }(),
	} {
		if recs, ok := decodeKPL(data); ok {
			t.Errorf("%s: decoded %+v", name, recs)
		}
	}
}

func fixMD5(withoutTrailer []byte) []byte {
	sum := md5.Sum(withoutTrailer[4:])
	return append(append([]byte(nil), withoutTrailer...), sum[:]...)
}

func FuzzKPL(f *testing.F) {
	f.Add(aggregate([]string{"a", "b"}, []subRecord{{0, "x"}, {1, "y"}}))
	f.Add(aggregate(nil, nil))
	f.Add([]byte{0xF3, 0x89, 0x9A, 0xC2})
	f.Fuzz(func(t *testing.T, body []byte) {
		// Fuzz the protobuf part: give it a valid frame and trailer.
		data := fixMD5(append([]byte{0xF3, 0x89, 0x9A, 0xC2}, body...))
		recs, ok := decodeKPL(data)
		if !ok {
			return
		}
		n := 0
		for _, r := range recs {
			n += len(r.Data) + len(r.PartitionKey)
		}
		if n > len(data)*len(recs)+len(data) {
			t.Fatalf("decoded %d bytes from %d", n, len(data))
		}
		decodeKPL(body) // and the raw input, frame or not
	})
}
