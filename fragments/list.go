package fragments

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// Timestamp kinds of fragment selectors.
const (
	ProducerTimestamp = "PRODUCER_TIMESTAMP"
	ServerTimestamp   = "SERVER_TIMESTAMP"
)

// Selector picks fragments whose start time, of the given kind, lies in
// [Start, End].
type Selector struct {
	Type  string
	Start time.Time
	End   time.Time
}

// FragmentInfo describes a stored fragment as ListFragments reports it.
type FragmentInfo struct {
	Number       string
	Seq          uint64
	Size         int64
	ProducerTime time.Time
	ServerTime   time.Time
	Duration     time.Duration
	// Discontinuity: the fragment starts a new timeline or init segment.
	Discontinuity bool
	// Parts are the fragment's parts; only LiveView.Recent fills them.
	Parts []PartInfo
}

// List tokens (base64 of: version 1 | kind 1 | start 8 | end 8 | after time 8 | after seq 8).
const listTokenVersion = 1

func encodeListToken(sel Selector, afterTime int64, afterSeq uint64) string {
	b := []byte{listTokenVersion, 0}
	if sel.Type == ProducerTimestamp {
		b[1] = 1
	}
	b = binary.BigEndian.AppendUint64(b, uint64(sel.Start.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(sel.End.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(afterTime))
	b = binary.BigEndian.AppendUint64(b, afterSeq)
	return base64.StdEncoding.EncodeToString(b)
}

var errBadToken = errors.New("bad token")

func decodeListToken(s string) (sel Selector, afterTime int64, afterSeq uint64, err error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 34 || b[0] != listTokenVersion || b[1] > 1 {
		return sel, 0, 0, errBadToken
	}
	sel.Type = ServerTimestamp
	if b[1] == 1 {
		sel.Type = ProducerTimestamp
	}
	sel.Start = time.Unix(0, int64(binary.BigEndian.Uint64(b[2:])))
	sel.End = time.Unix(0, int64(binary.BigEndian.Uint64(b[10:])))
	return sel, int64(binary.BigEndian.Uint64(b[18:])), binary.BigEndian.Uint64(b[26:]), nil
}

func encodeNameToken(after string) string {
	return base64.StdEncoding.EncodeToString([]byte("n:" + after))
}

func decodeNameToken(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || string(b[:2]) != "n:" {
		return "", errBadToken
	}
	return string(b[2:]), nil
}

// ListFragments returns up to max fragments that sel picks, continuing
// after a previous page when token is set (then sel is taken from it). The
// fragments come in time order.
func (st *Stream) ListFragments(ctx context.Context, sel *Selector, max int, token string) ([]FragmentInfo, string, error) {
	var afterTime int64
	var afterSeq uint64
	if token != "" {
		s, at, as, err := decodeListToken(token)
		if err != nil {
			return nil, "", errorf(registry.ErrInvalidArgument, "Invalid NextToken.")
		}
		sel, afterTime, afterSeq = &s, at, as
	}
	if sel == nil {
		return nil, "", errorf(registry.ErrInvalidArgument, "FragmentSelector is required when NextToken is not given.")
	}
	if sel.End.Before(sel.Start) {
		return nil, "", errorf(registry.ErrInvalidArgument, "The EndTimestamp must be later than the StartTimestamp.")
	}
	if max <= 0 || max > 1000 {
		max = 1000
	}
	out, more, err := st.selectFrom(ctx, *sel, max, afterTime, afterSeq, true)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if more {
		last := out[len(out)-1]
		next = encodeListToken(*sel, last.ProducerTime.UnixNano(), last.Seq)
	}
	return out, next, nil
}

// Select returns up to max fragments that sel picks, in time order, and
// whether more follow. It leaves Number empty (FragmentNumber makes it):
// callers listing thousands render only what they need.
func (st *Stream) Select(ctx context.Context, sel Selector, max int) ([]FragmentInfo, bool, error) {
	if sel.End.Before(sel.Start) {
		return nil, false, errorf(registry.ErrInvalidArgument, "The EndTimestamp must be later than the StartTimestamp.")
	}
	return st.selectFrom(ctx, sel, max, 0, 0, false)
}

// selectFrom returns up to max fragments of sel that come after the
// fragment (afterTime, afterSeq) when afterSeq is set.
func (st *Stream) selectFrom(ctx context.Context, sel Selector, max int, afterTime int64, afterSeq uint64, numbers bool) ([]FragmentInfo, bool, error) {
	m := st.def()
	st.s.flushIndex()
	// The APIs carry timestamps in milliseconds: a range ends at the end of
	// its last millisecond, so a fragment's own timestamp, sent back, selects it.
	start, end := sel.Start.UnixNano(), sel.End.UnixNano()
	if end < math.MaxInt64-int64(time.Millisecond) {
		end = sel.End.Truncate(time.Millisecond).UnixNano() + int64(time.Millisecond) - 1
	}
	var out []FragmentInfo
	more := false
	collect := func(f index.FragmentInfo) bool {
		if len(out) == max {
			more = true
			return false
		}
		fi := fromIndex(f)
		if numbers {
			fi.Number = st.FragmentNumber(f.Seq)
		}
		out = append(out, fi)
		return true
	}
	var err error
	first := st.log.Load().Bounds().First
	switch sel.Type {
	case ServerTimestamp:
		from := afterSeq + 1
		if afterSeq == 0 {
			if from, err = st.log.Load().SeekTime(ctx, start); err != nil {
				return nil, false, fmt.Errorf("%w: %w", registry.ErrInternal, err)
			}
		}
		err = st.s.idx.FragmentsFrom(m.ID, max64(from, first), func(f index.FragmentInfo) bool {
			if f.Server > end {
				return false
			}
			return collect(f)
		})
	case ProducerTimestamp:
		err = st.s.idx.FragmentsByProducer(m.ID, start, end, afterTime, afterSeq, func(f index.FragmentInfo) bool {
			if f.Seq < first {
				return true // expired, not yet trimmed from the index
			}
			return collect(f)
		})
	default:
		return nil, false, errorf(registry.ErrInvalidArgument, "Unknown FragmentSelectorType %s.", sel.Type)
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	return out, more, nil
}

// From returns up to max stored fragments from sequence number from on, as
// the index knows them.
func (st *Stream) From(ctx context.Context, from uint64, max int) ([]FragmentInfo, error) {
	st.s.flushIndex()
	var out []FragmentInfo
	err := st.s.idx.FragmentsFrom(st.def().ID, max64(from, st.log.Load().Bounds().First), func(f index.FragmentInfo) bool {
		out = append(out, st.infoFrom(f))
		return len(out) < max
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	return out, nil
}

func max64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// Read returns up to max stored fragments from sequence number from on,
// followed by those held in memory while the disk is full.
func (st *Stream) Read(ctx context.Context, from uint64, max int) ([]*Fragment, []FragmentInfo, error) {
	frags, infos, err := st.readLog(ctx, from, max)
	if err != nil || len(frags) == max || st.held.n.Load() == 0 {
		return frags, infos, err
	}
	if n := len(infos); n > 0 {
		from = infos[n-1].Seq + 1
	}
	hf, hi := st.heldFrom(from, max-len(frags))
	if len(hi) == 0 || hi[0].Seq != from {
		// The ones asked for were stored meanwhile: read them from the log.
		more, moreInfos, err := st.readLog(ctx, from, max-len(frags))
		if err != nil {
			return nil, nil, err
		}
		hf, hi = more, moreInfos
	}
	return append(frags, hf...), append(infos, hi...), nil
}

func (st *Stream) readLog(ctx context.Context, from uint64, max int) ([]*Fragment, []FragmentInfo, error) {
	recs, err := st.log.Load().Read(ctx, from, max, 64<<20)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	frags := make([]*Fragment, 0, len(recs))
	infos := make([]FragmentInfo, 0, len(recs))
	for _, r := range recs {
		f := &Fragment{Data: r.Data}
		if err := decodeMeta(r.Meta, f); err != nil {
			return nil, nil, fmt.Errorf("%w: fragment %d: %w", registry.ErrInternal, r.Seq, err)
		}
		frags = append(frags, f)
		infos = append(infos, FragmentInfo{Number: st.FragmentNumber(r.Seq), Seq: r.Seq, Size: int64(len(r.Data)),
			ProducerTime: f.ProducerTime, ServerTime: time.Unix(0, r.Time), Duration: f.Duration, Discontinuity: f.Discontinuity})
	}
	return frags, infos, nil
}

func (st *Stream) infoFrom(f index.FragmentInfo) FragmentInfo {
	fi := fromIndex(f)
	fi.Number = st.FragmentNumber(f.Seq)
	return fi
}

func fromIndex(f index.FragmentInfo) FragmentInfo {
	return FragmentInfo{Seq: f.Seq, Size: int64(f.Size),
		ProducerTime: time.Unix(0, f.Producer), ServerTime: time.Unix(0, f.Server), Duration: time.Duration(f.Duration),
		Discontinuity: f.Flags&index.FlagDiscontinuity != 0}
}
