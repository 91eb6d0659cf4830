package datastreams

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/seqnum"
	"github.com/shardcast/shardcast/index"
)

// CreateStreamInput is a CreateStream request. ShardCount 0 means unset.
type CreateStreamInput struct {
	Name             string
	ShardCount       int
	Mode             string // "" means PROVISIONED when ShardCount is set, else ON_DEMAND
	Tags             map[string]string
	MaxRecordSizeKiB int // 0 means the default (1024)
}

// CreateStream creates a stream; it is ACTIVE when this returns, or
// CREATING for Config.CreateDelay when that is set.
func (e *Engine) CreateStream(in CreateStreamInput) error {
	mode := in.Mode
	if mode == "" {
		mode = ModeProvisioned
		if in.ShardCount == 0 {
			mode = ModeOnDemand
		}
	}
	shards := in.ShardCount
	switch mode {
	case ModeOnDemand:
		if shards == 0 {
			shards = DefaultOnDemandShards
		}
	case ModeProvisioned:
		if shards == 0 {
			return errorf(registry.ErrInvalidArgument, "ShardCount must be specified for a stream in PROVISIONED mode.")
		}
	}
	if in.MaxRecordSizeKiB == 0 {
		in.MaxRecordSizeKiB = DefaultMaxRecordKiB
	}
	if mode == ModeOnDemand {
		// Checked with UpdateStreamMode's switches (capacity.go).
		e.modeMu.Lock()
		defer e.modeMu.Unlock()
	}
	if err := e.checkTags(in.Name, in.Tags, nil, "add"); err != nil {
		return err
	}

	status := StatusActive
	if e.cfg.CreateDelay > 0 {
		status = StatusCreating
	}
	now := e.cfg.Now().UTC()
	// Shards are created a moment before the stream, as AWS numbers show.
	shardCreated := now.Add(-2 * time.Second).Truncate(time.Second)
	meta := &index.Stream{
		Kind: index.KindData, Name: in.Name, ARN: e.arn(in.Name),
		Created: now, Status: status, Mode: mode,
		RetentionHours: DefaultRetentionHours, MaxRecordSizeKiB: in.MaxRecordSizeKiB,
		Encryption: index.Encryption{Type: EncryptionNone}, NextShardIndex: shards,
	}
	if len(in.Tags) > 0 {
		meta.Tags = map[string]string{}
		for k, v := range in.Tags {
			meta.Tags[k] = v
		}
	}
	for i, r := range evenRanges(shards) {
		meta.Shards = append(meta.Shards, index.Shard{
			ID: shardID(i), Index: i, StartHash: r[0].String(), EndHash: r[1].String(), Created: shardCreated,
		})
	}
	st, err := e.reg.Create(context.Background(), meta, func() error {
		open, onDemand := e.counts()
		if open+shards > e.cfg.ShardLimit {
			return errorf(registry.ErrLimitExceeded, "This request would exceed the shard limit for the account %s in %s. Current shard count for the account: %d. Limit: %d. Number of additional shards that would have resulted from this request: %d. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.",
				e.cfg.Account, e.cfg.Region, open, e.cfg.ShardLimit, shards)
		}
		if mode == ModeOnDemand && onDemand+1 > e.cfg.OnDemandStreamCountLimit {
			return e.onDemandLimit()
		}
		return nil
	})
	if errors.Is(err, registry.ErrExists) {
		return errorf(registry.ErrResourceInUse, "Stream %s under account %s already exists.", in.Name, e.cfg.Account)
	}
	if err != nil {
		var re *registry.Error
		if errors.As(err, &re) {
			return err
		}
		return fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	if status == StatusCreating {
		e.later(e.cfg.CreateDelay, func(ctx context.Context) {
			if err := e.setStatus(ctx, st, StatusActive, StatusCreating); err != nil {
				e.cfg.Logger.Warn("datastreams: make a stream ACTIVE (done at the next start)", "stream", in.Name, "err", err)
			}
		})
	}
	e.cfg.Logger.Info("datastreams: stream created", "stream", in.Name, "shards", shards, "mode", mode)
	return nil
}

// checkConsumers refuses the deletion of a stream with registered
// consumers unless enforce is set.
func (e *Engine) checkConsumers(def *index.Stream, enforce bool) error {
	if len(def.Consumers) > 0 && !enforce {
		return errorf(registry.ErrResourceInUse, "DeleteStream can’t delete %s:%s because there are consumers associated with this data stream. To delete %s anyway, set the EnforceConsumerDeletion parameter to true to force the deletion of all the consumers that are associated with it.", e.cfg.Account, def.Name, def.Name)
	}
	return nil
}

func shardID(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// counts returns the open shards and ON_DEMAND streams of the account.
func (e *Engine) counts() (openShards, onDemand int) {
	for _, st := range e.reg.All() {
		s := stateOf(st)
		openShards += len(s.open)
		if s.meta.Mode == ModeOnDemand {
			onDemand++
		}
	}
	return
}

// DeleteStream deletes a stream and its data: at once, or after it has
// been DELETING for Config.DeleteDelay (records can still be written and
// read meanwhile, as in AWS). A stream already DELETING is refused with
// ResourceInUse. A stream with registered consumers is deleted, with them,
// only when enforceConsumerDeletion is set.
func (e *Engine) DeleteStream(ref StreamRef, enforceConsumerDeletion bool) error {
	st, name, err := e.resolve(ref)
	if err != nil {
		return err
	}
	if e.cfg.DeleteDelay > 0 {
		_, err := st.Update(context.Background(), func(m *index.Stream) error {
			if m.Status == StatusDeleting {
				return e.notActive(name, m.Status)
			}
			if err := e.checkConsumers(m, enforceConsumerDeletion); err != nil {
				return err
			}
			m.Status = StatusDeleting
			return nil
		})
		if err != nil {
			return e.updateErr(name, err)
		}
		e.later(e.cfg.DeleteDelay, func(ctx context.Context) {
			if err := e.reg.Delete(ctx, st, nil); err != nil && !errors.Is(err, registry.ErrGone) {
				e.cfg.Logger.Warn("datastreams: delete a stream (done at the next start)", "stream", name, "err", err)
				return
			}
			e.cfg.Logger.Info("datastreams: stream deleted", "stream", name)
		})
		return nil
	}
	if st.Def().Status == StatusDeleting {
		return e.notActive(name, StatusDeleting)
	}
	// A delete that failed leaves the stream listed (its logs closed), so
	// that a retry finds and finishes it.
	err = e.reg.Delete(context.Background(), st, func(def *index.Stream) error {
		return e.checkConsumers(def, enforceConsumerDeletion)
	})
	var re *registry.Error
	if errors.As(err, &re) {
		return err
	}
	if errors.Is(err, registry.ErrGone) {
		return e.streamNotFound(name)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	e.cfg.Logger.Info("datastreams: stream deleted", "stream", name)
	return nil
}

// ShardInfo describes a shard as DescribeStream and ListShards show it.
type ShardInfo struct {
	ID             string
	Parent         string
	AdjacentParent string
	StartHash      string
	EndHash        string
	StartSeq       string
	EndSeq         string // "" while open
}

// StreamDescription is what DescribeStream and DescribeStreamSummary report.
type StreamDescription struct {
	Name             string
	ARN              string
	Status           string
	Mode             string
	Created          time.Time
	RetentionHours   int
	EncryptionType   string
	KeyID            string
	MaxRecordSizeKiB int
	OpenShardCount   int
	ConsumerCount    int
	Shards           []ShardInfo
	HasMoreShards    bool
}

func (e *Engine) shardInfo(s *shardRT) ShardInfo {
	info := ShardInfo{
		ID: s.info.ID, Parent: s.info.Parent, AdjacentParent: s.info.AdjacentParent,
		StartHash: s.info.StartHash, EndHash: s.info.EndHash,
		StartSeq: seqnum.Format(seqnum.Parts{ShardCreated: s.createdSec, ShardIndex: uint32(s.info.Index), Arrival: s.createdSec}),
	}
	if !s.info.Closed.IsZero() {
		info.EndSeq = seqnum.Format(seqnum.Parts{ShardCreated: s.createdSec, ShardIndex: uint32(s.info.Index), Counter: seqnum.MaxCounter, Arrival: s.info.Closed.Unix()})
	}
	return info
}

func describe(state *streamState) StreamDescription {
	m := state.meta
	return StreamDescription{
		Name: m.Name, ARN: m.ARN, Status: m.Status, Mode: m.Mode, Created: m.Created,
		RetentionHours: m.RetentionHours, EncryptionType: m.Encryption.Type, KeyID: m.Encryption.KeyID,
		MaxRecordSizeKiB: m.MaxRecordSizeKiB, OpenShardCount: len(state.open), ConsumerCount: len(m.Consumers),
	}
}

// DescribeStream describes a stream and up to limit of its shards after
// exclusiveStart (limit is capped at 100).
func (e *Engine) DescribeStream(ref StreamRef, limit int, exclusiveStart string) (StreamDescription, error) {
	st, _, err := e.resolve(ref)
	if err != nil {
		return StreamDescription{}, err
	}
	state := stateOf(st)
	d := describe(state)
	if state.meta.Status == StatusCreating {
		// AWS lists no shards until the stream is ACTIVE (kinesalite's
		// suite, run against AWS).
		return d, nil
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	for _, s := range state.shards {
		if exclusiveStart != "" && s.info.ID <= exclusiveStart {
			continue
		}
		if len(d.Shards) == limit {
			d.HasMoreShards = true
			break
		}
		d.Shards = append(d.Shards, e.shardInfo(s))
	}
	return d, nil
}

// DescribeStreamSummary describes a stream without its shards.
func (e *Engine) DescribeStreamSummary(ref StreamRef) (StreamDescription, error) {
	st, _, err := e.resolve(ref)
	if err != nil {
		return StreamDescription{}, err
	}
	return describe(stateOf(st)), nil
}

// StreamSummary is one entry of ListStreams.
type StreamSummary struct {
	Name    string
	ARN     string
	Status  string
	Mode    string
	Created time.Time
}

// ListStreams lists up to limit streams in name order after
// exclusiveStart, or from where nextToken left off.
func (e *Engine) ListStreams(limit int, exclusiveStart, nextToken string) (list []StreamSummary, more bool, token string, err error) {
	if nextToken != "" {
		t, err := e.decodeToken(nextToken)
		if err != nil || t.created != 0 {
			return nil, false, "", errorf(registry.ErrInvalidArgument, "Invalid NextToken.")
		}
		exclusiveStart = t.payload
	}
	if limit <= 0 {
		limit = 100
	}
	var names []*stream
	for _, st := range e.reg.All() {
		if st.Def().Name > exclusiveStart {
			names = append(names, st)
		}
	}
	if len(names) > limit {
		names, more = names[:limit], true
	}
	for _, st := range names {
		m := st.Def()
		list = append(list, StreamSummary{Name: m.Name, ARN: m.ARN, Status: m.Status, Mode: m.Mode, Created: m.Created})
	}
	if more {
		token = e.encodeToken(listToken{issued: e.cfg.Now(), payload: list[len(list)-1].Name})
	}
	return list, more, token, nil
}
