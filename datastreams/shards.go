package datastreams

import (
	"fmt"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
)

// ShardFilter selects shards in ListShards.
type ShardFilter struct {
	Type      string // AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP
	ShardID   string
	Timestamp *time.Time
}

// ListShardsInput is a ListShards request.
type ListShardsInput struct {
	Stream                  StreamRef
	NextToken               string
	ExclusiveStartShardID   string
	MaxResults              int
	StreamCreationTimestamp *time.Time
	Filter                  *ShardFilter
}

// listTokenTTL is how long a ListShards NextToken stays valid.
const listTokenTTL = 5 * time.Minute

// ListShards lists a stream's shards, a page at a time.
func (e *Engine) ListShards(in ListShardsInput) ([]ShardInfo, string, error) {
	if in.NextToken != "" {
		for _, c := range []struct {
			set  bool
			name string
		}{
			{in.Stream.Name != "", "StreamName"}, {in.Stream.ARN != "", "StreamARN"},
			{in.ExclusiveStartShardID != "", "ExclusiveStartShardId"}, {in.Filter != nil, "ShardFilter"},
			{in.StreamCreationTimestamp != nil, "StreamCreationTimestamp"},
		} {
			if c.set {
				return nil, "", errorf(registry.ErrInvalidArgument, "NextToken and %s cannot be provided together.", c.name)
			}
		}
		t, err := e.decodeToken(in.NextToken)
		if err != nil || t.created == 0 {
			return nil, "", errorf(registry.ErrInvalidArgument, "Invalid NextToken.")
		}
		if e.cfg.Now().Sub(t.issued) > listTokenTTL {
			return nil, "", errorf(registry.ErrExpiredNextToken, "The requested token has expired.")
		}
		name, after, filter, ok := parseShardsToken(t.payload)
		if !ok {
			return nil, "", errorf(registry.ErrInvalidArgument, "Invalid NextToken.")
		}
		in.Stream, in.ExclusiveStartShardID, in.Filter = StreamRef{Name: name}, after, filter
		st := e.lookup(name)
		if st == nil || stateOf(st).meta.Created.UnixNano() != t.created {
			return nil, "", e.streamNotFound(name)
		}
	} else if in.Stream.Name == "" && in.Stream.ARN == "" {
		return nil, "", errorf(registry.ErrInvalidArgument, "Either NextToken or StreamName should be provided.")
	}
	st, _, err := e.resolve(in.Stream)
	if err != nil {
		return nil, "", err
	}
	state := stateOf(st)
	if in.StreamCreationTimestamp != nil && !in.StreamCreationTimestamp.Equal(state.meta.Created.Truncate(time.Millisecond)) &&
		in.StreamCreationTimestamp.Unix() != state.meta.Created.Unix() {
		return nil, "", e.streamNotFound(state.meta.Name)
	}
	keep, err := e.shardFilter(state, in.Filter)
	if err != nil {
		return nil, "", err
	}
	max := in.MaxResults
	if max <= 0 || max > 1000 {
		max = 1000
	}
	var out []ShardInfo
	var token string
	for _, s := range state.shards {
		if in.ExclusiveStartShardID != "" && s.info.ID <= in.ExclusiveStartShardID {
			continue
		}
		if !keep(s) {
			continue
		}
		if len(out) == max {
			token = e.encodeToken(listToken{issued: e.cfg.Now(), created: state.meta.Created.UnixNano(),
				payload: shardsToken(state.meta.Name, out[len(out)-1].ID, in.Filter)})
			break
		}
		out = append(out, e.shardInfo(s))
	}
	return out, token, nil
}

// shardFilter returns the predicate of a ListShards filter.
func (e *Engine) shardFilter(state *streamState, f *ShardFilter) (func(*shardRT) bool, error) {
	retention := time.Duration(state.meta.RetentionHours) * time.Hour
	horizon := e.cfg.Now().Add(-retention)
	openAt := func(s *shardRT, t time.Time) bool {
		return !s.info.Created.After(t) && (s.info.Closed.IsZero() || s.info.Closed.After(t))
	}
	notExpired := func(s *shardRT) bool { return s.info.Closed.IsZero() || s.info.Closed.After(horizon) }
	if f == nil {
		return notExpired, nil
	}
	switch f.Type {
	case "FROM_TRIM_HORIZON":
		return notExpired, nil
	case "AT_TRIM_HORIZON":
		return func(s *shardRT) bool {
			return openAt(s, horizon) || (s.info.Created.After(horizon) && s.info.Parent == "")
		}, nil
	case "AT_LATEST":
		return func(s *shardRT) bool { return s.info.Closed.IsZero() }, nil
	case "AFTER_SHARD_ID":
		if f.ShardID == "" {
			return nil, errorf(registry.ErrInvalidArgument, "ShardId must be specified when ShardFilter type is AFTER_SHARD_ID.")
		}
		return func(s *shardRT) bool { return s.info.ID > f.ShardID && notExpired(s) }, nil
	case "AT_TIMESTAMP", "FROM_TIMESTAMP":
		if f.Timestamp == nil {
			return nil, errorf(registry.ErrInvalidArgument, "Timestamp must be specified when ShardFilter type is %s.", f.Type)
		}
		ts := *f.Timestamp
		if ts.Before(state.meta.Created) {
			ts = state.meta.Created
		}
		if f.Type == "AT_TIMESTAMP" {
			return func(s *shardRT) bool { return openAt(s, ts) }, nil
		}
		return func(s *shardRT) bool { return openAt(s, ts) || s.info.Created.After(ts) }, nil
	}
	return nil, errorf(registry.ErrInvalidArgument, "Unknown ShardFilter type %s.", f.Type)
}

func shardsToken(stream, after string, f *ShardFilter) string {
	p := stream + "\x00" + after
	if f != nil {
		ts := ""
		if f.Timestamp != nil {
			ts = fmt.Sprint(f.Timestamp.UnixNano())
		}
		p += "\x00" + f.Type + "\x00" + f.ShardID + "\x00" + ts
	}
	return p
}

func parseShardsToken(p string) (stream, after string, f *ShardFilter, ok bool) {
	parts := strings.Split(p, "\x00")
	switch len(parts) {
	case 2:
		return parts[0], parts[1], nil, true
	case 5:
		f = &ShardFilter{Type: parts[2], ShardID: parts[3]}
		if parts[4] != "" {
			var ns int64
			if _, err := fmt.Sscan(parts[4], &ns); err != nil {
				return "", "", nil, false
			}
			t := time.Unix(0, ns)
			f.Timestamp = &t
		}
		return parts[0], parts[1], f, true
	}
	return "", "", nil, false
}
