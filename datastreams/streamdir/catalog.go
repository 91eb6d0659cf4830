package streamdir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/shardcast/shardcast/datastreams/fsutil"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// CatalogConfig configures a Catalog.
type CatalogConfig struct {
	Root   string         // directory of the definitions: Root/<kind>/<name>.json, Root/secrets/
	Mirror *index.Catalog // the bbolt catalog, kept equal to the definitions; may be nil
	Logger *slog.Logger
}

// Catalog is the file catalog of stream definitions: one JSON manifest per
// stream is the truth, replaced atomically (temporary file, fsync, rename,
// fsync of the directory), so a create that did not finish leaves nothing
// and a delete is committed by one unlink. The bbolt catalog mirrors the
// manifests: written after them, reconciled with them by NewCatalog. It
// implements registry.Catalog.
type Catalog struct {
	cfg CatalogConfig
	mu  sync.Mutex // makes each Put's check and write one step
}

var _ registry.Catalog = (*Catalog)(nil)

const secretsDir = "secrets"

// NewCatalog opens the catalog in cfg.Root, creating it, drops what
// interrupted writes left, and reconciles the mirror with the manifests.
func NewCatalog(cfg CatalogConfig) (*Catalog, error) {
	if cfg.Root == "" {
		return nil, errors.New("streamdir: a catalog needs a root directory")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
		return nil, fmt.Errorf("streamdir: %w", err)
	}
	c := &Catalog{cfg: cfg}
	kinds, err := subdirs(cfg.Root)
	if err != nil {
		return nil, err
	}
	kinds = slices.DeleteFunc(kinds, func(k string) bool { return k == secretsDir })
	for _, k := range kinds {
		// WriteFileAtomic's temporary files are hidden: ".<name>.tmp...".
		tmps, _ := filepath.Glob(filepath.Join(cfg.Root, k, ".*.tmp*"))
		for _, p := range tmps {
			cfg.Logger.Warn("streamdir: removing a definition write that did not finish", "path", p)
			os.Remove(p)
		}
	}
	if cfg.Mirror != nil {
		for _, k := range []string{index.KindData, index.KindVideo} {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		for _, k := range kinds {
			defs, err := c.Load(context.Background(), k)
			if err != nil {
				return nil, err
			}
			n, err := cfg.Mirror.Sync(k, defs)
			if err != nil {
				return nil, fmt.Errorf("streamdir: %w", err)
			}
			if n > 0 {
				cfg.Logger.Info("streamdir: catalog reconciled from the definitions", "kind", k, "changed", n)
			}
		}
	}
	return c, nil
}

// fileName is the file of a definition: its name, escaped.
func fileName(name string) string {
	n := url.PathEscape(name)
	if strings.HasPrefix(n, ".") {
		n = "%2E" + n[1:]
	}
	return n + ".json"
}

func (c *Catalog) path(kind, name string) string {
	return filepath.Join(c.cfg.Root, kind, fileName(name))
}

func checkKind(kind string) error {
	if !validName(kind) || kind == secretsDir {
		return fmt.Errorf("streamdir: %q cannot be a kind of stream", kind)
	}
	return nil
}

// Load returns every definition of a kind, by name.
func (c *Catalog) Load(ctx context.Context, kind string) ([]*index.Stream, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	dir := filepath.Join(c.cfg.Root, kind)
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("streamdir: %w", err)
	}
	var out []*index.Stream
	for _, de := range des {
		if de.IsDir() || strings.HasPrefix(de.Name(), ".") || !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		p := filepath.Join(dir, de.Name())
		s, err := readDef(p)
		if err != nil {
			return nil, err
		}
		if s.Kind != kind || fileName(s.Name) != de.Name() {
			return nil, fmt.Errorf("streamdir: definition %s holds %s stream %q", p, s.Kind, s.Name)
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *index.Stream) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func readDef(path string) (*index.Stream, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := new(index.Stream)
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("streamdir: definition %s: %w", path, err)
	}
	return s, nil
}

// Put stores a definition: version 1 creates it, a later version replaces
// the stored version-1 of the same incarnation (ID); anything else fails
// with registry.ErrConflict and changes nothing.
func (c *Catalog) Put(ctx context.Context, s *index.Stream) error {
	if err := checkKind(s.Kind); err != nil {
		return err
	}
	if s.Name == "" || s.Version < 1 {
		return fmt.Errorf("streamdir: definition of %s stream %q at version %d", s.Kind, s.Name, s.Version)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("streamdir: encode definition: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	path := c.path(s.Kind, s.Name)
	cur, err := readDef(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if s.Version != 1 {
			return fmt.Errorf("%w: %s stream %q does not exist", registry.ErrConflict, s.Kind, s.Name)
		}
	case err != nil:
		return fmt.Errorf("streamdir: %w", err)
	case s.Version == 1:
		return fmt.Errorf("%w: %s stream %q exists", registry.ErrConflict, s.Kind, s.Name)
	case cur.ID != s.ID || cur.Version != s.Version-1:
		return fmt.Errorf("%w: %s stream %q is at version %d of %s, the change was made to version %d of %s",
			registry.ErrConflict, s.Kind, s.Name, cur.Version, cur.ID, s.Version-1, s.ID)
	}
	if err := mkdirSynced(filepath.Dir(path)); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(path, b, 0o644); err != nil {
		return fmt.Errorf("streamdir: %w", err)
	}
	if c.cfg.Mirror != nil {
		if err := c.cfg.Mirror.PutStream(s); err != nil {
			c.cfg.Logger.Warn("streamdir: the catalog mirror lags the definition until the next start", "kind", s.Kind, "stream", s.Name, "err", err)
		}
	}
	return nil
}

// Delete removes the definition of kind/name. It works on a full disk: the
// unlink commits it, and the mirror, which bbolt may not be able to write
// then, is only logged when it fails (NewCatalog reconciles it).
func (c *Catalog) Delete(ctx context.Context, kind, name string) error {
	if err := checkKind(kind); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	path := c.path(kind, name)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("streamdir: delete %s stream %q: %w", kind, name, err)
	}
	if err := fsutil.SyncDir(filepath.Dir(path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("streamdir: delete %s stream %q: %w", kind, name, err)
	}
	if c.cfg.Mirror != nil {
		if err := c.cfg.Mirror.DeleteStream(kind, name); err != nil {
			c.cfg.Logger.Warn("streamdir: the deleted stream stays in the catalog mirror until the next start", "kind", kind, "stream", name, "err", err)
		}
	}
	return nil
}

// Secret returns the secret called name (Root/secrets/<name>.key), made of
// size random bytes the first time.
func (c *Catalog) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	if !validName(name) {
		return nil, fmt.Errorf("streamdir: %q cannot name a secret", name)
	}
	c.mu.Lock() // two first calls make one secret
	defer c.mu.Unlock()
	dir := filepath.Join(c.cfg.Root, secretsDir)
	if err := mkdirSynced(dir); err != nil {
		return nil, err
	}
	b, err := fsutil.LoadOrCreateSecretSize(filepath.Join(dir, name+".key"), size)
	if err != nil {
		return nil, fmt.Errorf("streamdir: %w", err)
	}
	return b, nil
}
