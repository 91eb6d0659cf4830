package leases

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// The tests build requests from the JSON the SDKs send, so the member
// names of the input types are checked too.

func decode[T any](t *testing.T, body string) *T {
	t.Helper()
	v := new(T)
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func newTestEngine(t *testing.T) *Engine {
	t.Helper()
	return New(NewMemStore(), Config{Region: "eu-west-1", Account: "123456789012", Now: func() time.Time { return time.Unix(1700000000, 0) }})
}

func mustKind(t *testing.T, err error, kind error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, kind) {
		t.Fatalf("error %v (%T), want %v", err, err, kind)
	}
	return e
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func js(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	ok(t, err)
	return string(b)
}

// leaseTable creates a KCL 2.x lease table as KCL does.
func leaseTable(t *testing.T, e *Engine, name string) {
	t.Helper()
	_, err := e.CreateTable(context.Background(), decode[CreateTableInput](t, `{"TableName":"`+name+`",
		"KeySchema":[{"AttributeName":"leaseKey","KeyType":"HASH"}],
		"AttributeDefinitions":[{"AttributeName":"leaseKey","AttributeType":"S"}],
		"BillingMode":"PAY_PER_REQUEST","DeletionProtectionEnabled":false}`))
	ok(t, err)
}

func put(t *testing.T, e *Engine, body string) (attr.Item, error) {
	t.Helper()
	return e.PutItem(context.Background(), decode[PutItemInput](t, body))
}

func update(t *testing.T, e *Engine, body string) (attr.Item, error) {
	t.Helper()
	return e.UpdateItem(context.Background(), decode[UpdateItemInput](t, body))
}

func get(t *testing.T, e *Engine, table, key string) attr.Item {
	t.Helper()
	it, err := e.GetItem(context.Background(), decode[GetItemInput](t, `{"TableName":"`+table+`","Key":{"leaseKey":{"S":"`+key+`"}}}`))
	ok(t, err)
	return it
}

func TestCreateDescribeTable(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	leaseTable(t, e, "app")
	d, err := e.DescribeTable(ctx, "app")
	ok(t, err)
	if d.TableStatus != "ACTIVE" || d.TableArn != "arn:aws:dynamodb:eu-west-1:123456789012:table/app" || d.BillingModeSummary.BillingMode != "PAY_PER_REQUEST" || d.ProvisionedThroughput == nil {
		t.Fatalf("description %s", js(t, d))
	}
	_, err = e.CreateTable(ctx, decode[CreateTableInput](t, `{"TableName":"app","KeySchema":[{"AttributeName":"leaseKey","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"leaseKey","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`))
	mustKind(t, err, ErrResourceInUse)
	_, err = e.DescribeTable(ctx, "nope")
	mustKind(t, err, ErrResourceNotFound)
	for _, bad := range []string{
		`{"TableName":"ab","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`,
		`{"TableName":"a b c","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`,
		`{"TableName":"abc","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"x","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`,
		`{"TableName":"abc","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"},{"AttributeName":"x","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`,
		`{"TableName":"abc","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"BOOL"}],"BillingMode":"PAY_PER_REQUEST"}`,
		`{"TableName":"abc","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}]}`,
		`{"TableName":"abc","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}`,
		`{"TableName":"abc","KeySchema":[{"AttributeName":"k","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`,
		`{"TableName":"abc","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true}}`,
	} {
		_, err := e.CreateTable(ctx, decode[CreateTableInput](t, bad))
		mustKind(t, err, ErrValidation)
	}
	// Provisioned (KCL 2.0-2.4).
	_, err = e.CreateTable(ctx, decode[CreateTableInput](t, `{"TableName":"old-app","KeySchema":[{"AttributeName":"leaseKey","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"leaseKey","AttributeType":"S"}],"ProvisionedThroughput":{"ReadCapacityUnits":10,"WriteCapacityUnits":10}}`))
	ok(t, err)
	d, err = e.DescribeTable(ctx, "old-app")
	ok(t, err)
	if d.BillingModeSummary.BillingMode != "PROVISIONED" || d.ProvisionedThroughput.ReadCapacityUnits != 10 {
		t.Fatalf("description %s", js(t, d))
	}
	names, last, err := e.ListTables(ctx, "", 1)
	ok(t, err)
	if len(names) != 1 || names[0] != "app" || last != "app" {
		t.Fatalf("list %v %q", names, last)
	}
	names, last, err = e.ListTables(ctx, last, 1)
	ok(t, err)
	if len(names) != 1 || names[0] != "old-app" || last != "" {
		t.Fatalf("list %v %q", names, last)
	}
}

func TestDeleteTableProtection(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	_, err := e.CreateTable(ctx, decode[CreateTableInput](t, `{"TableName":"prot","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST","DeletionProtectionEnabled":true}`))
	ok(t, err)
	_, err = e.DeleteTable(ctx, "prot")
	mustKind(t, err, ErrValidation)
	_, err = e.UpdateTable(ctx, decode[UpdateTableInput](t, `{"TableName":"prot","DeletionProtectionEnabled":false}`))
	ok(t, err)
	_, err = put(t, e, `{"TableName":"prot","Item":{"k":{"S":"a"}}}`)
	ok(t, err)
	d, err := e.DeleteTable(ctx, "prot")
	ok(t, err)
	if d.TableStatus != "DELETING" {
		t.Fatal(d.TableStatus)
	}
	_, err = e.DeleteTable(ctx, "prot")
	mustKind(t, err, ErrResourceNotFound)
	// A new table of the same name starts empty.
	_, err = e.CreateTable(ctx, decode[CreateTableInput](t, `{"TableName":"prot","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`))
	ok(t, err)
	d, err = e.DescribeTable(ctx, "prot")
	ok(t, err)
	if d.ItemCount != 0 {
		t.Fatalf("recreated table holds %d items", d.ItemCount)
	}
}

// TestKCLLeaseRequests replays the lease-table requests of KCL 2.x/3.x.
func TestKCLLeaseRequests(t *testing.T) {
	e := newTestEngine(t)
	leaseTable(t, e, "app")
	// createLeaseIfNotExists
	create := `{"TableName":"app","Item":{"leaseKey":{"S":"shardId-000000000000"},"leaseCounter":{"N":"0"},"ownerSwitchesSinceCheckpoint":{"N":"0"},"checkpoint":{"S":"TRIM_HORIZON"},"checkpointSubSequenceNumber":{"N":"0"},"parentShardId":{"SS":["shardId-9"]},"startingHashKey":{"S":"0"},"endingHashKey":{"S":"340282366920938463463374607431768211455"}},"Expected":{"leaseKey":{"Exists":false}}}`
	_, err := put(t, e, create)
	ok(t, err)
	_, err = put(t, e, create)
	if e := mustKind(t, err, ErrConditionalCheckFailed); e.Item != nil || e.Message != "The conditional request failed" {
		t.Fatalf("CCF without ALL_OLD: %+v", e)
	}
	// takeLease: counter 0 -> 1, owner w1, switches +1.
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000000"}},"Expected":{"leaseCounter":{"Value":{"N":"0"}}},"AttributeUpdates":{"leaseCounter":{"Value":{"N":"1"},"Action":"PUT"},"leaseOwner":{"Value":{"S":"w1"},"Action":"PUT"},"ownerSwitchesSinceCheckpoint":{"Value":{"N":"1"},"Action":"ADD"},"checkpointOwner":{"Action":"DELETE"}}}`)
	ok(t, err)
	it := get(t, e, "app", "shardId-000000000000")
	if *it["leaseCounter"].N != "1" || *it["leaseOwner"].S != "w1" || *it["ownerSwitchesSinceCheckpoint"].N != "1" {
		t.Fatalf("after take: %s", js(t, it))
	}
	// renewLease (3.x): counter check + checkpointOwner absent, ALL_OLD on failure, throughput as a double.
	renew := func(n, m string) error {
		_, err := update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000000"}},"Expected":{"leaseCounter":{"Value":{"N":"`+n+`"}},"checkpointOwner":{"Exists":false}},"AttributeUpdates":{"leaseCounter":{"Value":{"N":"`+m+`"},"Action":"PUT"},"throughputKBps":{"Value":{"N":"1.0E-4"},"Action":"PUT"}},"ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`)
		return err
	}
	ok(t, renew("1", "2"))
	ce := mustKind(t, renew("1", "2"), ErrConditionalCheckFailed)
	if ce.Item == nil || *ce.Item["leaseCounter"].N != "2" || *ce.Item["throughputKBps"].N != "0.0001" {
		t.Fatalf("CCF item: %s", js(t, ce.Item))
	}
	// Numbers compare numerically: "2.0" matches "2".
	ok(t, renew("2.0", "3"))
	// A string "3" does not match the number 3.
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000000"}},"Expected":{"leaseCounter":{"Value":{"S":"3"}}},"AttributeUpdates":{"leaseCounter":{"Value":{"N":"4"}}}}`)
	mustKind(t, err, ErrConditionalCheckFailed)
	// initiateGracefulLeaseHandoff: owner w1 -> w2, checkpointOwner w1, ALL_NEW.
	got, err := update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000000"}},"Expected":{"leaseOwner":{"Value":{"S":"w1"}},"checkpointOwner":{"Exists":false},"leaseKey":{"Exists":true,"Value":{"S":"shardId-000000000000"}}},"AttributeUpdates":{"leaseOwner":{"Value":{"S":"w2"},"Action":"PUT"},"checkpointOwner":{"Value":{"S":"w1"},"Action":"PUT"}},"ReturnValues":"ALL_NEW"}`)
	ok(t, err)
	if *got["leaseOwner"].S != "w2" || *got["checkpointOwner"].S != "w1" || *got["leaseCounter"].N != "3" {
		t.Fatalf("handoff ALL_NEW: %s", js(t, got))
	}
	// The old owner's renew now fails on checkpointOwner; it sees the handoff in the item.
	ce = mustKind(t, renew("3", "4"), ErrConditionalCheckFailed)
	if *ce.Item["checkpointOwner"].S != "w1" {
		t.Fatalf("CCF item: %s", js(t, ce.Item))
	}
	// assignLease completing the handoff: clears checkpointOwner, counter +1.
	got, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000000"}},"Expected":{"leaseOwner":{"Value":{"S":"w2"}},"checkpointOwner":{"Value":{"S":"w1"}},"leaseKey":{"Exists":true,"Value":{"S":"shardId-000000000000"}}},"AttributeUpdates":{"leaseOwner":{"Value":{"S":"w2"},"Action":"PUT"},"checkpointOwner":{"Action":"DELETE"},"leaseCounter":{"Value":{"N":"1"},"Action":"ADD"},"ownerSwitchesSinceCheckpoint":{"Value":{"N":"1"},"Action":"ADD"}},"ReturnValues":"ALL_NEW","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`)
	ok(t, err)
	if _, has := got["checkpointOwner"]; has || *got["leaseCounter"].N != "4" || *got["ownerSwitchesSinceCheckpoint"].N != "2" {
		t.Fatalf("assign ALL_NEW: %s", js(t, got))
	}
	// assignLease on an unowned lease that does not exist must not create it (leaseKey Exists:true).
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000007"}},"Expected":{"leaseOwner":{"Exists":false},"checkpointOwner":{"Exists":false},"leaseKey":{"Exists":true,"Value":{"S":"shardId-000000000007"}}},"AttributeUpdates":{"leaseOwner":{"Value":{"S":"w2"},"Action":"PUT"},"leaseCounter":{"Value":{"N":"1"},"Action":"ADD"}},"ReturnValues":"ALL_NEW","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`)
	if ce := mustKind(t, err, ErrConditionalCheckFailed); ce.Item != nil {
		t.Fatalf("CCF on a missing item carries %s", js(t, ce.Item))
	}
	// Without leaseKey Exists:true the same update upserts.
	got, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000008"}},"Expected":{"leaseOwner":{"Exists":false}},"AttributeUpdates":{"leaseOwner":{"Value":{"S":"w2"},"Action":"PUT"},"leaseCounter":{"Value":{"N":"1"},"Action":"ADD"}},"ReturnValues":"ALL_NEW"}`)
	ok(t, err)
	if *got["leaseKey"].S != "shardId-000000000008" || *got["leaseCounter"].N != "1" {
		t.Fatalf("upsert: %s", js(t, got))
	}
	// An update that only deletes attributes does not create the item; an empty one does.
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000009"}},"AttributeUpdates":{"checkpointOwner":{"Action":"DELETE"}}}`)
	ok(t, err)
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000009"}},"UpdateExpression":"REMOVE a"}`)
	ok(t, err)
	if it := get(t, e, "app", "shardId-000000000009"); it != nil {
		t.Fatalf("a delete-only update created %s", js(t, it))
	}
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000009"}}}`)
	ok(t, err)
	if it := get(t, e, "app", "shardId-000000000009"); len(it) != 1 {
		t.Fatalf("an empty update made %s", js(t, it))
	}
	// updateLease (checkpoint): counter condition, PUTs and DELETEs of pending fields.
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000000"}},"Expected":{"leaseCounter":{"Value":{"N":"4"}}},"AttributeUpdates":{"leaseCounter":{"Value":{"N":"5"},"Action":"PUT"},"checkpoint":{"Value":{"S":"49590338271490256608559692538361571095921575989136588898"},"Action":"PUT"},"checkpointSubSequenceNumber":{"Value":{"N":"3"},"Action":"PUT"},"ownerSwitchesSinceCheckpoint":{"Value":{"N":"0"},"Action":"PUT"},"pendingCheckpoint":{"Action":"DELETE"},"pendingCheckpointSubSequenceNumber":{"Action":"DELETE"},"pendingCheckpointState":{"Action":"DELETE"},"childShardIds":{"Value":{"SS":["shardId-1","shardId-2"]},"Action":"PUT"}}}`)
	ok(t, err)
	// updateLeaseWithMetaInfo, UPDATED_NEW / UPDATED_OLD.
	got, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000000"}},"Expected":{"leaseKey":{"Exists":true,"Value":{"S":"shardId-000000000000"}}},"AttributeUpdates":{"childShardIds":{"Value":{"SS":["shardId-3"]},"Action":"PUT"}},"ReturnValues":"UPDATED_OLD"}`)
	ok(t, err)
	if len(got) != 1 || len(got["childShardIds"].SS) != 2 {
		t.Fatalf("UPDATED_OLD: %s", js(t, got))
	}
	// deleteLease: no condition; an absent item is no error.
	for range 2 {
		_, err = e.DeleteItem(context.Background(), decode[DeleteItemInput](t, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000008"}}}`))
		ok(t, err)
	}
	if it := get(t, e, "app", "shardId-000000000008"); it != nil {
		t.Fatalf("deleted item: %s", js(t, it))
	}
}

// TestLockClientRequests replays the DynamoDB lock client's requests
// (KCL 3.x leader election) and the enhanced client's.
func TestLockClientRequests(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	_, err := e.CreateTable(ctx, decode[CreateTableInput](t, `{"TableName":"app-CoordinatorState","KeySchema":[{"AttributeName":"key","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"key","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`))
	ok(t, err)
	acquire := `{"TableName":"app-CoordinatorState","Item":{"key":{"S":"Leader"},"ownerName":{"S":"w1"},"leaseDuration":{"S":"120000"},"recordVersionNumber":{"S":"rvn-1"}},"ConditionExpression":"attribute_not_exists(#pk)","ExpressionAttributeNames":{"#pk":"key"}}`
	_, err = put(t, e, acquire)
	ok(t, err)
	_, err = put(t, e, acquire)
	mustKind(t, err, ErrConditionalCheckFailed)
	// Acquire from a silent holder.
	_, err = put(t, e, `{"TableName":"app-CoordinatorState","Item":{"key":{"S":"Leader"},"ownerName":{"S":"w2"},"leaseDuration":{"S":"120000"},"recordVersionNumber":{"S":"rvn-2"}},"ConditionExpression":"attribute_exists(#pk) AND #rvn = :rvn","ExpressionAttributeNames":{"#pk":"key","#rvn":"recordVersionNumber"},"ExpressionAttributeValues":{":rvn":{"S":"rvn-1"}}}`)
	ok(t, err)
	// Heartbeat.
	hb := `{"TableName":"app-CoordinatorState","Key":{"key":{"S":"Leader"}},"UpdateExpression":"SET #ld = :ld, #rvn = :newRvn","ConditionExpression":"attribute_exists(#pk) AND #rvn = :rvn AND #on = :on","ExpressionAttributeNames":{"#pk":"key","#ld":"leaseDuration","#rvn":"recordVersionNumber","#on":"ownerName"},"ExpressionAttributeValues":{":ld":{"S":"120000"},":newRvn":{"S":"rvn-3"},":rvn":{"S":"rvn-2"},":on":{"S":"w2"}}}`
	_, err = update(t, e, hb)
	ok(t, err)
	_, err = update(t, e, hb)
	mustKind(t, err, ErrConditionalCheckFailed)
	// Update-in-place acquire with the lock client's spacing.
	_, err = update(t, e, `{"TableName":"app-CoordinatorState","Key":{"key":{"S":"Leader"}},"UpdateExpression":"SET #k0=:v0,#k1=:v1 REMOVE #ir ","ExpressionAttributeNames":{"#k0":"ownerName","#k1":"recordVersionNumber","#ir":"isReleased"},"ExpressionAttributeValues":{":v0":{"S":"w3"},":v1":{"S":"rvn-4"}}}`)
	ok(t, err)
	// Release.
	_, err = e.DeleteItem(ctx, decode[DeleteItemInput](t, `{"TableName":"app-CoordinatorState","Key":{"key":{"S":"Leader"}},"ConditionExpression":"attribute_exists(#pk) AND #rvn = :rvn AND #on = :on","ExpressionAttributeNames":{"#pk":"key","#rvn":"recordVersionNumber","#on":"ownerName"},"ExpressionAttributeValues":{":rvn":{"S":"rvn-4"},":on":{"S":"w3"}}}`))
	ok(t, err)
	// Worker metrics (enhanced client): SET with ALL_NEW, then the conditional delete.
	_, err = e.CreateTable(ctx, decode[CreateTableInput](t, `{"TableName":"app-WorkerMetricStats","KeySchema":[{"AttributeName":"wid","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"wid","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`))
	ok(t, err)
	got, err := update(t, e, `{"TableName":"app-WorkerMetricStats","Key":{"wid":{"S":"w1"}},"UpdateExpression":"SET #AMZN_MAPPED_lut = :AMZN_MAPPED_lut, #AMZN_MAPPED_sts = :AMZN_MAPPED_sts","ExpressionAttributeNames":{"#AMZN_MAPPED_lut":"lut","#AMZN_MAPPED_sts":"sts"},"ExpressionAttributeValues":{":AMZN_MAPPED_lut":{"N":"1700000000"},":AMZN_MAPPED_sts":{"M":{"C":{"L":[{"N":"12.5"},{"N":"-1"}]},"M":{"L":[]}}}},"ReturnValues":"ALL_NEW"}`)
	ok(t, err)
	if got["sts"].M["M"].Type() != attr.TypeL || len(got["sts"].M["M"].L) != 0 {
		t.Fatalf("empty list lost: %s", js(t, got))
	}
	del := `{"TableName":"app-WorkerMetricStats","Key":{"wid":{"S":"w1"}},"ConditionExpression":"#key = :value AND attribute_exists (wid)","ExpressionAttributeNames":{"#key":"lut"},"ExpressionAttributeValues":{":value":{"N":"1700000000.0"}},"ReturnValues":"ALL_OLD"}`
	old, err := e.DeleteItem(ctx, decode[DeleteItemInput](t, del))
	ok(t, err)
	if *old["wid"].S != "w1" {
		t.Fatalf("ALL_OLD: %s", js(t, old))
	}
	_, err = e.DeleteItem(ctx, decode[DeleteItemInput](t, del))
	mustKind(t, err, ErrConditionalCheckFailed)
}

func TestWriteValidation(t *testing.T) {
	e := newTestEngine(t)
	leaseTable(t, e, "app")
	for _, body := range []string{
		// mixing legacy and expressions
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"Expected":{"leaseKey":{"Exists":false}},"ConditionExpression":"attribute_not_exists(leaseKey)"}`,
		// unused and undefined placeholders
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"ConditionExpression":"attribute_not_exists(leaseKey)","ExpressionAttributeNames":{"#x":"y"}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"ConditionExpression":"leaseKey = :v","ExpressionAttributeValues":{":v":{"S":"a"},":w":{"S":"b"}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"ConditionExpression":"#k = :v","ExpressionAttributeValues":{":v":{"S":"a"}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"ExpressionAttributeValues":{":v":{"S":"a"}}}`,
		// Expected forms DynamoDB refuses
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"Expected":{"x":{"Exists":true}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"Expected":{"x":{"Exists":false,"Value":{"S":"a"}}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"Expected":{"x":{"Value":{"S":"a"},"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"Expected":{"x":{"ComparisonOperator":"EQ"}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"Expected":{"x":{"ComparisonOperator":"LIKE","AttributeValueList":[{"S":"a"}]}}}`,
		// bad items
		`{"TableName":"app","Item":{"other":{"S":"a"}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"N":"1"}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":""}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"},"s":{"SS":[]}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"},"s":{"SS":["x","x"]}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"},"n":{"N":"1e126"}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"},"n":{"N":"12345678901234567890123456789012345678.9"}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"},"n":{"N":"abc"}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"},"v":{"S":"a","N":"1"}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"},"v":{}}}`,
		`{"TableName":"app","Item":{"leaseKey":{"S":"a"}},"ReturnValues":"ALL_NEW"}`,
	} {
		_, err := put(t, e, body)
		mustKind(t, err, ErrValidation)
	}
	for _, body := range []string{
		`{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"UpdateExpression":"SET leaseKey = :v","ExpressionAttributeValues":{":v":{"S":"b"}}}`,
		`{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"AttributeUpdates":{"leaseKey":{"Value":{"S":"b"}}}}`,
		`{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"AttributeUpdates":{"x":{"Value":{"S":"b"}}},"UpdateExpression":"SET y = :v","ExpressionAttributeValues":{":v":{"S":"b"}}}`,
		`{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"UpdateExpression":"SET a = :v SET b = :v","ExpressionAttributeValues":{":v":{"S":"b"}}}`,
		`{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"UpdateExpression":"SET a = :v, a.b = :v","ExpressionAttributeValues":{":v":{"S":"b"}}}`,
		`{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"UpdateExpression":"SET a = :v,","ExpressionAttributeValues":{":v":{"S":"b"}}}`,
		`{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"AttributeUpdates":{"x":{"Action":"PUT"}}}`,
		`{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"AttributeUpdates":{"x":{"Action":"ADD","Value":{"S":"b"}}}}`,
		`{"TableName":"app","Key":{"leaseKey":{"S":"a"},"extra":{"S":"b"}}}`,
		`{"TableName":"app","Key":{"leaseKey":{"N":"1"}}}`,
		`{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"ReturnValues":"SOME"}`,
	} {
		_, err := update(t, e, body)
		mustKind(t, err, ErrValidation)
	}
	_, err := put(t, e, `{"TableName":"missing","Item":{"leaseKey":{"S":"a"}}}`)
	mustKind(t, err, ErrResourceNotFound)
}

func TestUpdateExpressions(t *testing.T) {
	e := newTestEngine(t)
	leaseTable(t, e, "app")
	_, err := put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"a"},"n":{"N":"5"},"l":{"L":[{"S":"x"}]},"m":{"M":{"in":{"N":"1"}}},"s":{"SS":["a","b"]},"d":{"NS":["1","2"]},"gone":{"S":"x"}}}`)
	ok(t, err)
	got, err := update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"a"}},
		"UpdateExpression":"set n = n + :one, l = list_append(l, :l), m.in = m.in - :one, c = if_not_exists(c, :zero), m.new = :one remove gone add s :s, cnt :one delete d :d",
		"ExpressionAttributeValues":{":one":{"N":"1"},":l":{"L":[{"N":"2"}]},":zero":{"N":"0"},":s":{"SS":["c"]},":d":{"NS":["1.0","2"]}},"ReturnValues":"ALL_NEW"}`)
	ok(t, err)
	want := `{"c":{"N":"0"},"cnt":{"N":"1"},"l":{"L":[{"S":"x"},{"N":"2"}]},"leaseKey":{"S":"a"},"m":{"M":{"in":{"N":"0"},"new":{"N":"1"}}},"n":{"N":"6"},"s":{"SS":["a","b","c"]}}`
	if g := js(t, got); g != want {
		t.Fatalf("got  %s\nwant %s", g, want)
	}
	got, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"UpdateExpression":"SET l[0] = :v, l[9] = :v REMOVE m.in","ExpressionAttributeValues":{":v":{"BOOL":true}},"ReturnValues":"UPDATED_NEW"}`)
	ok(t, err)
	if g := js(t, got); g != `{"l":{"L":[{"BOOL":true},{"N":"2"},{"BOOL":true}]},"m":{"M":{"new":{"N":"1"}}}}` {
		t.Fatalf("UPDATED_NEW %s", g)
	}
	// Type errors.
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"UpdateExpression":"SET n = l + :v","ExpressionAttributeValues":{":v":{"N":"1"}}}`)
	mustKind(t, err, ErrValidation)
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"UpdateExpression":"SET x.y = :v","ExpressionAttributeValues":{":v":{"N":"1"}}}`)
	mustKind(t, err, ErrValidation)
	// Conditions with every function and operator.
	for _, c := range []struct {
		cond string
		pass bool
	}{
		{"n BETWEEN :a AND :b", true},
		{"n IN (:a, :b)", false},
		{"NOT n < :a OR n > :b AND n = :a", true},
		{"(NOT n < :a OR n > :b) AND n = :a", false},
		{"begins_with(leaseKey, :pre)", true},
		{"contains(s, :c)", true},
		{"contains(l, :two)", true},
		{"size(l) = :three", true},
		{"attribute_type(n, :t)", true},
		{"n <> :a", true},
		{"missing <> :a", true},
		{"missing = :a", false},
		{"m.new = :one AND l[1] = :two", true},
	} {
		all := map[string]string{":a": `{"N":"1"}`, ":b": `{"N":"100"}`, ":pre": `{"S":"a"}`, ":c": `{"S":"c"}`, ":two": `{"N":"2.00"}`, ":three": `{"N":"3"}`, ":t": `{"S":"N"}`}
		vals := `":one":{"N":"1"}`
		for k, v := range all {
			if strings.Contains(c.cond+" ", k+" ") || strings.Contains(c.cond, k+",") || strings.Contains(c.cond, k+")") {
				vals += `,"` + k + `":` + v
			}
		}
		_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"UpdateExpression":"SET touched = :one","ConditionExpression":"`+c.cond+`","ExpressionAttributeValues":{`+vals+`}}`)
		if c.pass && err != nil || !c.pass && !errors.Is(err, ErrConditionalCheckFailed) {
			t.Errorf("%s: %v (want pass %v)", c.cond, err, c.pass)
		}
	}
}
