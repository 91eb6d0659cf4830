package fragments

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/streamdir"
	"github.com/shardcast/shardcast/index"
)

// failingIndex is the real catalog with writes that fail while fail is set,
// as bbolt's do when the disk is full.
type failingIndex struct {
	TimeIndex
	fail atomic.Bool
}

var errNoSpace = errors.New("write catalog.db: no space left on device")

func (f *failingIndex) PutFragments(stream string, infos []index.FragmentInfo) error {
	if f.fail.Load() {
		return errNoSpace
	}
	return f.TimeIndex.PutFragments(stream, infos)
}

func (f *failingIndex) PutFragmentBatch(batch map[string][]index.FragmentInfo) error {
	if f.fail.Load() {
		return errNoSpace
	}
	return f.TimeIndex.PutFragmentBatch(batch)
}

func openTestStore(t *testing.T, dir string) (*Store, *index.Catalog) {
	t.Helper()
	cat, err := index.Open(filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := envelope.NewStatic(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	vcat, err := streamdir.NewCatalog(streamdir.CatalogConfig{Root: filepath.Join(dir, "video"), Mirror: cat})
	if err != nil {
		t.Fatal(err)
	}
	vstore, err := streamdir.NewStore(streamdir.StoreConfig{Root: filepath.Join(dir, "video"), Index: cat})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{Catalog: vcat, Store: vstore, Index: cat, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	return s, cat
}

func appendFragment(t *testing.T, st *Stream, i int) {
	t.Helper()
	f := &Fragment{Init: []byte("init"), Data: bytes.Repeat([]byte{byte(i)}, 100), ProducerTime: time.Unix(1700000000+int64(i), 0), Duration: time.Second}
	if _, err := st.Append(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

func listedSeqs(t *testing.T, st *Stream) []uint64 {
	t.Helper()
	infos, _, err := st.Select(context.Background(), Selector{Type: ServerTimestamp, Start: time.Unix(0, 0), End: time.Now().Add(time.Hour)}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, fi := range infos {
		out = append(out, fi.Seq)
	}
	return out
}

func wantSeqs(t *testing.T, got []uint64, first, n uint64) {
	t.Helper()
	if len(got) != int(n) {
		t.Fatalf("listed %v, want %d fragments from %d", got, n, first)
	}
	for i, s := range got {
		if s != first+uint64(i) {
			t.Fatalf("listed %v, want %d fragments from %d", got, n, first)
		}
	}
}

// Index writes that fail (a full catalog disk) are kept and retried: no
// fragment is missing from the index once it can be written, even when
// later writes succeeded first, and reindex at start fills any hole.
func TestIndexCatchesUp(t *testing.T) {
	dir := t.TempDir()
	s, cat := openTestStore(t, dir)
	if _, err := s.CreateStream(CreateInput{Name: "cam", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Lookup(StreamRef{Name: "cam"})
	if err != nil {
		t.Fatal(err)
	}
	fi := &failingIndex{TimeIndex: s.idx}
	s.idx, s.ix.idx = fi, fi
	for i := range 3 {
		appendFragment(t, st, i)
	}
	s.ix.flush()
	fi.fail.Store(true)
	for i := 3; i < 6; i++ {
		appendFragment(t, st, i)
	}
	s.ix.flush() // fails: the entries stay pending
	fi.fail.Store(false)
	for i := 6; i < 8; i++ {
		appendFragment(t, st, i)
	}
	first, next := st.Bounds()
	wantSeqs(t, listedSeqs(t, st), first, next-first)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A hole left in the catalog (by a version that dropped failed
	// writes): the next start fills it from the fragments.
	id := st.ID()
	if err := cat.TrimFragments(id, next); err != nil {
		t.Fatal(err)
	}
	var keep []index.FragmentInfo
	for seq := first; seq < next; seq++ {
		if seq < first+2 || seq >= first+5 {
			keep = append(keep, index.FragmentInfo{Seq: seq, Server: time.Now().UnixNano(), Producer: int64(seq), Duration: 1})
		}
	}
	if err := cat.PutFragments(id, keep); err != nil {
		t.Fatal(err)
	}
	if err := cat.Close(); err != nil {
		t.Fatal(err)
	}
	s2, cat2 := openTestStore(t, dir)
	defer cat2.Close()
	defer s2.Close()
	st2, err := s2.Lookup(StreamRef{Name: "cam"})
	if err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, listedSeqs(t, st2), first, next-first)
}
