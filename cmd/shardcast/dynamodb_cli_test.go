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
// the table and its owner index, conditional writes in both families and
// their failure as the CLI prints it, Scan paged by the CLI, Query on the
// index, deletes. Each call starts a Python interpreter: the test makes
// few of them.
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
	failed := func(op string, args ...string) {
		t.Helper()
		want := "An error occurred (ConditionalCheckFailedException) when calling the " + op + " operation: The conditional request failed"
		_, stderr, code := aws.run(args...)
		if code == 0 || strings.TrimSpace(stderr) != want {
			t.Fatalf("aws %s: exit %d %q, want %q", strings.Join(args, " "), code, stderr, want)
		}
	}
	// Three leases created if not there; shards 1 and 2 owned by worker-1.
	lease := func(i int) string {
		item := fmt.Sprintf(`{"leaseKey":{"S":"shardId-%012d"},"leaseCounter":{"N":"0"},"checkpoint":{"S":"TRIM_HORIZON"}`, i)
		if i > 0 {
			item += `,"leaseOwner":{"S":"worker-1"}`
		}
		return item + "}"
	}
	for i := range 3 {
		aws.ok(nil, "dynamodb", "put-item", "--table-name", "cli-app", "--item", lease(i), "--condition-expression", "attribute_not_exists(leaseKey)")
	}
	failed("PutItem", "dynamodb", "put-item", "--table-name", "cli-app", "--item", lease(0), "--condition-expression", "attribute_not_exists(leaseKey)")
	failed("PutItem", "dynamodb", "put-item", "--table-name", "cli-app", "--item", lease(0), "--expected", `{"leaseKey":{"Exists":false}}`)
	// Take shard 0: legacy Expected and AttributeUpdates; then a stale
	// take in the expression form.
	key := `{"leaseKey":{"S":"shardId-000000000000"}}`
	var taken struct{ Attributes map[string]map[string]string }
	aws.ok(&taken, "dynamodb", "update-item", "--table-name", "cli-app", "--key", key,
		"--expected", `{"leaseCounter":{"Value":{"N":"0"}}}`,
		"--attribute-updates", `{"leaseCounter":{"Action":"ADD","Value":{"N":"1"}},"leaseOwner":{"Action":"PUT","Value":{"S":"worker-9"}}}`,
		"--return-values", "ALL_NEW")
	if taken.Attributes["leaseOwner"]["S"] != "worker-9" || taken.Attributes["leaseCounter"]["N"] != "1" {
		t.Fatalf("update-item ALL_NEW: %v", taken.Attributes)
	}
	failed("UpdateItem", "dynamodb", "update-item", "--table-name", "cli-app", "--key", key,
		"--update-expression", "SET leaseOwner = :o ADD leaseCounter :one", "--condition-expression", "leaseCounter = :n",
		"--expression-attribute-values", `{":o":{"S":"worker-8"},":one":{"N":"1"},":n":{"N":"0"}}`)
	var got struct{ Item map[string]map[string]string }
	aws.ok(&got, "dynamodb", "get-item", "--table-name", "cli-app", "--key", key, "--consistent-read")
	if got.Item["leaseOwner"]["S"] != "worker-9" || got.Item["leaseCounter"]["N"] != "1" {
		t.Fatalf("get-item: %v", got.Item)
	}
	// The CLI pages Scan by itself: two pages make one answer.
	var scanned struct {
		Items []map[string]map[string]string
		Count int
	}
	aws.ok(&scanned, "dynamodb", "scan", "--table-name", "cli-app", "--page-size", "2")
	if len(scanned.Items) != 3 || scanned.Count != 3 {
		t.Fatalf("scan: %d items, Count %d", len(scanned.Items), scanned.Count)
	}
	var queried struct {
		Items []map[string]map[string]string
	}
	aws.ok(&queried, "dynamodb", "query", "--table-name", "cli-app", "--index-name", "LeaseOwnerToLeaseKeyIndex",
		"--key-condition-expression", "leaseOwner = :o", "--expression-attribute-values", `{":o":{"S":"worker-1"}}`)
	var keys []string
	for _, it := range queried.Items {
		keys = append(keys, it["leaseKey"]["S"])
	}
	if want := []string{"shardId-000000000001", "shardId-000000000002"}; !slices.Equal(keys, want) {
		t.Fatalf("query: %v, want %v", keys, want)
	}
	var deleted struct{ Attributes map[string]map[string]string }
	aws.ok(&deleted, "dynamodb", "delete-item", "--table-name", "cli-app", "--key", key, "--return-values", "ALL_OLD",
		"--condition-expression", "attribute_exists(leaseKey)")
	if deleted.Attributes["leaseOwner"]["S"] != "worker-9" {
		t.Fatalf("delete-item ALL_OLD: %v", deleted.Attributes)
	}
	aws.ok(nil, "dynamodb", "delete-table", "--table-name", "cli-app")
	_, stderr, code := aws.run("dynamodb", "describe-table", "--table-name", "cli-app")
	if want := "An error occurred (ResourceNotFoundException) when calling the DescribeTable operation: Requested resource not found: Table: cli-app not found"; code == 0 || strings.TrimSpace(stderr) != want {
		t.Fatalf("describe-table after delete-table: %d %q", code, stderr)
	}
}

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
