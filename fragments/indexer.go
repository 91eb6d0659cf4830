package fragments

import (
	"sync"
	"time"

	"github.com/shardcast/shardcast/index"
)

// indexer writes time-index entries behind the appends: every flushEvery,
// one transaction for every stream, instead of one (two fsyncs) per
// fragment. Readers of the index flush first, so they always see every
// stored fragment the index could be written for. A write that fails (a
// full disk) keeps its entries, ahead of later ones, for the next flush:
// a later batch is never written while an earlier one is missing, so the
// index of a stream is always everything from its first fragment up to
// some point; a crash loses only entries that reindex rebuilds from the
// fragments at the next start.
type indexer struct {
	idx TimeIndex

	fmu     sync.Mutex // one flush at a time: a reader's flush returns after any running one
	mu      sync.Mutex
	pending map[string][]index.FragmentInfo
	gone    map[string]bool // deleted streams, whose entries a failed flush must not bring back
}

const flushEvery = 500 * time.Millisecond

func (x *indexer) add(stream string, f index.FragmentInfo) {
	x.mu.Lock()
	if x.pending == nil {
		x.pending = map[string][]index.FragmentInfo{}
	}
	x.pending[stream] = append(x.pending[stream], f)
	x.mu.Unlock()
}

// flush writes everything pending; after a failure it is all pending again.
func (x *indexer) flush() error {
	x.fmu.Lock()
	defer x.fmu.Unlock()
	x.mu.Lock()
	p := x.pending
	x.pending = nil
	x.mu.Unlock()
	if len(p) == 0 {
		return nil
	}
	err := x.idx.PutFragmentBatch(p)
	if err == nil {
		return nil
	}
	x.mu.Lock()
	for stream, infos := range x.pending {
		p[stream] = append(p[stream], infos...)
	}
	for stream := range p {
		if x.gone[stream] {
			delete(p, stream)
		}
	}
	x.pending = p
	x.mu.Unlock()
	return err
}

// drop forgets what is pending for a deleted stream.
func (x *indexer) drop(stream string) {
	x.mu.Lock()
	delete(x.pending, stream)
	if x.gone == nil {
		x.gone = map[string]bool{}
	}
	x.gone[stream] = true
	x.mu.Unlock()
}
