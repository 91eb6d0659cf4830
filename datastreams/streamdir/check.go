package streamdir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/index"
)

// StreamReport is what Check found of one stream: its definition and its
// shard logs, or logs that no definition holds.
type StreamReport struct {
	Kind string
	Name string // "" for logs of no stream, or an unreadable definition
	ID   string
	Dir  string // the directory of its logs
	Logs []shard.LogReport
	// Damaged lists findings that lose data beyond the logs' own damage
	// (an unreadable definition); Notes lose nothing.
	Damaged []string
	Notes   []string
}

// Check reads the definitions of a kind in the file catalog at catalogRoot
// and the logs in the file store at logsRoot, as NewCatalog, NewStore and
// the registry would, but changes nothing: each definition, the bbolt entry
// that mirrors it (mirror may be nil), and every shard log (shard.CheckLog).
func Check(catalogRoot, logsRoot, kind string, mirror *index.Catalog) ([]StreamReport, error) {
	var out []StreamReport
	byID := map[string]int{}
	defDir := filepath.Join(catalogRoot, kind)
	des, err := os.ReadDir(defDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("streamdir: %w", err)
	}
	for _, de := range des {
		if de.IsDir() || !strings.HasSuffix(de.Name(), ".json") && !strings.Contains(de.Name(), ".tmp") {
			continue
		}
		path := filepath.Join(defDir, de.Name())
		if strings.HasPrefix(de.Name(), ".") {
			out = append(out, StreamReport{Kind: kind, Dir: path, Notes: []string{"a definition write that did not finish, removed at the next start"}})
			continue
		}
		rep := StreamReport{Kind: kind}
		def, err := readDef(path)
		if err != nil {
			rep.Dir = path
			rep.Damaged = append(rep.Damaged, fmt.Sprintf("definition %s is unreadable: %v", path, err))
			out = append(out, rep)
			continue
		}
		rep.Name, rep.ID, rep.Dir = def.Name, def.ID, filepath.Join(logsRoot, def.ID)
		if mirror != nil {
			got, err := mirror.Stream(kind, def.Name)
			if err != nil || !reflect.DeepEqual(normalize(got), normalize(def)) {
				rep.Notes = append(rep.Notes, "the catalog entry differs from the definition; the next start rewrites it")
			}
		}
		byID[def.ID] = len(out)
		out = append(out, rep)
	}
	streams, err := os.ReadDir(logsRoot)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return out, fmt.Errorf("streamdir: %w", err)
	}
	for _, sd := range streams {
		if !sd.IsDir() {
			continue
		}
		dir := filepath.Join(logsRoot, sd.Name())
		i, ok := byID[sd.Name()]
		if !ok {
			out = append(out, StreamReport{Kind: kind, ID: sd.Name(), Dir: dir,
				Notes: []string{"logs of no stream (a create or delete that did not finish), removed at the next start"}})
			continue
		}
		logs, err := os.ReadDir(dir)
		if err != nil {
			return out, fmt.Errorf("streamdir: %w", err)
		}
		for _, l := range logs {
			if !l.IsDir() {
				continue
			}
			if strings.HasSuffix(l.Name(), deletedSuffix) {
				out[i].Notes = append(out[i].Notes, fmt.Sprintf("log %s: a removal that did not finish, completed at the next start", l.Name()))
				continue
			}
			var idx shard.SegmentIndex
			if mirror != nil {
				idx = mirror
			}
			id := shard.LogID{Stream: sd.Name(), Shard: l.Name()}
			lr, err := shard.CheckLog(filepath.Join(dir, l.Name()), idx, id.String())
			if err != nil {
				return out, fmt.Errorf("streamdir: %s: %w", out[i].Name, err)
			}
			out[i].Logs = append(out[i].Logs, lr)
		}
	}
	return out, nil
}

// normalize renders a definition the way the catalog stores it, so that a
// definition and its catalog entry compare equal when they hold the same.
func normalize(m *index.Stream) any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var v any
	json.Unmarshal(b, &v)
	return v
}
