package natsstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/shard"
)

// store keeps every shard log in a JetStream stream of its own.
type store struct{ c *Conn }

var _ shard.Store = (*store)(nil)

// Open opens or creates the stream of log id. The segment hints are of no
// use to JetStream and ignored.
func (s *store) Open(ctx context.Context, id shard.LogID, o shard.LogOptions) (shard.Log, error) {
	if id.Stream == "" || id.Shard == "" {
		return nil, fmt.Errorf("natsstore: log id %q has an empty part", id.String())
	}
	if err := s.c.claim(id); err != nil {
		return nil, err
	}
	l, err := s.c.openLog(ctx, id, o)
	if err != nil {
		s.c.release(id)
		return nil, err
	}
	return l, nil
}

// Logs lists the log streams named with this server's prefix (not the
// streams of large records' chunks).
func (s *store) Logs(ctx context.Context) ([]shard.LogID, error) {
	names := s.c.js.StreamNames(ctx, jetstream.WithStreamListSubject(s.c.cfg.Prefix+".log.>"))
	pre := s.c.cfg.Prefix + "_log_"
	var out []shard.LogID
	for n := range names.Name() {
		rest, ok := strings.CutPrefix(n, pre)
		if !ok {
			continue
		}
		st, sh, ok := strings.Cut(rest, "_")
		if !ok {
			continue
		}
		a, err1 := dec(st)
		b, err2 := dec(sh)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, shard.LogID{Stream: a, Shard: b})
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("natsstore: list logs: %w", err)
	}
	return out, nil
}

// Remove deletes the stream of log id, then the stream of its large
// records' chunks, then its numbering state.
func (s *store) Remove(ctx context.Context, id shard.LogID) error {
	for _, name := range []string{s.c.streamName(id), s.c.chunkStreamName(id)} {
		err := s.c.js.DeleteStream(ctx, name)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("natsstore: remove %s: %w", id, err)
		}
	}
	if err := s.c.kv.Purge(ctx, stateKey(id)); err != nil {
		return fmt.Errorf("natsstore: remove state of %s: %w", id, err)
	}
	return nil
}

// Close does nothing: the Conn owns the connection.
func (s *store) Close() error { return nil }
