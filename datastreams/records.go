package datastreams

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/seqnum"
	"github.com/shardcast/shardcast/datastreams/shard"
)

// PutEntry is one record of a PutRecord(s) request.
type PutEntry struct {
	PartitionKey    string
	ExplicitHashKey string // decimal; "" to hash the partition key
	Data            []byte
}

// PutResult is one record's outcome: a shard and sequence number, or an
// error kind and message (a partial failure). The kind is
// registry.ErrThroughputExceeded or registry.ErrInternal; the HTTP layer
// names it.
type PutResult struct {
	ShardID        string
	SequenceNumber string
	ErrorKind      error
	ErrorMessage   string
}

// PutOutput is the answer to PutRecords.
type PutOutput struct {
	Results   []PutResult
	Failed    int
	Encrypted bool
}

// maxRecordBytes is the stream's limit on a record's data plus partition key.
// seqDigits is about the length of a sequence number's decimal form: a
// size hint for the buffers that hold many.
const seqDigits = 57

func (m *streamState) maxRecordBytes() int { return m.meta.MaxRecordSizeKiB << 10 }

// Record meta is a format byte followed by the partition key.
const metaV1 = 1

// writable returns the stream if records may be written or read: not
// while it is CREATING, when AWS answers that it does not exist.
func (e *Engine) writable(ref StreamRef) (*stream, error) {
	st, name, err := e.resolve(ref)
	if err != nil {
		return nil, err
	}
	if st.Def().Status == StatusCreating {
		return nil, e.streamNotFound(name)
	}
	return st, nil
}

// routeEntry checks one record against the stream and returns the position
// in s.open of the shard it goes to.
func (s *streamState) routeEntry(i int, en PutEntry, limit int) (int, error) {
	pos, _, err := s.routeEntryKey(i, en, limit)
	return pos, err
}

// routeEntryKey is routeEntry that also returns the record's hash key.
func (s *streamState) routeEntryKey(i int, en PutEntry, limit int) (int, hashKey, error) {
	if size := len(en.Data) + len(en.PartitionKey); size > limit {
		return 0, hashKey{}, &RecordTooLargeError{Index: i, Size: len(en.Data), Limit: limit - len(en.PartitionKey)}
	}
	var k hashKey
	if en.ExplicitHashKey != "" {
		var ok bool
		if k, ok = parseHashKey(en.ExplicitHashKey); !ok {
			return 0, hashKey{}, errorf(registry.ErrInvalidArgument, "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was %s", en.ExplicitHashKey)
		}
	} else {
		k = partitionHash(en.PartitionKey)
	}
	pos := s.route(k)
	if pos < 0 {
		return 0, hashKey{}, fmt.Errorf("%w: no open shard holds hash key %s in stream %s", registry.ErrInternal, k, s.meta.Name)
	}
	return pos, k, nil
}

// CheckPut reports whether PutRecords would accept entries, without storing
// anything or spending throughput: the answer to a DryRun.
func (e *Engine) CheckPut(ref StreamRef, entries []PutEntry) error {
	st, err := e.writable(ref)
	if err != nil {
		return err
	}
	state := stateOf(st)
	limit := state.maxRecordBytes()
	for i, en := range entries {
		if _, err := state.routeEntry(i, en, limit); err != nil {
			return err
		}
	}
	return nil
}

// route returns the position in s.open of the shard holding k, or -1.
func (s *streamState) route(k hashKey) int {
	open := s.open
	lo, hi := 0, len(open)
	for lo < hi {
		m := (lo + hi) / 2
		if open[m].end.cmp(k) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(open) && open[lo].start.cmp(k) <= 0 {
		return lo
	}
	return -1
}

// PutRecords stores records, grouping them per shard: each group is one
// durable append, and the groups are written in parallel. It returns once
// every accepted record is durable.
func (e *Engine) PutRecords(ctx context.Context, ref StreamRef, entries []PutEntry) (PutOutput, error) {
	st, err := e.writable(ref)
	if err != nil {
		return PutOutput{}, err
	}
	// Routing and appending happen under the write gate, so that a
	// reshard fixes its parents' ends only after every append admitted to
	// them has finished, and every later append routes by the children.
	gate := &st.Runtime().gate
	gate.RLock()
	defer gate.RUnlock()
	state := stateOf(st)
	m := state.meta
	limit := state.maxRecordBytes()
	onDemand := m.Mode == ModeOnDemand // only ON_DEMAND streams scale by what they are offered
	type group struct {
		s       *shardRT
		idx     []int
		entries []shard.Entry
		res     shard.Appended
		err     error
	}
	groups := make([]*group, len(state.open)) // by position in state.open
	var order []*group
	out := PutOutput{Results: make([]PutResult, len(entries)), Encrypted: m.Encryption.Type == EncryptionKMS}
	metaLen := 0
	for _, en := range entries {
		metaLen += 1 + len(en.PartitionKey)
	}
	metaBuf := make([]byte, 0, metaLen) // one array for every entry's Meta
	for i, en := range entries {
		pos, k, err := state.routeEntryKey(i, en, limit)
		if err != nil {
			return PutOutput{}, err
		}
		s := state.open[pos]
		if onDemand {
			s.meter.Add(k.key(), len(en.Data)+len(en.PartitionKey)) // what is offered, throttled or not
		}
		if !s.limits.admitWrite(len(en.Data) + len(en.PartitionKey)) {
			out.Results[i] = PutResult{ErrorKind: registry.ErrThroughputExceeded,
				ErrorMessage: fmt.Sprintf("Rate exceeded for shard %s in stream %s under account %s.", s.info.ID, m.Name, e.cfg.Account)}
			out.Failed++
			continue
		}
		g := groups[pos]
		if g == nil {
			g = &group{s: s, idx: make([]int, 0, len(entries)/len(state.open)+1), entries: make([]shard.Entry, 0, len(entries)/len(state.open)+1)}
			groups[pos] = g
			order = append(order, g)
		}
		start := len(metaBuf)
		metaBuf = append(metaBuf, metaV1)
		metaBuf = append(metaBuf, en.PartitionKey...)
		g.idx = append(g.idx, i)
		g.entries = append(g.entries, shard.Entry{Meta: metaBuf[start:len(metaBuf):len(metaBuf)], Data: en.Data})
	}
	switch len(order) {
	case 0:
	case 1:
		g := order[0]
		g.res, g.err = g.s.log.Append(ctx, g.entries)
	default:
		var wg sync.WaitGroup
		for _, g := range order {
			wg.Go(func() { g.res, g.err = g.s.log.Append(ctx, g.entries) })
		}
		wg.Wait()
	}
	// Every sequence number of the request shares one string.
	arena := make([]byte, 0, seqDigits*len(entries))
	type place struct{ start, end int }
	places := make([]place, len(entries))
	for _, g := range order {
		if g.err != nil {
			continue
		}
		arrival := g.res.Time / int64(time.Second)
		for j, i := range g.idx {
			start := len(arena)
			arena = seqnum.Append(arena, seqnum.Parts{ShardCreated: g.s.createdSec, ShardIndex: uint32(g.s.info.Index),
				Counter: g.res.FirstSeq + uint64(j), Arrival: arrival})
			places[i] = place{start, len(arena)}
		}
	}
	all := string(arena)
	for _, g := range order {
		if g.err != nil {
			full := errors.Is(g.err, shard.ErrDiskFull)
			switch {
			case full:
				if e.cfg.OnDiskFull != nil {
					e.cfg.OnDiskFull()
				}
				if ok, n := e.diskFullLog.Allow(time.Now()); ok {
					e.cfg.Logger.Error("datastreams: disk full, refusing records", "stream", m.Name, "shard", g.s.info.ID,
						"err", g.err, "refused_appends", n)
				}
			case !errors.Is(g.err, shard.ErrClosed) && !errors.Is(g.err, context.Canceled):
				e.cfg.Logger.Error("datastreams: append failed", "stream", m.Name, "shard", g.s.info.ID, "err", g.err)
			}
			msg := "Internal service failure."
			if full {
				msg = diskFullMessage(g.err)
			}
			if len(order) == 1 && len(entries) == len(g.idx) {
				if errors.Is(g.err, shard.ErrClosed) {
					return PutOutput{}, e.streamNotFound(m.Name)
				}
				if full {
					return PutOutput{}, &registry.Error{Kind: registry.ErrUnavailable, Message: msg}
				}
				return PutOutput{}, fmt.Errorf("%w: %w", registry.ErrInternal, g.err)
			}
			for _, i := range g.idx {
				out.Results[i] = PutResult{ErrorKind: registry.ErrInternal, ErrorMessage: msg}
				out.Failed++
			}
			continue
		}
		bytes := 0
		for j, i := range g.idx {
			out.Results[i] = PutResult{ShardID: g.s.info.ID, SequenceNumber: all[places[i].start:places[i].end]}
			bytes += len(g.entries[j].Data) + len(g.entries[j].Meta) - 1
		}
		g.s.traffic.put(len(g.idx), bytes)
	}
	return out, nil
}

// Shard iterator types.
const (
	AtSequenceNumber    = "AT_SEQUENCE_NUMBER"
	AfterSequenceNumber = "AFTER_SEQUENCE_NUMBER"
	TrimHorizon         = "TRIM_HORIZON"
	Latest              = "LATEST"
	AtTimestamp         = "AT_TIMESTAMP"
)

// resolveShard finds a shard by id the way AWS does: the digits after the
// first '-' (or the whole id) are the shard index.
func (e *Engine) resolveShard(state *streamState, id string) (*shardRT, error) {
	digits := id
	if i := strings.IndexByte(id, '-'); i >= 0 {
		digits = id[i+1:]
	}
	n, err := strconv.ParseUint(digits, 10, 31)
	if err != nil || digits == "" {
		return nil, errorf(registry.ErrResourceNotFound, "Could not find shard %s in stream %s under account %s.", id, state.meta.Name, e.cfg.Account)
	}
	for _, s := range state.shards {
		if s.info.Index == int(n) {
			return s, nil
		}
	}
	return nil, e.shardNotFound(id, state.meta.Name)
}

// GetShardIterator returns an iterator at a position of a shard.
func (e *Engine) GetShardIterator(ctx context.Context, ref StreamRef, shardIDArg, typ, startSeq string, ts *time.Time) (string, error) {
	st, name, err := e.resolve(ref)
	if err == nil && st.Def().Status == StatusCreating {
		err = e.streamNotFound(name)
	}
	if err != nil {
		if errors.Is(err, registry.ErrResourceNotFound) && name != "" {
			return "", e.shardNotFound(shardIDArg, name)
		}
		return "", err
	}
	state := stateOf(st)
	s, err := e.resolveShard(state, shardIDArg)
	if err != nil {
		return "", err
	}
	pos, err := e.startPosition(ctx, state, s, "GetShardIterator", typ, startSeq, ts)
	if err != nil {
		return "", err
	}
	return e.encodeIterator(iterator{issued: e.cfg.Now(), created: state.meta.Created.UnixNano(), shard: uint32(s.info.Index), seq: pos, stream: name}), nil
}

// startPosition returns the position in shard s of the first record a
// reader starting at typ (with startSeq or ts) reads: GetShardIterator's
// and SubscribeToShard's starting positions. op names the operation in
// messages.
func (e *Engine) startPosition(ctx context.Context, state *streamState, s *shardRT, op, typ, startSeq string, ts *time.Time) (uint64, error) {
	name := state.meta.Name
	var err error
	const either = "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified %s and %s."
	var pos uint64
	switch typ {
	case AtSequenceNumber, AfterSequenceNumber:
		if startSeq == "" {
			return 0, errorf(registry.ErrInvalidArgument, either, typ, "no StartingSequenceNumber")
		}
		n, err := seqnum.Check(startSeq)
		if err != nil {
			return 0, errorf(registry.ErrInvalidArgument, "StartingSequenceNumber %s used in %s on shard %s in stream %s under account %s is invalid.", startSeq, op, s.info.ID, name, e.cfg.Account)
		}
		if n.ShardIndex != uint32(s.info.Index) {
			return 0, errorf(registry.ErrInvalidArgument, "Invalid StartingSequenceNumber. It encodes %s, while it was used in a call to a shard with %s", shardID(int(n.ShardIndex)), s.info.ID)
		}
		p, err := seqnum.Parse(startSeq)
		if err != nil || p.ShardCreated != s.createdSec {
			return 0, errorf(registry.ErrInvalidArgument, "StartingSequenceNumber %s used in %s on shard %s in stream %s under account %s is invalid because it did not come from this stream.", startSeq, op, s.info.ID, name, e.cfg.Account)
		}
		pos = p.Counter
		if typ == AfterSequenceNumber && !(p.Counter == 0 && p.Arrival == s.createdSec) {
			// After the shard's StartingSequenceNumber (counter 0 with the
			// shard's creation as arrival) is its first record.
			pos++
		}
	case TrimHorizon, Latest:
		if startSeq != "" {
			return 0, errorf(registry.ErrInvalidArgument, either, typ, "also a StartingSequenceNumber")
		}
		if typ == Latest {
			pos = s.log.Bounds().Next
		} else if pos, err = e.trimHorizon(ctx, s, state.meta); err != nil {
			return 0, fmt.Errorf("%w: %w", registry.ErrInternal, err)
		}
	case AtTimestamp:
		if ts == nil {
			return 0, errorf(registry.ErrInvalidArgument, "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.")
		}
		now := e.cfg.Now()
		if ts.After(now) {
			return 0, errorf(registry.ErrInvalidArgument, "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: %d, currentTimestampInMillis: %d", ts.UnixMilli(), now.UnixMilli())
		}
		if pos, err = s.log.SeekTime(ctx, ts.UnixNano()); err != nil {
			return 0, fmt.Errorf("%w: %w", registry.ErrInternal, err)
		}
	default:
		return 0, errorf(registry.ErrInvalidArgument, "Unknown ShardIteratorType %s.", typ)
	}
	return pos, nil
}

// Record is a record as GetRecords returns it.
type Record struct {
	SequenceNumber string
	Arrival        time.Time
	PartitionKey   string
	Data           []byte
	Encrypted      bool
}

// GetRecordsOutput is the answer to GetRecords.
type GetRecordsOutput struct {
	Records            []Record
	NextShardIterator  string // "" at the end of a closed shard
	MillisBehindLatest int64
	ChildShards        []ChildShard // set at the end of a closed shard
}

// javaDate formats a time as Java's Date.toString does in UTC, as AWS
// messages show it.
const javaDate = "Mon Jan 02 15:04:05 UTC 2006"

// openIterator checks an iterator (signature, age, stream incarnation,
// shard) and returns what it points at.
func (e *Engine) openIterator(iter string, now time.Time) (iterator, *streamState, *shardRT, error) {
	it, err := e.decodeIterator(iter)
	if err != nil {
		return it, nil, nil, errorf(registry.ErrInvalidArgument, "Invalid ShardIterator.")
	}
	if now.Sub(it.issued) > e.cfg.IteratorTTL {
		return it, nil, nil, errorf(registry.ErrExpiredIterator, "Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			it.issued.UTC().Format(javaDate), now.UTC().Format(javaDate), e.cfg.IteratorTTL.Milliseconds())
	}
	st := e.lookup(it.stream)
	if st == nil || stateOf(st).meta.Created.UnixNano() != it.created {
		return it, nil, nil, e.shardNotFound(shardID(int(it.shard)), it.stream)
	}
	state := stateOf(st)
	for _, s := range state.shards {
		if s.info.Index == int(it.shard) {
			return it, state, s, nil
		}
	}
	return it, nil, nil, e.shardNotFound(shardID(int(it.shard)), it.stream)
}

// CheckIterator reports whether GetRecords would accept an iterator: the
// answer to a DryRun.
func (e *Engine) CheckIterator(iter string) error {
	_, _, _, err := e.openIterator(iter, e.cfg.Now())
	return err
}

// GetRecords reads up to limit records (and at most 10 MiB) at an iterator.
func (e *Engine) GetRecords(ctx context.Context, iter string, limit int) (GetRecordsOutput, error) {
	now := e.cfg.Now()
	it, state, s, err := e.openIterator(iter, now)
	if err != nil {
		return GetRecordsOutput{}, err
	}
	if !s.limits.admitRead() {
		return GetRecordsOutput{}, errorf(registry.ErrThroughputExceeded, "Rate exceeded for shard %s in stream %s under account %s.", s.info.ID, it.stream, e.cfg.Account)
	}
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	pos := it.seq
	before := s.log.Bounds()
	recs, err := s.log.Read(ctx, pos, limit, MaxGetRecordsBytes)
	if err != nil {
		return GetRecordsOutput{}, fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	if len(recs) == 0 && pos >= before.First && pos < before.Next {
		// Nothing readable between the iterator and the end that was
		// committed before the read: records lost to damaged storage (the
		// log reports and counts them), or numbers skipped after a crash.
		// Move past them so that consumers are not held there.
		for _, d := range s.log.Damaged() {
			if d.Lost() && d.ToSeq >= pos && d.FromSeq < before.Next {
				e.cfg.Logger.Warn("GetRecords passed over records lost to damaged storage", "stream", it.stream,
					"shard", s.info.ID, "from_seq", max(pos, d.FromSeq), "to_seq", min(before.Next-1, d.ToSeq))
			}
		}
		pos = before.Next
	}
	cutoff := now.Add(-time.Duration(state.meta.RetentionHours) * time.Hour).UnixNano()
	if len(recs) > 0 && recs[0].Time < cutoff {
		// Skip what is past retention but not yet dropped from disk.
		h, err := s.log.SeekTime(ctx, cutoff)
		if err != nil {
			return GetRecordsOutput{}, fmt.Errorf("%w: %w", registry.ErrInternal, err)
		}
		if recs, err = s.log.Read(ctx, max(pos, h), limit, MaxGetRecordsBytes); err != nil {
			return GetRecordsOutput{}, fmt.Errorf("%w: %w", registry.ErrInternal, err)
		}
	}
	out := GetRecordsOutput{Records: make([]Record, 0, len(recs))}
	bytes := 0
	// The sequence numbers and partition keys of the answer share one
	// string: ends[2i] ends record i's sequence number, ends[2i+1] its key.
	arena := make([]byte, 0, (seqDigits+16)*len(recs))
	ends := make([]int, 2*len(recs))
	for i, r := range recs {
		arena = seqnum.Append(arena, seqnum.Parts{ShardCreated: s.createdSec, ShardIndex: uint32(s.info.Index), Counter: r.Seq, Arrival: r.Time / int64(time.Second)})
		ends[2*i] = len(arena)
		if len(r.Meta) > 0 && r.Meta[0] == metaV1 {
			arena = append(arena, r.Meta[1:]...)
		}
		ends[2*i+1] = len(arena)
	}
	all, start := string(arena), 0
	for i, r := range recs {
		seq, pk := all[start:ends[2*i]], all[ends[2*i]:ends[2*i+1]]
		start = ends[2*i+1]
		out.Records = append(out.Records, Record{SequenceNumber: seq, Arrival: time.Unix(0, r.Time), PartitionKey: pk, Data: r.Data, Encrypted: r.KeyVer != 0})
		bytes += len(r.Data) + len(pk)
		pos = r.Seq + 1
	}
	s.limits.chargeRead(bytes)
	if b := s.log.Bounds(); pos < b.Next && len(recs) > 0 {
		out.MillisBehindLatest = now.Sub(time.Unix(0, recs[len(recs)-1].Time)).Milliseconds()
	} else if pos < b.First {
		pos = b.First
	}
	s.traffic.got(len(recs), bytes, out.MillisBehindLatest, now)
	if s.drained(pos) {
		// The end of a closed shard: no next iterator, and the shards
		// that hold its keys now.
		out.MillisBehindLatest = 0
		out.ChildShards = state.children(s.info.ID)
		return out, nil
	}
	out.NextShardIterator = e.encodeIterator(iterator{issued: now, created: it.created, shard: it.shard, seq: pos, stream: it.stream})
	return out, nil
}

// PutRecord stores one record. sequenceNumberForOrdering, when set, must be
// a well-formed sequence number of a layout AWS accepts, whose arrival time
// is not in the future. The new record's number is greater than it whenever
// the record's shard can number above it: always for a number handed out
// for the same partition key (the same shard, or one created before it),
// and for any number of a shard whose creation time and index bits do not
// exceed the record's shard's, the shard's numbering moving past the given
// counter when needed.
func (e *Engine) PutRecord(ctx context.Context, ref StreamRef, en PutEntry, sequenceNumberForOrdering string) (PutResult, bool, error) {
	if sequenceNumberForOrdering != "" {
		if err := e.orderAfter(ctx, ref, en, sequenceNumberForOrdering); err != nil {
			return PutResult{}, false, err
		}
	}
	out, err := e.PutRecords(ctx, ref, []PutEntry{en})
	if err != nil {
		return PutResult{}, false, err
	}
	r := out.Results[0]
	if r.ErrorKind == registry.ErrThroughputExceeded {
		return PutResult{}, false, errorf(registry.ErrThroughputExceeded, "%s", r.ErrorMessage)
	}
	if r.ErrorKind != nil {
		return PutResult{}, false, fmt.Errorf("%w: %s", registry.ErrInternal, r.ErrorMessage)
	}
	return r, out.Encrypted, nil
}

// orderAfter checks a SequenceNumberForOrdering and moves the numbering of
// the shard the record goes to past it.
func (e *Engine) orderAfter(ctx context.Context, ref StreamRef, en PutEntry, given string) error {
	invalid := func() error {
		name := ref.Name
		if ref.ARN != "" {
			name, _ = e.nameFromARN(ref.ARN)
		}
		return errorf(registry.ErrInvalidArgument, "ExclusiveMinimumSequenceNumber %s used in PutRecord on stream %s under account %s is invalid.", given, name, e.cfg.Account)
	}
	n, err := seqnum.Check(given)
	if err != nil || n.Arrival*1000 > e.cfg.Now().UnixMilli() {
		return invalid()
	}
	st, err := e.writable(ref)
	if err != nil {
		return err
	}
	gate := &st.Runtime().gate
	gate.RLock()
	defer gate.RUnlock()
	state := stateOf(st)
	pos, err := state.routeEntry(0, en, state.maxRecordBytes())
	if err != nil {
		return err
	}
	s := state.open[pos]
	counter, ok := n.CounterAbove(s.createdSec, uint32(s.info.Index))
	switch {
	case !ok:
		// A later shard's number (not one handed out for this key): the
		// record is stored, as AWS does, but cannot be numbered above it.
		return nil
	case counter >= seqnum.MaxCounter:
		return invalid() // only a closed shard's end reaches this far
	case counter > s.log.Bounds().Next:
		if err := s.log.SkipTo(ctx, counter); err != nil {
			if errors.Is(err, shard.ErrDiskFull) {
				return &registry.Error{Kind: registry.ErrUnavailable, Message: diskFullMessage(err)}
			}
			return fmt.Errorf("%w: %w", registry.ErrInternal, err)
		}
	}
	return nil
}

// diskFullMessage tells a client that a full disk refused its records.
func diskFullMessage(err error) string {
	return fmt.Sprintf("Disk full: %s. The records were not stored; retry once space is freed.",
		strings.TrimPrefix(err.Error(), shard.ErrDiskFull.Error()+": "))
}
