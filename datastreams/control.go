package datastreams

import (
	"errors"

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

// errUnchanged tells update that fn changed nothing worth persisting.
var errUnchanged = errors.New("unchanged")

// update applies fn to a copy of the stream's definition under the stream's
// lock, persists it and publishes it. fn may refuse with an error.
func (e *Engine) update(ref StreamRef, needActive bool, fn func(meta *index.Stream) error) (*streamState, error) {
	st, name, err := e.resolve(ref)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if e.lookup(name) != st {
		return nil, e.streamNotFound(name)
	}
	old := st.state.Load()
	if needActive && old.meta.Status != StatusActive {
		return nil, e.notActive(name, old.meta.Status)
	}
	meta := old.meta.Clone()
	if err := fn(meta); errors.Is(err, errUnchanged) {
		return old, nil
	} else if err != nil {
		return nil, err
	}
	if err := e.persist(st, meta); err != nil {
		return nil, err
	}
	next := &streamState{meta: meta, shards: old.shards, open: old.open}
	st.state.Store(next)
	return next, nil
}

// SetRetention changes the retention period. increase says which API was
// called: IncreaseStreamRetentionPeriod may not shorten it, Decrease may
// not lengthen it.
func (e *Engine) SetRetention(ref StreamRef, hours int, increase bool) error {
	_, err := e.update(ref, true, func(m *index.Stream) error {
		switch {
		case hours < MinRetentionHours:
			return errorf(ErrInvalidArgument, "Minimum allowed retention period is %d hours. Requested retention period (%d hours) is too short.", MinRetentionHours, hours)
		case hours > MaxRetentionHours:
			return errorf(ErrInvalidArgument, "Maximum allowed retention period is %d hours. Requested retention period (%d hours) is too long.", MaxRetentionHours, hours)
		case increase && hours < m.RetentionHours:
			return errorf(ErrInvalidArgument, "Requested retention period (%d hours) for stream %s can not be shorter than existing retention period (%d hours). Use DecreaseRetentionPeriod API.", hours, m.Name, m.RetentionHours)
		case !increase && hours > m.RetentionHours:
			return errorf(ErrInvalidArgument, "Requested retention period (%d hours) for stream %s can not be longer than existing retention period (%d hours). Use IncreaseRetentionPeriod API.", hours, m.Name, m.RetentionHours)
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
	e.mu.RLock()
	defer e.mu.RUnlock()
	open, onDemand := e.countsLocked()
	return Limits{ShardLimit: e.cfg.ShardLimit, OpenShardCount: open, OnDemandStreamCount: onDemand, OnDemandStreamCountLimit: e.cfg.OnDemandStreamCountLimit}
}
