package shard

import (
	"context"
	"strings"
)

// Prefixed shares one store between several owners (the registries of the
// kinds of stream): each sees only the logs whose stream id it named, kept
// in the underlying store under prefix + id. A registry that removes the
// logs no definition of its own holds then never touches another kind's.
func Prefixed(s Store, prefix string) Store { return &prefixed{s: s, prefix: prefix} }

type prefixed struct {
	s      Store
	prefix string
}

func (p *prefixed) id(id LogID) LogID { return LogID{Stream: p.prefix + id.Stream, Shard: id.Shard} }

func (p *prefixed) Open(ctx context.Context, id LogID, o LogOptions) (Log, error) {
	return p.s.Open(ctx, p.id(id), o)
}

func (p *prefixed) Logs(ctx context.Context) ([]LogID, error) {
	all, err := p.s.Logs(ctx)
	if err != nil {
		return nil, err
	}
	var out []LogID
	for _, id := range all {
		if rest, ok := strings.CutPrefix(id.Stream, p.prefix); ok && rest != "" {
			out = append(out, LogID{Stream: rest, Shard: id.Shard})
		}
	}
	return out, nil
}

func (p *prefixed) Remove(ctx context.Context, id LogID) error { return p.s.Remove(ctx, p.id(id)) }

// Close does nothing: the underlying store is its owner's to close.
func (p *prefixed) Close() error { return nil }
