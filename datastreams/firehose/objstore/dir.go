package objstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// Dir is the directory ObjectStore: a bucket is a directory under Root.
type Dir struct {
	Root string
}

// NewDir returns the directory object store under root.
func NewDir(root string) *Dir { return &Dir{Root: root} }

// Put stores body as <root>/<bucket>/<key>, durably.
func (d *Dir) Put(_ context.Context, bucket, key string, body []byte, _ delivery.ObjectMeta) error {
	if bucket == "" || strings.ContainsAny(bucket, `/\`) || bucket == "." || bucket == ".." {
		return fmt.Errorf("objstore: bad bucket name %q", bucket)
	}
	clean := filepath.Clean("/" + key)
	if clean == "/" || clean != "/"+key {
		return fmt.Errorf("objstore: bad object key %q", key)
	}
	path := filepath.Join(d.Root, bucket, filepath.FromSlash(key))
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("objstore: %w", err)
	}
	f, err := os.CreateTemp(dir, ".put-*")
	if err != nil {
		return fmt.Errorf("objstore: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("objstore: put %s/%s: %w", bucket, key, err)
	}
	if df, err := os.Open(dir); err == nil {
		df.Sync()
		df.Close()
	}
	return nil
}
