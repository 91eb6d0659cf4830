package index

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T) (*Catalog, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, path
}

func stream(name string, v int64) *Stream {
	return &Stream{Kind: KindData, Name: name, ID: "id-" + name, Created: time.Unix(100, 0).UTC(), Status: "ACTIVE",
		RetentionHours: 24, Version: v, Shards: []Shard{{ID: "shardId-000000000000", StartHash: "0", EndHash: "9"}},
		Tags: map[string]string{"a": "b"}, DataKeys: []DataKey{{Version: 1, KeyID: "k", Wrapped: []byte{1, 2}}}}
}

func TestPutGetListDelete(t *testing.T) {
	c, path := openTest(t)
	for i := 0; i < 5; i++ {
		if err := c.PutStream(stream(fmt.Sprintf("s%d", i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.Stream(KindData, "s3")
	if err != nil || got.ID != "id-s3" || got.Tags["a"] != "b" || string(got.DataKeys[0].Wrapped) != "\x01\x02" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := c.Stream(KindVideo, "s3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("kinds must be separate namespaces: %v", err)
	}
	list, _ := c.Streams(KindData, "s1", 2)
	if len(list) != 2 || list[0].Name != "s2" || list[1].Name != "s3" {
		t.Fatalf("list after s1: %v", names(list))
	}
	if err := c.DeleteStream(KindData, "s2"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stream(KindData, "s2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted stream still there: %v", err)
	}
	// Survives reopen.
	c.Close()
	c2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	all, _ := c2.Streams(KindData, "", 0)
	if fmt.Sprint(names(all)) != "[s0 s1 s3 s4]" {
		t.Fatalf("after reopen: %v", names(all))
	}
}

func TestSync(t *testing.T) {
	c, _ := openTest(t)
	c.PutStream(stream("keep", 1))
	c.PutStream(stream("stale", 1))
	c.PutStream(stream("gone", 1))
	n, err := c.Sync(KindData, []*Stream{stream("keep", 1), stream("stale", 2), stream("new", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 { // stale rewritten (delete+put), gone deleted, new added
		t.Fatalf("changed %d", n)
	}
	all, _ := c.Streams(KindData, "", 0)
	if fmt.Sprint(names(all)) != "[keep new stale]" {
		t.Fatalf("after sync: %v", names(all))
	}
	if s, _ := c.Stream(KindData, "stale"); s.Version != 2 {
		t.Fatalf("stale not updated: %d", s.Version)
	}
	if n, _ := c.Sync(KindData, all); n != 0 {
		t.Fatalf("idempotent sync changed %d", n)
	}
}

// A second server on the same data directory must fail, not hang.
func TestOpenLockedFails(t *testing.T) {
	_, path := openTest(t)
	if _, err := Open(path); err == nil {
		t.Fatal("second open of a locked catalog succeeded")
	}
}

func names(ss []*Stream) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

func TestSegmentIndexes(t *testing.T) {
	c, path := openTest(t)
	for _, log := range []string{"s1/shardId-000000000000", "s1/shardId-000000000001", "s2/shardId-000000000000"} {
		for first := uint64(1); first <= 3; first++ {
			if err := c.SaveSegment(log, first, []byte(fmt.Sprint(log, first))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if v, ok := c.LoadSegment("s1/shardId-000000000001", 2); !ok || string(v) != "s1/shardId-0000000000012" {
		t.Fatalf("load: %q %v", v, ok)
	}
	if _, ok := c.LoadSegment("s1/shardId-000000000001", 9); ok {
		t.Fatal("loaded a segment never saved")
	}
	c.DeleteSegments("s1/shardId-000000000000", 1, 2)
	if got := c.SegmentLogs(); got["s1/shardId-000000000000"] != 1 || got["s2/shardId-000000000000"] != 3 {
		t.Fatalf("after delete: %v", got)
	}
	if err := c.DropLogs("s1/"); err != nil {
		t.Fatal(err)
	}
	if got := c.SegmentLogs(); len(got) != 1 {
		t.Fatalf("after dropping s1: %v", got)
	}
	c.SaveSegment("gone/x", 1, []byte("x"))
	if n, err := c.PruneLogs(func(log string) bool { return !strings.HasPrefix(log, "gone/") }); err != nil || n != 1 {
		t.Fatalf("prune: %d %v", n, err)
	}
	c.Close()
	c2, _ := Open(path)
	defer c2.Close()
	if got := c2.SegmentLogs(); len(got) != 1 || got["s2/shardId-000000000000"] != 3 {
		t.Fatalf("after reopen: %v", got)
	}
}
