package fragments

import (
	"sync"
	"time"

	"github.com/shardcast/shardcast/index"
)

// indexer writes time-index entries behind the appends: every flushEvery,
// one transaction for every stream, instead of one (two fsyncs) per
// fragment. Readers of the index flush first, so they always see every
// stored fragment; a crash loses only entries that reindex rebuilds from the
// fragments at the next start.
type indexer struct {
	idx timeIndex

	fmu     sync.Mutex // one flush at a time: a reader's flush returns after any running one
	mu      sync.Mutex
	pending map[string][]index.FragmentInfo
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

// flush writes everything pending.
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
	return x.idx.PutFragmentBatch(p)
}

// drop forgets what is pending for a deleted stream.
func (x *indexer) drop(stream string) {
	x.mu.Lock()
	delete(x.pending, stream)
	x.mu.Unlock()
}
