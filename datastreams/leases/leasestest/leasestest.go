package leasestest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/shardcast/shardcast/datastreams/leases"
)

// Run runs the contract against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) leases.Store) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, leases.Store)
	}{
		{"Tables", testTables},
		{"Revisions", testRevisions},
		{"ListOrder", testListOrder},
		{"Isolation", testIsolation},
		{"DeleteTable", testDeleteTable},
		{"Copies", testCopies},
		{"ConcurrentCAS", testConcurrentCAS},
		{"EngineRace", testEngineRace},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newStore(t)) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func conflict(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, leases.ErrConflict) {
		t.Fatalf("%s: error %v, want ErrConflict", what, err)
	}
}

func mkTable(t *testing.T, s leases.Store, name string) uint64 {
	t.Helper()
	rev, err := s.PutTable(context.Background(), name, []byte(`{"name":"`+name+`"}`), 0)
	must(t, err)
	if rev == 0 {
		t.Fatal("PutTable returned revision 0")
	}
	return rev
}

func testTables(t *testing.T, s leases.Store) {
	ctx := context.Background()
	names, err := s.Tables(ctx)
	must(t, err)
	if len(names) != 0 {
		t.Fatalf("new store lists %v", names)
	}
	def, rev, err := s.Table(ctx, "t1")
	must(t, err)
	if def != nil || rev != 0 {
		t.Fatalf("missing table: %q rev %d", def, rev)
	}
	r1 := mkTable(t, s, "t.b-c_1")
	mkTable(t, s, "A")
	_, err = s.PutTable(ctx, "A", []byte("again"), 0)
	conflict(t, err, "second create")
	r2, err := s.PutTable(ctx, "t.b-c_1", []byte("v2"), r1)
	must(t, err)
	if r2 == r1 {
		t.Fatal("replace kept the revision")
	}
	_, err = s.PutTable(ctx, "t.b-c_1", []byte("v3"), r1)
	conflict(t, err, "stale replace")
	def, rev, err = s.Table(ctx, "t.b-c_1")
	must(t, err)
	if string(def) != "v2" || rev != r2 {
		t.Fatalf("table: %q rev %d, want v2 rev %d", def, rev, r2)
	}
	names, err = s.Tables(ctx)
	must(t, err)
	if !slices.Equal(names, []string{"A", "t.b-c_1"}) {
		t.Fatalf("tables %v", names)
	}
}

func testRevisions(t *testing.T, s leases.Store) {
	ctx := context.Background()
	mkTable(t, s, "tab")
	key := []byte("k\x00\x01")
	v, rev, err := s.Get(ctx, "tab", key)
	must(t, err)
	if v != nil || rev != 0 {
		t.Fatalf("missing item: %q rev %d", v, rev)
	}
	r1, err := s.Put(ctx, "tab", key, []byte("one"), 0)
	must(t, err)
	if r1 == 0 {
		t.Fatal("Put returned revision 0")
	}
	_, err = s.Put(ctx, "tab", key, []byte("dup"), 0)
	conflict(t, err, "create over an item")
	r2, err := s.Put(ctx, "tab", key, []byte("two"), r1)
	must(t, err)
	if r2 == r1 {
		t.Fatal("replace kept the revision")
	}
	_, err = s.Put(ctx, "tab", key, []byte("stale"), r1)
	conflict(t, err, "stale replace")
	v, rev, err = s.Get(ctx, "tab", key)
	must(t, err)
	if string(v) != "two" || rev != r2 {
		t.Fatalf("item %q rev %d, want two rev %d", v, rev, r2)
	}
	conflict(t, s.Delete(ctx, "tab", key, r1), "stale delete")
	must(t, s.Delete(ctx, "tab", key, r2))
	v, rev, err = s.Get(ctx, "tab", key)
	must(t, err)
	if v != nil || rev != 0 {
		t.Fatalf("deleted item: %q rev %d", v, rev)
	}
	must(t, s.Delete(ctx, "tab", key, 0)) // absent, as expected
	r3, err := s.Put(ctx, "tab", key, []byte("again"), 0)
	must(t, err)
	if r3 == 0 {
		t.Fatal("recreate returned revision 0")
	}
	// An empty value is a value.
	r4, err := s.Put(ctx, "tab", []byte("empty"), []byte{}, 0)
	must(t, err)
	_, rev, err = s.Get(ctx, "tab", []byte("empty"))
	must(t, err)
	if rev != r4 {
		t.Fatalf("empty value rev %d, want %d", rev, r4)
	}
}

func list(t *testing.T, s leases.Store, table string, after []byte) []string {
	t.Helper()
	var out []string
	must(t, s.List(context.Background(), table, after, func(k, v []byte) error {
		if !bytes.Equal(v, append([]byte("v:"), k...)) {
			t.Fatalf("key %q holds %q", k, v)
		}
		out = append(out, string(k))
		return nil
	}))
	return out
}

func testListOrder(t *testing.T, s leases.Store) {
	ctx := context.Background()
	mkTable(t, s, "tab")
	long := bytes.Repeat([]byte{0xFE, 'x', 0}, 1100) // longer than any subject or file-name limit
	keys := [][]byte{[]byte("b"), []byte("a\x00\x01"), []byte("a"), []byte("a\x00\xff"), {0xFF, 0xFF}, []byte("ab"), {0}, long, []byte("B")}
	for _, k := range keys {
		_, err := s.Put(ctx, "tab", k, append([]byte("v:"), k...), 0)
		must(t, err)
	}
	want := make([]string, len(keys))
	for i, k := range keys {
		want[i] = string(k)
	}
	slices.Sort(want)
	if got := list(t, s, "tab", nil); !slices.Equal(got, want) {
		t.Fatalf("List order %q, want %q", got, want)
	}
	if got := list(t, s, "tab", []byte("a")); !slices.Equal(got, want[3:]) {
		t.Fatalf("List after a: %q, want %q", got, want[3:])
	}
	// After a key that is not there: resumes at the next one.
	if got := list(t, s, "tab", []byte("aa")); !slices.Equal(got, want[5:]) {
		t.Fatalf("List after aa: %q, want %q", got, want[5:])
	}
	if got := list(t, s, "tab", []byte{0xFF, 0xFF, 0xFF}); len(got) != 0 {
		t.Fatalf("List after the end: %q", got)
	}
	v, _, err := s.Get(ctx, "tab", long)
	must(t, err)
	if !bytes.Equal(v, append([]byte("v:"), long...)) {
		t.Fatal("long key's value differs")
	}
	stop := errors.New("stop")
	n := 0
	err = s.List(ctx, "tab", nil, func(k, v []byte) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("List returned %v after %d calls, want stop after 2", err, n)
	}
	// More items than any batch size a store might use.
	mkTable(t, s, "many")
	var many []string
	for i := range 700 {
		k := fmt.Sprintf("k%05d", i)
		many = append(many, k)
		_, err := s.Put(ctx, "many", []byte(k), []byte("v:"+k), 0)
		must(t, err)
	}
	if got := list(t, s, "many", nil); !slices.Equal(got, many) {
		t.Fatalf("List of 700 returned %d keys", len(got))
	}
}

func testIsolation(t *testing.T, s leases.Store) {
	ctx := context.Background()
	mkTable(t, s, "one")
	mkTable(t, s, "one.two")
	_, err := s.Put(ctx, "one", []byte("k"), []byte("v:k"), 0)
	must(t, err)
	_, err = s.Put(ctx, "one.two", []byte("k"), []byte("v:k"), 0)
	must(t, err)
	_, err = s.Put(ctx, "one.two", []byte("k2"), []byte("v:k2"), 0)
	must(t, err)
	if got := list(t, s, "one", nil); !slices.Equal(got, []string{"k"}) {
		t.Fatalf("table one lists %q", got)
	}
	if got := list(t, s, "one.two", nil); !slices.Equal(got, []string{"k", "k2"}) {
		t.Fatalf("table one.two lists %q", got)
	}
}

func testDeleteTable(t *testing.T, s leases.Store) {
	ctx := context.Background()
	rev := mkTable(t, s, "gone")
	mkTable(t, s, "kept")
	for _, tab := range []string{"gone", "kept"} {
		for i := range 5 {
			k := fmt.Sprint(i)
			_, err := s.Put(ctx, tab, []byte(k), []byte("v:"+k), 0)
			must(t, err)
		}
	}
	conflict(t, s.DeleteTable(ctx, "gone", rev+1000), "stale table delete")
	must(t, s.DeleteTable(ctx, "gone", rev))
	_, r, err := s.Table(ctx, "gone")
	must(t, err)
	if r != 0 {
		t.Fatal("deleted table still has a definition")
	}
	mkTable(t, s, "gone")
	if got := list(t, s, "gone", nil); len(got) != 0 {
		t.Fatalf("recreated table lists %q", got)
	}
	if got := list(t, s, "kept", nil); len(got) != 5 {
		t.Fatalf("other table lists %q", got)
	}
	names, err := s.Tables(ctx)
	must(t, err)
	if !slices.Equal(names, []string{"gone", "kept"}) {
		t.Fatalf("tables %v", names)
	}
}

func testCopies(t *testing.T, s leases.Store) {
	ctx := context.Background()
	mkTable(t, s, "tab")
	key, val := []byte("key"), []byte("v:key")
	_, err := s.Put(ctx, "tab", key, val, 0)
	must(t, err)
	key[0], val[0] = 'X', 'X'
	v, _, err := s.Get(ctx, "tab", []byte("key"))
	must(t, err)
	if string(v) != "v:key" {
		t.Fatalf("store kept the caller's slice: %q", v)
	}
	v[0] = 'Y'
	v, _, err = s.Get(ctx, "tab", []byte("key"))
	must(t, err)
	if string(v) != "v:key" {
		t.Fatalf("store returned its own slice: %q", v)
	}
}

// testConcurrentCAS: writers increment one counter by read,
// compare-and-set, retry; no increment may be lost.
func testConcurrentCAS(t *testing.T, s leases.Store) {
	ctx := context.Background()
	mkTable(t, s, "tab")
	key := []byte("counter")
	_, err := s.Put(ctx, "tab", key, []byte("0"), 0)
	must(t, err)
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				for {
					v, rev, err := s.Get(ctx, "tab", key)
					if err != nil {
						errs <- err
						return
					}
					var n int
					fmt.Sscan(string(v), &n)
					_, err = s.Put(ctx, "tab", key, []byte(fmt.Sprint(n+1)), rev)
					if errors.Is(err, leases.ErrConflict) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	v, _, err := s.Get(ctx, "tab", key)
	must(t, err)
	if string(v) != fmt.Sprint(writers*each) {
		t.Fatalf("counter %s, want %d", v, writers*each)
	}
}
