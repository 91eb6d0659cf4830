package index

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrNotFound is returned for a stream the catalog does not hold.
var ErrNotFound = errors.New("index: not found")

// Stream kinds.
const (
	KindData  = "data"
	KindVideo = "video"
	// KindFirehose is a Firehose delivery stream (package datastreams/firehose).
	KindFirehose = "firehose"
)

const schemaVersion = 1

var (
	bucketMeta    = []byte("meta")
	bucketStreams = []byte("streams") // sub-bucket per kind, keyed by name
)

// Stream is a stream's catalog entry.
type Stream struct {
	Kind             string            `json:"kind"`
	Name             string            `json:"name"`
	ID               string            `json:"id"` // unique per incarnation; names the directory
	ARN              string            `json:"arn"`
	Created          time.Time         `json:"created"`
	Status           string            `json:"status"`
	Mode             string            `json:"mode,omitempty"`
	ModeSwitches     []time.Time       `json:"modeSwitches,omitempty"` // recent UpdateStreamMode times, oldest first
	RetentionHours   int               `json:"retentionHours"`
	MaxRecordSizeKiB int               `json:"maxRecordSizeKiB,omitempty"`
	Shards           []Shard           `json:"shards"`
	NextShardIndex   int               `json:"nextShardIndex"`
	Tags             map[string]string `json:"tags,omitempty"`
	Encryption       Encryption        `json:"encryption"`
	DataKeys         []DataKey         `json:"dataKeys,omitempty"`
	// ShardCountUpdates are the times of a data stream's UpdateShardCount
	// calls of the last 24 hours (AWS allows 10 in a rolling day).
	ShardCountUpdates []time.Time `json:"shardCountUpdates,omitempty"`
	Version           int64       `json:"version"`
	// Consumers are the stream's enhanced fan-out consumers (data streams).
	Consumers []Consumer `json:"consumers,omitempty"`
	// Extra holds kind-specific settings (a video stream's media type, ...).
	Extra json.RawMessage `json:"extra,omitempty"`
}

// Shard is one shard of a stream.
type Shard struct {
	ID             string    `json:"id"`
	Index          int       `json:"index"`
	StartHash      string    `json:"startHash"` // decimal, inclusive
	EndHash        string    `json:"endHash"`   // decimal, inclusive
	Parent         string    `json:"parent,omitempty"`
	AdjacentParent string    `json:"adjacentParent,omitempty"`
	Created        time.Time `json:"created"`
	Closed         time.Time `json:"closed,omitzero"` // zero while open
	// EndSeq is, once the shard is closed, the log position after its last
	// record: a reader at or past it has read the whole shard.
	EndSeq uint64 `json:"endSeq,omitempty"`
}

// Consumer is an enhanced fan-out consumer registered to a data stream.
type Consumer struct {
	Name    string            `json:"name"`
	ARN     string            `json:"arn"`
	Status  string            `json:"status"` // CREATING, ACTIVE or DELETING
	Created time.Time         `json:"created"`
	Changed time.Time         `json:"changed"` // when it entered Status
	Tags    map[string]string `json:"tags,omitempty"`
}

// Encryption is a stream's server-side encryption setting.
type Encryption struct {
	Type       string `json:"type"`            // "NONE" or "KMS"
	KeyID      string `json:"keyId,omitempty"` // as the user gave it
	KeyVersion uint32 `json:"keyVersion,omitempty"`
}

// DataKey is a stream's data key, wrapped by a master key.
type DataKey struct {
	Version uint32    `json:"version"`
	KeyID   string    `json:"keyId"` // canonical master key id
	Wrapped []byte    `json:"wrapped"`
	Created time.Time `json:"created"`
}

// Clone returns a deep copy.
func (s *Stream) Clone() *Stream {
	c := *s
	c.Shards = append([]Shard(nil), s.Shards...)
	if s.Tags != nil {
		c.Tags = make(map[string]string, len(s.Tags))
		for k, v := range s.Tags {
			c.Tags[k] = v
		}
	}
	c.DataKeys = append([]DataKey(nil), s.DataKeys...)
	if s.Consumers != nil {
		c.Consumers = make([]Consumer, len(s.Consumers))
		for i, cs := range s.Consumers {
			c.Consumers[i] = cs
			if cs.Tags != nil {
				c.Consumers[i].Tags = make(map[string]string, len(cs.Tags))
				for k, v := range cs.Tags {
					c.Consumers[i].Tags[k] = v
				}
			}
		}
	}
	c.ModeSwitches = append([]time.Time(nil), s.ModeSwitches...)
	c.ShardCountUpdates = append([]time.Time(nil), s.ShardCountUpdates...)
	c.Extra = append(json.RawMessage(nil), s.Extra...)
	return &c
}

// Catalog is the bbolt-backed catalog. It is safe for concurrent use.
type Catalog struct {
	db *bolt.DB
}

// Open opens or creates the catalog file.
func Open(path string) (*Catalog, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("index: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get([]byte("schema")); v != nil {
			if got := binary.BigEndian.Uint32(v); got != schemaVersion {
				return fmt.Errorf("schema version %d, want %d", got, schemaVersion)
			}
		} else if err := meta.Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, schemaVersion)); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketStreams, bucketSegments, bucketFragments, bucketPTimes} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("index: init %s: %w", path, err)
	}
	return &Catalog{db: db}, nil
}

// OpenReadOnly opens an existing catalog without changing it, for checks.
// It fails at once when a running server holds the file.
func OpenReadOnly(path string) (*Catalog, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("index: open %s read-only: %w", path, err)
	}
	return &Catalog{db: db}, nil
}

// Check verifies the file's pages and the buckets the catalog needs, and
// returns what is wrong (nothing when it is sound).
func (c *Catalog) Check() []string {
	var out []string
	err := c.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketStreams, bucketSegments, bucketFragments, bucketPTimes} {
			if tx.Bucket(name) == nil {
				out = append(out, fmt.Sprintf("bucket %s is missing", name))
			}
		}
		for err := range tx.Check() {
			out = append(out, err.Error())
		}
		return nil
	})
	if err != nil {
		out = append(out, err.Error())
	}
	return out
}

// Close closes the file.
func (c *Catalog) Close() error { return c.db.Close() }

func kindBucket(tx *bolt.Tx, kind string, create bool) (*bolt.Bucket, error) {
	root := tx.Bucket(bucketStreams)
	if create {
		return root.CreateBucketIfNotExists([]byte(kind))
	}
	return root.Bucket([]byte(kind)), nil
}

// PutStream stores s, replacing the entry of the same kind and name.
func (c *Catalog) PutStream(s *Stream) error {
	v, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("index: encode stream %s: %w", s.Name, err)
	}
	return c.db.Update(func(tx *bolt.Tx) error {
		b, err := kindBucket(tx, s.Kind, true)
		if err != nil {
			return err
		}
		return b.Put([]byte(s.Name), v)
	})
}

// DeleteStream removes a stream.
func (c *Catalog) DeleteStream(kind, name string) error {
	return c.db.Update(func(tx *bolt.Tx) error {
		b, _ := kindBucket(tx, kind, false)
		if b == nil {
			return nil
		}
		return b.Delete([]byte(name))
	})
}

// Stream returns the stream of a kind and name.
func (c *Catalog) Stream(kind, name string) (*Stream, error) {
	var s *Stream
	err := c.db.View(func(tx *bolt.Tx) error {
		b, _ := kindBucket(tx, kind, false)
		if b == nil {
			return ErrNotFound
		}
		v := b.Get([]byte(name))
		if v == nil {
			return ErrNotFound
		}
		s = new(Stream)
		return json.Unmarshal(v, s)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("index: stream %s: %w", name, err)
	}
	return s, err
}

// Streams returns up to limit streams of a kind with names after after, in
// name order (limit <= 0: all).
func (c *Catalog) Streams(kind, after string, limit int) ([]*Stream, error) {
	var out []*Stream
	err := c.db.View(func(tx *bolt.Tx) error {
		b, _ := kindBucket(tx, kind, false)
		if b == nil {
			return nil
		}
		cur := b.Cursor()
		k, v := cur.First()
		if after != "" {
			k, v = cur.Seek([]byte(after))
			if k != nil && bytes.Equal(k, []byte(after)) {
				k, v = cur.Next()
			}
		}
		for ; k != nil && (limit <= 0 || len(out) < limit); k, v = cur.Next() {
			s := new(Stream)
			if err := json.Unmarshal(v, s); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index: list %s streams: %w", kind, err)
	}
	return out, nil
}

// Sync makes the catalog's streams of a kind equal to want (by name),
// writing only entries that differ. It returns how many entries changed.
func (c *Catalog) Sync(kind string, want []*Stream) (int, error) {
	changed := 0
	err := c.db.Update(func(tx *bolt.Tx) error {
		b, err := kindBucket(tx, kind, true)
		if err != nil {
			return err
		}
		keep := map[string][]byte{}
		for _, s := range want {
			v, err := json.Marshal(s)
			if err != nil {
				return err
			}
			keep[s.Name] = v
		}
		var stale [][]byte
		if err := b.ForEach(func(k, v []byte) error {
			if w, ok := keep[string(k)]; !ok || !bytes.Equal(w, v) {
				stale = append(stale, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
			changed++
		}
		for name, v := range keep {
			if b.Get([]byte(name)) == nil {
				if err := b.Put([]byte(name), v); err != nil {
					return err
				}
				changed++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("index: sync %s streams: %w", kind, err)
	}
	return changed, nil
}
