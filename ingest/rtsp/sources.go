package rtsp

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/fsutil"
	"github.com/shardcast/shardcast/ingest"
)

// errUnknownSource is returned for a stream that has no source.
var errUnknownSource = errors.New("rtsp: no source for that stream")

// Sources runs the pull sources of a server. Sources come from the
// configuration file (fixed) or from the admin API (kept in StateFile so
// they survive restarts).
type Sources struct {
	Manager   *ingest.Manager
	Logger    *slog.Logger
	StateFile string // "" keeps API-added sources in memory only
	// Backoff is the wait before reconnect attempt n (default 1s doubling to 30s).
	Backoff func(attempt int) time.Duration

	mu      sync.Mutex
	sources map[string]*Source
}

// Start runs the configured sources and those saved in StateFile.
func (m *Sources) Start(configured []SourceConfig) error {
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	if m.Backoff == nil {
		m.Backoff = func(n int) time.Duration { return min(time.Second<<min(n, 5), 30*time.Second) }
	}
	m.sources = map[string]*Source{}
	var saved []SourceConfig
	if m.StateFile != "" {
		b, err := os.ReadFile(m.StateFile)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rtsp sources: %w", err)
		}
		if err == nil {
			if err := json.Unmarshal(b, &saved); err != nil {
				return fmt.Errorf("rtsp sources: %s: %w", m.StateFile, err)
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range configured {
		if err := c.Validate(); err != nil {
			return err
		}
		if _, dup := m.sources[c.Stream]; dup {
			return fmt.Errorf("rtsp sources: stream %s has two sources", c.Stream)
		}
		m.sources[c.Stream] = newSource(c, m.Manager, m.Logger, false, m.Backoff)
	}
	for _, c := range saved {
		if _, fixed := m.sources[c.Stream]; fixed || c.Validate() != nil {
			continue
		}
		m.sources[c.Stream] = newSource(c, m.Manager, m.Logger, true, m.Backoff)
	}
	return nil
}

// Put adds or replaces the API-managed source of a stream.
func (m *Sources) Put(c SourceConfig) error {
	if err := c.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	old := m.sources[c.Stream]
	if old != nil && !old.Status().Persistent {
		m.mu.Unlock()
		return fmt.Errorf("rtsp sources: the source of %s comes from the configuration file", c.Stream)
	}
	m.mu.Unlock()
	if old != nil {
		old.Close()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sources[c.Stream] = newSource(c, m.Manager, m.Logger, true, m.Backoff)
	return m.saveLocked()
}

// Delete stops and forgets the API-managed source of a stream.
func (m *Sources) Delete(stream string) error {
	m.mu.Lock()
	s := m.sources[stream]
	if s == nil {
		m.mu.Unlock()
		return errUnknownSource
	}
	if !s.Status().Persistent {
		m.mu.Unlock()
		return fmt.Errorf("rtsp sources: the source of %s comes from the configuration file", stream)
	}
	delete(m.sources, stream)
	err := m.saveLocked()
	m.mu.Unlock()
	s.Close()
	return err
}

// List returns every source's status, by stream.
func (m *Sources) List() []SourceStatus {
	m.mu.Lock()
	list := make([]*Source, 0, len(m.sources))
	for _, s := range m.sources {
		list = append(list, s)
	}
	m.mu.Unlock()
	out := make([]SourceStatus, 0, len(list))
	for _, s := range list {
		out = append(out, s.Status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stream < out[j].Stream })
	return out
}

func (m *Sources) saveLocked() error {
	if m.StateFile == "" {
		return nil
	}
	var saved []SourceConfig
	for _, s := range m.sources {
		if s.Status().Persistent {
			saved = append(saved, s.cfg)
		}
	}
	sort.Slice(saved, func(i, j int) bool { return saved[i].Stream < saved[j].Stream })
	b, err := json.MarshalIndent(saved, "", "  ")
	if err != nil {
		return err
	}
	// The file holds camera credentials: keep it private.
	return fsutil.WriteFileAtomic(m.StateFile, b, 0o600)
}

// Close stops every source.
func (m *Sources) Close() {
	m.mu.Lock()
	list := m.sources
	m.sources = map[string]*Source{}
	m.mu.Unlock()
	for _, s := range list {
		s.Close()
	}
}
