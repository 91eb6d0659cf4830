package streamdir

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/index"
)

func openDir(t *testing.T, root string) (*Dir, []Stream, *index.Catalog) {
	t.Helper()
	cat, err := index.Open(filepath.Join(filepath.Dir(root), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := envelope.NewStatic(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	d, loaded, err := Open(Config{Root: root, Kind: index.KindData, Catalog: cat, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	return d, loaded, cat
}

// Delete frees the stream's files even when the catalog cannot be written
// (bbolt on a full disk), a retry after a failure past the rename finishes
// the delete, and the next start leaves nothing of the stream.
func TestDeleteFreesFilesFirst(t *testing.T) {
	root := filepath.Join(t.TempDir(), "streams")
	d, _, cat := openDir(t, root)
	a, err := d.Create(&index.Stream{Kind: index.KindData, Name: "a", ID: NewID()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Create(&index.Stream{Kind: index.KindData, Name: "b", ID: NewID()})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(a.Path, "data"), bytes.Repeat([]byte{1}, 1<<20), 0o644)

	// A retry after the rename succeeded and the removal did not.
	if err := os.Rename(a.Path, a.Path+deletedSuffix); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(a); err != nil {
		t.Fatalf("retried delete: %v", err)
	}
	if _, err := os.Stat(a.Path + deletedSuffix); !os.IsNotExist(err) {
		t.Fatalf("files of a are left: %v", err)
	}

	// A catalog that cannot be written: the files go all the same.
	cat.Close()
	if err := d.Delete(b); err != nil {
		t.Fatalf("delete with a catalog that cannot be written: %v", err)
	}
	if _, err := os.Stat(b.Path); !os.IsNotExist(err) {
		t.Fatalf("files of b are left: %v", err)
	}

	// The next start reconciles the catalog: neither stream is there.
	_, loaded, cat2 := openDir(t, root)
	defer cat2.Close()
	if len(loaded) != 0 {
		t.Fatalf("streams back after delete: %+v", loaded)
	}
	if list, err := cat2.Streams(index.KindData, "", 0); err != nil || len(list) != 0 {
		t.Fatalf("catalog after delete: %v %v", list, err)
	}
}
