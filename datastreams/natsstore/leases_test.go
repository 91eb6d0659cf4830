package natsstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/datastreams/leases/attr"
	"github.com/shardcast/shardcast/datastreams/leases/leasestest"
)

func TestLeaseStoreContract(t *testing.T) {
	url, _ := embedded(t, t.TempDir(), 0)
	var n atomic.Int64
	leasestest.Run(t, func(t *testing.T) leases.Store {
		return connect(t, url, Config{Prefix: fmt.Sprintf("l%d", n.Add(1))}).LeaseStore()
	})
}

// TestLeaseStoreTwoServers: two connections (two shardcast servers) on
// one bucket run the lease engine; conditional writes from both stay
// atomic, and a restart of JetStream keeps what was acknowledged.
func TestLeaseStoreTwoServers(t *testing.T) {
	dir := t.TempDir()
	url, stop := embedded(t, dir, 0)
	ctx := context.Background()
	a := leases.New(connect(t, url, Config{Prefix: "two"}).LeaseStore(), leases.Config{})
	b := leases.New(connect(t, url, Config{Prefix: "two"}).LeaseStore(), leases.Config{})
	if _, err := a.CreateTable(ctx, &leases.CreateTableInput{TableName: "app",
		KeySchema:            []leases.KeySchemaElement{{AttributeName: "leaseKey", KeyType: "HASH"}},
		AttributeDefinitions: []leases.AttributeDefinition{{AttributeName: "leaseKey", AttributeType: "S"}},
		BillingMode:          "PAY_PER_REQUEST"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateTable(ctx, &leases.CreateTableInput{TableName: "app",
		KeySchema:            []leases.KeySchemaElement{{AttributeName: "leaseKey", KeyType: "HASH"}},
		AttributeDefinitions: []leases.AttributeDefinition{{AttributeName: "leaseKey", AttributeType: "S"}},
		BillingMode:          "PAY_PER_REQUEST"}); err == nil {
		t.Fatal("second server created the same table")
	}
	// Both servers race to take the same lease at counter 0: one wins.
	wins := 0
	for _, e := range []*leases.Engine{a, b} {
		if _, err := e.UpdateItem(ctx, takeLease(e == a)); err == nil {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d servers took the lease", wins)
	}
	stop()
	// With JetStream gone, a write is retryable ServiceUnavailable.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := a.UpdateItem(short, takeLease(true))
	if !errors.Is(err, leases.ErrUnavailable) {
		t.Fatalf("write with the server down: %v, want ErrUnavailable", err)
	}
	url, _ = embedded(t, dir, 0)
	c := leases.New(connect(t, url, Config{Prefix: "two"}).LeaseStore(), leases.Config{})
	var d *leases.TableDescription
	d, err = c.DescribeTable(ctx, "app")
	if err != nil || d.ItemCount != 1 {
		t.Fatalf("after restart: %+v %v", d, err)
	}
}

func takeLease(first bool) *leases.UpdateItemInput {
	owner := "w2"
	if first {
		owner = "w1"
	}
	in := &leases.UpdateItemInput{TableName: "app", ConditionExpression: "attribute_not_exists(leaseOwner)", UpdateExpression: "SET leaseOwner = :o ADD leaseCounter :one"}
	in.Key = attr.Item{"leaseKey": attr.S("shardId-000000000000")}
	in.ExpressionAttributeValues = attr.Item{":o": attr.S(owner), ":one": attr.N("1")}
	return in
}
