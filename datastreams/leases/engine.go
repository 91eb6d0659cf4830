package leases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// Config is the Engine's environment.
type Config struct {
	Region  string           // for ARNs (default us-east-1)
	Account string           // for ARNs (default 000000000000)
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default: discarded
}

// Engine answers the DynamoDB operations over a Store. It keeps no state
// of its own: several engines (servers) may share one Store.
type Engine struct {
	store Store
	cfg   Config
	log   *slog.Logger
}

// maxRetries bounds the re-evaluations of one write losing
// compare-and-set races.
const maxRetries = 100

// New returns an Engine over store.
func New(store Store, cfg Config) *Engine {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Engine{store: store, cfg: cfg, log: lg}
}

func (e *Engine) arn(table string) string {
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", e.cfg.Region, e.cfg.Account, table)
}

// table loads a definition; a missing table is ResourceNotFound.
func (e *Engine) table(ctx context.Context, name string) (*tableDef, uint64, error) {
	if err := checkTableName(name); err != nil {
		return nil, 0, err
	}
	b, rev, err := e.store.Table(ctx, name)
	if err != nil {
		return nil, 0, storeErr("read table", err)
	}
	if rev == 0 {
		return nil, 0, notFound(name)
	}
	td := new(tableDef)
	if err := json.Unmarshal(b, td); err != nil {
		return nil, 0, &Error{Kind: ErrInternal, Message: fmt.Sprintf("table %s: stored definition: %v", name, err)}
	}
	return td, rev, nil
}

// getItem reads and decodes one item (nil when absent).
func (e *Engine) getItem(ctx context.Context, table string, key []byte) (attr.Item, uint64, error) {
	b, rev, err := e.store.Get(ctx, table, key)
	if err != nil {
		return nil, 0, storeErr("read item", err)
	}
	if rev == 0 {
		return nil, 0, nil
	}
	it, err := decodeItem(b)
	if err != nil {
		return nil, 0, err
	}
	return it, rev, nil
}

func decodeItem(b []byte) (attr.Item, error) {
	var it attr.Item
	if err := json.Unmarshal(b, &it); err != nil {
		return nil, &Error{Kind: ErrInternal, Message: fmt.Sprintf("stored item: %v", err)}
	}
	return it, nil
}

// write runs a read-evaluate-compare-and-set loop on one item: fn gets
// the current item (nil if absent) and returns the new one (nil to
// delete). It returns the item before and after the write that won.
func (e *Engine) write(ctx context.Context, table string, key []byte, fn func(old attr.Item) (attr.Item, error)) (old, cur attr.Item, err error) {
	for range maxRetries {
		old, rev, err := e.getItem(ctx, table, key)
		if err != nil {
			return nil, nil, err
		}
		var in attr.Item
		if old != nil {
			in = old.Clone()
		}
		nu, err := fn(in)
		if err != nil {
			return old, nil, err
		}
		switch {
		case nu == nil && rev == 0:
			return nil, nil, nil
		case nu == nil:
			err = e.store.Delete(ctx, table, key, rev)
		default:
			b, merr := json.Marshal(nu)
			if merr != nil {
				return nil, nil, &Error{Kind: ErrInternal, Message: merr.Error()}
			}
			_, err = e.store.Put(ctx, table, key, b, rev)
		}
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, nil, storeErr("write item", err)
		}
		return old, nu, nil
	}
	return nil, nil, &Error{Kind: ErrUnavailable, Message: "the item kept changing while this write was evaluated; retry"}
}
