package analytics

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// tagMap adds tags to have; a key given twice is an error, and the
// result may hold at most maxTags.
func tagMap(have map[string]string, tags []Tag) (map[string]string, error) {
	out := maps.Clone(have)
	if out == nil {
		out = map[string]string{}
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if seen[t.Key] {
			return nil, errorf(registry.ErrInvalidArgument, "Tag key %s is given more than once.", t.Key)
		}
		seen[t.Key] = true
		out[t.Key] = t.Value
	}
	if len(out) > maxTags {
		return nil, errorf(registry.ErrTagsLimit, "An application can have at most %d tags.", maxTags)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (m *Manager) byARN(arn string) (*registry.Stream[*app], error) {
	s := m.reg.ByARN(arn)
	if s == nil {
		return nil, errorf(registry.ErrResourceNotFound, "Application %s is not found.", arn)
	}
	return s, nil
}

// Tag adds or replaces tags of the application arn.
func (m *Manager) Tag(ctx context.Context, arn string, tags []Tag) error {
	s, err := m.byARN(arn)
	if err != nil {
		return err
	}
	_, err = s.Update(ctx, func(def *index.Stream) error {
		t, err := tagMap(def.Tags, tags)
		if err != nil {
			return err
		}
		def.Tags = t
		return nil
	})
	return goneAsNotFound(err, arn)
}

// Untag removes tags of the application arn.
func (m *Manager) Untag(ctx context.Context, arn string, keys []string) error {
	s, err := m.byARN(arn)
	if err != nil {
		return err
	}
	_, err = s.Update(ctx, func(def *index.Stream) error {
		for _, k := range keys {
			delete(def.Tags, k)
		}
		return nil
	})
	return goneAsNotFound(err, arn)
}

// ListTags returns the tags of the application arn, by key.
func (m *Manager) ListTags(arn string) ([]Tag, error) {
	s, err := m.byARN(arn)
	if err != nil {
		return nil, err
	}
	tags := s.Def().Tags
	out := []Tag{}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, Tag{Key: k, Value: tags[k]})
	}
	return out, nil
}

func goneAsNotFound(err error, what string) error {
	if errors.Is(err, registry.ErrGone) {
		return errorf(registry.ErrResourceNotFound, "Application %s is not found.", what)
	}
	return err
}
