package streamdir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// StreamReport is what Check found in one stream directory.
type StreamReport struct {
	Kind string
	Name string // "" when the manifest is unreadable
	ID   string
	Dir  string
	Logs []shard.LogReport
	// Damaged lists findings that lose data beyond the logs' own damage
	// (an unreadable manifest); Notes lose nothing.
	Damaged []string
	Notes   []string
}

// Check reads every stream of a kind under root, as Open would, but changes
// nothing: manifests, the catalog entries that mirror them (cat may be nil),
// and every shard log (shard.CheckLog).
func Check(root, kind string, cat *index.Catalog) ([]StreamReport, error) {
	des, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("streamdir: %w", err)
	}
	var out []StreamReport
	for _, de := range des {
		if !de.IsDir() {
			continue
		}
		path := filepath.Join(root, de.Name())
		rep := StreamReport{Kind: kind, ID: de.Name(), Dir: path}
		if strings.HasSuffix(de.Name(), deletedSuffix) {
			rep.Notes = append(rep.Notes, "a deleted stream whose files are removed at the next start")
			out = append(out, rep)
			continue
		}
		b, err := os.ReadFile(filepath.Join(path, manifestName))
		switch {
		case os.IsNotExist(err):
			rep.Notes = append(rep.Notes, "no manifest: a create that did not finish, removed at the next start")
			out = append(out, rep)
			continue
		case err != nil:
			return out, fmt.Errorf("streamdir: %w", err)
		}
		meta := new(index.Stream)
		if err := json.Unmarshal(b, meta); err != nil {
			rep.Damaged = append(rep.Damaged, fmt.Sprintf("manifest %s is unreadable: %v", manifestName, err))
		} else {
			rep.Name, rep.ID = meta.Name, meta.ID
			if cat != nil {
				got, err := cat.Stream(kind, meta.Name)
				if err != nil || !reflect.DeepEqual(normalize(got), normalize(meta)) {
					rep.Notes = append(rep.Notes, "the catalog entry differs from the manifest; the next start rewrites it")
				}
			}
		}
		logs, err := os.ReadDir(path)
		if err != nil {
			return out, fmt.Errorf("streamdir: %w", err)
		}
		for _, l := range logs {
			if !l.IsDir() {
				continue
			}
			var idx shard.SegmentIndex
			if cat != nil {
				idx = cat
			}
			lr, err := shard.CheckLog(filepath.Join(path, l.Name()), idx, rep.ID+"/"+l.Name())
			if err != nil {
				return out, fmt.Errorf("streamdir: %s: %w", rep.Name, err)
			}
			rep.Logs = append(rep.Logs, lr)
		}
		out = append(out, rep)
	}
	return out, nil
}

// normalize renders a definition the way the catalog stores it, so that a
// manifest and its catalog entry compare equal when they hold the same.
func normalize(m *index.Stream) any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var v any
	json.Unmarshal(b, &v)
	return v
}
