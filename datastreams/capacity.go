package datastreams

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/shardcast/shardcast/datastreams/autoscale"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// Capacity modes: UpdateStreamMode, and the scaling of ON_DEMAND streams.

// modeSwitchesPerDay is how often AWS lets a stream change its capacity
// mode within 24 hours.
const (
	modeSwitchesPerDay = 2
	modeSwitchWindow   = 24 * time.Hour
)

// UpdateStreamMode switches a stream between PROVISIONED and ON_DEMAND.
// Its shards stay as they are: an ON_DEMAND stream keeps the shards it had
// as PROVISIONED, and a PROVISIONED one the shard count it had as
// ON_DEMAND. warmMiBps is the request's WarmThroughputMiBps (nil: unset).
func (e *Engine) UpdateStreamMode(ctx context.Context, ref StreamRef, mode string, warmMiBps *int) error {
	if mode != ModeProvisioned && mode != ModeOnDemand {
		return errorf(registry.ErrInvalidArgument, "Unknown StreamMode %s.", mode)
	}
	// Mode switches are serialized with each other and with the creation
	// of ON_DEMAND streams, so that the account's count of ON_DEMAND
	// streams cannot pass its limit between a check and a change.
	e.modeMu.Lock()
	defer e.modeMu.Unlock()
	st, _, err := e.resolve(ref)
	if err != nil {
		return err
	}
	// The stream is UPDATING while its mode changes; the check makes the
	// change on the definition that whileUpdating persists.
	err = e.whileUpdating(ctx, st, func(m *index.Stream) error {
		return e.switchMode(m, mode, warmMiBps)
	}, nil)
	if err != nil {
		return err
	}
	state := stateOf(st)
	e.cfg.Logger.Info("datastreams: capacity mode changed", "stream", state.meta.Name, "mode", mode, "open_shards", len(state.open))
	return nil
}

// switchMode changes a definition's mode, or refuses as AWS does.
func (e *Engine) switchMode(m *index.Stream, mode string, warmMiBps *int) error {
	if warmMiBps != nil && *warmMiBps > 0 {
		if mode != ModeOnDemand {
			return errorf(registry.ErrInvalidArgument, "WarmThroughputMiBps can only be set for a stream in ON_DEMAND mode.")
		}
		return errorf(registry.ErrInvalidArgument, "WarmThroughputMiBps requires MinimumThroughputBillingCommitment, which account %s does not have.", e.cfg.Account)
	}
	if m.Mode == mode {
		return errorf(registry.ErrInvalidArgument, "Stream %s under account %s is already in %s mode.", m.Name, e.cfg.Account, mode)
	}
	now := e.cfg.Now().UTC()
	var recent []time.Time
	for _, t := range m.ModeSwitches {
		if now.Sub(t) < modeSwitchWindow {
			recent = append(recent, t)
		}
	}
	if len(recent) >= modeSwitchesPerDay {
		return errorf(registry.ErrLimitExceeded, "Stream %s under account %s has changed its capacity mode %d times in the last 24 hours, the most allowed. It can change again at %s.",
			m.Name, e.cfg.Account, len(recent), recent[len(recent)-modeSwitchesPerDay].Add(modeSwitchWindow).Format(time.RFC3339))
	}
	if mode == ModeOnDemand {
		if _, onDemand := e.counts(); onDemand+1 > e.cfg.OnDemandStreamCountLimit {
			return e.onDemandLimit()
		}
	}
	m.Mode = mode
	m.ModeSwitches = append(recent, now)
	return nil
}

func (e *Engine) onDemandLimit() error {
	return errorf(registry.ErrLimitExceeded, "This request would exceed the on-demand stream limit for the account %s in %s. Limit: %d.",
		e.cfg.Account, e.cfg.Region, e.cfg.OnDemandStreamCountLimit)
}

// resharder carries out the scaling decisions of ON_DEMAND streams: it
// splits a shard at a hash key (the upper child starts there) or merges
// two adjacent shards.
type resharder interface {
	split(ctx context.Context, st *stream, shardID string, at hashKey) error
	merge(ctx context.Context, st *stream, a, b string) error
}

// engineResharder scales with the engine's own resharding primitives,
// guarded by scalable: a decision commits only if the stream is still
// ACTIVE and ON_DEMAND when its new definition is persisted.
type engineResharder struct{ e *Engine }

func (r engineResharder) split(ctx context.Context, st *stream, shardID string, at hashKey) error {
	return r.e.splitShardIf(ctx, st, shardID, at, scalable)
}

func (r engineResharder) merge(ctx context.Context, st *stream, a, b string) error {
	return r.e.mergeShardsIf(ctx, st, a, b, scalable)
}

// errNotScalable refuses a scaling decision whose stream has meanwhile
// left ACTIVE (a user's change made it UPDATING, DeleteStream DELETING)
// or ON_DEMAND.
var errNotScalable = errors.New("datastreams: the stream is no longer ACTIVE and ON_DEMAND")

func scalable(m *index.Stream) error {
	if m.Mode != ModeOnDemand || m.Status != StatusActive {
		return errNotScalable
	}
	return nil
}

// staleDecision reports whether a scaling decision failed only because
// the stream moved on after the tick sampled it: it left ACTIVE or
// ON_DEMAND, was deleted, or the shard was closed or is gone. The next
// tick decides again on what is there then.
func staleDecision(err error) bool {
	if errors.Is(err, errNotScalable) || errors.Is(err, registry.ErrResourceNotFound) || errors.Is(err, registry.ErrGone) {
		return true
	}
	return errors.Is(err, registry.ErrInvalidArgument) && strings.Contains(err.Error(), "has already been merged or split")
}

// scaler is the engine's loop over its ON_DEMAND streams: at every tick
// it samples their shards' meters and carries out what the policy decides.
type scaler struct {
	mu       sync.Mutex // serializes ticks
	policies map[string]*autoscale.Policy
	cancel   context.CancelFunc
	done     chan struct{}
}

// startScaler starts the scaling loop; Close stops it.
func (e *Engine) startScaler() {
	ctx, cancel := context.WithCancel(context.Background())
	e.scale = &scaler{policies: map[string]*autoscale.Policy{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.scale.done)
		t := time.NewTicker(e.cfg.OnDemand.Tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				e.scaleTick(ctx)
			}
		}
	}()
}

func (e *Engine) stopScaler() {
	if e.scale != nil {
		e.scale.cancel()
		<-e.scale.done
	}
}

// scaleTick runs one round of the policy over every ACTIVE ON_DEMAND
// stream, at most one split or merge a stream.
func (e *Engine) scaleTick(ctx context.Context) {
	sc := e.scale
	sc.mu.Lock()
	defer sc.mu.Unlock()
	now := e.cfg.Now()
	open, _ := e.counts()
	room := e.cfg.ShardLimit - open
	live := map[string]bool{}
	for _, st := range e.reg.All() {
		if ctx.Err() != nil {
			return
		}
		state := stateOf(st)
		m := state.meta
		if m.Mode != ModeOnDemand {
			continue
		}
		// A stream that is not ACTIVE keeps its policy but is neither
		// sampled nor scaled: its meters go on counting, and the first
		// tick after it is ACTIVE again averages over the pause.
		live[m.ID] = true
		if m.Status != StatusActive {
			continue
		}
		p := sc.policies[m.ID]
		if p == nil {
			p = autoscale.New(e.cfg.OnDemand)
			sc.policies[m.ID] = p
		}
		shards := make([]autoscale.Shard, 0, len(state.open))
		for _, s := range state.open {
			shards = append(shards, autoscale.Shard{ID: s.info.ID, Start: s.start.key(), End: s.end.key(), Meter: s.meter})
		}
		a := p.Observe(now, shards, room)
		var err error
		switch a.Kind {
		case autoscale.None:
			continue
		case autoscale.Split:
			e.cfg.Logger.Info("datastreams: on-demand stream splits a hot shard", "stream", m.Name, "shard", a.Shard,
				"utilization", p.Utilization(a.Shard), "at", hashKey{a.At.Hi, a.At.Lo}.String())
			if err = e.cfg.resharder.split(ctx, st, a.Shard, hashKey{a.At.Hi, a.At.Lo}); err == nil {
				room--
			}
		case autoscale.Merge:
			e.cfg.Logger.Info("datastreams: on-demand stream merges cold shards", "stream", m.Name, "shard", a.Shard, "adjacent", a.Adjacent)
			if err = e.cfg.resharder.merge(ctx, st, a.Shard, a.Adjacent); err == nil {
				room++
			}
		}
		switch {
		case err == nil || ctx.Err() != nil:
		case staleDecision(err):
			e.cfg.Logger.Debug("datastreams: on-demand scaling decision dropped, the stream changed", "stream", m.Name, "shard", a.Shard, "reason", err)
		default:
			e.cfg.Logger.Warn("datastreams: on-demand scaling failed", "stream", m.Name, "shard", a.Shard, "err", err)
		}
	}
	for id := range sc.policies {
		if !live[id] {
			delete(sc.policies, id)
		}
	}
}

// key converts a hash key for the autoscale package.
func (a hashKey) key() autoscale.Key { return autoscale.Key{Hi: a.hi, Lo: a.lo} }
