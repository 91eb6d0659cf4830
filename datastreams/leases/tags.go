package leases

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
)

// ListTagsOfResource returns a table's tags (named by table name; the web
// handler maps the ARN).
func (e *Engine) ListTagsOfResource(ctx context.Context, table string) ([]Tag, error) {
	td, _, err := e.table(ctx, table)
	if err != nil {
		return nil, err
	}
	return append([]Tag{}, td.Tags...), nil
}

// TagResource adds or replaces tags of a table (50 at most).
func (e *Engine) TagResource(ctx context.Context, table string, tags []Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	return e.changeTable(ctx, table, func(td *tableDef) error {
		for _, t := range tags {
			i := slices.IndexFunc(td.Tags, func(o Tag) bool { return o.Key == t.Key })
			if i >= 0 {
				td.Tags[i] = t
			} else {
				td.Tags = append(td.Tags, t)
			}
		}
		if len(td.Tags) > 50 {
			return &Error{Kind: ErrLimitExceeded, Message: "The number of tags exceeds the limit of 50"}
		}
		return nil
	})
}

// UntagResource removes tags of a table by key.
func (e *Engine) UntagResource(ctx context.Context, table string, keys []string) error {
	return e.changeTable(ctx, table, func(td *tableDef) error {
		td.Tags = slices.DeleteFunc(td.Tags, func(t Tag) bool { return slices.Contains(keys, t.Key) })
		return nil
	})
}

func checkTags(tags []Tag) error {
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return validationf("One or more parameter values were invalid: a tag key has 1 to 128 characters and a value at most 256")
		}
	}
	return nil
}

// changeTable applies fn to a table's definition with compare-and-set.
func (e *Engine) changeTable(ctx context.Context, table string, fn func(*tableDef) error) error {
	for range maxRetries {
		td, rev, err := e.table(ctx, table)
		if err != nil {
			return err
		}
		if err := fn(td); err != nil {
			return err
		}
		b, err := json.Marshal(td)
		if err != nil {
			return &Error{Kind: ErrInternal, Message: err.Error()}
		}
		_, err = e.store.PutTable(ctx, td.Name, b, rev)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return storeErr("update table", err)
		}
		return nil
	}
	return &Error{Kind: ErrUnavailable, Message: "the table kept changing; retry"}
}
