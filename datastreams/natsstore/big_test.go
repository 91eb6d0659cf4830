package natsstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// bigEntry is a record of size bytes of data that differ from record to
// record, so a chunk of one record never passes for a chunk of another.
func bigEntry(i, size int) shard.Entry {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(i))
	data := make([]byte, size)
	rand.NewChaCha8(seed).Read(data)
	return shard.Entry{Meta: fmt.Appendf(nil, "big-%d", i), Data: data}
}

// chunksOf is how many chunks a record takes on c (0 when it goes whole).
func chunksOf(c *Conn, e shard.Entry) int {
	n := framedLen(e)
	if n <= c.chunk {
		return 0
	}
	return (n + c.chunk - 1) / c.chunk
}

// checkEntries checks that recs hold want, numbered from firstSeq.
func checkEntries(t *testing.T, recs []shard.Record, firstSeq uint64, want ...shard.Entry) {
	t.Helper()
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, r := range recs {
		if r.Seq != firstSeq+uint64(i) {
			t.Fatalf("record %d: seq %d, want %d", i, r.Seq, firstSeq+uint64(i))
		}
		if !bytes.Equal(r.Meta, want[i].Meta) || !bytes.Equal(r.Data, want[i].Data) {
			t.Fatalf("seq %d: meta %q and %d bytes of data, want %q and %d bytes", r.Seq, r.Meta, len(r.Data), want[i].Meta, len(want[i].Data))
		}
	}
}

// streamState is the JetStream state of stream name.
func streamState(t *testing.T, c *Conn, name string) jetstream.StreamState {
	t.Helper()
	s, err := c.js.Stream(bg, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return s.CachedInfo().State
}

// waitNext waits until l's bounds reach next (a record published by
// someone else, seen through the stream).
func waitNext(t *testing.T, l shard.Log, next uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for l.Bounds().Next < next {
		if time.Now().After(deadline) {
			t.Fatalf("bounds %+v never reached %d", l.Bounds(), next)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testBigRecords: records of 3 MiB and 20 MiB, over the default
// max_payload of 1 MiB, are stored in chunks and read back, mixed with
// small ones in a batch; reads fetch the chunks of the records they return
// alone; trims purge the chunks no retained record references (orphans
// included); a record whose chunks are missing or do not match is skipped
// and reported; Remove deletes both streams.
func testBigRecords(t *testing.T, e *env) {
	c := e.conn()
	if mp := c.nc.MaxPayload(); mp != 1<<20 || c.chunk != 512<<10 {
		t.Fatalf("max_payload %d, chunk %d: the test wants the server's defaults", mp, c.chunk)
	}
	l := e.open(c, testID, shard.LogOptions{})
	jl := l.(*jsLog)
	b3, b20 := bigEntry(1, 3<<20), bigEntry(3, 20<<20)
	all := []shard.Entry{entry(0), b3, entry(2), b20, entry(4)}
	t0 := e.clock.unix()
	if res, err := l.Append(bg, all[:3]); err != nil || res.FirstSeq != 1 {
		t.Fatalf("append a batch with a 3 MiB record: %+v %v", res, err)
	}
	e.clock.add(time.Minute)
	if res, err := l.Append(bg, all[3:4]); err != nil || res.FirstSeq != 4 {
		t.Fatalf("append a 20 MiB record: %+v %v", res, err)
	}
	e.clock.add(time.Minute)
	appendOne := func(en shard.Entry, seq uint64) {
		t.Helper()
		if res, err := l.Append(bg, []shard.Entry{en}); err != nil || res.FirstSeq != seq {
			t.Fatalf("append seq %d: %+v %v", seq, res, err)
		}
	}
	appendOne(all[4], 5)

	// One message per record in the log stream, the chunks beside it.
	if st := streamState(t, c, jl.name); st.Msgs != 5 {
		t.Fatalf("log stream holds %d messages, want 5", st.Msgs)
	}
	n3, n20 := chunksOf(c, b3), chunksOf(c, b20)
	if st := streamState(t, c, jl.bigName); st.Msgs != uint64(n3+n20) {
		t.Fatalf("chunk stream holds %d messages, want %d", st.Msgs, n3+n20)
	}
	recs, err := l.Read(bg, 1, 100, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, recs, 1, all...)

	// maxBytes counts a large record's real size, and chunks of records a
	// Read does not return are not fetched.
	reads := []struct {
		from     uint64
		max      int
		maxBytes int
		want     []shard.Entry
		gets     int
	}{
		{1, 100, 1, all[:1], 0},
		{2, 1, 1, all[1:2], n3},
		{2, 100, len(b3.Meta) + len(b3.Data) + 10, all[1:2], n3}, // the next small one does not fit
		{3, 100, 1 << 20, all[2:3], 0},                           // nor does the 20 MiB one
		{4, 100, 1, all[3:4], n20},                               // alone, over maxBytes
		{3, 100, 30 << 20, all[2:], n20},
	}
	for _, r := range reads {
		before := jl.chunkGets.Load()
		recs, err := l.Read(bg, r.from, r.max, r.maxBytes)
		if err != nil {
			t.Fatal(err)
		}
		checkEntries(t, recs, r.from, r.want...)
		if got := int(jl.chunkGets.Load() - before); got != r.gets {
			t.Fatalf("read from %d max %d maxBytes %d fetched %d chunks, want %d", r.from, r.max, r.maxBytes, got, r.gets)
		}
	}
	// Another connection (another process) reads them too.
	other := connect(t, e.url, Config{Prefix: e.prefix, Now: e.clock.now})
	ol, err := other.Store().Open(bg, testID, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err = ol.Read(bg, 1, 100, 1<<30)
	ol.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, recs, 1, all...)

	// A trim before the 20 MiB record purges the chunks of the 3 MiB one.
	if n, err := l.TrimBefore(t0 + int64(time.Minute)); n != 3 || err != nil {
		t.Fatalf("trim: %d %v", n, err)
	}
	ref20 := chunkRefAt(t, jl, 4)
	if st := streamState(t, c, jl.bigName); st.Msgs != uint64(n20) || st.FirstSeq != ref20.first {
		t.Fatalf("after the trim the chunk stream holds %d from %d, want %d from %d", st.Msgs, st.FirstSeq, n20, ref20.first)
	}
	recs, _ = l.Read(bg, 1, 100, 1<<30)
	checkEntries(t, recs, 4, all[3:]...)

	// Chunks stored by an append that failed before its record (orphans)
	// go with the next trim past them.
	for range 3 {
		if _, err := c.js.Publish(bg, jl.bigChunks, []byte("orphan")); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.add(time.Minute)
	b3b := bigEntry(5, 3<<20)
	appendOne(b3b, 6)
	if n, err := l.TrimBefore(e.clock.unix()); n != 2 || err != nil {
		t.Fatalf("trim: %d %v", n, err)
	}
	if st := streamState(t, c, jl.bigName); st.Msgs != uint64(n3) || st.FirstSeq != chunkRefAt(t, jl, 6).first {
		t.Fatalf("after the second trim the chunk stream holds %d from %d, want the %d chunks of seq 6", st.Msgs, st.FirstSeq, n3)
	}

	// Damage: the chunks of records 6 and 7 are purged from under them;
	// record 10 names chunks whose checksum is not its own. Reads pass
	// over them and Damaged reports them; the records after them are read.
	x, y := bigEntry(7, 3<<20+1), bigEntry(9, 1<<20)
	appendOne(x, 7)
	appendOne(entry(8), 8)
	appendOne(y, 9)
	refX := chunkRefAt(t, jl, 7)
	if err := jl.big.Purge(bg, jetstream.WithPurgeSequence(refX.first+2)); err != nil {
		t.Fatal(err)
	}
	jl.mu.Lock()
	lastJS := jl.lastJS
	jl.mu.Unlock()
	m, err := jl.stream.GetMsg(bg, lastJS)
	if err != nil {
		t.Fatal(err)
	}
	h := nats.Header{}
	for k, v := range m.Header {
		if strings.HasPrefix(k, "Shardcast-") {
			h[k] = v
		}
	}
	h.Set(hdrSeq, "10")
	v := h.Get(hdrBig)
	h.Set(hdrBig, v[:len(v)-6]+"000000") // another checksum
	if _, err := c.js.PublishMsg(bg, &nats.Msg{Subject: jl.bigSubject, Header: h}, jetstream.WithExpectLastSequence(m.Sequence)); err != nil {
		t.Fatal(err)
	}
	waitNext(t, l, 11)
	appendOne(entry(11), 11)
	recs, err = l.Read(bg, 6, 100, 1<<30)
	if err != nil {
		t.Fatalf("a read over damaged records failed: %v", err)
	}
	if len(recs) != 3 {
		t.Fatalf("read over damaged records: %d records, want 8, 9 and 11", len(recs))
	}
	checkEntries(t, recs[:1], 8, entry(8))
	checkEntries(t, recs[1:2], 9, y)
	checkEntries(t, recs[2:], 11, entry(11))
	// One record at a time, as a consumer reads: never stuck on damage.
	for from, want := range map[uint64]uint64{6: 8, 10: 11} {
		if recs, err := l.Read(bg, from, 1, 1); err != nil || len(recs) != 1 || recs[0].Seq != want {
			t.Fatalf("read 1 from %d: %+v %v, want seq %d", from, recs, err, want)
		}
	}
	d := l.Damaged()
	if len(d) != 3 {
		t.Fatalf("damage %+v, want records 6, 7 and 10", d)
	}
	for i, seq := range []uint64{6, 7, 10} {
		if d[i].FromSeq != seq || d[i].ToSeq != seq || !d[i].Lost() || d[i].File != jl.bigName {
			t.Fatalf("damage %d: %+v, want record %d lost", i, d[i], seq)
		}
	}
	if !strings.Contains(d[0].Reason, "missing") || !strings.Contains(d[2].Reason, "checksum") {
		t.Fatalf("damage reasons %q, %q", d[0].Reason, d[2].Reason)
	}
	// A trim forgets the damage it removed.
	e.clock.add(time.Minute)
	if n, err := l.TrimBefore(e.clock.unix()); n != 6 || err != nil {
		t.Fatalf("full trim: %d %v", n, err)
	}
	if st := streamState(t, c, jl.bigName); st.Msgs != 0 {
		t.Fatalf("after a full trim the chunk stream holds %d messages", st.Msgs)
	}
	if d := l.Damaged(); len(d) != 0 {
		t.Fatalf("damage after the full trim: %+v", d)
	}

	// The chunk stream is no log; Remove deletes it with the log.
	appendOne(b3, 12)
	st := c.Store()
	if ids, err := st.Logs(bg); err != nil || len(ids) != 1 || ids[0] != testID {
		t.Fatalf("logs %v %v", ids, err)
	}
	l.Close()
	if err := st.Remove(bg, testID); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{jl.name, jl.bigName} {
		if _, err := c.js.Stream(bg, name); !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Fatalf("stream %s after Remove: %v", name, err)
		}
	}
}

// chunkRefAt is what the message of record seq says of its chunks.
func chunkRefAt(t *testing.T, l *jsLog, seq uint64) chunkRef {
	t.Helper()
	l.mu.Lock()
	js := l.st.jsSeq(seq)
	l.mu.Unlock()
	m, err := l.stream.GetMsg(bg, js)
	if err != nil {
		t.Fatal(err)
	}
	if got := headerValue(m.Header, hdrSeq); got != strconv.FormatUint(seq, 10) {
		t.Fatalf("message %d holds record %s, want %d", js, got, seq)
	}
	ref, ok, err := parseChunkRef(m.Header)
	if !ok || err != nil {
		t.Fatalf("record %d names no chunks: %v", seq, err)
	}
	return ref
}

// TestSmallMaxPayload: against a server with a max_payload of 64 KiB,
// records are cut at 32 KiB: a record over max_payload is stored in chunks
// and read back, one just at the cut goes whole; a server whose
// max_payload leaves no room is refused at Connect, naming the setting.
func TestSmallMaxPayload(t *testing.T) {
	const limit = 64 << 10
	url, _ := embeddedWith(t, t.TempDir(), 0, func(o *server.Options) { o.MaxPayload = limit })
	var logged syncBuffer
	c := connect(t, url, Config{Prefix: "mp", Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if c.chunk != limit/2 {
		t.Fatalf("chunk %d, want %d", c.chunk, limit/2)
	}
	if got := logged.String(); got != "" {
		t.Fatalf("Connect logged %q", got)
	}
	l, err := c.Store().Open(bg, testID, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	whole := shard.Entry{Meta: []byte("pk"), Data: make([]byte, limit/2-3)} // framed: exactly a chunk
	over := bigEntry(1, 200<<10)
	batch := []shard.Entry{entry(0), whole, over, entry(1)}
	if _, err := l.Append(bg, batch); err != nil {
		t.Fatalf("append records over max_payload: %v", err)
	}
	recs, err := l.Read(bg, 1, 10, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, recs, 1, batch...)
	jl := l.(*jsLog)
	if st := streamState(t, c, jl.bigName); st.Msgs != uint64(chunksOf(c, over)) || chunksOf(c, over) != 7 {
		t.Fatalf("chunk stream holds %d messages, want 7", st.Msgs)
	}

	url2, _ := embeddedWith(t, t.TempDir(), 0, func(o *server.Options) { o.MaxPayload = 2048 })
	_, err = Connect(bg, Config{URL: url2, Prefix: "mp"})
	if err == nil || !strings.Contains(err.Error(), "max_payload") {
		t.Fatalf("Connect to a server with max_payload 2048: %v", err)
	}
}

// TestOldStreamGetsBigSubject: a log stream created before records were
// kept in chunks gets the subject of large records' messages at Open.
func TestOldStreamGetsBigSubject(t *testing.T) {
	url, _ := embedded(t, t.TempDir(), 0)
	c := connect(t, url, Config{Prefix: "old"})
	if _, err := c.js.CreateStream(bg, jetstream.StreamConfig{
		Name: c.streamName(testID), Subjects: []string{c.subject(testID)}, Storage: jetstream.FileStorage,
		Discard: jetstream.DiscardNew, AllowDirect: true, DenyDelete: true,
	}); err != nil {
		t.Fatal(err)
	}
	l, err := c.Store().Open(bg, testID, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	b := bigEntry(1, 2<<20)
	if _, err := l.Append(bg, []shard.Entry{b}); err != nil {
		t.Fatal(err)
	}
	recs, err := l.Read(bg, 1, 10, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, recs, 1, b)
}

// TestBigConcurrent: appenders mixing large and small records share rounds
// while a reader tails the log; every acknowledged record reads back at
// its number.
func TestBigConcurrent(t *testing.T) {
	url, _ := embedded(t, t.TempDir(), 0)
	c := connect(t, url, Config{Prefix: "bc"})
	l, err := c.Store().Open(bg, testID, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const writers, per = 4, 5
	var (
		mu    sync.Mutex
		acked = map[uint64]shard.Entry{}
		wg    sync.WaitGroup
		stop  = make(chan struct{})
		tail  = make(chan error, 1)
	)
	go func() {
		next := uint64(1)
		for {
			ch := l.Notify()
			recs, err := l.Read(bg, next, 10, 4<<20)
			if err != nil {
				tail <- err
				return
			}
			for _, r := range recs {
				if r.Seq != next {
					tail <- fmt.Errorf("tail read seq %d, want %d", r.Seq, next)
					return
				}
				next++
			}
			if len(recs) > 0 {
				continue
			}
			select {
			case <-ch:
			case <-stop:
				tail <- nil
				return
			}
		}
	}()
	for w := range writers {
		wg.Go(func() {
			for i := range per {
				batch := []shard.Entry{entry(w*100 + i), bigEntry(w*100+i, 700<<10+i), entry(w*100 + i + 50)}
				res, err := l.Append(bg, batch)
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				mu.Lock()
				for j, e := range batch {
					acked[res.FirstSeq+uint64(j)] = e
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(stop)
	if err := <-tail; err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= writers*per*3; seq++ {
		recs, err := l.Read(bg, seq, 1, 1)
		if err != nil || len(recs) != 1 {
			t.Fatalf("read %d: %d records, %v", seq, len(recs), err)
		}
		checkEntries(t, recs, seq, acked[seq])
	}
	if d := l.Damaged(); len(d) != 0 {
		t.Fatalf("damage: %+v", d)
	}
}
