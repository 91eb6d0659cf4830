package datastreams

import (
	"context"
	"errors"
	"fmt"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// Stream statuses and modes.
const (
	StatusActive    = "ACTIVE"
	ModeProvisioned = "PROVISIONED"
	ModeOnDemand    = "ON_DEMAND"
	EncryptionNone  = "NONE"
	EncryptionKMS   = "KMS"
)

// update applies fn to a copy of the stream's definition, persists it and
// publishes it (registry.Stream.Update). fn may refuse with an error, or
// return registry.ErrUnchanged.
func (e *Engine) update(ctx context.Context, ref StreamRef, needActive bool, fn func(meta *index.Stream) error) (*streamState, error) {
	st, name, err := e.resolve(ref)
	if err != nil {
		return nil, err
	}
	_, err = st.Update(ctx, func(m *index.Stream) error {
		if needActive && m.Status != StatusActive {
			return e.notActive(name, m.Status)
		}
		return fn(m)
	})
	if errors.Is(err, registry.ErrGone) {
		return nil, e.streamNotFound(name)
	}
	if err != nil {
		var re *registry.Error
		if !errors.As(err, &re) {
			err = fmt.Errorf("%w: %w", registry.ErrInternal, err)
		}
		return nil, err
	}
	return stateOf(st), nil
}

// SetRetention changes the retention period. increase says which API was
// called: IncreaseStreamRetentionPeriod may not shorten it, Decrease may
// not lengthen it.
func (e *Engine) SetRetention(ref StreamRef, hours int, increase bool) error {
	_, err := e.update(context.Background(), ref, true, func(m *index.Stream) error {
		switch {
		case hours < MinRetentionHours:
			return errorf(registry.ErrInvalidArgument, "Minimum allowed retention period is %d hours. Requested retention period (%d hours) is too short.", MinRetentionHours, hours)
		case hours > MaxRetentionHours:
			return errorf(registry.ErrInvalidArgument, "Maximum allowed retention period is %d hours. Requested retention period (%d hours) is too long.", MaxRetentionHours, hours)
		case increase && hours < m.RetentionHours:
			return errorf(registry.ErrInvalidArgument, "Requested retention period (%d hours) for stream %s can not be shorter than existing retention period (%d hours). Use DecreaseRetentionPeriod API.", hours, m.Name, m.RetentionHours)
		case !increase && hours > m.RetentionHours:
			return errorf(registry.ErrInvalidArgument, "Requested retention period (%d hours) for stream %s can not be longer than existing retention period (%d hours). Use IncreaseRetentionPeriod API.", hours, m.Name, m.RetentionHours)
		}
		m.RetentionHours = hours
		return nil
	})
	return err
}

// Limits is what DescribeLimits reports.
type Limits struct {
	ShardLimit               int
	OpenShardCount           int
	OnDemandStreamCount      int
	OnDemandStreamCountLimit int
}

// DescribeLimits reports the account's shard and stream limits and usage.
func (e *Engine) DescribeLimits() Limits {
	open, onDemand := e.counts()
	return Limits{ShardLimit: e.cfg.ShardLimit, OpenShardCount: open, OnDemandStreamCount: onDemand, OnDemandStreamCountLimit: e.cfg.OnDemandStreamCountLimit}
}
