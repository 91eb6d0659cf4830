package fragments

import (
	"context"
	"sync"
	"time"
)

// live is what readers of a stream's newest media need without going to
// the index: the fragments committed lately and the parts of the fragment
// being built, which exist nowhere else until it is committed.
type live struct {
	mu         sync.Mutex
	recent     []FragmentInfo // the latest committed fragments, oldest first
	loaded     bool           // recent was seeded from the index
	next       uint64         // sequence number the fragment in progress will get
	parts      []*Part        // its parts so far
	publishing bool
	left       time.Time     // when the last publisher left; zero while one publishes
	wake       chan struct{} // closed at every change, then replaced
	discBase   uint64        // discontinuities among fragments evicted from recent
}

// recentMax bounds how many committed fragments the live view keeps.
const recentMax = 128

// LiveView is a snapshot of a stream's live edge.
type LiveView struct {
	Recent     []FragmentInfo // the latest committed fragments, oldest first
	Next       uint64         // sequence number of the fragment in progress
	Parts      []*Part        // parts of the fragment in progress, in order
	Publishing bool           // a publisher is connected
	// PublisherLeft is when the last publisher left, while none publishes;
	// zero while one does, or when none has published since start.
	PublisherLeft time.Time
	// DiscontinuitiesBefore counts the fragments flagged Discontinuity
	// that this process has seen before Recent[0]: with the flags in Recent
	// it numbers discontinuities consistently from one view to the next.
	DiscontinuitiesBefore uint64
	// Changed is closed at the next part, commit or publisher change.
	Changed <-chan struct{}
}

func (l *live) changedLocked() {
	if l.wake != nil {
		close(l.wake)
	}
	l.wake = make(chan struct{})
}

// Live returns the stream's live edge.
func (st *Stream) Live() LiveView {
	b := st.log.Load().Bounds()
	l := &st.live
	l.mu.Lock()
	if !l.loaded {
		l.mu.Unlock()
		seed, err := st.From(context.Background(), b.Next-min(b.Next, recentMax), recentMax)
		l.mu.Lock()
		if err == nil && !l.loaded {
			l.loaded = true
			l.recent = mergeRecent(seed, l.recent)
		}
	}
	if l.wake == nil {
		l.wake = make(chan struct{})
	}
	v := LiveView{Next: max(l.next, b.Next), Publishing: l.publishing, PublisherLeft: l.left, Changed: l.wake}
	if l.next == v.Next {
		v.Parts = l.parts[:len(l.parts):len(l.parts)]
	}
	first := 0
	v.DiscontinuitiesBefore = l.discBase
	for first < len(l.recent) && l.recent[first].Seq < b.First {
		if l.recent[first].Discontinuity {
			v.DiscontinuitiesBefore++
		}
		first++ // expired
	}
	v.Recent = l.recent[first:len(l.recent):len(l.recent)]
	l.mu.Unlock()
	return v
}

// mergeRecent puts index entries before the ones appended since, dropping
// overlaps, and keeps the newest recentMax.
func mergeRecent(seed, appended []FragmentInfo) []FragmentInfo {
	// Evictions before the seed happen only at the start, so they are not
	// counted in discBase: numbering starts at the seed. Entries appended
	// since win over the index's: they carry their parts.
	out := seed
	if len(appended) > 0 {
		n := 0
		for n < len(seed) && seed[n].Seq < appended[0].Seq {
			n++
		}
		out = append(seed[:n:n], appended...)
	}
	if len(out) > recentMax {
		out = append([]FragmentInfo(nil), out[len(out)-recentMax:]...)
	}
	return out
}

// AddPart publishes a part of the fragment in progress to live readers. The
// publisher calls it in order; part 0 starts a fragment.
func (st *Stream) AddPart(p *Part) {
	next := st.nextSeq()
	l := &st.live
	l.mu.Lock()
	if p.Index == 0 || l.next != next {
		l.next, l.parts = next, nil
	}
	if p.Index == len(l.parts) {
		l.parts = append(l.parts, p)
	}
	l.changedLocked()
	l.mu.Unlock()
}

// committed records a stored fragment in the live view.
func (st *Stream) committed(info FragmentInfo) {
	l := &st.live
	l.mu.Lock()
	if n := len(l.recent); n == 0 || info.Seq > l.recent[n-1].Seq {
		if n == recentMax {
			if l.recent[0].Discontinuity {
				l.discBase++
			}
			l.recent = append(l.recent[:0:0], l.recent[1:]...)
		}
		l.recent = append(l.recent, info)
	}
	l.next, l.parts = info.Seq+1, nil
	l.changedLocked()
	l.mu.Unlock()
}

// setPublishing marks the publisher connected or gone; a gone publisher's
// unfinished parts are dropped.
func (st *Stream) setPublishing(on bool) {
	l := &st.live
	l.mu.Lock()
	l.publishing = on
	l.left = time.Time{}
	if !on {
		l.parts, l.left = nil, time.Now()
	}
	l.changedLocked()
	l.mu.Unlock()
}

// dropParts forgets the parts of a fragment that failed to store.
func (st *Stream) dropParts() {
	l := &st.live
	l.mu.Lock()
	l.parts = nil
	l.changedLocked()
	l.mu.Unlock()
}
