package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ddbClient is a DynamoDB client of the AWS SDK for Go pointed at url; it
// never retries, so every error reaches the test.
func ddbClient(url string, creds aws.Credentials) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		HTTPClient:  sdkHTTPClient(awshttp.NewBuildableClient()), Retryer: aws.NopRetryer{}})
}

func ddbS(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func ddbN(n string) types.AttributeValue { return &types.AttributeValueMemberN{Value: n} }

// ddbLeaseKey is a lease table's key.
func ddbLeaseKey(k string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"leaseKey": ddbS(k)}
}

// createLeaseTable creates a lease table as the KCL does (leaseKey HASH,
// on demand, deletion protection sent off).
func createLeaseTable(t *testing.T, c *dynamodb.Client, name string) *types.TableDescription {
	t.Helper()
	out, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:                 aws.String(name),
		KeySchema:                 []types.KeySchemaElement{{AttributeName: aws.String("leaseKey"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions:      []types.AttributeDefinition{{AttributeName: aws.String("leaseKey"), AttributeType: types.ScalarAttributeTypeS}},
		BillingMode:               types.BillingModePayPerRequest,
		DeletionProtectionEnabled: aws.Bool(false),
	})
	if err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
	return out.TableDescription
}

// addOwnerIndex adds KCL 3.x's LeaseOwnerToLeaseKeyIndex with UpdateTable.
func addOwnerIndex(t *testing.T, c *dynamodb.Client, table string) *dynamodb.UpdateTableOutput {
	t.Helper()
	out, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("leaseOwner"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("leaseKey"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: aws.String("LeaseOwnerToLeaseKeyIndex"),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("leaseOwner"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("leaseKey"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}}},
	})
	if err != nil {
		t.Fatalf("UpdateTable %s: %v", table, err)
	}
	return out
}

// TestDynamoDBTablesWithSDK drives the table operations as the KCL and
// its tools call them: create (ACTIVE at once, so the SDK's waiter needs
// no poll), describe, the GSI of KCL 3.x, list with paging, the
// continuous-backup flag, TTL, limits, delete, and the clear answer of
// an operation shardcast does not serve.
func TestDynamoDBTablesWithSDK(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := ddbClient(srv.URL(), testCreds)
	_, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("app")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("DescribeTable of a missing table: %v", err)
	}
	d := createLeaseTable(t, c, "app")
	if d.TableStatus != types.TableStatusActive || aws.ToString(d.TableArn) != "arn:aws:dynamodb:us-east-1:000000000000:table/app" {
		t.Fatalf("created: %s %s", d.TableStatus, aws.ToString(d.TableArn))
	}
	_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("app"),
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("leaseKey"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("leaseKey"), AttributeType: types.ScalarAttributeTypeS}},
		BillingMode:          types.BillingModePayPerRequest})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("CreateTable again: %v", err)
	}
	// The SDK's waiter takes ACTIVE from its first DescribeTable.
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := dynamodb.NewTableExistsWaiter(c).Wait(wctx, &dynamodb.DescribeTableInput{TableName: aws.String("app")}, time.Minute); err != nil {
		t.Fatalf("table exists waiter: %v", err)
	}
	desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	tb := desc.Table
	if tb.BillingModeSummary == nil || tb.BillingModeSummary.BillingMode != types.BillingModePayPerRequest ||
		len(tb.KeySchema) != 1 || aws.ToString(tb.KeySchema[0].AttributeName) != "leaseKey" || tb.CreationDateTime == nil ||
		time.Since(*tb.CreationDateTime) > time.Hour || aws.ToBool(tb.DeletionProtectionEnabled) {
		t.Fatalf("DescribeTable: %+v", tb)
	}
	// KCL 3.x reads the index from UpdateTable's own answer.
	up := addOwnerIndex(t, c, "app")
	if g := up.TableDescription.GlobalSecondaryIndexes; len(g) != 1 || aws.ToString(g[0].IndexName) != "LeaseOwnerToLeaseKeyIndex" || g[0].IndexStatus == "" {
		t.Fatalf("UpdateTable's GSIs: %+v", g)
	}
	desc, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if g := desc.Table.GlobalSecondaryIndexes; len(g) != 1 || g[0].IndexStatus != types.IndexStatusActive ||
		g[0].Projection == nil || g[0].Projection.ProjectionType != types.ProjectionTypeKeysOnly {
		t.Fatalf("DescribeTable's GSIs: %+v", g)
	}
	// The table's ARN stands for its name.
	if _, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: tb.TableArn}); err != nil {
		t.Fatalf("DescribeTable by ARN: %v", err)
	}
	_, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("arn:aws:dynamodb:eu-west-1:000000000000:table/app")})
	if !errors.As(err, &rnf) {
		t.Fatalf("DescribeTable by another region's ARN: %v", err)
	}
	_, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("a")})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'a' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3")

	for _, name := range []string{"app-CoordinatorState", "app-WorkerMetricStats", "other"} {
		createLeaseTable(t, c, name)
	}
	var names []string
	p := dynamodb.NewListTablesPaginator(c, &dynamodb.ListTablesInput{Limit: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		names = append(names, out.TableNames...)
	}
	if want := []string{"app", "app-CoordinatorState", "app-WorkerMetricStats", "other"}; !slices.Equal(names, want) || pages != 2 {
		t.Fatalf("ListTables: %d pages %v, want 2 pages %v", pages, names, want)
	}

	// PITR, as KCL's leaseTablePitrEnabled asks for it.
	cb, err := c.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("app"),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
	if err != nil || cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
		t.Fatalf("UpdateContinuousBackups: %+v %v", cb, err)
	}
	dcb, err := c.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("app")})
	if err != nil || dcb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
		t.Fatalf("DescribeContinuousBackups: %+v %v", dcb, err)
	}
	_, err = c.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("nope")})
	var tnf *types.TableNotFoundException
	if !errors.As(err, &tnf) {
		t.Fatalf("DescribeContinuousBackups of a missing table: %v", err)
	}
	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("app")})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
		t.Fatalf("DescribeTimeToLive: %+v %v", ttl, err)
	}
	lim, err := c.DescribeLimits(ctx, &dynamodb.DescribeLimitsInput{})
	if err != nil || aws.ToInt64(lim.TableMaxWriteCapacityUnits) == 0 {
		t.Fatalf("DescribeLimits: %+v %v", lim, err)
	}

	// What shardcast does not serve says so, naming the operation.
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"app": {{PutRequest: &types.PutRequest{Item: ddbLeaseKey("x")}}}}})
	wantErr(t, err, "UnsupportedOperationException", "BatchWriteItem is not supported by shardcast yet; see the compatibility table in the README.")
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("app"), Item: ddbLeaseKey("x")}}}})
	wantErr(t, err, "UnsupportedOperationException", "TransactWriteItems is not supported by shardcast yet; see the compatibility table in the README.")

	del, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("other")})
	if err != nil || aws.ToString(del.TableDescription.TableName) != "other" {
		t.Fatalf("DeleteTable: %+v %v", del, err)
	}
	if _, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("other")}); !errors.As(err, &rnf) {
		t.Fatalf("DescribeTable after DeleteTable: %v", err)
	}
}

// ccf returns err as a ConditionalCheckFailedException, failing the test
// when it is not one.
func ccf(t *testing.T, what string, err error) *types.ConditionalCheckFailedException {
	t.Helper()
	var e *types.ConditionalCheckFailedException
	if !errors.As(err, &e) {
		t.Fatalf("%s: want ConditionalCheckFailedException, got %v", what, err)
	}
	if e.ErrorMessage() != "The conditional request failed" {
		t.Fatalf("%s: message %q", what, e.ErrorMessage())
	}
	return e
}

// counterOf reads a lease's leaseCounter.
func counterOf(t *testing.T, c *dynamodb.Client, table, key string) string {
	t.Helper()
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: ddbLeaseKey(key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	n, ok := out.Item["leaseCounter"].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("%s has no leaseCounter: %v", key, out.Item)
	}
	return n.Value
}

// TestDynamoDBConditionalWritesWithSDK sends every conditional write a
// lease table relies on, as the KCL (legacy Expected and
// AttributeUpdates), its lock client and its enhanced client
// (expressions) send them, and checks each failure's shape.
func TestDynamoDBConditionalWritesWithSDK(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := ddbClient(srv.URL(), testCreds)
	const table = "leases"
	createLeaseTable(t, c, table)
	tn := aws.String(table)
	lease := map[string]types.AttributeValue{"leaseKey": ddbS("shardId-000000000000"), "leaseCounter": ddbN("0"),
		"checkpoint": ddbS("TRIM_HORIZON"), "checkpointSubSequenceNumber": ddbN("0"), "ownerSwitchesSinceCheckpoint": ddbN("0"),
		"parentShardId":   &types.AttributeValueMemberSS{Value: []string{"shardId-000000000009"}},
		"startingHashKey": ddbS("0"), "endingHashKey": ddbS("340282366920938463463374607431768211455")}
	notExists := map[string]types.ExpectedAttributeValue{"leaseKey": {Exists: aws.Bool(false)}}
	// createLeaseIfNotExists: {Exists:false} on the key.
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: lease, Expected: notExists}); err != nil {
		t.Fatalf("create lease: %v", err)
	}
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: lease, Expected: notExists})
	if e := ccf(t, "create lease twice", err); e.Item != nil {
		t.Fatalf("Item without ALL_OLD: %v", e.Item)
	}
	key := ddbLeaseKey("shardId-000000000000")
	// takeLease: counter {Value}, then counter+1 and the new owner.
	take := func(counter, owner string) error {
		n, _ := strconv.Atoi(counter)
		_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
			Expected: map[string]types.ExpectedAttributeValue{"leaseCounter": {Value: ddbN(counter)}},
			AttributeUpdates: map[string]types.AttributeValueUpdate{
				"leaseCounter":                 {Action: types.AttributeActionPut, Value: ddbN(strconv.Itoa(n + 1))},
				"leaseOwner":                   {Action: types.AttributeActionPut, Value: ddbS(owner)},
				"ownerSwitchesSinceCheckpoint": {Action: types.AttributeActionAdd, Value: ddbN("1")}}})
		return err
	}
	if err := take("0", "worker-1"); err != nil {
		t.Fatalf("take lease: %v", err)
	}
	ccf(t, "take with a stale counter", take("0", "worker-2"))
	// A number compares as a number: "1" and "1.0" are one value; as a
	// string it is another type and fails.
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
		Expected:         map[string]types.ExpectedAttributeValue{"leaseCounter": {Value: ddbS("1")}},
		AttributeUpdates: map[string]types.AttributeValueUpdate{"checkpoint": {Value: ddbS("1")}}})
	ccf(t, "counter compared as a string", err)
	// renewLease: counter {Value} and owner {Exists:true, Value}.
	renew := func(counter, owner string) error {
		_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
			Expected: map[string]types.ExpectedAttributeValue{
				"leaseCounter": {Value: ddbN(counter)},
				"leaseOwner":   {Exists: aws.Bool(true), Value: ddbS(owner)}},
			AttributeUpdates: map[string]types.AttributeValueUpdate{"leaseCounter": {Action: types.AttributeActionAdd, Value: ddbN("1")},
				"throughputKBps": {Action: types.AttributeActionPut, Value: ddbN("1.0E-4")}}})
		return err
	}
	if err := renew("1.0", "worker-1"); err != nil {
		t.Fatalf("renew: %v", err)
	}
	ccf(t, "renew by another owner", renew("2", "worker-2"))
	if n := counterOf(t, c, table, "shardId-000000000000"); n != "2" {
		t.Fatalf("leaseCounter %s after a take and a renew, want 2", n)
	}
	// evictLease: ALL_NEW, and with ALL_OLD on a failed check the SDK's
	// error carries the item as it is.
	ev, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
		Expected:         map[string]types.ExpectedAttributeValue{"leaseOwner": {Value: ddbS("worker-1")}},
		AttributeUpdates: map[string]types.AttributeValueUpdate{"leaseOwner": {Action: types.AttributeActionDelete}, "leaseCounter": {Action: types.AttributeActionAdd, Value: ddbN("1")}},
		ReturnValues:     types.ReturnValueAllNew})
	if err != nil {
		t.Fatalf("evict: %v", err)
	}
	if _, owned := ev.Attributes["leaseOwner"]; owned || ev.Attributes["leaseCounter"].(*types.AttributeValueMemberN).Value != "3" ||
		ev.Attributes["checkpoint"].(*types.AttributeValueMemberS).Value != "TRIM_HORIZON" {
		t.Fatalf("ALL_NEW after evict: %v", ev.Attributes)
	}
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
		Expected:                            map[string]types.ExpectedAttributeValue{"leaseOwner": {Exists: aws.Bool(true), Value: ddbS("worker-1")}},
		AttributeUpdates:                    map[string]types.AttributeValueUpdate{"leaseCounter": {Action: types.AttributeActionAdd, Value: ddbN("1")}},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	e := ccf(t, "renew an evicted lease", err)
	if n, ok := e.Item["leaseCounter"].(*types.AttributeValueMemberN); !ok || n.Value != "3" || e.Item["leaseKey"] == nil {
		t.Fatalf("the failed check's Item: %v", e.Item)
	}
	// An update whose conditions pass on a missing item creates it;
	// KCL adds {leaseKey: Exists true} so that it does not.
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: ddbLeaseKey("shardId-000000000001"),
		Expected: map[string]types.ExpectedAttributeValue{"leaseOwner": {Exists: aws.Bool(false)},
			"leaseKey": {Exists: aws.Bool(true), Value: ddbS("shardId-000000000001")}},
		AttributeUpdates: map[string]types.AttributeValueUpdate{"leaseOwner": {Value: ddbS("worker-1")}}})
	ccf(t, "assign a missing lease", err)
	up, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: ddbLeaseKey("shardId-000000000001"),
		Expected:         map[string]types.ExpectedAttributeValue{"leaseOwner": {Exists: aws.Bool(false)}},
		AttributeUpdates: map[string]types.AttributeValueUpdate{"leaseCounter": {Action: types.AttributeActionAdd, Value: ddbN("1")}},
		ReturnValues:     types.ReturnValueAllNew})
	if err != nil || up.Attributes["leaseCounter"].(*types.AttributeValueMemberN).Value != "1" {
		t.Fatalf("upsert: %v %v", up, err)
	}
	// An empty Expected entry, {Exists:true} without a value, is the
	// caller's mistake.
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
		Expected:         map[string]types.ExpectedAttributeValue{"leaseOwner": {Exists: aws.Bool(true)}},
		AttributeUpdates: map[string]types.AttributeValueUpdate{"leaseOwner": {Value: ddbS("x")}}})
	wantErr(t, err, "ValidationException", "")
	// Legacy and expression parameters do not mix.
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: key,
		Expected:                  map[string]types.ExpectedAttributeValue{"leaseOwner": {Exists: aws.Bool(false)}},
		UpdateExpression:          aws.String("SET checkpoint = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": ddbS("x")}})
	wantErr(t, err, "ValidationException", "")

	// The lock client of KCL 3.x: acquire with names and no values,
	// heartbeat, steal by record version, release.
	lock := map[string]types.AttributeValue{"leaseKey": ddbS("Leader"), "ownerName": ddbS("worker-1"),
		"leaseDuration": ddbS("120000"), "recordVersionNumber": ddbS("rvn-1")}
	acquire := func(cond string, values map[string]types.AttributeValue) error {
		names := map[string]string{"#pk": "leaseKey"}
		if values != nil {
			names["#rvn"] = "recordVersionNumber"
		}
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: lock, ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values})
		return err
	}
	if err := acquire("attribute_not_exists(#pk)", nil); err != nil {
		t.Fatalf("acquire the lock: %v", err)
	}
	ccf(t, "acquire a held lock", acquire("attribute_not_exists(#pk)", nil))
	heartbeat := func(rvn, newRvn, owner string) error {
		_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: ddbLeaseKey("Leader"),
			UpdateExpression:         aws.String("SET #ld = :ld, #rvn = :newRvn"),
			ConditionExpression:      aws.String("attribute_exists(#pk) AND #rvn = :rvn AND #on = :on"),
			ExpressionAttributeNames: map[string]string{"#pk": "leaseKey", "#rvn": "recordVersionNumber", "#on": "ownerName", "#ld": "leaseDuration"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":ld": ddbS("120000"), ":newRvn": ddbS(newRvn),
				":rvn": ddbS(rvn), ":on": ddbS(owner)}})
		return err
	}
	if err := heartbeat("rvn-1", "rvn-2", "worker-1"); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	ccf(t, "heartbeat with a stale version", heartbeat("rvn-1", "rvn-3", "worker-1"))
	ccf(t, "heartbeat by another owner", heartbeat("rvn-2", "rvn-3", "worker-2"))
	lock["ownerName"], lock["recordVersionNumber"] = ddbS("worker-2"), ddbS("rvn-9")
	ccf(t, "steal with a stale version", acquire("attribute_exists(#pk) AND #rvn = :rvn", map[string]types.AttributeValue{":rvn": ddbS("rvn-1")}))
	if err := acquire("attribute_exists(#pk) AND #rvn = :rvn", map[string]types.AttributeValue{":rvn": ddbS("rvn-2")}); err != nil {
		t.Fatalf("steal the lock: %v", err)
	}
	// Update in place, as written without spaces and with a trailing one.
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: ddbLeaseKey("Leader"),
		UpdateExpression:          aws.String("SET #k0=:v0,#k1=:v1 REMOVE #ir "),
		ConditionExpression:       aws.String("attribute_exists(#pk) AND #rvn = :rvn"),
		ExpressionAttributeNames:  map[string]string{"#pk": "leaseKey", "#rvn": "recordVersionNumber", "#k0": "ownerName", "#k1": "leaseDuration", "#ir": "isReleased"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v0": ddbS("worker-3"), ":v1": ddbS("60000"), ":rvn": ddbS("rvn-9")}})
	if err != nil {
		t.Fatalf("update in place: %v", err)
	}
	release := func(rvn string) error {
		_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: tn, Key: ddbLeaseKey("Leader"),
			ConditionExpression:       aws.String("attribute_exists(#pk) AND #rvn = :rvn AND #on = :on"),
			ExpressionAttributeNames:  map[string]string{"#pk": "leaseKey", "#rvn": "recordVersionNumber", "#on": "ownerName"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":rvn": ddbS(rvn), ":on": ddbS("worker-3")}})
		return err
	}
	ccf(t, "release with a stale version", release("rvn-2"))
	if err := release("rvn-9"); err != nil {
		t.Fatalf("release: %v", err)
	}

	// Worker metrics through the enhanced client: upsert with ALL_NEW,
	// then a conditional delete with ALL_OLD.
	wm, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tn, Key: ddbLeaseKey("worker-1"),
		UpdateExpression:         aws.String("SET #AMZN_MAPPED_lut = :AMZN_MAPPED_lut, #AMZN_MAPPED_sts = :AMZN_MAPPED_sts"),
		ExpressionAttributeNames: map[string]string{"#AMZN_MAPPED_lut": "lut", "#AMZN_MAPPED_sts": "sts"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":AMZN_MAPPED_lut": ddbN("1700000000"),
			":AMZN_MAPPED_sts": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"C": &types.AttributeValueMemberL{Value: []types.AttributeValue{ddbN("12.5"), ddbN("-1")}}}}},
		ReturnValues: types.ReturnValueAllNew})
	if err != nil || wm.Attributes["lut"].(*types.AttributeValueMemberN).Value != "1700000000" || wm.Attributes["sts"] == nil {
		t.Fatalf("worker metrics: %v %v", wm, err)
	}
	delMetrics := func(lut string) (*dynamodb.DeleteItemOutput, error) {
		return c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: tn, Key: ddbLeaseKey("worker-1"),
			ConditionExpression:       aws.String("#key = :value AND attribute_exists (leaseKey)"),
			ExpressionAttributeNames:  map[string]string{"#key": "lut"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":value": ddbN(lut)},
			ReturnValues:              types.ReturnValueAllOld, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	}
	_, err = delMetrics("1")
	if e := ccf(t, "delete metrics of another time", err); e.Item["lut"] == nil {
		t.Fatalf("the failed delete's Item: %v", e.Item)
	}
	old, err := delMetrics("1700000000")
	if err != nil || old.Attributes["lut"].(*types.AttributeValueMemberN).Value != "1700000000" {
		t.Fatalf("delete metrics: %v %v", old, err)
	}
	// PutItem with ALL_OLD answers the item it replaced.
	lease["checkpoint"] = ddbS("49590338271490256608559692538361571095921575989136588898")
	pOld, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tn, Item: lease, ReturnValues: types.ReturnValueAllOld})
	if err != nil || pOld.Attributes["leaseCounter"].(*types.AttributeValueMemberN).Value != "3" {
		t.Fatalf("PutItem ALL_OLD: %v %v", pOld, err)
	}
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || got.Item["checkpoint"].(*types.AttributeValueMemberS).Value != "49590338271490256608559692538361571095921575989136588898" ||
		!slices.Equal(got.Item["parentShardId"].(*types.AttributeValueMemberSS).Value, []string{"shardId-000000000009"}) {
		t.Fatalf("GetItem: %v %v", got, err)
	}
	// A missing item is an answer without Item.
	none, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tn, Key: ddbLeaseKey("shardId-000000000099")})
	if err != nil || len(none.Item) != 0 {
		t.Fatalf("GetItem of a missing item: %v %v", none, err)
	}
	_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("missing"), Key: key})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("GetItem on a missing table: %v", err)
	}
}

// TestDynamoDBScanQueryWithSDK: Scan pages (the last one without
// LastEvaluatedKey), parallel segments that split the table, filters,
// COUNT, and Query on KCL 3.x's sparse owner index.
func TestDynamoDBScanQueryWithSDK(t *testing.T) {
	srv := startServer(t, testConfig(t))
	c := ddbClient(srv.URL(), testCreds)
	const table = "scanned"
	createLeaseTable(t, c, table)
	addOwnerIndex(t, c, table)
	const n = 25
	for i := range n {
		item := map[string]types.AttributeValue{"leaseKey": ddbS(fmt.Sprintf("shardId-%012d", i)), "leaseCounter": ddbN(strconv.Itoa(i))}
		if i%5 != 0 { // every fifth lease has no owner, so is not in the index
			item["leaseOwner"] = ddbS(fmt.Sprintf("worker-%d", i%3))
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(items []map[string]types.AttributeValue) []string {
		var ks []string
		for _, it := range items {
			ks = append(ks, it["leaseKey"].(*types.AttributeValueMemberS).Value)
		}
		return ks
	}
	// Pages of 7 by hand: 4 pages, the last without a key.
	var all []string
	var start map[string]types.AttributeValue
	for pages := 1; ; pages++ {
		out, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(7), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, keys(out.Items)...)
		if out.LastEvaluatedKey == nil {
			if pages != 4 {
				t.Fatalf("%d pages of 7 for %d items", pages, n)
			}
			break
		}
		if pages > n {
			t.Fatal("Scan pages without end")
		}
		start = out.LastEvaluatedKey
	}
	slices.Sort(all)
	if len(all) != n || len(slices.Compact(all)) != n {
		t.Fatalf("Scan pages returned %d keys (%d distinct), want %d", len(all), len(slices.Compact(all)), n)
	}
	// Segments: each item in exactly one of 4, through the paginator.
	var seg []string
	for s := range int32(4) {
		p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String(table), Segment: aws.Int32(s), TotalSegments: aws.Int32(4), Limit: aws.Int32(4)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seg = append(seg, keys(out.Items)...)
		}
	}
	slices.Sort(seg)
	if !slices.Equal(seg, all) {
		t.Fatalf("segments hold %v, want %v", seg, all)
	}
	// A filter, applied after the scan: Count and ScannedCount differ.
	f, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), FilterExpression: aws.String("leaseOwner = :o"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": ddbS("worker-1")}})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for i := range n {
		if i%5 != 0 && i%3 == 1 {
			want++
		}
	}
	if int(f.Count) != want || len(f.Items) != want || f.ScannedCount != n {
		t.Fatalf("filtered Scan: Count %d Items %d ScannedCount %d, want %d %d %d", f.Count, len(f.Items), f.ScannedCount, want, want, n)
	}
	cnt, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount})
	if err != nil || cnt.Count != n || cnt.Items != nil {
		t.Fatalf("Scan COUNT: %d %v %v", cnt.Count, cnt.Items, err)
	}
	// The owner index, paged by 2: worker-1's leases, keys only.
	var owned []string
	p := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("LeaseOwnerToLeaseKeyIndex"),
		KeyConditionExpression:    aws.String("leaseOwner = :leaseOwner"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":leaseOwner": ddbS("worker-1")}, Limit: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			if len(it) != 2 || it["leaseOwner"] == nil {
				t.Fatalf("KEYS_ONLY index item: %v", it)
			}
		}
		owned = append(owned, keys(out.Items)...)
	}
	if len(owned) != want || !slices.IsSorted(owned) {
		t.Fatalf("Query on the index: %v (%d), want %d sorted by leaseKey", owned, len(owned), want)
	}
}

// TestDynamoDBRestartWithSDK: tables, their index and items written
// before a restart are there after it (the storage under test: the
// catalog file, or JetStream).
func TestDynamoDBRestartWithSDK(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	c := ddbClient(srv.URL(), testCreds)
	createLeaseTable(t, c, "durable")
	addOwnerIndex(t, c, "durable")
	item := map[string]types.AttributeValue{"leaseKey": ddbS("shardId-000000000000"), "leaseOwner": ddbS("worker-1"),
		"leaseCounter": ddbN("7"), "pendingCheckpointState": &types.AttributeValueMemberB{Value: []byte{0, 1, 2}}}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("durable"), Item: item}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("durable"), Item: ddbLeaseKey("gone")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("durable"), Key: ddbLeaseKey("gone")}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, cfg)
	c = ddbClient(srv.URL(), testCreds)
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("durable")})
	if err != nil || len(d.Table.GlobalSecondaryIndexes) != 1 || aws.ToInt64(d.Table.ItemCount) != 1 {
		t.Fatalf("after restart, DescribeTable: %+v %v", d, err)
	}
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("durable"), Key: ddbLeaseKey("shardId-000000000000"), ConsistentRead: aws.Bool(true)})
	if err != nil || got.Item["leaseCounter"].(*types.AttributeValueMemberN).Value != "7" ||
		!slices.Equal(got.Item["pendingCheckpointState"].(*types.AttributeValueMemberB).Value, []byte{0, 1, 2}) {
		t.Fatalf("after restart, GetItem: %v %v", got, err)
	}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("durable"), IndexName: aws.String("LeaseOwnerToLeaseKeyIndex"),
		KeyConditionExpression:    aws.String("leaseOwner = :o"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": ddbS("worker-1")}})
	if err != nil || q.Count != 1 {
		t.Fatalf("after restart, Query: %v %v", q, err)
	}
	s, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("durable")})
	if err != nil || s.Count != 1 {
		t.Fatalf("after restart, Scan: %v %v", s, err)
	}
}

// TestDynamoDBPolicyWithSDK: a key whose policy allows dynamodb:GetItem
// on one table reads it and nothing else; refusals and bad credentials
// answer in DynamoDB's shapes.
func TestDynamoDBPolicyWithSDK(t *testing.T) {
	cfg := testConfig(t)
	leaseReader := aws.Credentials{AccessKeyID: "AKIDLEASES", SecretAccessKey: "leases-secret"}
	cfg.Auth.Keys = map[string]keyConfig{
		adminCreds.AccessKeyID: {Secret: adminCreds.SecretAccessKey},
		leaseReader.AccessKeyID: {Secret: leaseReader.SecretAccessKey, Policy: policyConfigOf(`{"Version": "2012-10-17", "Statement": [
			{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:*:*:table/allowed"}]}`)},
	}
	srv := startServer(t, cfg)
	admin, reader := ddbClient(srv.URL(), adminCreds), ddbClient(srv.URL(), leaseReader)
	for _, name := range []string{"allowed", "other"} {
		createLeaseTable(t, admin, name)
		if _, err := admin.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: ddbLeaseKey("k")}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := reader.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("allowed"), Key: ddbLeaseKey("k")})
	if err != nil || got.Item["leaseKey"] == nil {
		t.Fatalf("GetItem on the allowed table: %v %v", got, err)
	}
	const arn = "arn:aws:dynamodb:us-east-1:000000000000:table/"
	_, err = reader.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("other"), Key: ddbLeaseKey("k")})
	wantErr(t, err, "AccessDeniedException", denied("AKIDLEASES", "dynamodb:GetItem", arn+"other", false))
	_, err = reader.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("allowed"), Item: ddbLeaseKey("k2")})
	wantErr(t, err, "AccessDeniedException", denied("AKIDLEASES", "dynamodb:PutItem", arn+"allowed", false))
	_, err = reader.ListTables(ctx, &dynamodb.ListTablesInput{})
	wantErr(t, err, "AccessDeniedException", denied("AKIDLEASES", "dynamodb:ListTables", "*", false))
	// An ARN for the name is decided on as given.
	_, err = reader.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(arn + "other"), Key: ddbLeaseKey("k")})
	wantErr(t, err, "AccessDeniedException", denied("AKIDLEASES", "dynamodb:GetItem", arn+"other", false))
	if _, err := reader.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(arn + "allowed"), Key: ddbLeaseKey("k")}); err != nil {
		t.Fatalf("GetItem by the allowed table's ARN: %v", err)
	}
	_, err = ddbClient(srv.URL(), aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"}).ListTables(ctx, &dynamodb.ListTablesInput{})
	wantErr(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
	_, err = ddbClient(srv.URL(), aws.Credentials{AccessKeyID: leaseReader.AccessKeyID, SecretAccessKey: "wrong"}).GetItem(ctx,
		&dynamodb.GetItemInput{TableName: aws.String("allowed"), Key: ddbLeaseKey("k")})
	wantErr(t, err, "InvalidSignatureException", "")
}
