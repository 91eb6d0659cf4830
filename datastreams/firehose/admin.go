package firehose

import (
	"context"
	"time"
)

// StreamStats is the admin view of one delivery stream.
type StreamStats struct {
	Name         string             `json:"name"`
	Status       string             `json:"status"`
	Type         string             `json:"type"`
	LogFirst     uint64             `json:"logFirst"`
	LogNext      uint64             `json:"logNext"`
	Destinations []DestinationStats `json:"destinations"`
}

// Stats reports every delivery stream's delivery: lag (DataFreshness),
// bytes and records delivered, failures, the last error, buffer fill.
func (e *Engine) Stats() []StreamStats {
	out := []StreamStats{}
	for _, s := range e.reg.All() {
		def := s.Def()
		rt := s.Runtime()
		b := rt.log.Bounds()
		ss := StreamStats{Name: def.Name, Status: def.Status, Type: mustStored(def).Type, LogFirst: b.First, LogNext: b.Next, Destinations: []DestinationStats{}}
		rt.mu.Lock()
		loops := rt.loops
		rt.mu.Unlock()
		for _, l := range loops {
			ds := l.snapshot()
			if ds.Checkpoint < b.Next {
				if recs, err := rt.log.Read(e.ctx, ds.Checkpoint, 1, 1<<20); err == nil && len(recs) > 0 {
					ds.DataFreshnessSeconds = e.since(time.Unix(0, recs[0].Time)).Seconds()
				}
			}
			ss.Destinations = append(ss.Destinations, ds)
		}
		out = append(out, ss)
	}
	return out
}

// Sync waits until every destination loop has read (and so buffered or
// delivered) all that the logs held when it was called.
func (e *Engine) Sync(ctx context.Context) error {
	for _, s := range e.reg.All() {
		rt := s.Runtime()
		next := rt.log.Bounds().Next
		rt.mu.Lock()
		loops := rt.loops
		rt.mu.Unlock()
		for _, l := range loops {
			for l.snapshot().Read < next {
				if !sleep(ctx, 5*time.Millisecond) {
					return ctx.Err()
				}
			}
		}
	}
	return nil
}
