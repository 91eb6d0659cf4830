package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/shardcast/shardcast/datastreams/fsutil"
)

// checkpointVersion is the version of the file's format.
const checkpointVersion = 1

// checkpoint is the checkpoint file: per flow, where each file stands.
type checkpoint struct {
	Version int                   `json:"version"`
	Flows   map[string]*flowState `json:"flows"`
}

// flowState is what one flow has delivered.
type flowState struct {
	Files []*fileState `json:"files"`
	// Tips is, per shard, the highest sequence number this flow has seen
	// its records stored at (Kinesis flows): recovery reads after it.
	Tips map[string]string `json:"tips,omitempty"`
	// Intent is the batch being sent (Kinesis flows): written before the
	// records go out, cleared once they are delivered.
	Intent *intent `json:"intent,omitempty"`
}

// fileState is one file of a flow.
type fileState struct {
	fileID
	Path string `json:"path"`
	// Offset: every record before it is delivered (or dropped by a
	// conversion); the next record starts there.
	Offset int64 `json:"offset"`
	// Done: the file was rotated away and read to its end.
	Done bool `json:"done,omitempty"`
}

// intent is a batch that may be partly stored: the records of a file
// between From and the last of Ends, each identified by a hash of its
// partition key and data.
type intent struct {
	File   fileID    `json:"file"`
	Path   string    `json:"path"`
	From   int64     `json:"from"`
	Ends   []int64   `json:"ends"`
	Hashes []string  `json:"hashes"` // "" for a record a conversion dropped
	Done   []bool    `json:"done"`   // delivered already
	Time   time.Time `json:"time"`
}

func loadCheckpoint(path string) (*checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &checkpoint{Version: checkpointVersion, Flows: map[string]*flowState{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	cp, err := parseCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return cp, nil
}

// parseCheckpoint decodes and checks the file's content.
func parseCheckpoint(b []byte) (*checkpoint, error) {
	cp := &checkpoint{}
	if err := json.Unmarshal(b, cp); err != nil {
		return nil, err
	}
	if cp.Version != checkpointVersion {
		return nil, fmt.Errorf("version %d, want %d", cp.Version, checkpointVersion)
	}
	if cp.Flows == nil {
		cp.Flows = map[string]*flowState{}
	}
	for id, fs := range cp.Flows {
		if fs == nil {
			return nil, fmt.Errorf("flow %s: null", id)
		}
		for _, f := range fs.Files {
			if f == nil || f.Offset < 0 || f.FPLen < 0 || f.FPLen > fingerprintLen {
				return nil, fmt.Errorf("flow %s: bad file entry", id)
			}
		}
		if in := fs.Intent; in != nil {
			if len(in.Hashes) != len(in.Ends) || len(in.Done) != len(in.Ends) || in.From < 0 {
				return nil, fmt.Errorf("flow %s: bad intent", id)
			}
			prev := in.From
			for _, e := range in.Ends {
				if e <= prev {
					return nil, fmt.Errorf("flow %s: intent offsets out of order", id)
				}
				prev = e
			}
		}
	}
	return cp, nil
}

// lockCheckpoint takes an exclusive lock on path+".lock" so that two
// agents never share a checkpoint file; the lock goes with the process,
// also on kill -9. It removes the temporary files a killed run left.
func lockCheckpoint(path string) (release func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("checkpoint lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("checkpoint %s is in use by another agent: %w", path, err)
	}
	if stale, err := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")); err == nil {
		for _, s := range stale {
			os.Remove(s)
		}
	}
	return func() { f.Close() }, nil
}

// save replaces the file atomically (temporary file, fsync, rename, fsync
// of the directory).
func (cp *checkpoint) save(path string) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return fsutil.WriteFileAtomic(path, b, 0o600)
}
