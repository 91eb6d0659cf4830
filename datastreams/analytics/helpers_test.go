package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
)

const (
	testAccount = "000000000000"
	testRole    = "arn:aws:iam::000000000000:role/kda"
)

// world is a data stream engine and what a manager needs, all in memory,
// kept across managers so a test can restart one.
type world struct {
	t       testing.TB
	streams *datastreams.Engine
	catalog registry.Catalog
	store   shard.Store
	ring    *envelope.Keyring
}

func newWorld(t *testing.T) *world { return newWorldB(t) }

func newWorldB(t testing.TB) *world {
	t.Helper()
	key := make([]byte, 32)
	ring, err := envelope.NewStatic(key)
	if err != nil {
		t.Fatal(err)
	}
	e, err := datastreams.Open(datastreams.Config{Catalog: registry.NewMemCatalog(), Store: shard.NewMemStore(nil), Keyring: ring,
		Account: testAccount, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return &world{t: t, streams: e, catalog: registry.NewMemCatalog(), store: shard.NewMemStore(nil), ring: ring}
}

func (w *world) manager(cfg Config) *Manager {
	w.t.Helper()
	cfg.Catalog, cfg.Store, cfg.Keyring, cfg.Streams = w.catalog, w.store, w.ring, w.streams
	cfg.Account, cfg.Region = testAccount, "us-east-1"
	m, err := Open(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

func arnOf(stream string) string { return "arn:aws:kinesis:us-east-1:000000000000:stream/" + stream }

func (w *world) createStream(name string, shards int) {
	w.t.Helper()
	if err := w.streams.CreateStream(datastreams.CreateStreamInput{Name: name, ShardCount: shards}); err != nil {
		w.t.Fatal(err)
	}
}

// put writes JSON records with explicit hash keys spreading them over
// the shards of an even split of n.
func (w *world) put(stream string, shards int, recs ...map[string]any) {
	w.t.Helper()
	var entries []datastreams.PutEntry
	for i, r := range recs {
		b, _ := json.Marshal(r)
		entries = append(entries, datastreams.PutEntry{PartitionKey: fmt.Sprint(i), ExplicitHashKey: hashKeyOf(i%shards, shards), Data: b})
	}
	out, err := w.streams.PutRecords(context.Background(), datastreams.StreamRef{Name: stream}, entries)
	if err != nil || out.Failed > 0 {
		w.t.Fatalf("put: %v %+v", err, out)
	}
}

// hashKeyOf is a hash key inside shard i of n even shards.
func hashKeyOf(i, n int) string { return evenKey(i, n) }

// records reads every record of a stream.
func (w *world) records(stream string) []datastreams.Record {
	w.t.Helper()
	var out []datastreams.Record
	shards, _, err := w.streams.ListShards(datastreams.ListShardsInput{Stream: datastreams.StreamRef{Name: stream}, MaxResults: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, sh := range shards {
		it, err := w.streams.GetShardIterator(context.Background(), datastreams.StreamRef{Name: stream}, sh.ID, datastreams.TrimHorizon, "", nil)
		if err != nil {
			w.t.Fatal(err)
		}
		for it != "" {
			r, err := w.streams.GetRecords(context.Background(), it, 10000)
			if err != nil {
				w.t.Fatal(err)
			}
			out = append(out, r.Records...)
			if len(r.Records) == 0 {
				break
			}
			it = r.NextShardIterator
		}
	}
	return out
}

func (w *world) waitRecords(stream string, n int) []datastreams.Record {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		recs := w.records(stream)
		if len(recs) >= n {
			return recs
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s holds %d records, want %d", stream, len(recs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func jsonInput(stream string, cols ...RecordColumn) Input {
	return Input{NamePrefix: "SOURCE_SQL_STREAM", KinesisStreamsInput: &ResourceRole{ResourceARN: arnOf(stream), RoleARN: testRole},
		InputSchema: &SourceSchema{RecordFormat: &RecordFormat{RecordFormatType: "JSON"}, RecordColumns: cols}}
}

func streamOut(name, stream, format string) Output {
	return Output{Name: name, KinesisStreamsOutput: &ResourceRole{ResourceARN: arnOf(stream), RoleARN: testRole},
		DestinationSchema: &DestinationSchema{RecordFormatType: format}}
}

func waitStatus(t *testing.T, m *Manager, name, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := m.Describe(name)
		if err != nil {
			t.Fatal(err)
		}
		if d.ApplicationStatus == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s, want %s", name, d.ApplicationStatus, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// drain reads a stream as it grows until done accepts the count read.
func (w *world) drain(stream string, done func(n int) bool) {
	w.t.Helper()
	ctx := context.Background()
	ref := datastreams.StreamRef{Name: stream}
	shards, _, err := w.streams.ListShards(datastreams.ListShardsInput{Stream: ref, MaxResults: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	iters := map[string]string{}
	for _, sh := range shards {
		if iters[sh.ID], err = w.streams.GetShardIterator(ctx, ref, sh.ID, datastreams.TrimHorizon, "", nil); err != nil {
			w.t.Fatal(err)
		}
	}
	n := 0
	deadline := time.Now().Add(5 * time.Minute)
	for !done(n) {
		got := 0
		for id, it := range iters {
			r, err := w.streams.GetRecords(ctx, it, 10000)
			if err != nil {
				w.t.Fatal(err)
			}
			got += len(r.Records)
			iters[id] = r.NextShardIterator
		}
		n += got
		if got == 0 {
			if time.Now().After(deadline) {
				w.t.Fatalf("%s: %d records after 5 minutes", stream, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// putRaw writes one record as it is.
func (w *world) putRaw(stream string, data []byte) {
	w.t.Helper()
	if _, err := w.streams.PutRecords(context.Background(), datastreams.StreamRef{Name: stream}, []datastreams.PutEntry{{PartitionKey: "k", Data: data}}); err != nil {
		w.t.Fatal(err)
	}
}

// putRawTo writes one record into shard i of n even shards.
func (w *world) putRawTo(stream string, i, n int, data []byte) {
	w.t.Helper()
	if _, err := w.streams.PutRecords(context.Background(), datastreams.StreamRef{Name: stream},
		[]datastreams.PutEntry{{PartitionKey: "k", ExplicitHashKey: hashKeyOf(i, n), Data: data}}); err != nil {
		w.t.Fatal(err)
	}
}
