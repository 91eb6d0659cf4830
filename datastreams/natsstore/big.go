package natsstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// Records whose framed body is larger than a chunk (Conn.chunk) are kept in
// pieces: the body's chunks go to the log's companion stream first, then
// the record's message goes to the log stream, on the log's big subject,
// with an empty body and a header naming the chunks. One message per
// record in the log stream keeps the numbering "JetStream sequence plus an
// offset".
const (
	// hdrBig names a big record's chunks: "first count size metaLen
	// dataLen sha256": the companion stream sequence of the first chunk,
	// how many follow from it, the size of every chunk but the last, the
	// lengths of meta and data, and the SHA-256 of the framed body, hex.
	hdrBig = "Shardcast-Big"
	// maxChunk bounds the chunk size whatever the server's max_payload.
	maxChunk = 1 << 20
	// minMaxPayload is the smallest server max_payload Connect accepts:
	// below it, a record's headers would not leave room for data.
	minMaxPayload = 4 << 10
	// chunksInFlight bounds the chunks one round has published and not yet
	// seen acknowledged, and the chunks one Read fetches at once.
	chunksInFlight = 64
	chunkReaders   = 16
	// maxDamage bounds the damaged records a log remembers.
	maxDamage = 1024
)

// hdrBigMax bounds hdrBig's header line: five numbers and the checksum.
const hdrBigMax = len(hdrBig) + 2 + 5*21 + 2*sha256.Size + 2

// Any max_payload Connect accepts holds a chunk-sized record with its
// headers, and a large record's message with hdrBig.
const _ = uint(minMaxPayload/2 - hdrMax - hdrBigMax)

// chunkSize is the chunk size of a server whose max_payload is mp: half of
// it (so headers always fit beside a chunk-sized body), at most maxChunk.
func chunkSize(mp int64) int { return int(min(mp/2, maxChunk)) }

// chunkRef is what hdrBig says of one big record.
type chunkRef struct {
	first   uint64 // companion sequence of the first chunk
	count   int
	size    int // of every chunk but the last
	metaLen int
	dataLen int
	sum     [sha256.Size]byte // of the framed body
}

// bodyLen is the length of the framed body the chunks hold.
func (r *chunkRef) bodyLen() int {
	return uvarintLen(uint64(r.metaLen)) + r.metaLen + r.dataLen
}

func (r *chunkRef) String() string {
	return fmt.Sprintf("%d %d %d %d %d %s", r.first, r.count, r.size, r.metaLen, r.dataLen, hex.EncodeToString(r.sum[:]))
}

// parseChunkRef reads hdrBig. ok is false when the message holds its
// record in its body.
func parseChunkRef(h nats.Header) (ref chunkRef, ok bool, err error) {
	v := headerValue(h, hdrBig)
	if v == "" {
		return ref, false, nil
	}
	f := strings.Fields(v)
	bad := fmt.Errorf("%w: bad %s header %q", shard.ErrCorrupt, hdrBig, v)
	if len(f) != 6 {
		return ref, true, bad
	}
	var nums [5]uint64
	for i := range nums {
		if nums[i], err = strconv.ParseUint(f[i], 10, 64); err != nil {
			return ref, true, bad
		}
	}
	sum, err := hex.DecodeString(f[5])
	if err != nil || len(sum) != sha256.Size || nums[1] == 0 || nums[2] == 0 ||
		nums[1] > shard.MaxStoredSize || nums[2] > shard.MaxStoredSize ||
		nums[3] > shard.MaxStoredSize || nums[4] > shard.MaxStoredSize || nums[3]+nums[4] > shard.MaxStoredSize {
		return ref, true, bad
	}
	ref = chunkRef{first: nums[0], count: int(nums[1]), size: int(nums[2]), metaLen: int(nums[3]), dataLen: int(nums[4])}
	copy(ref.sum[:], sum)
	if n := ref.bodyLen(); (n+ref.size-1)/ref.size != ref.count {
		return ref, true, bad
	}
	return ref, true, nil
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

// framedLen is the length of e's framed body.
func framedLen(e shard.Entry) int {
	return uvarintLen(uint64(len(e.Meta))) + len(e.Meta) + len(e.Data)
}

// bodyParts cuts e's framed body into chunks of size bytes without copying
// what lies within meta or data alone; a chunk that straddles a boundary
// is copied.
func bodyParts(e shard.Entry, size int) [][]byte {
	head := binary.AppendUvarint(nil, uint64(len(e.Meta)))
	parts := [][]byte{head, e.Meta, e.Data}
	total := len(head) + len(e.Meta) + len(e.Data)
	var out [][]byte
	for off := 0; off < total; off += size {
		end := min(off+size, total)
		// Find the parts covering off..end.
		var chunk []byte
		pos := 0
		for _, p := range parts {
			lo, hi := max(off, pos), min(end, pos+len(p))
			if lo < hi {
				s := p[lo-pos : hi-pos]
				switch {
				case chunk == nil && hi-lo == end-off:
					chunk = s // entirely within this part
				case chunk == nil:
					chunk = append(make([]byte, 0, end-off), s...)
				default:
					chunk = append(chunk, s...)
				}
			}
			pos += len(p)
		}
		out = append(out, chunk)
	}
	return out
}

func bodySum(e shard.Entry) [sha256.Size]byte {
	h := sha256.New()
	h.Write(binary.AppendUvarint(nil, uint64(len(e.Meta))))
	h.Write(e.Meta)
	h.Write(e.Data)
	var s [sha256.Size]byte
	h.Sum(s[:0])
	return s
}

// companion returns the log's companion stream, creating it when create
// is set; nil (and no error) when it does not exist and create is not set.
func (l *jsLog) companion(ctx context.Context, create bool) (jetstream.Stream, error) {
	l.bmu.Lock()
	defer l.bmu.Unlock()
	if l.big != nil {
		return l.big, nil
	}
	s, err := l.c.js.Stream(ctx, l.bigName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if !create {
			return nil, nil
		}
		s, err = l.c.js.CreateStream(ctx, l.c.streamConfig(l.bigName, "shardcast chunks of the large records of shard log "+l.id.String(), l.bigChunks))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = l.c.js.Stream(ctx, l.bigName)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("natsstore: chunk stream %s: %w", l.bigName, err)
	}
	l.big = s
	return s, nil
}

// storeChunks publishes the chunks of the round's big records to the
// companion stream and waits until JetStream acknowledged them all. It
// returns their references by the record's place in the round (nil when
// the round has no big record).
func (l *jsLog) storeChunks(ctx context.Context, round []*appendReq) (map[int]*chunkRef, error) {
	size := l.c.chunk
	var refs map[int]*chunkRef
	k := 0
	for _, r := range round {
		for _, e := range r.entries {
			if framedLen(e) > size {
				if refs == nil {
					refs = map[int]*chunkRef{}
				}
				refs[k] = &chunkRef{size: size, metaLen: len(e.Meta), dataLen: len(e.Data)}
			}
			k++
		}
	}
	if refs == nil {
		return nil, nil
	}
	big, err := l.companion(ctx, true)
	if err != nil {
		return nil, err
	}
	// Futures of the chunks in flight, with the record each belongs to.
	type pending struct {
		f   jetstream.PubAckFuture
		ref *chunkRef
		i   int
	}
	var (
		inflight []pending
		quit     = l.quit
		grace    <-chan time.Time
	)
	wait := func(p pending) error {
		for {
			select {
			case a := <-p.f.Ok():
				if a.Stream != l.bigName {
					return fmt.Errorf("chunk stored in JetStream stream %q, not %q", a.Stream, l.bigName)
				}
				if p.i == 0 {
					p.ref.first = a.Sequence
				} else if a.Sequence != p.ref.first+uint64(p.i) {
					// Chunks of one record must follow each other: another
					// process publishes to this log.
					return fmt.Errorf("chunk %d of a record stored at %d, not %d: another writer on %s?", p.i, a.Sequence, p.ref.first+uint64(p.i), l.bigName)
				}
				return nil
			case err := <-p.f.Err():
				return fmt.Errorf("chunk: %w", err)
			case <-quit:
				quit = nil
				t := time.NewTimer(closeGrace)
				defer t.Stop()
				grace = t.C
			case <-grace:
				return fmt.Errorf("%w before JetStream acknowledged the chunks of a large record", shard.ErrClosed)
			case <-ctx.Done():
				return fmt.Errorf("chunks not acknowledged: %w", ctx.Err())
			}
		}
	}
	fail := func(err error) (map[int]*chunkRef, error) {
		// The chunks already stored are orphans: the next trim removes them.
		return nil, fmt.Errorf("natsstore: store chunks of %s in %s (no record stored): %w", l.id, big.CachedInfo().Config.Name, err)
	}
	k = 0
	for _, r := range round {
		for _, e := range r.entries {
			ref := refs[k]
			k++
			if ref == nil {
				continue
			}
			ref.sum = bodySum(e)
			parts := bodyParts(e, size)
			ref.count = len(parts)
			for i, p := range parts {
				// Wait for the oldest chunk when enough are in flight, in
				// order, so each record's first sequence is known before
				// its other chunks are checked against it.
				for len(inflight) >= chunksInFlight {
					if err := wait(inflight[0]); err != nil {
						return fail(err)
					}
					inflight = inflight[1:]
				}
				f, err := l.c.js.PublishMsgAsync(&nats.Msg{Subject: l.bigChunks, Data: p})
				if err != nil {
					return fail(fmt.Errorf("publish chunk: %w", err))
				}
				inflight = append(inflight, pending{f: f, ref: ref, i: i})
			}
		}
	}
	for _, p := range inflight {
		if err := wait(p); err != nil {
			return fail(err)
		}
	}
	return refs, nil
}

// bigRead is a big record a Read returns once its chunks are fetched.
type bigRead struct {
	js  uint64 // its message in the log stream
	ref chunkRef
	idx int           // its place in the Read's result
	rec *shard.Record // there
	buf []byte        // the framed body, filled chunk by chunk
	bad string        // why the record cannot be read back; "" when it can
}

// fetchChunks fetches the chunks of the given records, chunkReaders at
// once, checks every body's length and checksum and sets each record's
// meta and data, or its bad reason. The error is for failures that are not
// the record's (the server did not answer).
func (l *jsLog) fetchChunks(ctx context.Context, reads []*bigRead) error {
	big, err := l.companion(ctx, false)
	if err != nil {
		return err
	}
	if big == nil {
		for _, r := range reads {
			r.bad = "its chunk stream " + l.bigName + " does not exist"
		}
		return nil
	}
	type job struct {
		r *bigRead
		i int
	}
	jobs := make(chan job)
	var (
		mu   sync.Mutex
		ferr error
		wg   sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range chunkReaders {
		wg.Go(func() {
			for j := range jobs {
				seq := j.r.ref.first + uint64(j.i)
				m, err := big.GetMsg(ctx, seq)
				l.chunkGets.Add(1)
				var bad string
				switch {
				case errors.Is(err, jetstream.ErrMsgNotFound):
					bad = fmt.Sprintf("chunk %d of %d (%s sequence %d) is missing", j.i+1, j.r.ref.count, l.bigName, seq)
				case err != nil:
				default:
					off := j.i * j.r.ref.size
					want := min(j.r.ref.size, len(j.r.buf)-off)
					if len(m.Data) == want {
						copy(j.r.buf[off:], m.Data) // the chunks of a record do not overlap
						continue
					}
					bad = fmt.Sprintf("chunk %d of %d (%s sequence %d) holds %d bytes, not %d", j.i+1, j.r.ref.count, l.bigName, seq, len(m.Data), want)
				}
				mu.Lock()
				switch {
				case bad != "" && j.r.bad == "":
					j.r.bad = bad
				case bad == "" && ferr == nil:
					ferr = fmt.Errorf("natsstore: read chunk %d of %s: %w", seq, l.bigName, err)
					cancel()
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, r := range reads {
		r.buf = make([]byte, r.ref.bodyLen())
		for i := range r.ref.count {
			select {
			case jobs <- job{r, i}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if ferr != nil {
		return ferr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, r := range reads {
		if r.bad != "" {
			r.buf = nil
			continue
		}
		if sha256.Sum256(r.buf) != r.ref.sum {
			r.bad = fmt.Sprintf("the checksum of its %d bytes in %s sequences %d..%d does not match", len(r.buf), l.bigName, r.ref.first, r.ref.first+uint64(r.ref.count)-1)
			r.buf = nil
			continue
		}
		meta, data, err := unframe(r.buf)
		if err != nil || len(meta) != r.ref.metaLen {
			r.bad = "its body's framing does not match its header"
			r.buf = nil
			continue
		}
		r.rec.Meta, r.rec.Data = meta, data
	}
	return nil
}

// addDamage remembers a record that cannot be read back.
func (l *jsLog) addDamage(d shard.Damage) {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	i, found := slices.BinarySearchFunc(l.damage, d.FromSeq, func(x shard.Damage, seq uint64) int {
		return cmpUint(x.FromSeq, seq)
	})
	if found || len(l.damage) >= maxDamage {
		return
	}
	l.damage = slices.Insert(l.damage, i, d)
	l.c.log.Warn("natsstore: a large record cannot be read back; readers pass over it", "log", l.id.String(), "seq", d.FromSeq, "reason", d.Reason)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// dropDamageBefore forgets damage to records a trim removed.
func (l *jsLog) dropDamageBefore(seq uint64) {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	l.damage = slices.DeleteFunc(l.damage, func(d shard.Damage) bool { return d.ToSeq < seq })
}

// trimChunks purges the companion stream below the first chunk a record at
// or after JetStream sequence keep references; everything in it when no
// such record exists. Chunks of appends that failed before their record
// was stored (orphans) go with the first trim past them.
func (l *jsLog) trimChunks(ctx context.Context, keep uint64) error {
	big, err := l.companion(ctx, false)
	if err != nil || big == nil {
		return err
	}
	m, err := l.stream.GetMsg(ctx, keep, jetstream.WithGetMsgSubject(l.bigSubject))
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		err = big.Purge(ctx)
	case err != nil:
		return fmt.Errorf("natsstore: find the first large record of %s to keep: %w", l.id, err)
	default:
		ref, ok, perr := parseChunkRef(m.Header)
		if !ok || perr != nil {
			// Nothing to go by: keep the chunks.
			return nil
		}
		err = big.Purge(ctx, jetstream.WithPurgeSequence(ref.first))
	}
	if err != nil {
		return fmt.Errorf("natsstore: trim chunks of %s: %w", l.id, err)
	}
	return nil
}
