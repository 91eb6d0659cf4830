package fragments

import (
	"sort"
	"sync"

	"github.com/shardcast/shardcast/index"
)

// TimeIndex keeps, per stream, where each fragment is in time. The bbolt
// catalog (*index.Catalog) implements it for durable servers; without one
// the store keeps it in memory.
type TimeIndex interface {
	PutFragments(stream string, infos []index.FragmentInfo) error
	PutFragmentBatch(batch map[string][]index.FragmentInfo) error
	LastFragment(stream string) (uint64, bool)
	FragmentsFrom(stream string, from uint64, fn func(index.FragmentInfo) bool) error
	FragmentsByProducer(stream string, start, end, afterTime int64, afterSeq uint64, fn func(index.FragmentInfo) bool) error
	TrimFragments(stream string, below uint64) error
}

var _ TimeIndex = (*index.Catalog)(nil)

// memIndex is a TimeIndex in memory.
type memIndex struct {
	mu sync.RWMutex
	m  map[string][]index.FragmentInfo // ordered by Seq
}

func newMemIndex() *memIndex { return &memIndex{m: map[string][]index.FragmentInfo{}} }

func (x *memIndex) PutFragments(stream string, infos []index.FragmentInfo) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	l := x.m[stream]
	for _, f := range infos {
		i := sort.Search(len(l), func(i int) bool { return l[i].Seq >= f.Seq })
		if i < len(l) && l[i].Seq == f.Seq {
			l[i] = f
			continue
		}
		l = append(l, index.FragmentInfo{})
		copy(l[i+1:], l[i:])
		l[i] = f
	}
	x.m[stream] = l
	return nil
}

func (x *memIndex) PutFragmentBatch(batch map[string][]index.FragmentInfo) error {
	for stream, infos := range batch {
		x.PutFragments(stream, infos)
	}
	return nil
}

func (x *memIndex) LastFragment(stream string) (uint64, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	l := x.m[stream]
	if len(l) == 0 {
		return 0, false
	}
	return l[len(l)-1].Seq, true
}

func (x *memIndex) FragmentsFrom(stream string, from uint64, fn func(index.FragmentInfo) bool) error {
	x.mu.RLock()
	l := x.m[stream]
	x.mu.RUnlock()
	for i := sort.Search(len(l), func(i int) bool { return l[i].Seq >= from }); i < len(l); i++ {
		if !fn(l[i]) {
			break
		}
	}
	return nil
}

func (x *memIndex) FragmentsByProducer(stream string, start, end, afterTime int64, afterSeq uint64, fn func(index.FragmentInfo) bool) error {
	x.mu.RLock()
	l := append([]index.FragmentInfo(nil), x.m[stream]...)
	x.mu.RUnlock()
	sort.Slice(l, func(i, j int) bool {
		if l[i].Producer != l[j].Producer {
			return l[i].Producer < l[j].Producer
		}
		return l[i].Seq < l[j].Seq
	})
	for _, f := range l {
		if f.Producer < start || f.Producer > end {
			continue
		}
		if afterSeq > 0 && (f.Producer < afterTime || (f.Producer == afterTime && f.Seq <= afterSeq)) {
			continue
		}
		if !fn(f) {
			break
		}
	}
	return nil
}

func (x *memIndex) TrimFragments(stream string, below uint64) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	l := x.m[stream]
	i := sort.Search(len(l), func(i int) bool { return l[i].Seq >= below })
	x.m[stream] = append([]index.FragmentInfo(nil), l[i:]...)
	return nil
}

func (x *memIndex) drop(stream string) {
	x.mu.Lock()
	delete(x.m, stream)
	x.mu.Unlock()
}
