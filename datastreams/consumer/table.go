package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDBAPI is the part of *dynamodb.Client the worker uses.
type DynamoDBAPI interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// table is the lease table, written with the requests the KCL sends
// (legacy Expected and AttributeUpdates), so a Java KCL worker and this
// library can share it.
type table struct {
	db   DynamoDBAPI
	name string
}

// isConditionFailed reports a failed Expected condition.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// ensure creates the table if it is missing (leaseKey HASH,
// PAY_PER_REQUEST) and waits until it is ACTIVE.
func (t *table) ensure(ctx context.Context, poll time.Duration) error {
	_, err := t.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.name)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		_, err = t.db.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:                 aws.String(t.name),
			KeySchema:                 []types.KeySchemaElement{{AttributeName: aws.String(attrLeaseKey), KeyType: types.KeyTypeHash}},
			AttributeDefinitions:      []types.AttributeDefinition{{AttributeName: aws.String(attrLeaseKey), AttributeType: types.ScalarAttributeTypeS}},
			BillingMode:               types.BillingModePayPerRequest,
			DeletionProtectionEnabled: aws.Bool(false),
		})
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return fmt.Errorf("consumer: create lease table %s: %w", t.name, err)
		}
	} else if err != nil {
		return fmt.Errorf("consumer: describe lease table %s: %w", t.name, err)
	}
	for {
		d, err := t.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.name)})
		if err == nil && d.Table != nil && (d.Table.TableStatus == types.TableStatusActive || d.Table.TableStatus == types.TableStatusUpdating) {
			return nil
		}
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("consumer: describe lease table %s: %w", t.name, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// list scans every lease (all pages), skipping rows that are not leases
// and logging none: a malformed lease is an error.
func (t *table) list(ctx context.Context) ([]Lease, error) {
	var out []Lease
	var start map[string]types.AttributeValue
	for {
		page, err := t.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(t.name), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("consumer: scan %s: %w", t.name, err)
		}
		for _, it := range page.Items {
			if !isLeaseItem(it) {
				continue
			}
			l, err := parseLease(it)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		start = page.LastEvaluatedKey
	}
}

func key(k string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrLeaseKey: &types.AttributeValueMemberS{Value: k}}
}

// get reads one lease; ok is false when it does not exist.
func (t *table) get(ctx context.Context, k string) (Lease, bool, error) {
	out, err := t.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.name), Key: key(k), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Lease{}, false, fmt.Errorf("consumer: get lease %s: %w", k, err)
	}
	if len(out.Item) == 0 {
		return Lease{}, false, nil
	}
	l, err := parseLease(out.Item)
	return l, err == nil, err
}

// create puts a new lease unless one exists (created is false then).
func (t *table) create(ctx context.Context, l Lease) (created bool, err error) {
	_, err = t.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.name),
		Item:      l.item(),
		Expected:  map[string]types.ExpectedAttributeValue{attrLeaseKey: {Exists: aws.Bool(false)}},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("consumer: create lease %s: %w", l.Key, err)
	}
	return true, nil
}

func counterIs(n int64) map[string]types.ExpectedAttributeValue {
	return map[string]types.ExpectedAttributeValue{attrLeaseCounter: {Value: num(n)}}
}

func put(v types.AttributeValue) types.AttributeValueUpdate {
	return types.AttributeValueUpdate{Action: types.AttributeActionPut, Value: v}
}

var del = types.AttributeValueUpdate{Action: types.AttributeActionDelete}

// update writes updates conditioned on the lease counter being n, and
// bumps it to n+1. lost is true when the condition failed.
func (t *table) update(ctx context.Context, k string, n int64, au map[string]types.AttributeValueUpdate) (lost bool, err error) {
	au[attrLeaseCounter] = put(num(n + 1))
	_, err = t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(t.name),
		Key:              key(k),
		Expected:         counterIs(n),
		AttributeUpdates: au,
	})
	if isConditionFailed(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("consumer: update lease %s: %w", k, err)
	}
	return false, nil
}

// renew is the KCL's renewLease: counter n -> n+1. A failed condition is
// checked once with a read, as the KCL does, in case the previous try
// succeeded but its answer was lost.
func (t *table) renew(ctx context.Context, k, owner string, n int64) (lost bool, err error) {
	lost, err = t.update(ctx, k, n, map[string]types.AttributeValueUpdate{})
	if err != nil || !lost {
		return lost, err
	}
	l, ok, gerr := t.get(ctx, k)
	if gerr != nil {
		return false, gerr
	}
	return !ok || l.Owner != owner || l.Counter != n+1, nil
}

// take is the KCL's takeLease: counter n -> n+1, owner = worker, and one
// more owner switch when the owner changes.
func (t *table) take(ctx context.Context, l Lease, worker string) (lost bool, err error) {
	au := map[string]types.AttributeValueUpdate{attrLeaseOwner: put(&types.AttributeValueMemberS{Value: worker})}
	if l.Owner != worker {
		au[attrOwnerSwitches] = types.AttributeValueUpdate{Action: types.AttributeActionAdd, Value: num(1)}
	}
	return t.update(ctx, l.Key, l.Counter, au)
}

// checkpoint is the KCL's checkpoint write: position, owner switches 0,
// pending checkpoint fields removed.
func (t *table) checkpoint(ctx context.Context, k string, n int64, p Position) (lost bool, err error) {
	return t.update(ctx, k, n, map[string]types.AttributeValueUpdate{
		attrCheckpoint:    put(&types.AttributeValueMemberS{Value: p.Sequence}),
		attrCheckpointSub: put(num(p.SubSequence)),
		attrOwnerSwitches: put(num(0)),
		attrPending:       del,
		attrPendingSub:    del,
		attrPendingState:  del,
	})
}

// release removes the owner, conditioned on the counter, so that other
// workers may take the lease at once. (The KCL only forgets its leases
// locally at shutdown and lets them expire.)
func (t *table) release(ctx context.Context, k string, n int64) (lost bool, err error) {
	return t.update(ctx, k, n, map[string]types.AttributeValueUpdate{attrLeaseOwner: del})
}

// setChildren is the KCL's updateLeaseWithMetaInfo for child shards: no
// counter change, conditioned only on the lease existing.
func (t *table) setChildren(ctx context.Context, k string, children []string) error {
	if len(children) == 0 {
		return nil
	}
	_, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(t.name),
		Key:              key(k),
		Expected:         map[string]types.ExpectedAttributeValue{attrLeaseKey: {Exists: aws.Bool(true), Value: &types.AttributeValueMemberS{Value: k}}},
		AttributeUpdates: map[string]types.AttributeValueUpdate{attrChildren: put(&types.AttributeValueMemberSS{Value: uniq(children)})},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("consumer: set child shards of %s: %w", k, err)
	}
	return nil
}

// remove deletes a finished lease (only while its checkpoint is still
// SHARD_END).
func (t *table) remove(ctx context.Context, k string) error {
	_, err := t.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(t.name),
		Key:       key(k),
		Expected:  map[string]types.ExpectedAttributeValue{attrCheckpoint: {Value: &types.AttributeValueMemberS{Value: SentinelShardEnd}}},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("consumer: delete lease %s: %w", k, err)
	}
	return nil
}
