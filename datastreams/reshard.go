package datastreams

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// Bounds of UpdateShardCount, as AWS has them.
const (
	MaxShardsPerStream      = 10000
	ShardCountUpdatesPerDay = 10
	ScalingTypeUniform      = "UNIFORM_SCALING"
	shardCountUpdateWindow  = 24 * time.Hour
	// The ValidationException of SplitShard, MergeShards and
	// UpdateShardCount on an ON_DEMAND stream: the text moto has for
	// UpdateShardCount (believed AWS's; no AWS-recorded answer found), used
	// for all three.
	onDemandReshardMessageFmt = "Request is invalid. Stream %s under account %s is in On-Demand mode."
)

// reshardShardIndex parses a ShardToSplit, ShardToMerge or
// AdjacentShardToMerge the way resolveShard does (the digits after the
// first '-', at most 2^31-1).
func reshardShardIndex(id string) (int, bool) {
	digits := id
	if i := strings.IndexByte(id, '-'); i >= 0 {
		digits = id[i+1:]
	}
	n, err := strconv.ParseUint(digits, 10, 31)
	return int(n), err == nil && digits != ""
}

// reshardShardNotFound is the ResourceNotFoundException of SplitShard and
// MergeShards for a shard the stream lacks. AWS names a well-formed id in
// its normal form (shardId-5 becomes shardId-000000000005) and any other
// as given, with a final period (kinesalite's suite, run against AWS).
func (e *Engine) reshardShardNotFound(id, stream string) error {
	if n, ok := reshardShardIndex(id); ok {
		id = shardID(n)
	}
	return errorf(registry.ErrResourceNotFound, "Could not find shard %s in stream %s under account %s.", id, stream, e.cfg.Account)
}

// badShardIDs answers, before the stream is looked up, a shard id that
// cannot name any shard: AWS does so even when the stream does not exist
// (kinesalite's suite).
func (e *Engine) badShardIDs(ref StreamRef, ids ...string) error {
	for _, id := range ids {
		if _, ok := reshardShardIndex(id); ok {
			continue
		}
		name := ref.Name
		if ref.ARN != "" {
			n, err := e.nameFromARN(ref.ARN)
			if err != nil {
				return err
			}
			name = n
		}
		if name == "" {
			return nil // resolve answers this
		}
		return e.reshardShardNotFound(id, name)
	}
	return nil
}

func (e *Engine) alreadyResharded(shard, stream string) error {
	return errorf(registry.ErrInvalidArgument, "Shard %s in stream %s under account %s has already been merged or split, and thus is not eligible for merging or splitting.", shard, stream, e.cfg.Account)
}

func (e *Engine) shardLimitErr(open, more int) error {
	return errorf(registry.ErrLimitExceeded, "This request would exceed the shard limit for the account %s in %s. Current shard count for the account: %d. Limit: %d. Number of additional shards that would have resulted from this request: %d. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.",
		e.cfg.Account, e.cfg.Region, open, e.cfg.ShardLimit, more)
}

// defShard finds a shard of a definition the way resolveShard does.
func (e *Engine) defShard(m *index.Stream, id string) (*index.Shard, error) {
	state := &streamState{meta: m}
	for i := range m.Shards {
		state.shards = append(state.shards, &shardRT{info: m.Shards[i]})
	}
	s, err := e.resolveShard(state, id)
	if err != nil {
		if errors.Is(err, registry.ErrResourceNotFound) {
			return nil, e.reshardShardNotFound(id, m.Name)
		}
		return nil, err
	}
	for i := range m.Shards {
		if m.Shards[i].Index == s.info.Index {
			return &m.Shards[i], nil
		}
	}
	return nil, e.reshardShardNotFound(id, m.Name)
}

// reshardable resolves a stream for SplitShard, MergeShards and
// UpdateShardCount: ResourceNotFound, then the ValidationException of an
// on-demand stream.
func (e *Engine) reshardable(ref StreamRef) (*stream, error) {
	st, _, err := e.resolve(ref)
	if err != nil {
		return nil, err
	}
	if m := st.Def(); m.Mode == ModeOnDemand {
		return nil, errorf(registry.ErrValidation, onDemandReshardMessageFmt, m.Name, e.cfg.Account)
	}
	return st, nil
}

// SplitShard splits an open shard at newStartingHashKey, which must lie
// strictly inside its range as AWS requires: the children hold
// [start, key-1] and [key, end]. The stream is UPDATING while it runs (and
// for Config.UpdateDelay after).
func (e *Engine) SplitShard(ctx context.Context, ref StreamRef, shardToSplit, newStartingHashKey string) error {
	if err := e.badShardIDs(ref, shardToSplit); err != nil {
		return err
	}
	st, err := e.reshardable(ref)
	if err != nil {
		return err
	}
	var id string
	var at hashKey
	return e.whileUpdating(ctx, st, func(m *index.Stream) error {
		s, err := e.defShard(m, shardToSplit)
		if err != nil {
			return err
		}
		id = s.ID
		if !s.Closed.IsZero() {
			return e.alreadyResharded(s.ID, m.Name)
		}
		// The account's shard limit is checked before the key, as AWS
		// does (kinesalite's order).
		if open, _ := e.counts(); open+1 > e.cfg.ShardLimit {
			return e.shardLimitErr(open, 1)
		}
		start, _ := parseHashKey(s.StartHash)
		end, _ := parseHashKey(s.EndHash)
		k, ok := parseHashKey(newStartingHashKey)
		if !ok || k.cmp(start.add(1)) <= 0 || k.cmp(end) >= 0 {
			return errorf(registry.ErrInvalidArgument, "NewStartingHashKey %s used in SplitShard() on shard %s in stream %s under account %s is not both greater than one plus the shard's StartingHashKey %s and less than the shard's EndingHashKey %s.",
				newStartingHashKey, s.ID, m.Name, e.cfg.Account, s.StartHash, s.EndHash)
		}
		at = k
		return nil
	}, func(ctx context.Context) error { return e.splitShard(ctx, st, id, at) })
}

// MergeShards merges two open shards whose ranges are adjacent (in either
// order) into one child whose ParentShardId is shardToMerge and whose
// AdjacentParentShardId is adjacentShardToMerge.
func (e *Engine) MergeShards(ctx context.Context, ref StreamRef, shardToMerge, adjacentShardToMerge string) error {
	if err := e.badShardIDs(ref, shardToMerge, adjacentShardToMerge); err != nil {
		return err
	}
	st, err := e.reshardable(ref)
	if err != nil {
		return err
	}
	var a, b string
	return e.whileUpdating(ctx, st, func(m *index.Stream) error {
		sa, err := e.defShard(m, shardToMerge)
		if err != nil {
			return err
		}
		sb, err := e.defShard(m, adjacentShardToMerge)
		if err != nil {
			return err
		}
		for _, s := range []*index.Shard{sa, sb} {
			if !s.Closed.IsZero() {
				return e.alreadyResharded(s.ID, m.Name)
			}
		}
		if _, _, ok := adjacent(sa, sb); !ok {
			return e.notAdjacent(sa.ID, sb.ID, m.Name)
		}
		a, b = sa.ID, sb.ID
		return nil
	}, func(ctx context.Context) error { return e.mergeShards(ctx, st, a, b) })
}

func (e *Engine) notAdjacent(a, b, stream string) error {
	return errorf(registry.ErrInvalidArgument, "Shards %s and %s in stream %s under account %s are not an adjacent pair of shards eligible for merging", a, b, stream, e.cfg.Account)
}

// adjacent reports whether two shards' ranges join without a gap, and the
// merged range.
func adjacent(a, b *index.Shard) (start, end hashKey, ok bool) {
	as, _ := parseHashKey(a.StartHash)
	ae, _ := parseHashKey(a.EndHash)
	bs, _ := parseHashKey(b.StartHash)
	be, _ := parseHashKey(b.EndHash)
	switch {
	case ae != maxHashKey && ae.add(1) == bs:
		return as, be, true
	case be != maxHashKey && be.add(1) == as:
		return bs, ae, true
	}
	return hashKey{}, hashKey{}, false
}

// UpdateShardCountOutput is the answer to UpdateShardCount.
type UpdateShardCountOutput struct {
	Name, ARN                 string
	CurrentCount, TargetCount int
}

// UpdateShardCount makes the stream's open shards target uniform ranges
// (evenRanges(target)) by splits and then merges, within AWS's bounds:
// at most double and at least half the open count, at most 10000 shards,
// the account's shard limit, and 10 calls per stream in a rolling 24 hours
// (kept in the definition, so restarts do not reset it).
func (e *Engine) UpdateShardCount(ctx context.Context, ref StreamRef, target int, scalingType string) (UpdateShardCountOutput, error) {
	st, err := e.reshardable(ref)
	if err != nil {
		return UpdateShardCountOutput{}, err
	}
	var out UpdateShardCountOutput
	err = e.whileUpdating(ctx, st, func(m *index.Stream) error {
		if scalingType != ScalingTypeUniform {
			return errorf(registry.ErrInvalidArgument, "Unsupported ScalingType %s. The only supported ScalingType is %s.", scalingType, ScalingTypeUniform)
		}
		open := 0
		for _, s := range m.Shards {
			if s.Closed.IsZero() {
				open++
			}
		}
		out = UpdateShardCountOutput{Name: m.Name, ARN: m.ARN, CurrentCount: open, TargetCount: target}
		// AWS's bounds are LimitExceededException, with these texts (an
		// AWS solution's docs quote the first; a kinesalite pull request
		// has all three). The first check is the per-stream maximum.
		switch {
		case target > MaxShardsPerStream:
			return errorf(registry.ErrLimitExceeded, "Target shard count or number of open shards cannot be greater than %d. Current open shard count: %d, Target shard count: %d", MaxShardsPerStream, open, target)
		case target > 2*open:
			return errorf(registry.ErrLimitExceeded, "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: %d, Target shard count: %d", open, target)
		case 2*target < open:
			return errorf(registry.ErrLimitExceeded, "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: %d, Target shard count: %d", open, target)
		}
		if all, _ := e.counts(); target > open && all+target-open > e.cfg.ShardLimit {
			return e.shardLimitErr(all, target-open)
		}
		now := e.cfg.Now().UTC()
		recent := m.ShardCountUpdates[:0:0]
		for _, t := range m.ShardCountUpdates {
			if now.Sub(t) < shardCountUpdateWindow {
				recent = append(recent, t)
			}
		}
		if len(recent) >= ShardCountUpdatesPerDay {
			return errorf(registry.ErrLimitExceeded, "Stream %s under account %s has already been scaled %d times in the last 24 hours, the most UpdateShardCount allows. It can be scaled again after %s.",
				m.Name, e.cfg.Account, len(recent), recent[0].Add(shardCountUpdateWindow).Format(time.RFC3339))
		}
		m.ShardCountUpdates = append(recent, now)
		return nil
	}, func(ctx context.Context) error { return e.scaleUniform(ctx, st, target) })
	if err != nil {
		return UpdateShardCountOutput{}, err
	}
	return out, nil
}

// scaleUniform reshapes the open shards into evenRanges(target): it splits
// every open shard at each target boundary strictly inside it, then merges
// the shards that lie in the same target range.
func (e *Engine) scaleUniform(ctx context.Context, st *stream, target int) error {
	ranges := evenRanges(target)
	// rangeOf is the target range holding k.
	rangeOf := func(k hashKey) int {
		return sort.Search(len(ranges), func(i int) bool { return ranges[i][1].cmp(k) >= 0 })
	}
	// Splits: the first boundary above an open shard's start and inside it.
	for {
		var id string
		var at hashKey
		for _, s := range stateOf(st).open {
			r := rangeOf(s.start)
			if r+1 < len(ranges) && ranges[r+1][0].cmp(s.end) <= 0 {
				id, at = s.info.ID, ranges[r+1][0]
				break
			}
		}
		if id == "" {
			break
		}
		if err := e.splitShard(ctx, st, id, at); err != nil {
			return err
		}
	}
	// Merges: neighbours in the same target range, leftmost first.
	for {
		open := stateOf(st).open
		var a, b string
		for i := 0; i+1 < len(open); i++ {
			if rangeOf(open[i].start) == rangeOf(open[i+1].start) {
				a, b = open[i].info.ID, open[i+1].info.ID
				break
			}
		}
		if a == "" {
			return nil
		}
		if err := e.mergeShards(ctx, st, a, b); err != nil {
			return err
		}
	}
}

// splitShard splits the open shard shardID into [start, at-1] and
// [at, end] (start < at <= end). It checks what keeps the stream sound
// (the shard open, the key inside it) but neither the stream's status nor
// its mode: the building block of SplitShard, UpdateShardCount and an
// on-demand autoscaler.
func (e *Engine) splitShard(ctx context.Context, st *stream, shardID string, at hashKey) error {
	return e.splitShardIf(ctx, st, shardID, at, nil)
}

// splitShardIf is splitShard that commits only while guard (when set)
// accepts the stream's definition: before the children are opened, and
// again in the update that persists the split.
func (e *Engine) splitShardIf(ctx context.Context, st *stream, shardID string, at hashKey, guard func(m *index.Stream) error) error {
	rt := st.Runtime()
	rt.reshard.Lock()
	defer rt.reshard.Unlock()
	if guard != nil {
		if err := guard(st.Def()); err != nil {
			return err
		}
	}
	state := stateOf(st)
	p, err := e.resolveShard(state, shardID)
	if err != nil {
		return err
	}
	if p.closed() {
		return e.alreadyResharded(p.info.ID, state.meta.Name)
	}
	if at.cmp(p.start) <= 0 || at.cmp(p.end) > 0 {
		return errorf(registry.ErrInvalidArgument, "Hash key %s is not inside shard %s (%s to %s) of stream %s.", at, p.info.ID, p.info.StartHash, p.info.EndHash, state.meta.Name)
	}
	i := state.meta.NextShardIndex
	children := []index.Shard{
		{ID: shardIDOf(i), Index: i, StartHash: p.info.StartHash, EndHash: at.sub1().String(), Parent: p.info.ID},
		{ID: shardIDOf(i + 1), Index: i + 1, StartHash: at.String(), EndHash: p.info.EndHash, Parent: p.info.ID},
	}
	return e.reshardCommit(ctx, st, []*shardRT{p}, children, guard)
}

// mergeShards merges the open adjacent shards a and b into one child
// whose parent is a and adjacent parent b. Like splitShard it checks
// neither status nor mode.
func (e *Engine) mergeShards(ctx context.Context, st *stream, a, b string) error {
	return e.mergeShardsIf(ctx, st, a, b, nil)
}

// mergeShardsIf is mergeShards under a guard, as splitShardIf.
func (e *Engine) mergeShardsIf(ctx context.Context, st *stream, a, b string, guard func(m *index.Stream) error) error {
	rt := st.Runtime()
	rt.reshard.Lock()
	defer rt.reshard.Unlock()
	if guard != nil {
		if err := guard(st.Def()); err != nil {
			return err
		}
	}
	state := stateOf(st)
	sa, err := e.resolveShard(state, a)
	if err != nil {
		return err
	}
	sb, err := e.resolveShard(state, b)
	if err != nil {
		return err
	}
	for _, s := range []*shardRT{sa, sb} {
		if s.closed() {
			return e.alreadyResharded(s.info.ID, state.meta.Name)
		}
	}
	start, end, ok := adjacent(&sa.info, &sb.info)
	if !ok || sa == sb {
		return e.notAdjacent(sa.info.ID, sb.info.ID, state.meta.Name)
	}
	i := state.meta.NextShardIndex
	child := index.Shard{ID: shardIDOf(i), Index: i, StartHash: start.String(), EndHash: end.String(), Parent: sa.info.ID, AdjacentParent: sb.info.ID}
	return e.reshardCommit(ctx, st, []*shardRT{sa, sb}, []index.Shard{child}, guard)
}

func shardIDOf(i int) string { return shardID(i) }

// reshardCommit closes parents and opens children, atomically for writers
// (the caller holds the stream's reshard lock):
//
//  1. the children's logs are opened (empty; nothing routes to them yet);
//  2. the write gate is taken alone, so every append to a parent that was
//     admitted has finished, and none starts;
//  3. each parent's EndSeq is its log's next position, Bounds().Next, which
//     no record will ever take;
//  4. the new definition (parents Closed with EndSeq, children added) is
//     persisted: the commit point;
//  5. the new view is published and the gate released: writers that waited
//     route by the children.
//
// An append acknowledged before step 2 is below its parent's EndSeq; one
// admitted after step 5 goes to a child. A failure before step 4 closes and
// removes the children's logs and changes nothing. guard (when set) may
// refuse the definition in step 4, as it stands then.
//
// The view is published while no definition update or delete can run
// (Stream.Exclusive), and the children take the key version of the
// definition as it is then: a change that was not serialized with the
// reshard by UPDATING (the scaler's reshards are not) either comes before
// and is applied to the children here, or comes after and finds them in
// the view. A stream deleted between the commit and the publication has
// closed the parents' logs and removed theirs; the children's logs, open
// here and so left by the delete, are closed and removed here.
func (e *Engine) reshardCommit(ctx context.Context, st *stream, parents []*shardRT, children []index.Shard, guard func(m *index.Stream) error) error {
	rt := st.Runtime()
	meta := st.Def()
	// Children are created now, and in a later second than their parents
	// so that their sequence numbers (which begin with the shard's creation
	// second) sort after every number of the parents.
	created := e.cfg.Now().UTC()
	for _, p := range parents {
		if next := p.info.Created.Truncate(time.Second).Add(time.Second); created.Before(next) {
			created = next
		}
	}
	var opened []*shardRT
	undo := func() {
		for _, c := range opened {
			c.log.Close()
			if err := st.RemoveLog(context.WithoutCancel(ctx), c.info.ID, false); err != nil {
				e.cfg.Logger.Warn("datastreams: remove the log of a reshard that failed", "stream", meta.Name, "shard", c.info.ID, "err", err)
			}
		}
	}
	for i := range children {
		children[i].Created = created
		c, err := e.openShard(ctx, st, meta, children[i])
		if err != nil {
			undo()
			return fmt.Errorf("%w: %w", registry.ErrInternal, err)
		}
		opened = append(opened, c)
	}

	rt.gate.Lock()
	defer rt.gate.Unlock()
	ends := map[string]uint64{}
	for _, p := range parents {
		ends[p.info.ID] = p.log.Bounds().Next
	}
	def, err := st.Update(ctx, func(m *index.Stream) error {
		if guard != nil {
			if err := guard(m); err != nil {
				return err
			}
		}
		n := 0
		for i := range m.Shards {
			end, ok := ends[m.Shards[i].ID]
			if !ok {
				continue
			}
			if !m.Shards[i].Closed.IsZero() {
				return e.alreadyResharded(m.Shards[i].ID, m.Name)
			}
			m.Shards[i].Closed, m.Shards[i].EndSeq = created, end
			n++
		}
		if n != len(parents) {
			return e.shardNotFound(parents[0].info.ID, m.Name)
		}
		m.Shards = append(m.Shards, children...)
		for _, c := range children {
			m.NextShardIndex = max(m.NextShardIndex, c.Index+1)
		}
		return nil
	})
	if err != nil {
		undo()
		return e.updateErr(meta.Name, err)
	}
	closed := map[string]index.Shard{}
	for _, s := range def.Shards {
		if _, ok := ends[s.ID]; ok {
			closed[s.ID] = s
		}
	}
	old := rt.view.Load()
	shards := make([]*shardRT, 0, len(old.shards)+len(opened))
	for _, s := range old.shards {
		if info, ok := closed[s.info.ID]; ok {
			c := *s
			c.info = info
			s = &c
		}
		shards = append(shards, s)
	}
	shards = append(shards, opened...)
	err = st.Exclusive(func(now *index.Stream) error {
		for _, c := range opened {
			c.log.SetKey(now.Encryption.KeyVersion)
		}
		rt.view.Store(&shardView{shards: shards, open: openShards(shards)})
		return nil
	})
	if err != nil {
		// Deleted after the commit: the delete closed the logs it knew
		// and could not remove the children's, still open here.
		undo()
		return e.updateErr(meta.Name, err)
	}
	e.subs.shardsChanged() // subscribers at a parent's end tell its children now
	var ids []string
	for _, c := range children {
		ids = append(ids, c.ID)
	}
	e.cfg.Logger.Info("datastreams: resharded", "stream", meta.Name, "closed", len(parents), "children", ids)
	return nil
}

// dropExpired removes from the definition the closed shards whose every
// record is past retention (they closed before cutoff), then closes and
// removes their logs.
func (e *Engine) dropExpired(ctx context.Context, st *stream, cutoff time.Time) {
	rt := st.Runtime()
	expired := func(s index.Shard) bool { return !s.Closed.IsZero() && s.Closed.Before(cutoff) }
	if !slices.ContainsFunc(st.Def().Shards, expired) {
		return
	}
	rt.reshard.Lock()
	defer rt.reshard.Unlock()
	drop := map[string]bool{}
	_, err := st.Update(ctx, func(m *index.Stream) error {
		keep := m.Shards[:0:0]
		for _, s := range m.Shards {
			if expired(s) {
				drop[s.ID] = true
			} else {
				keep = append(keep, s)
			}
		}
		if len(drop) == 0 {
			return registry.ErrUnchanged
		}
		m.Shards = keep
		return nil
	})
	if err != nil || len(drop) == 0 {
		if err != nil && !errors.Is(err, registry.ErrGone) {
			e.cfg.Logger.Warn("datastreams: drop expired closed shards", "stream", st.Def().Name, "err", err)
		}
		return
	}
	old := rt.view.Load()
	var shards, gone []*shardRT
	for _, s := range old.shards {
		if drop[s.info.ID] {
			gone = append(gone, s)
		} else {
			shards = append(shards, s)
		}
	}
	rt.view.Store(&shardView{shards: shards, open: old.open})
	for _, s := range gone {
		s.log.Close()
		if err := st.RemoveLog(ctx, s.info.ID, false); err != nil {
			e.cfg.Logger.Warn("datastreams: remove the log of an expired shard", "stream", st.Def().Name, "shard", s.info.ID, "err", err)
		}
	}
	e.cfg.Logger.Info("datastreams: expired closed shards dropped", "stream", st.Def().Name, "shards", len(gone))
}
