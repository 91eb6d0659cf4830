package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDynamoDBCLI drives a lease table with the AWS CLI (aws dynamodb):
// the table, conditional writes in both families, the failure as the CLI
// prints it, Scan and Query paged by the CLI, deletes.
func TestDynamoDBCLI(t *testing.T) {
	srv := startServer(t, testConfig(t))
	aws := newCLI(t, srv.URL())
	var created struct {
		TableDescription struct{ TableStatus, TableArn string }
	}
	aws.ok(&created, "dynamodb", "create-table", "--table-name", "cli-app",
		"--attribute-definitions", "AttributeName=leaseKey,AttributeType=S",
		"--key-schema", "AttributeName=leaseKey,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
	if created.TableDescription.TableStatus != "ACTIVE" || !strings.HasSuffix(created.TableDescription.TableArn, ":table/cli-app") {
		t.Fatalf("create-table: %+v", created)
	}
	aws.ok(nil, "dynamodb", "wait", "table-exists", "--table-name", "cli-app")
	var updated struct {
		TableDescription struct {
			GlobalSecondaryIndexes []struct{ IndexName, IndexStatus string }
		}
	}
	aws.ok(&updated, "dynamodb", "update-table", "--table-name", "cli-app",
		"--attribute-definitions", "AttributeName=leaseOwner,AttributeType=S", "AttributeName=leaseKey,AttributeType=S",
		"--global-secondary-index-updates", `[{"Create":{"IndexName":"LeaseOwnerToLeaseKeyIndex","KeySchema":[{"AttributeName":"leaseOwner","KeyType":"HASH"},{"AttributeName":"leaseKey","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}}]`)
	if g := updated.TableDescription.GlobalSecondaryIndexes; len(g) != 1 || g[0].IndexName != "LeaseOwnerToLeaseKeyIndex" || g[0].IndexStatus == "" {
		t.Fatalf("update-table: %+v", updated)
	}
	const (
		ccfPut    = "An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: The conditional request failed"
		ccfUpdate = "An error occurred (ConditionalCheckFailedException) when calling the UpdateItem operation: The conditional request failed"
	)
	failed := func(want string, args ...string) {
		t.Helper()
		_, stderr, code := aws.run(args...)
		if code == 0 || strings.TrimSpace(stderr) != want {
			t.Fatalf("aws %s: exit %d %q, want %q", strings.Join(args, " "), code, stderr, want)
		}
	}
	// Leases for 12 shards, created if not there (expression form), one
	// owner in three.
	for i := range 12 {
		item := `{"leaseKey":{"S":"shardId-` + pad(i) + `"},"leaseCounter":{"N":"0"},"checkpoint":{"S":"TRIM_HORIZON"}`
		if i%3 != 0 {
			item += fmt.Sprintf(`,"leaseOwner":{"S":"worker-%d"}`, i%2)
		}
		item += `}`
		aws.ok(nil, "dynamodb", "put-item", "--table-name", "cli-app", "--item", item, "--condition-expression", "attribute_not_exists(leaseKey)")
		if i == 0 {
			failed(ccfPut, "dynamodb", "put-item", "--table-name", "cli-app", "--item", item, "--condition-expression", "attribute_not_exists(leaseKey)")
			// The legacy form of the same condition.
			failed(ccfPut, "dynamodb", "put-item", "--table-name", "cli-app", "--item", item, "--expected", `{"leaseKey":{"Exists":false}}`)
		}
	}
	key := `{"leaseKey":{"S":"shardId-000000000001"}}`
	// Take the lease: legacy Expected and AttributeUpdates, then the
	// same with a stale counter.
	var taken struct{ Attributes map[string]map[string]string }
	aws.ok(&taken, "dynamodb", "update-item", "--table-name", "cli-app", "--key", key,
		"--expected", `{"leaseCounter":{"Value":{"N":"0"}}}`,
		"--attribute-updates", `{"leaseCounter":{"Action":"ADD","Value":{"N":"1"}},"leaseOwner":{"Action":"PUT","Value":{"S":"worker-9"}}}`,
		"--return-values", "ALL_NEW")
	if taken.Attributes["leaseOwner"]["S"] != "worker-9" || taken.Attributes["leaseCounter"]["N"] != "1" {
		t.Fatalf("update-item ALL_NEW: %v", taken.Attributes)
	}
	failed(ccfUpdate, "dynamodb", "update-item", "--table-name", "cli-app", "--key", key,
		"--expected", `{"leaseCounter":{"Value":{"N":"0"}}}`, "--attribute-updates", `{"leaseOwner":{"Value":{"S":"worker-8"}}}`)
	// A checkpoint, expression form.
	aws.ok(nil, "dynamodb", "update-item", "--table-name", "cli-app", "--key", key,
		"--update-expression", "SET checkpoint = :c, checkpointSubSequenceNumber = :z REMOVE pendingCheckpoint",
		"--condition-expression", "leaseCounter = :n AND leaseOwner = :o",
		"--expression-attribute-values", `{":c":{"S":"49590338271490256608559692538361571095921575989136588898"},":z":{"N":"0"},":n":{"N":"1"},":o":{"S":"worker-9"}}`)
	failed(ccfUpdate, "dynamodb", "update-item", "--table-name", "cli-app", "--key", key,
		"--update-expression", "SET checkpoint = :c", "--condition-expression", "leaseCounter = :n",
		"--expression-attribute-values", `{":c":{"S":"SHARD_END"},":n":{"N":"0"}}`)
	var got struct{ Item map[string]map[string]string }
	aws.ok(&got, "dynamodb", "get-item", "--table-name", "cli-app", "--key", key, "--consistent-read")
	if got.Item["checkpoint"]["S"] != "49590338271490256608559692538361571095921575989136588898" || got.Item["leaseOwner"]["S"] != "worker-9" {
		t.Fatalf("get-item: %v", got.Item)
	}
	// The CLI pages Scan by itself: pages of 5 make one answer.
	var scanned struct {
		Items []map[string]map[string]string
		Count int
	}
	aws.ok(&scanned, "dynamodb", "scan", "--table-name", "cli-app", "--page-size", "5")
	if len(scanned.Items) != 12 || scanned.Count != 12 {
		t.Fatalf("scan: %d items, Count %d", len(scanned.Items), scanned.Count)
	}
	aws.ok(&scanned, "dynamodb", "scan", "--table-name", "cli-app", "--segment", "1", "--total-segments", "2")
	one := len(scanned.Items)
	aws.ok(&scanned, "dynamodb", "scan", "--table-name", "cli-app", "--segment", "0", "--total-segments", "2")
	if one+len(scanned.Items) != 12 {
		t.Fatalf("segments hold %d + %d items", one, len(scanned.Items))
	}
	var queried struct {
		Items []map[string]map[string]string
	}
	aws.ok(&queried, "dynamodb", "query", "--table-name", "cli-app", "--index-name", "LeaseOwnerToLeaseKeyIndex",
		"--key-condition-expression", "leaseOwner = :o", "--expression-attribute-values", `{":o":{"S":"worker-1"}}`, "--page-size", "2")
	var keys []string
	for _, it := range queried.Items {
		keys = append(keys, it["leaseKey"]["S"])
	}
	// worker-1 owns the odd shards not divisible by three: 1 (now
	// worker-9's), 5, 7, 11.
	if want := []string{"shardId-000000000005", "shardId-000000000007", "shardId-000000000011"}; !slices.Equal(keys, want) {
		t.Fatalf("query: %v, want %v", keys, want)
	}
	var deleted struct{ Attributes map[string]map[string]string }
	aws.ok(&deleted, "dynamodb", "delete-item", "--table-name", "cli-app", "--key", key, "--return-values", "ALL_OLD",
		"--condition-expression", "attribute_exists(leaseKey)")
	if deleted.Attributes["leaseOwner"]["S"] != "worker-9" {
		t.Fatalf("delete-item ALL_OLD: %v", deleted.Attributes)
	}
	failed("An error occurred (ConditionalCheckFailedException) when calling the DeleteItem operation: The conditional request failed",
		"dynamodb", "delete-item", "--table-name", "cli-app", "--key", key, "--condition-expression", "attribute_exists(leaseKey)")
	var tables struct{ TableNames []string }
	aws.ok(&tables, "dynamodb", "list-tables")
	if !slices.Equal(tables.TableNames, []string{"cli-app"}) {
		t.Fatalf("list-tables: %v", tables.TableNames)
	}
	_, stderr, code := aws.run("dynamodb", "batch-get-item", "--request-items", `{"cli-app":{"Keys":[`+key+`]}}`)
	if code == 0 || !strings.Contains(stderr, "UnsupportedOperationException") || !strings.Contains(stderr, "BatchGetItem is not supported by shardcast") {
		t.Fatalf("batch-get-item: %d %s", code, stderr)
	}
	aws.ok(nil, "dynamodb", "delete-table", "--table-name", "cli-app")
	failed("An error occurred (ResourceNotFoundException) when calling the DescribeTable operation: Requested resource not found: Table: cli-app not found",
		"dynamodb", "describe-table", "--table-name", "cli-app")
}

// pad is a shard id's number.
func pad(i int) string { return fmt.Sprintf("%012d", i) }

// TestDynamoDBBoto3 drives a lease table with boto3 (Debian's
// python3-boto3): the table_exists waiter answered at once, conditional
// writes of both families and their failures (with the item, when asked
// for, on ReturnValuesOnConditionCheckFailure), Scan and Query
// paginators, deletes.
func TestDynamoDBBoto3(t *testing.T) {
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("boto3 is required (make deps installs python3-boto3): %v %s", err, out)
	}
	srv := startServer(t, testConfig(t))
	script, _ := filepath.Abs(filepath.Join("testdata", "boto3_dynamodb.py"))
	cmd := exec.Command(python, script)
	cmd.Env = clientEnv(srv.URL(), "boto-app")
	res := runClient(t, cmd)
	if res.Error != "" {
		t.Fatalf("boto3: %s", res.Error)
	}
	want := []string{"ACTIVE", "waited", "LeaseOwnerToLeaseKeyIndex ACTIVE",
		"ccf put ConditionalCheckFailedException The conditional request failed",
		"ccf expected ConditionalCheckFailedException", "taken 1 worker-1",
		"ccf item 1 worker-1", "renewed 2", "scan 10 pages 4", "segments 10", "deleted worker-1",
		"query 5 pages 3", "ResourceNotFoundException", "unsupported UnsupportedOperationException"}
	if !slices.Equal(res.Got, want) {
		t.Fatalf("boto3 %s:\n got %q\nwant %q", res.Boto3, res.Got, want)
	}
}
