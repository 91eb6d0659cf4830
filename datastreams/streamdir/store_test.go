package streamdir

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/datastreams/shard/shardtest"
	"github.com/shardcast/shardcast/index"
)

// openMirror opens a bbolt catalog that the test closes at its end.
func openMirror(t *testing.T, path string) *index.Catalog {
	t.Helper()
	cat, err := index.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	return cat
}

// TestStoreContract runs the store contract on files, with the bbolt
// catalog as the segment index cache.
func TestStoreContract(t *testing.T) {
	type storage struct {
		root string
		idx  *index.Catalog
	}
	per := shardtest.PerTest(func(t *testing.T) storage {
		dir := t.TempDir()
		return storage{root: filepath.Join(dir, "shards"), idx: openMirror(t, filepath.Join(dir, "catalog.db"))}
	})
	shardtest.Run(t, func(t *testing.T) shard.Store {
		st := per(t)
		s, err := NewStore(StoreConfig{Root: st.root, Index: st.idx})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestCatalogContract runs the catalog contract on manifests with the
// bbolt mirror.
func TestCatalogContract(t *testing.T) {
	type storage struct {
		root   string
		mirror *index.Catalog
	}
	per := shardtest.PerTest(func(t *testing.T) storage {
		dir := t.TempDir()
		return storage{root: filepath.Join(dir, "catalog"), mirror: openMirror(t, filepath.Join(dir, "catalog.db"))}
	})
	shardtest.RunCatalog(t, func(t *testing.T) registry.Catalog {
		st := per(t)
		c, err := NewCatalog(CatalogConfig{Root: st.root, Mirror: st.mirror})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func testStream(name string, ver int64) *index.Stream {
	return &index.Stream{Kind: index.KindData, Name: name, ID: "id-" + name, Status: "ACTIVE", Version: ver}
}

// The mirror follows Put and Delete, and a mirror that fell behind (it
// could not be written) is reconciled by the next NewCatalog.
func TestCatalogMirror(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mirror := openMirror(t, filepath.Join(dir, "catalog.db"))
	c, err := NewCatalog(CatalogConfig{Root: filepath.Join(dir, "catalog"), Mirror: mirror})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if err := c.Put(ctx, testStream(n, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Delete(ctx, index.KindData, "a"); err != nil {
		t.Fatal(err)
	}
	if list, _ := mirror.Streams(index.KindData, "", 0); len(list) != 1 || list[0].Name != "b" {
		t.Fatalf("mirror holds %d streams, want b", len(list))
	}
	// The mirror cannot be written: the manifests still change.
	mirror.Close()
	if err := c.Put(ctx, testStream("c", 1)); err != nil {
		t.Fatalf("put with a mirror that cannot be written: %v", err)
	}
	if err := c.Delete(ctx, index.KindData, "b"); err != nil {
		t.Fatalf("delete with a mirror that cannot be written: %v", err)
	}
	mirror = openMirror(t, filepath.Join(dir, "catalog.db"))
	if _, err := NewCatalog(CatalogConfig{Root: filepath.Join(dir, "catalog"), Mirror: mirror}); err != nil {
		t.Fatal(err)
	}
	if list, _ := mirror.Streams(index.KindData, "", 0); len(list) != 1 || list[0].Name != "c" {
		t.Fatalf("reconciled mirror holds %+v, want c", list)
	}
}

// Names that are not plain file names are kept apart and found again.
func TestCatalogNames(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	c, err := NewCatalog(CatalogConfig{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	odd := []string{".hidden", "a/b", "..", "with space", "a%2Fb"}
	for _, n := range odd {
		if err := c.Put(ctx, testStream(n, 1)); err != nil {
			t.Fatalf("put %q: %v", n, err)
		}
	}
	defs, err := c.Load(ctx, index.KindData)
	if err != nil || len(defs) != len(odd) {
		t.Fatalf("load: %d definitions, %v", len(defs), err)
	}
	if err := c.Put(ctx, testStream("x", 1)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", ".", "secrets", "a/b"} {
		if _, err := c.Load(ctx, bad); err == nil {
			t.Fatalf("kind %q accepted", bad)
		}
	}
	if _, err := c.Secret(ctx, "../escape", 32); err == nil {
		t.Fatal("a secret name with a path accepted")
	}
	// Nothing escaped the root.
	if des, _ := os.ReadDir(filepath.Dir(root)); len(des) != 1 {
		t.Fatalf("%d entries beside the root", len(des))
	}
}

// What a crash leaves is finished at the next open: a log removal past its
// commit point (the rename), a definition write that did not finish.
func TestCrashLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	idx := openMirror(t, filepath.Join(dir, "catalog.db"))
	root := filepath.Join(dir, "shards")
	s, err := NewStore(StoreConfig{Root: root, Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	id := shard.LogID{Stream: "s1", Shard: "shardId-000000000000"}
	keep := shard.LogID{Stream: "s1", Shard: "shardId-000000000001"}
	for _, id := range []shard.LogID{id, keep} {
		l, err := s.Open(ctx, id, shard.LogOptions{SegmentMaxBytes: 1 << 10})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if _, err := l.Append(ctx, []shard.Entry{{Meta: []byte("k"), Data: bytes.Repeat([]byte{byte(i)}, 100)}}); err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
	}
	s.Close()
	if n := idx.SegmentLogs()[id.String()]; n == 0 {
		t.Fatal("no segment index stored for the log")
	}
	// A crash just after Remove's rename.
	if err := os.Rename(filepath.Join(root, id.Stream, id.Shard), filepath.Join(root, id.Stream, id.Shard+deletedSuffix)); err != nil {
		t.Fatal(err)
	}
	s, err = NewStore(StoreConfig{Root: root, Index: idx})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(root, id.Stream, id.Shard+deletedSuffix)); !os.IsNotExist(err) {
		t.Fatalf("the half-removed log is still there: %v", err)
	}
	if n := idx.SegmentLogs()[id.String()]; n != 0 {
		t.Fatalf("%d segment indexes of the removed log are left", n)
	}
	if logs, _ := s.Logs(ctx); len(logs) != 1 || logs[0] != keep {
		t.Fatalf("logs %v, want only %v", logs, keep)
	}
	// Removing the last log of a stream removes the stream's directory.
	if err := s.Remove(ctx, keep); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, id.Stream)); !os.IsNotExist(err) {
		t.Fatalf("the empty stream directory is left: %v", err)
	}

	// A definition write cut before its rename.
	croot := filepath.Join(dir, "catalog")
	c, err := NewCatalog(CatalogConfig{Root: croot})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, testStream("a", 1)); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(croot, index.KindData, ".b.json.tmp123")
	if err := os.WriteFile(tmp, []byte(`{"kind":"data","na`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = NewCatalog(CatalogConfig{Root: croot})
	if err != nil {
		t.Fatal(err)
	}
	if defs, err := c.Load(ctx, index.KindData); err != nil || len(defs) != 1 || defs[0].Name != "a" {
		t.Fatalf("after a cut write: %d definitions, %v", len(defs), err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("the cut write is left: %v", err)
	}
}

// An open log cannot be removed, and a bad id names no directory.
func TestStoreRefuses(t *testing.T) {
	ctx := context.Background()
	s, err := NewStore(StoreConfig{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	id := shard.LogID{Stream: "s", Shard: "0"}
	l, err := s.Open(ctx, id, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, id); err == nil {
		t.Fatal("an open log was removed")
	}
	for _, bad := range []shard.LogID{{Stream: "..", Shard: "x"}, {Stream: "a/b", Shard: "x"}, {Stream: "s", Shard: "x.deleted"}, {Stream: "", Shard: "x"}} {
		if _, err := s.Open(ctx, bad, shard.LogOptions{}); err == nil {
			t.Fatalf("log id %q opened", bad.String())
		}
	}
	// Close closes what is still open; the store opens nothing after it.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, []shard.Entry{{Data: []byte("x")}}); !errors.Is(err, shard.ErrClosed) {
		t.Fatalf("append to a log of a closed store: %v", err)
	}
	if _, err := s.Open(ctx, id, shard.LogOptions{}); !errors.Is(err, shard.ErrClosed) {
		t.Fatalf("open after close: %v", err)
	}
}

// mountTmpfs mounts a tmpfs of size bytes on a fresh directory and unmounts
// it when the test ends. Tests run as root; one that cannot mount fails.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("/bin/mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a %d-byte tmpfs on %s (the test needs root): %v: %s", size, dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("/bin/umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file taking every free byte of dir's file system.
func fillDisk(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{0xAB}, 64<<10)
	for len(chunk) > 0 {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			chunk = chunk[:len(chunk)/2]
		}
	}
}

// On a full disk, which is when operators delete to make room, a log and a
// definition are removed and the space comes back.
func TestRemoveOnFullDisk(t *testing.T) {
	ctx := context.Background()
	disk := mountTmpfs(t, 8<<20)
	mirror := openMirror(t, filepath.Join(disk, "catalog.db"))
	s, err := NewStore(StoreConfig{Root: filepath.Join(disk, "shards"), Index: mirror})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := NewCatalog(CatalogConfig{Root: filepath.Join(disk, "catalog"), Mirror: mirror})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, testStream("big", 1)); err != nil {
		t.Fatal(err)
	}
	id := shard.LogID{Stream: "id-big", Shard: "shardId-000000000000"}
	l, err := s.Open(ctx, id, shard.LogOptions{SegmentMaxBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for range 8 {
		if _, err := l.Append(ctx, []shard.Entry{{Meta: []byte("k"), Data: bytes.Repeat([]byte{7}, 256<<10)}}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	fillDisk(t, disk)
	if err := c.Delete(ctx, index.KindData, "big"); err != nil {
		t.Fatalf("delete a definition on a full disk: %v", err)
	}
	if err := s.Remove(ctx, id); err != nil {
		t.Fatalf("remove a log on a full disk: %v", err)
	}
	if logs, _ := s.Logs(ctx); len(logs) != 0 {
		t.Fatalf("logs after remove: %v", logs)
	}
	if defs, _ := c.Load(ctx, index.KindData); len(defs) != 0 {
		t.Fatalf("definitions after delete: %d", len(defs))
	}
	// The space is back: a new log takes a record of 1 MiB.
	l, err = s.Open(ctx, shard.LogID{Stream: "id-new", Shard: "0"}, shard.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(ctx, []shard.Entry{{Data: bytes.Repeat([]byte{1}, 1<<20)}}); err != nil {
		t.Fatalf("append after the removal freed space: %v", err)
	}
}
