package consumer

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names of a lease item, as the KCL 2.x serializer writes them.
const (
	attrLeaseKey      = "leaseKey"
	attrLeaseOwner    = "leaseOwner"
	attrLeaseCounter  = "leaseCounter"
	attrOwnerSwitches = "ownerSwitchesSinceCheckpoint"
	attrCheckpoint    = "checkpoint"
	attrCheckpointSub = "checkpointSubSequenceNumber"
	attrPending       = "pendingCheckpoint"
	attrPendingSub    = "pendingCheckpointSubSequenceNumber"
	attrPendingState  = "pendingCheckpointState"
	attrParents       = "parentShardId"
	attrChildren      = "childShardIds"
	attrStartHash     = "startingHashKey"
	attrEndHash       = "endingHashKey"
	attrEntityType    = "entityType"
	attrCkptOwner     = "checkpointOwner"
)

// Lease is one row of the lease table: a shard, who holds it, how far it
// has been processed.
type Lease struct {
	// Key is the shard id.
	Key string
	// Owner is the worker id holding the lease; empty when unowned.
	Owner string
	// Counter is bumped by every owner-side write; a lease whose counter
	// stays unchanged for longer than the failover time is expired.
	Counter       int64
	OwnerSwitches int64
	Checkpoint    Position
	Parents       []string
	Children      []string
	// StartingHashKey and EndingHashKey are decimal 128-bit integers;
	// empty when unknown.
	StartingHashKey, EndingHashKey string
	// CheckpointOwner is set by a KCL 3.x leader during a graceful
	// handoff; this library leaves such leases alone.
	CheckpointOwner string
}

// finished reports whether the lease's shard has been read to its end and
// checkpointed there.
func (l Lease) finished() bool { return l.Checkpoint.Sequence == SentinelShardEnd }

// item is the lease as a new item for PutItem: every attribute KCL
// requires, no empty strings or sets.
func (l Lease) item() map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{
		attrLeaseKey:      &types.AttributeValueMemberS{Value: l.Key},
		attrLeaseCounter:  num(l.Counter),
		attrOwnerSwitches: num(l.OwnerSwitches),
		attrCheckpoint:    &types.AttributeValueMemberS{Value: l.Checkpoint.Sequence},
		attrCheckpointSub: num(l.Checkpoint.SubSequence),
	}
	if l.Owner != "" {
		it[attrLeaseOwner] = &types.AttributeValueMemberS{Value: l.Owner}
	}
	if len(l.Parents) > 0 {
		it[attrParents] = &types.AttributeValueMemberSS{Value: uniq(l.Parents)}
	}
	if len(l.Children) > 0 {
		it[attrChildren] = &types.AttributeValueMemberSS{Value: uniq(l.Children)}
	}
	if l.StartingHashKey != "" && l.EndingHashKey != "" {
		it[attrStartHash] = &types.AttributeValueMemberS{Value: l.StartingHashKey}
		it[attrEndHash] = &types.AttributeValueMemberS{Value: l.EndingHashKey}
	}
	return it
}

func uniq(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

func num(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// isLeaseItem reports whether a table row is a lease (KCL 3.5 tables also
// hold coordinator and worker-metrics rows, told apart by entityType).
func isLeaseItem(it map[string]types.AttributeValue) bool {
	et, ok := it[attrEntityType].(*types.AttributeValueMemberS)
	return !ok || et.Value == "LEASE"
}

// parseLease reads a lease item. Items missing a required attribute are
// an error (the KCL refuses them too).
func parseLease(it map[string]types.AttributeValue) (Lease, error) {
	var l Lease
	var err error
	if l.Key, err = str(it, attrLeaseKey, true); err != nil {
		return l, err
	}
	if l.Owner, err = str(it, attrLeaseOwner, false); err != nil {
		return l, err
	}
	if l.Counter, err = integer(it, attrLeaseCounter, true); err != nil {
		return l, err
	}
	if l.OwnerSwitches, err = integer(it, attrOwnerSwitches, false); err != nil {
		return l, err
	}
	cp, err := str(it, attrCheckpoint, true)
	if err != nil {
		return l, err
	}
	sub, err := integer(it, attrCheckpointSub, false)
	if err != nil {
		return l, err
	}
	if l.Checkpoint, err = ParsePosition(cp, sub); err != nil {
		return l, fmt.Errorf("lease %s: %w", l.Key, err)
	}
	if l.Parents, err = strSet(it, attrParents); err != nil {
		return l, err
	}
	if l.Children, err = strSet(it, attrChildren); err != nil {
		return l, err
	}
	if l.StartingHashKey, err = str(it, attrStartHash, false); err != nil {
		return l, err
	}
	if l.EndingHashKey, err = str(it, attrEndHash, false); err != nil {
		return l, err
	}
	if l.CheckpointOwner, err = str(it, attrCkptOwner, false); err != nil {
		return l, err
	}
	return l, nil
}

func str(it map[string]types.AttributeValue, name string, required bool) (string, error) {
	v, ok := it[name]
	if !ok {
		if required {
			return "", fmt.Errorf("consumer: lease item without %s", name)
		}
		return "", nil
	}
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("consumer: lease attribute %s is %T, want S", name, v)
	}
	return s.Value, nil
}

func integer(it map[string]types.AttributeValue, name string, required bool) (int64, error) {
	v, ok := it[name]
	if !ok {
		if required {
			return 0, fmt.Errorf("consumer: lease item without %s", name)
		}
		return 0, nil
	}
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("consumer: lease attribute %s is %T, want N", name, v)
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("consumer: lease attribute %s: %w", name, err)
	}
	return i, nil
}

func strSet(it map[string]types.AttributeValue, name string) ([]string, error) {
	v, ok := it[name]
	if !ok {
		return nil, nil
	}
	switch s := v.(type) {
	case *types.AttributeValueMemberSS:
		return slices.Clone(s.Value), nil
	case *types.AttributeValueMemberS: // tolerated: a single id
		return []string{s.Value}, nil
	}
	return nil, fmt.Errorf("consumer: lease attribute %s is %T, want SS", name, v)
}
