package objstore

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

func TestDirPut(t *testing.T) {
	root := t.TempDir()
	d := NewDir(root)
	ctx := context.Background()
	if err := d.Put(ctx, "logs", "2026/01/02/03/s-1-x.gz", []byte("body"), delivery.ObjectMeta{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "logs", "2026", "01", "02", "03", "s-1-x.gz"))
	if err != nil || string(b) != "body" {
		t.Fatalf("%q %v", b, err)
	}
	for _, c := range []struct{ bucket, key string }{{"", "k"}, {"..", "k"}, {"a/b", "k"}, {"b", "../k"}, {"b", "/k"}, {"b", "a//k"}, {"b", ""}} {
		if err := d.Put(ctx, c.bucket, c.key, nil, delivery.ObjectMeta{}); err == nil {
			t.Fatalf("Put(%q, %q) took it", c.bucket, c.key)
		}
	}
}
