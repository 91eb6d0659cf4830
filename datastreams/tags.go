package datastreams

import (
	"context"
	"sort"
	"strings"
	"unicode"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// checkTags validates tag keys and values for AddTagsToStream (op "add") or
// RemoveTagsFromStream ("remove"), and the resulting count.
func (e *Engine) checkTags(stream string, tags map[string]string, existing map[string]string, op string) error {
	valid := func(s string) bool {
		for _, r := range s {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Zs, r) && !strings.ContainsRune("_./=+-%@:", r) {
				return false
			}
		}
		return true
	}
	for k, v := range tags {
		if !valid(k) || !valid(v) {
			return errorf(registry.ErrInvalidArgument, "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - %% @ :.")
		}
	}
	for k, v := range tags {
		if strings.Contains(k, "%") || strings.Contains(v, "%") {
			verb := "add tags to"
			if op == "remove" {
				verb = "remove tags from"
			}
			return errorf(registry.ErrInvalidArgument, "Failed to %s stream %s under account %s because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@',':'.", verb, stream, e.cfg.Account)
		}
	}
	if op == "add" {
		n := len(existing)
		for k := range tags {
			if _, ok := existing[k]; !ok {
				n++
			}
		}
		if n > MaxTagsPerStream {
			return errorf(registry.ErrInvalidArgument, "Failed to add tags to stream %s under account %s because a given stream cannot have more than %d tags associated with it.", stream, e.cfg.Account, MaxTagsPerStream)
		}
	}
	return nil
}

// AddTags adds or overwrites tags.
func (e *Engine) AddTags(ref StreamRef, tags map[string]string) error {
	_, err := e.update(context.Background(), ref, true, func(m *index.Stream) error {
		if err := e.checkTags(m.Name, tags, m.Tags, "add"); err != nil {
			return err
		}
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		for k, v := range tags {
			m.Tags[k] = v
		}
		return nil
	})
	return err
}

// RemoveTags removes tags; absent keys are ignored.
func (e *Engine) RemoveTags(ref StreamRef, keys []string) error {
	_, err := e.update(context.Background(), ref, true, func(m *index.Stream) error {
		asMap := map[string]string{}
		for _, k := range keys {
			asMap[k] = ""
		}
		if err := e.checkTags(m.Name, asMap, nil, "remove"); err != nil {
			return err
		}
		for _, k := range keys {
			delete(m.Tags, k)
		}
		return nil
	})
	return err
}

// Tag is a key and value.
type Tag struct{ Key, Value string }

// ListTags returns up to limit tags in key order after exclusiveStart.
func (e *Engine) ListTags(ref StreamRef, exclusiveStart string, limit int) ([]Tag, bool, error) {
	st, _, err := e.resolve(ref)
	if err != nil {
		return nil, false, err
	}
	m := stateOf(st).meta
	keys := make([]string, 0, len(m.Tags))
	for k := range m.Tags {
		if k > exclusiveStart {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if limit <= 0 {
		limit = MaxTagsPerStream
	}
	more := len(keys) > limit
	if more {
		keys = keys[:limit]
	}
	tags := make([]Tag, 0, len(keys))
	for _, k := range keys {
		tags = append(tags, Tag{k, m.Tags[k]})
	}
	return tags, more, nil
}
