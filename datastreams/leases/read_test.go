package leases

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

func scan(t *testing.T, e *Engine, body string) *ItemsOutput {
	t.Helper()
	out, err := e.Scan(context.Background(), decode[ScanInput](t, body))
	ok(t, err)
	return out
}

func keysOf(items []attr.Item, name string) []string {
	var out []string
	for _, it := range items {
		out = append(out, *it[name].S)
	}
	return out
}

// scanAll pages with Limit as KCL's listLeases does, returning keys and
// the number of pages.
func scanAll(t *testing.T, e *Engine, extra string) ([]string, int) {
	t.Helper()
	var all []string
	pages := 0
	esk := ""
	for {
		out := scan(t, e, `{"TableName":"app"`+extra+esk+`}`)
		pages++
		all = append(all, keysOf(out.Items, "leaseKey")...)
		if out.LastEvaluatedKey == nil {
			return all, pages
		}
		esk = `,"ExclusiveStartKey":` + js(t, out.LastEvaluatedKey)
		if pages > 100 {
			t.Fatal("scan does not end")
		}
	}
}

func fill(t *testing.T, e *Engine, n int) []string {
	t.Helper()
	var keys []string
	for i := range n {
		k := fmt.Sprintf("shardId-%012d", i)
		keys = append(keys, k)
		owner := ""
		if i%3 != 0 {
			owner = fmt.Sprintf(`,"leaseOwner":{"S":"w%d"}`, i%3)
		}
		_, err := put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"`+k+`"},"leaseCounter":{"N":"`+fmt.Sprint(i)+`"},"streamName":{"S":"s`+fmt.Sprint(i%2)+`"}`+owner+`}}`)
		ok(t, err)
	}
	return keys
}

func TestScanPaging(t *testing.T) {
	e := newTestEngine(t)
	leaseTable(t, e, "app")
	keys := fill(t, e, 9)
	got, pages := scanAll(t, e, "")
	if !slices.Equal(got, keys) || pages != 1 {
		t.Fatalf("scan: %v in %d pages", got, pages)
	}
	// 9 items, 3 a page: 3 pages, the last without LastEvaluatedKey.
	got, pages = scanAll(t, e, `,"Limit":3`)
	if !slices.Equal(got, keys) || pages != 3 {
		t.Fatalf("scan Limit 3: %v in %d pages", got, pages)
	}
	got, pages = scanAll(t, e, `,"Limit":2`)
	if !slices.Equal(got, keys) || pages != 5 {
		t.Fatalf("scan Limit 2: %v in %d pages", got, pages)
	}
	// isLeaseTableEmpty: Limit 1, one page.
	out := scan(t, e, `{"TableName":"app","Limit":1}`)
	if len(out.Items) != 1 || out.LastEvaluatedKey == nil || *out.LastEvaluatedKey["leaseKey"].S != keys[0] || len(out.LastEvaluatedKey) != 1 {
		t.Fatalf("Limit 1: %s", js(t, out))
	}
	// Resume strictly after a key that was deleted meanwhile.
	_, err := e.DeleteItem(context.Background(), decode[DeleteItemInput](t, `{"TableName":"app","Key":{"leaseKey":{"S":"`+keys[0]+`"}}}`))
	ok(t, err)
	out = scan(t, e, `{"TableName":"app","ExclusiveStartKey":`+js(t, map[string]attr.Value{"leaseKey": attr.S(keys[0])})+`}`)
	if got := keysOf(out.Items, "leaseKey"); !slices.Equal(got, keys[1:]) {
		t.Fatalf("after a deleted key: %v", got)
	}
	// Filter after Limit; Count and ScannedCount.
	out = scan(t, e, `{"TableName":"app","Limit":4,"FilterExpression":"streamName = :streamName","ExpressionAttributeValues":{":streamName":{"S":"s1"}}}`)
	if out.ScannedCount != 4 || out.Count != 2 || len(out.Items) != 2 || out.LastEvaluatedKey == nil {
		t.Fatalf("filtered page: %s", js(t, out))
	}
	out = scan(t, e, `{"TableName":"app","Select":"COUNT","FilterExpression":"#et = :etVal","ExpressionAttributeNames":{"#et":"streamName"},"ExpressionAttributeValues":{":etVal":{"S":"s0"}}}`)
	if out.Count != 4 || out.ScannedCount != 8 || len(out.Items) != 0 {
		t.Fatalf("COUNT: %s", js(t, out))
	}
	out = scan(t, e, `{"TableName":"app","ProjectionExpression":"leaseKey, #c","ExpressionAttributeNames":{"#c":"leaseCounter"},"Limit":1}`)
	if len(out.Items[0]) != 2 {
		t.Fatalf("projection: %s", js(t, out.Items))
	}
	for _, bad := range []string{
		`{"TableName":"app","Segment":1}`,
		`{"TableName":"app","Segment":4,"TotalSegments":4}`,
		`{"TableName":"app","ExclusiveStartKey":{"other":{"S":"x"}}}`,
		`{"TableName":"app","Select":"ALL_PROJECTED_ATTRIBUTES"}`,
		`{"TableName":"app","Select":"COUNT","ProjectionExpression":"a"}`,
		`{"TableName":"app","FilterExpression":"a = :v"}`,
		`{"TableName":"app","ScanFilter":{"a":{"ComparisonOperator":"NULL"}}}`,
		`{"TableName":"app","IndexName":"nope"}`,
	} {
		_, err := e.Scan(context.Background(), decode[ScanInput](t, bad))
		mustKind(t, err, ErrValidation)
	}
}

func TestScanSegments(t *testing.T) {
	e := newTestEngine(t)
	leaseTable(t, e, "app")
	keys := fill(t, e, 40)
	for _, total := range []int{1, 3, 10, 32} {
		var all []string
		for seg := range total {
			got, _ := scanAll(t, e, fmt.Sprintf(`,"Segment":%d,"TotalSegments":%d,"Limit":2`, seg, total))
			all = append(all, got...)
		}
		slices.Sort(all)
		if !slices.Equal(all, keys) {
			t.Fatalf("%d segments cover %d items (%v), want each of %d once", total, len(all), all, len(keys))
		}
	}
}

// TestLeaseOwnerIndex follows KCL 3.x: UpdateTable adds the sparse
// KEYS_ONLY index, its response already lists it ACTIVE, and workers
// Query it by owner.
func TestLeaseOwnerIndex(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	leaseTable(t, e, "app")
	fill(t, e, 12)
	d, err := e.UpdateTable(ctx, decode[UpdateTableInput](t, `{"TableName":"app","AttributeDefinitions":[{"AttributeName":"leaseOwner","AttributeType":"S"},{"AttributeName":"leaseKey","AttributeType":"S"}],
		"GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"LeaseOwnerToLeaseKeyIndex","KeySchema":[{"AttributeName":"leaseOwner","KeyType":"HASH"},{"AttributeName":"leaseKey","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}}]}`))
	ok(t, err)
	if len(d.GlobalSecondaryIndexes) != 1 || d.GlobalSecondaryIndexes[0].IndexStatus != "ACTIVE" || d.GlobalSecondaryIndexes[0].ItemCount != 8 {
		t.Fatalf("UpdateTable: %s", js(t, d))
	}
	if len(d.AttributeDefinitions) != 2 {
		t.Fatalf("definitions %v", d.AttributeDefinitions)
	}
	_, err = e.UpdateTable(ctx, decode[UpdateTableInput](t, `{"TableName":"app","AttributeDefinitions":[{"AttributeName":"leaseOwner","AttributeType":"S"},{"AttributeName":"leaseKey","AttributeType":"S"}],
		"GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"LeaseOwnerToLeaseKeyIndex","KeySchema":[{"AttributeName":"leaseOwner","KeyType":"HASH"},{"AttributeName":"leaseKey","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}}]}`))
	mustKind(t, err, ErrValidation)
	query := func(extra string) *ItemsOutput {
		out, err := e.Query(ctx, decode[QueryInput](t, `{"TableName":"app","IndexName":"LeaseOwnerToLeaseKeyIndex","KeyConditionExpression":"leaseOwner = :leaseOwner","ExpressionAttributeValues":{":leaseOwner":{"S":"w1"}}`+extra+`}`))
		ok(t, err)
		return out
	}
	out := query("")
	if got := keysOf(out.Items, "leaseKey"); len(got) != 4 || !slices.IsSorted(got) || out.LastEvaluatedKey != nil {
		t.Fatalf("query: %s", js(t, out))
	}
	for _, it := range out.Items {
		if len(it) != 2 || *it["leaseOwner"].S != "w1" {
			t.Fatalf("KEYS_ONLY item %s", js(t, it))
		}
	}
	// Paging: 4 items, 3 a page.
	p1 := query(`,"Limit":3`)
	if len(p1.Items) != 3 || len(p1.LastEvaluatedKey) != 2 {
		t.Fatalf("page 1: %s", js(t, p1))
	}
	p2 := query(`,"Limit":3,"ExclusiveStartKey":` + js(t, p1.LastEvaluatedKey))
	if len(p2.Items) != 1 || p2.LastEvaluatedKey != nil || *p2.Items[0]["leaseKey"].S != *out.Items[3]["leaseKey"].S {
		t.Fatalf("page 2: %s", js(t, p2))
	}
	back := query(`,"ScanIndexForward":false`)
	if got := keysOf(back.Items, "leaseKey"); !slices.IsSortedFunc(got, func(a, b string) int { return -cmpStr(a, b) }) {
		t.Fatalf("backwards: %v", got)
	}
	// An owner change moves the lease between index partitions; removing the owner drops it.
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"shardId-000000000001"}},"AttributeUpdates":{"leaseOwner":{"Action":"DELETE"}}}`)
	ok(t, err)
	if n := len(query("").Items); n != 3 {
		t.Fatalf("after owner removal: %d", n)
	}
	for _, bad := range []string{
		`,"ConsistentRead":true`,
		`,"Select":"ALL_ATTRIBUTES"`,
	} {
		_, err := e.Query(ctx, decode[QueryInput](t, `{"TableName":"app","IndexName":"LeaseOwnerToLeaseKeyIndex","KeyConditionExpression":"leaseOwner = :o","ExpressionAttributeValues":{":o":{"S":"w1"}}`+bad+`}`))
		mustKind(t, err, ErrValidation)
	}
	// A wrong-typed index key in an item is refused.
	_, err = put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"x"},"leaseOwner":{"N":"1"}}}`)
	mustKind(t, err, ErrValidation)
	// Delete the index.
	d, err = e.UpdateTable(ctx, decode[UpdateTableInput](t, `{"TableName":"app","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"LeaseOwnerToLeaseKeyIndex"}}]}`))
	ok(t, err)
	if len(d.GlobalSecondaryIndexes) != 0 || len(d.AttributeDefinitions) != 1 {
		t.Fatalf("after index delete: %s", js(t, d))
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestQueryRangeKey(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	_, err := e.CreateTable(ctx, decode[CreateTableInput](t, `{"TableName":"events","KeySchema":[{"AttributeName":"h","KeyType":"HASH"},{"AttributeName":"r","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"h","AttributeType":"S"},{"AttributeName":"r","AttributeType":"N"}],"BillingMode":"PAY_PER_REQUEST"}`))
	ok(t, err)
	for _, r := range []string{"9", "10", "-1", "2.5", "100", "1e1"} {
		_, err := e.PutItem(ctx, decode[PutItemInput](t, `{"TableName":"events","Item":{"h":{"S":"a"},"r":{"N":"`+r+`"}}}`))
		ok(t, err)
	}
	_, err = e.PutItem(ctx, decode[PutItemInput](t, `{"TableName":"events","Item":{"h":{"S":"b"},"r":{"N":"1"}}}`))
	ok(t, err)
	q := func(cond, vals string, extra string) []string {
		out, err := e.Query(ctx, decode[QueryInput](t, `{"TableName":"events","KeyConditionExpression":"`+cond+`","ExpressionAttributeValues":{`+vals+`}`+extra+`}`))
		ok(t, err)
		var rs []string
		for _, it := range out.Items {
			rs = append(rs, *it["r"].N)
		}
		return rs
	}
	// "1e1" and "10" are the same number: one item.
	if got := q("h = :h", `":h":{"S":"a"}`, ""); !slices.Equal(got, []string{"-1", "2.5", "9", "10", "100"}) {
		t.Fatalf("numeric order: %v", got)
	}
	if got := q("h = :h AND r BETWEEN :lo AND :hi", `":h":{"S":"a"},":lo":{"N":"2.5"},":hi":{"N":"10"}`, `,"ScanIndexForward":false`); !slices.Equal(got, []string{"10", "9", "2.5"}) {
		t.Fatalf("between backwards: %v", got)
	}
	if got := q("r > :lo AND h = :h", `":h":{"S":"a"},":lo":{"N":"9"}`, ""); !slices.Equal(got, []string{"10", "100"}) {
		t.Fatalf("r > 9: %v", got)
	}
	for _, bad := range []string{`h = :h OR r = :h`, `r = :h`, `h < :h`, `h = :h AND h = :h`} {
		_, err := e.Query(ctx, decode[QueryInput](t, `{"TableName":"events","KeyConditionExpression":"`+bad+`","ExpressionAttributeValues":{":h":{"S":"a"}}}`))
		mustKind(t, err, ErrValidation)
	}
	_, err = e.Query(ctx, decode[QueryInput](t, `{"TableName":"events","KeyConditionExpression":"h = :h","ExpressionAttributeValues":{":h":{"N":"1"}}}`))
	mustKind(t, err, ErrValidation)
	d, err := e.DescribeTable(ctx, "events")
	ok(t, err)
	if d.ItemCount != 6 || d.TableSizeBytes <= 0 {
		t.Fatalf("count %d size %d", d.ItemCount, d.TableSizeBytes)
	}
}

func TestContinuousBackups(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	leaseTable(t, e, "app")
	d, err := e.UpdateContinuousBackups(ctx, decode[UpdateContinuousBackupsInput](t, `{"TableName":"app","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}`))
	ok(t, err)
	if d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != "ENABLED" {
		t.Fatalf("%+v", d)
	}
	d, err = e.DescribeContinuousBackups(ctx, "app")
	ok(t, err)
	if d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != "ENABLED" {
		t.Fatalf("%+v", d)
	}
	_, err = e.DescribeContinuousBackups(ctx, "nope")
	mustKind(t, err, ErrTableNotFound)
}

func TestTags(t *testing.T) {
	e := newTestEngine(t)
	ctx := context.Background()
	_, err := e.CreateTable(ctx, decode[CreateTableInput](t, `{"TableName":"app","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST","Tags":[{"Key":"team","Value":"a"}]}`))
	ok(t, err)
	ok(t, e.TagResource(ctx, "app", []Tag{{"team", "b"}, {"env", "dev"}}))
	ok(t, e.UntagResource(ctx, "app", []string{"env", "nope"}))
	tags, err := e.ListTagsOfResource(ctx, "app")
	ok(t, err)
	if len(tags) != 1 || tags[0] != (Tag{"team", "b"}) {
		t.Fatalf("tags %v", tags)
	}
	mustKind(t, e.TagResource(ctx, "app", []Tag{{"", "x"}}), ErrValidation)
	mustKind(t, e.TagResource(ctx, "nope", []Tag{{"a", "x"}}), ErrResourceNotFound)
}
