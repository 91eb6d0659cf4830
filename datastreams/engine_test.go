package datastreams

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/streamdir"
	"github.com/shardcast/shardcast/index"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	dir   string
	clock *fakeClock
	kr    *envelope.Keyring
	cat   *index.Catalog
	e     *Engine
}

func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	dir := t.TempDir()
	kr, err := envelope.OpenFile(filepath.Join(dir, "keyring.json"))
	if err != nil {
		t.Fatal(err)
	}
	v := &env{t: t, dir: dir, clock: &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, kr: kr}
	v.open(mutate)
	t.Cleanup(func() { v.e.Close(); v.cat.Close() })
	return v
}

func (v *env) open(mutate func(*Config)) {
	v.t.Helper()
	cat, err := index.Open(filepath.Join(v.dir, "catalog.db"))
	if err != nil {
		v.t.Fatal(err)
	}
	root := filepath.Join(v.dir, "kinesis")
	vcat, err := streamdir.NewCatalog(streamdir.CatalogConfig{Root: root, Mirror: cat})
	if err != nil {
		v.t.Fatal(err)
	}
	vstore, err := streamdir.NewStore(streamdir.StoreConfig{Root: root, Index: cat, Now: v.clock.Now})
	if err != nil {
		v.t.Fatal(err)
	}
	cfg := Config{Catalog: vcat, Store: vstore,
		Keyring: v.kr, Now: v.clock.Now, RetentionCheck: time.Hour}
	if mutate != nil {
		mutate(&cfg)
	}
	e, err := Open(cfg)
	if err != nil {
		v.t.Fatal(err)
	}
	v.e, v.cat = e, cat
}

func (v *env) reopen() {
	v.e.Close()
	v.cat.Close()
	v.open(nil)
}

func (v *env) put(stream, pk, data string) PutResult {
	v.t.Helper()
	out, err := v.e.PutRecords(context.Background(), StreamRef{Name: stream}, []PutEntry{{PartitionKey: pk, Data: []byte(data)}})
	if err != nil || out.Failed != 0 {
		v.t.Fatalf("put: %v %+v", err, out)
	}
	return out.Results[0]
}

// reissue gives an iterator a new issue time, as GetRecords would have.
func (v *env) reissue(s string) string {
	it, err := v.e.decodeIterator(s)
	if err != nil {
		v.t.Fatal(err)
	}
	it.issued = v.clock.Now()
	return v.e.encodeIterator(it)
}

func (v *env) read(stream, shard, typ string) []string {
	v.t.Helper()
	it, err := v.e.GetShardIterator(context.Background(), StreamRef{Name: stream}, shard, typ, "", nil)
	if err != nil {
		v.t.Fatal(err)
	}
	out, err := v.e.GetRecords(context.Background(), it, 0)
	if err != nil {
		v.t.Fatal(err)
	}
	var got []string
	for _, r := range out.Records {
		got = append(got, string(r.Data))
	}
	return got
}

func TestRetentionHidesThenDropsRecords(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.SegmentMaxBytes = 1 << 10 })
	if err := v.e.CreateStream(CreateStreamInput{Name: "r", ShardCount: 1}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		v.put("r", "k", fmt.Sprintf("old-%02d-%s", i, string(make([]byte, 100))))
	}
	v.clock.Add(20 * time.Hour)
	for i := 0; i < 5; i++ {
		v.put("r", "k", fmt.Sprintf("new-%d", i))
	}
	if got := v.read("r", "shardId-000000000000", TrimHorizon); len(got) != 35 {
		t.Fatalf("within retention: %d records", len(got))
	}
	before, _ := v.e.GetShardIterator(context.Background(), StreamRef{Name: "r"}, "shardId-000000000000", TrimHorizon, "", nil)
	// Five hours later the old ones are past 24 h: hidden at once...
	v.clock.Add(5 * time.Hour)
	got := v.read("r", "shardId-000000000000", TrimHorizon)
	if len(got) != 5 || got[0] != "new-0" {
		t.Fatalf("after retention: %v", got)
	}
	// ...also from an iterator taken before they expired (it is fresh
	// enough: the clock moved, but within the engine's test it is reissued).
	if out, err := v.e.GetRecords(context.Background(), v.reissue(before), 0); err != nil || len(out.Records) != 5 {
		t.Fatalf("old position: %v %v", out.Records, err)
	}
	// The retention pass drops their segments from disk.
	segs := func() int {
		m, _ := filepath.Glob(filepath.Join(v.dir, "kinesis", "*", "shardId-000000000000", "*.seg"))
		return len(m)
	}
	n := segs()
	v.e.EnforceRetention()
	if segs() >= n {
		t.Fatalf("retention left %d of %d segments", segs(), n)
	}
	if got := v.read("r", "shardId-000000000000", TrimHorizon); len(got) != 5 {
		t.Fatalf("after the retention pass: %v", got)
	}
	// Raising retention does not bring back what is gone, and keeps the rest.
	if err := v.e.SetRetention(StreamRef{Name: "r"}, 48, true); err != nil {
		t.Fatal(err)
	}
	if got := v.read("r", "shardId-000000000000", TrimHorizon); len(got) < 5 {
		t.Fatalf("after raising retention: %v", got)
	}
}

func TestIteratorExpiryAndTampering(t *testing.T) {
	v := newEnv(t, nil)
	v.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 2})
	it, err := v.e.GetShardIterator(context.Background(), StreamRef{Name: "s"}, "shardId-000000000001", TrimHorizon, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	v.clock.Add(4*time.Minute + 59*time.Second)
	if _, err := v.e.GetRecords(context.Background(), it, 10); err != nil {
		t.Fatalf("iterator used within five minutes: %v", err)
	}
	v.clock.Add(2 * time.Second)
	_, err = v.e.GetRecords(context.Background(), it, 10)
	if !errors.Is(err, registry.ErrExpiredIterator) {
		t.Fatalf("after five minutes: %v", err)
	}
	want := "Iterator expired. The iterator was created at time Sun Mar 01 12:00:00 UTC 2026 while right now it is Sun Mar 01 12:05:01 UTC 2026 which is further in the future than the tolerated delay of 300000 milliseconds."
	if err.Error() != want {
		t.Fatalf("message\n got %s\nwant %s", err, want)
	}
	// An iterator from another installation (another key) is refused.
	other := newEnv(t, nil)
	other.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 2})
	foreign, _ := other.e.GetShardIterator(context.Background(), StreamRef{Name: "s"}, "shardId-000000000001", TrimHorizon, "", nil)
	if _, err := v.e.GetRecords(context.Background(), foreign, 10); !errors.Is(err, registry.ErrInvalidArgument) {
		t.Fatalf("foreign iterator: %v", err)
	}
	// A stream deleted and created again under the same name does not
	// accept the old incarnation's iterators.
	it, _ = v.e.GetShardIterator(context.Background(), StreamRef{Name: "s"}, "shardId-000000000000", Latest, "", nil)
	v.e.DeleteStream(StreamRef{Name: "s"}, false)
	v.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 2})
	if _, err := v.e.GetRecords(context.Background(), it, 10); !errors.Is(err, registry.ErrResourceNotFound) {
		t.Fatalf("old incarnation: %v", err)
	}
}

// respellings returns other spellings of a base64 token that Go's decoders
// read as the same bytes: the last character with its unused low bits set
// differently (when the length leaves some unused), and CR or LF inserted.
func respellings(tok, alphabet string) (out []string, unusedBits int) {
	data := strings.TrimRight(tok, "=")
	unusedBits = map[int]int{0: 0, 2: 4, 3: 2}[len(data)%4]
	last := strings.IndexByte(alphabet, data[len(data)-1])
	for v := range 64 {
		if v != last && v>>unusedBits == last>>unusedBits {
			out = append(out, data[:len(data)-1]+string(alphabet[v])+tok[len(data):])
		}
	}
	for _, at := range []int{0, 1, len(tok) / 2, len(tok)} {
		out = append(out, tok[:at]+"\n"+tok[at:], tok[:at]+"\r\n"+tok[at:], tok[:at]+"\r"+tok[at:])
	}
	return out, unusedBits
}

const (
	stdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	urlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// Only the exact text of an iterator or list token is accepted: another
// spelling of the same bytes is a changed token, refused as AWS refuses a
// bad one.
func TestTokensAreCanonical(t *testing.T) {
	v := newEnv(t, nil)
	v.e.CreateStream(CreateStreamInput{Name: "s", ShardCount: 3})
	seenUnused := map[int]bool{}
	for _, name := range []string{"s", "ab", "abc"} { // every length mod 3 of the decoded iterator
		if name != "s" {
			v.e.CreateStream(CreateStreamInput{Name: name, ShardCount: 1})
		}
		it, err := v.e.GetShardIterator(context.Background(), StreamRef{Name: name}, "shardId-000000000000", TrimHorizon, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.e.GetRecords(context.Background(), it, 10); err != nil {
			t.Fatalf("issued iterator: %v", err)
		}
		if _, err := v.e.GetRecords(context.Background(), `"`+it+`"`, 10); err != nil {
			t.Fatalf("quoted iterator: %v", err)
		}
		bad, unused := respellings(it, stdAlphabet)
		seenUnused[unused] = true
		bad = append(bad, `"`+it, it+`"`, `""`+it+`""`)
		for _, b := range bad {
			_, err := v.e.GetRecords(context.Background(), b, 10)
			if !errors.Is(err, registry.ErrInvalidArgument) || err.Error() != "Invalid ShardIterator." {
				t.Fatalf("iterator %q respelled as %q: %v", it, b, err)
			}
		}
	}
	if !seenUnused[2] || !seenUnused[4] {
		t.Fatalf("the iterators did not cover both final-group lengths: %v", seenUnused)
	}
	_, token, err := v.e.ListShards(ListShardsInput{Stream: StreamRef{Name: "s"}, MaxResults: 1})
	if err != nil || token == "" {
		t.Fatalf("list shards: %q %v", token, err)
	}
	bad, _ := respellings(token, urlAlphabet)
	for _, b := range bad {
		if _, _, err := v.e.ListShards(ListShardsInput{NextToken: b}); !errors.Is(err, registry.ErrInvalidArgument) {
			t.Fatalf("list token %q respelled as %q: %v", token, b, err)
		}
	}
	if _, _, err := v.e.ListShards(ListShardsInput{NextToken: token}); err != nil {
		t.Fatalf("issued list token: %v", err)
	}
}

func FuzzDecodeIterator(f *testing.F) {
	e := &Engine{iterKey: make([]byte, 32)}
	f.Add(e.encodeIterator(iterator{issued: time.Unix(1, 0), created: 5, shard: 3, seq: 9, stream: "abc"}))
	f.Add("AAAA")
	f.Add(`"` + e.encodeIterator(iterator{stream: "x"}) + `"`)
	f.Fuzz(func(t *testing.T, s string) {
		it, err := e.decodeIterator(s)
		if err != nil {
			return
		}
		// Anything accepted must be exactly what the key signed.
		if again := e.encodeIterator(it); again != s && `"`+again+`"` != s {
			t.Fatalf("accepted %q, which re-encodes as %q", s, again)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	e := &Engine{iterKey: make([]byte, 32)}
	f.Add(e.encodeToken(listToken{issued: time.Unix(1, 0), created: 7, payload: "s\x00shardId-000000000001"}))
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := e.decodeToken(s)
		if err == nil && e.encodeToken(tok) != s {
			t.Fatalf("accepted a token that was not signed as given: %q", s)
		}
	})
}

func TestLimitsAreEnforcedWhenAsked(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.EnforceLimits = true })
	v.e.CreateStream(CreateStreamInput{Name: "l", ShardCount: 1})
	var entries []PutEntry
	for i := 0; i < 500; i++ {
		entries = append(entries, PutEntry{PartitionKey: "k", Data: make([]byte, 3000)})
	}
	// 1 MiB/s per shard: about 349 records of 3000 bytes fit, the rest fail.
	out, err := v.e.PutRecords(context.Background(), StreamRef{Name: "l"}, entries)
	if err != nil {
		t.Fatal(err)
	}
	if out.Failed == 0 || out.Failed == 500 || out.Results[499].ErrorKind != registry.ErrThroughputExceeded ||
		out.Results[499].ErrorMessage != "Rate exceeded for shard shardId-000000000000 in stream l under account 000000000000." {
		t.Fatalf("failed %d, last %+v", out.Failed, out.Results[499])
	}
	// A second later the shard has a fresh allowance.
	v.clock.Add(time.Second)
	if _, _, err := v.e.PutRecord(context.Background(), StreamRef{Name: "l"}, PutEntry{PartitionKey: "k", Data: []byte("x")}, ""); err != nil {
		t.Fatal(err)
	}
	// Five reads a second.
	it, _ := v.e.GetShardIterator(context.Background(), StreamRef{Name: "l"}, "0", Latest, "", nil)
	for i := 0; i < 5; i++ {
		if _, err := v.e.GetRecords(context.Background(), it, 1); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if _, err := v.e.GetRecords(context.Background(), it, 1); !errors.Is(err, registry.ErrThroughputExceeded) {
		t.Fatalf("sixth read in a second: %v", err)
	}
}

func TestEngineReopenKeepsEverything(t *testing.T) {
	v := newEnv(t, nil)
	v.e.CreateStream(CreateStreamInput{Name: "p", ShardCount: 3, Tags: map[string]string{"a": "b"}})
	v.e.StartEncryption(StreamRef{Name: "p"}, EncryptionKMS, "alias/aws/kinesis")
	first := v.put("p", "key", "sealed")
	v.reopen()
	d, err := v.e.DescribeStream(StreamRef{ARN: "arn:aws:kinesis:us-east-1:000000000000:stream/p"}, 0, "")
	if err != nil || d.EncryptionType != EncryptionKMS || len(d.Shards) != 3 {
		t.Fatalf("after reopen: %+v %v", d, err)
	}
	it, err := v.e.GetShardIterator(context.Background(), StreamRef{Name: "p"}, first.ShardID, AtSequenceNumber, first.SequenceNumber, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := v.e.GetRecords(context.Background(), it, 0)
	if err != nil || len(out.Records) != 1 || string(out.Records[0].Data) != "sealed" || !out.Records[0].Encrypted ||
		out.Records[0].SequenceNumber != first.SequenceNumber || out.Records[0].PartitionKey != "key" {
		t.Fatalf("record after reopen: %+v %v", out, err)
	}
	// New records continue the sequence.
	second := v.put("p", "key", "next")
	if second.SequenceNumber <= first.SequenceNumber {
		t.Fatalf("sequence went backwards: %s after %s", second.SequenceNumber, first.SequenceNumber)
	}
	if _, err := v.e.DescribeStream(StreamRef{ARN: "arn:aws:kinesis:eu-west-1:000000000000:stream/p"}, 0, ""); !errors.Is(err, registry.ErrResourceNotFound) {
		t.Fatalf("ARN of another region: %v", err)
	}
}

func TestListShardsTokenExpires(t *testing.T) {
	v := newEnv(t, nil)
	v.e.CreateStream(CreateStreamInput{Name: "t", ShardCount: 3})
	page, token, err := v.e.ListShards(ListShardsInput{Stream: StreamRef{Name: "t"}, MaxResults: 1})
	if err != nil || len(page) != 1 || token == "" {
		t.Fatalf("first page: %v %q %v", page, token, err)
	}
	next, _, err := v.e.ListShards(ListShardsInput{NextToken: token})
	if err != nil || len(next) != 2 || next[0].ID != "shardId-000000000001" {
		t.Fatalf("second page: %v %v", next, err)
	}
	v.clock.Add(6 * time.Minute)
	if _, _, err := v.e.ListShards(ListShardsInput{NextToken: token}); !errors.Is(err, registry.ErrExpiredNextToken) {
		t.Fatalf("old token: %v", err)
	}
}

func TestMillisBehindLatest(t *testing.T) {
	v := newEnv(t, nil)
	v.e.CreateStream(CreateStreamInput{Name: "m", ShardCount: 1})
	v.put("m", "k", "a")
	v.clock.Add(time.Minute)
	v.put("m", "k", "b")
	v.clock.Add(time.Minute)
	it, _ := v.e.GetShardIterator(context.Background(), StreamRef{Name: "m"}, "0", TrimHorizon, "", nil)
	out, _ := v.e.GetRecords(context.Background(), it, 1)
	if out.MillisBehindLatest != 120000 {
		t.Fatalf("one of two read: %d ms behind", out.MillisBehindLatest)
	}
	out, _ = v.e.GetRecords(context.Background(), out.NextShardIterator, 1)
	if out.MillisBehindLatest != 0 {
		t.Fatalf("caught up: %d ms behind", out.MillisBehindLatest)
	}
}
