package playback

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
)

// Start selector types of GetMedia.
const (
	StartNow               = "NOW"
	StartEarliest          = "EARLIEST"
	StartFragmentNumber    = "FRAGMENT_NUMBER"
	StartServerTimestamp   = "SERVER_TIMESTAMP"
	StartProducerTimestamp = "PRODUCER_TIMESTAMP"
	StartContinuationToken = "CONTINUATION_TOKEN"

	// mediaContentType is the content type of GetMedia answers, as KVS sends it.
	mediaContentType = "video/webm"

	maxFragmentList = 1000
)

// MediaInput is a GetMedia request.
type MediaInput struct {
	Stream              fragments.StreamRef
	StartType           string
	AfterFragmentNumber string
	StartTimestamp      *time.Time
	ContinuationToken   string
}

// MediaStream is an accepted GetMedia or GetMediaForFragmentList request:
// checks are done, streaming has not begun.
type MediaStream struct {
	s    *Service
	st   *fragments.Stream
	from uint64   // GetMedia: the next fragment to send
	list []uint64 // GetMediaForFragmentList: the fragments to send
	tail bool     // GetMedia: follow the stream as it grows
}

// GetMedia resolves a GetMedia start selector.
func (s *Service) GetMedia(ctx context.Context, in MediaInput) (*MediaStream, error) {
	st, err := s.cfg.Store.Lookup(in.Stream)
	if err != nil {
		return nil, err
	}
	if err := s.callRate(st); err != nil {
		return nil, err
	}
	first, next := st.Bounds()
	m := &MediaStream{s: s, st: st, tail: true}
	number := func(n, field string) (uint64, error) {
		if n == "" {
			return 0, invalid("%s is required for StartSelectorType %s.", field, in.StartType)
		}
		seq, ok := st.ParseFragmentNumber(n)
		if !ok {
			return 0, invalid("%s %s is not a fragment of stream %s.", field, n, st.Info().Name)
		}
		return seq, nil
	}
	switch in.StartType {
	case StartNow:
		m.from = next
	case StartEarliest:
		m.from = first
	case StartFragmentNumber:
		seq, err := number(in.AfterFragmentNumber, "AfterFragmentNumber")
		if err != nil {
			return nil, err
		}
		m.from = seq + 1
	case StartContinuationToken:
		seq, err := number(in.ContinuationToken, "ContinuationToken")
		if err != nil {
			return nil, err
		}
		m.from = seq + 1
	case StartServerTimestamp, StartProducerTimestamp:
		if in.StartTimestamp == nil {
			return nil, invalid("StartTimestamp is required for StartSelectorType %s.", in.StartType)
		}
		m.from, err = s.containing(ctx, st,
			in.StartType == StartProducerTimestamp, *in.StartTimestamp)
		if err != nil {
			return nil, err
		}
	default:
		return nil, invalid("StartSelectorType %q is not one of NOW, EARLIEST, FRAGMENT_NUMBER, SERVER_TIMESTAMP, PRODUCER_TIMESTAMP, CONTINUATION_TOKEN.", in.StartType)
	}
	return m, nil
}

// containing returns the fragment whose time span holds t, or the first
// one after t.
func (s *Service) containing(ctx context.Context, st *fragments.Stream, producer bool, t time.Time) (uint64, error) {
	sel := fragments.Selector{Type: fragments.ServerTimestamp, Start: t.Add(-time.Minute), End: t.Add(24 * time.Hour)}
	if producer {
		sel.Type = fragments.ProducerTimestamp
	}
	got, _, err := st.Select(ctx, sel, 256)
	if err != nil {
		return 0, err
	}
	for _, f := range got {
		at := f.ServerTime
		if producer {
			at = f.ProducerTime
		}
		if !t.Before(at) && t.Before(at.Add(f.Duration)) || !at.Before(t) {
			return f.Seq, nil
		}
	}
	_, next := st.Bounds()
	return next, nil // nothing stored at or after t yet: start with what comes
}

// GetMediaForFragmentList checks a list of fragment numbers.
func (s *Service) GetMediaForFragmentList(ref fragments.StreamRef, numbers []string) (*MediaStream, error) {
	st, err := s.cfg.Store.Lookup(ref)
	if err != nil {
		return nil, err
	}
	if len(numbers) == 0 || len(numbers) > maxFragmentList {
		return nil, invalid("Fragments must list 1 to %d fragment numbers.", maxFragmentList)
	}
	first, next := st.Bounds()
	m := &MediaStream{s: s, st: st}
	for _, n := range numbers {
		seq, ok := st.ParseFragmentNumber(n)
		if !ok || seq < first || seq >= next {
			return nil, notFound("Fragment %s was not found in stream %s.", n, st.Info().Name)
		}
		m.list = append(m.list, seq)
	}
	return m, nil
}

// ContentType is the answer's content type.
func (m *MediaStream) ContentType() string { return mediaContentType }

// Run writes the chunks, calling flush after each. GetMedia follows the
// stream until ctx ends, or until it has caught up and no publisher has
// come for the block timeout. A slow writer only slows this reader: the
// fragments are read from the log, never held by the publisher.
func (m *MediaStream) Run(ctx context.Context, w io.Writer, flush func()) error {
	release, err := m.s.connect(m.st, !m.tail)
	if err != nil {
		return err
	}
	defer release()
	var tracks trackCache
	send := func(f *fragments.Fragment, info fragments.FragmentInfo) error {
		number := m.st.FragmentNumber(info.Seq)
		ci := chunkInfo{Number: number, Server: info.ServerTime, Producer: info.ProducerTime,
			BehindMillis: max(0, m.s.cfg.Now().Sub(info.ServerTime).Milliseconds()), Continuation: number}
		if err := writeChunk(w, f, ci, &tracks); err != nil {
			return err
		}
		flush()
		return nil
	}
	// A fragment lost to damaged storage gets a chunk of error tags, and the
	// stream goes on with the next one.
	damaged := func(seq uint64) error {
		if err := writeErrorChunk(w, m.st.FragmentNumber(seq), errDamagedID, errDamagedCode); err != nil {
			return err
		}
		flush()
		return nil
	}
	if !m.tail {
		for _, seq := range m.list {
			if err := ctx.Err(); err != nil {
				return err
			}
			f, info, err := m.st.Fragment(ctx, seq)
			if errors.Is(err, registry.ErrDamaged) {
				err = damaged(seq)
			} else if err == nil {
				err = send(f, info)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	seq := m.from
	pace := newPacer(m.s.cfg.MediaFragmentsPerSecond)
	var idle *time.Timer
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	for {
		v := m.st.Live()
		if seq < v.Next {
			// Read from seq on: past retention it starts at the oldest
			// fragment; numbers that hold nothing readable (lost to damage,
			// or skipped after a crash) are passed over.
			frags, infos, err := m.st.Read(ctx, seq, 1)
			if err != nil {
				return err
			}
			end := v.Next
			if len(frags) > 0 {
				end = infos[0].Seq
			}
			for _, d := range m.st.DamagedIn(seq, end) {
				if err := damaged(d); err != nil {
					return err
				}
			}
			seq = end
			if len(frags) > 0 {
				// A reader behind the live edge is paced; the newest
				// fragment goes out as soon as it is there.
				if infos[0].Seq+1 < m.st.Live().Next {
					if err := pace.wait(ctx); err != nil {
						return err
					}
				}
				if err := send(frags[0], infos[0]); err != nil {
					return err
				}
				seq = infos[0].Seq + 1
			}
			if idle != nil {
				idle.Stop()
				idle = nil
			}
			continue
		}
		var timeout <-chan time.Time
		if !v.Publishing {
			if idle == nil {
				idle = time.NewTimer(m.s.cfg.BlockTimeout)
			}
			timeout = idle.C
		} else if idle != nil {
			idle.Stop()
			idle = nil
		}
		select {
		case <-v.Changed:
		case <-timeout:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// connect counts an open GetMedia (or, with list, GetMediaForFragmentList)
// answer of a stream, refusing the newest beyond the limit as KVS does.
func (s *Service) connect(st *fragments.Stream, list bool) (release func(), err error) {
	limit := s.cfg.MediaConnections
	op := "GetMedia"
	if list {
		limit, op = s.cfg.MediaListConnections, "GetMediaForFragmentList"
	}
	key := connKey{stream: st.Info().ARN, list: list}
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit > 0 && s.conns[key] >= limit {
		return nil, errorf(ErrConnectionLimit, "Stream %s already has %d %s connections, the most allowed.", st.Info().Name, limit, op)
	}
	s.conns[key]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.conns[key]--; s.conns[key] <= 0 {
			delete(s.conns, key)
		}
	}, nil
}

// pacer spaces fragments at a rate with a burst of as many (a generic
// cell rate: tat is when the next fragment would be due at the steady
// rate).
type pacer struct {
	every time.Duration
	burst time.Duration // how far ahead of the steady rate a burst may run
	tat   time.Time
}

func newPacer(perSecond int) *pacer {
	if perSecond <= 0 {
		return nil
	}
	every := time.Second / time.Duration(perSecond)
	return &pacer{every: every, burst: time.Duration(perSecond-1) * every}
}

// wait returns when one more fragment may be sent.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	now := time.Now()
	if p.tat.Before(now) {
		p.tat = now
	}
	if ahead := p.tat.Sub(now) - p.burst; ahead > 0 {
		t := time.NewTimer(ahead)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.tat = p.tat.Add(p.every)
	return nil
}

// callRate admits a GetMedia call of a stream at MediaCallsPerSecond with
// a burst of as many, as KVS's per-stream call limit.
func (s *Service) callRate(st *fragments.Stream) error {
	rate := s.cfg.MediaCallsPerSecond
	if rate <= 0 {
		return nil
	}
	every := time.Second / time.Duration(rate)
	key := st.Info().ARN
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, tat := range s.calls {
		if tat.Before(now) && len(s.calls) > 1024 { // forget streams long idle
			delete(s.calls, k)
		}
	}
	tat := s.calls[key]
	if tat.Before(now) {
		tat = now
	}
	if tat.Sub(now) > time.Duration(rate-1)*every {
		return errorf(ErrClientLimit, "Stream %s has had more than %d GetMedia calls in a second; try again later.", st.Info().Name, rate)
	}
	s.calls[key] = tat.Add(every)
	return nil
}
