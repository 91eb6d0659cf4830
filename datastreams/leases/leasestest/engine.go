package leasestest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// testEngineRace: two engines (two servers) on the store race to renew
// one lease as KCL does (Expected leaseCounter = n, PUT n+1). Each counter
// value must be won by exactly one write, and the item must count the
// wins.
func testEngineRace(t *testing.T, s leases.Store) {
	ctx := context.Background()
	engines := []*leases.Engine{leases.New(s, leases.Config{}), leases.New(s, leases.Config{})}
	_, err := engines[0].CreateTable(ctx, &leases.CreateTableInput{
		TableName:            "app",
		KeySchema:            []leases.KeySchemaElement{{AttributeName: "leaseKey", KeyType: "HASH"}},
		AttributeDefinitions: []leases.AttributeDefinition{{AttributeName: "leaseKey", AttributeType: "S"}},
		BillingMode:          "PAY_PER_REQUEST",
	})
	must(t, err)
	key := attr.Item{"leaseKey": attr.S("shardId-000000000000")}
	_, err = engines[1].PutItem(ctx, &leases.PutItemInput{TableName: "app",
		Item:     attr.Item{"leaseKey": attr.S("shardId-000000000000"), "leaseCounter": attr.N("0")},
		Expected: map[string]leases.ExpectedAttr{"leaseKey": {Exists: new(bool)}}})
	must(t, err)
	const workers, tries = 4, 15
	var mu sync.Mutex
	won := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := engines[w%2]
			for range tries {
				it, err := e.GetItem(ctx, &leases.GetItemInput{TableName: "app", Key: key, ConsistentRead: true})
				if err != nil {
					errs <- err
					return
				}
				n, _ := it["leaseCounter"].Num()
				next, _ := n.Add(attr.Num{Digits: "1"})
				_, err = e.UpdateItem(ctx, &leases.UpdateItemInput{TableName: "app", Key: key,
					Expected:         map[string]leases.ExpectedAttr{"leaseCounter": {Value: ptr(attr.NumValue(n))}},
					AttributeUpdates: map[string]leases.AttributeUpdate{"leaseCounter": {Action: "PUT", Value: ptr(attr.NumValue(next))}, "leaseOwner": {Value: ptr(attr.S(fmt.Sprint("w", w)))}},
				})
				switch {
				case err == nil:
					mu.Lock()
					won[n.String()]++
					mu.Unlock()
				case errors.Is(err, leases.ErrConditionalCheckFailed):
				default:
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for n, c := range won {
		if c != 1 {
			t.Fatalf("counter %s was renewed by %d writers", n, c)
		}
	}
	it, err := engines[0].GetItem(ctx, &leases.GetItemInput{TableName: "app", Key: key})
	must(t, err)
	if got := *it["leaseCounter"].N; got != fmt.Sprint(len(won)) {
		t.Fatalf("counter %s after %d successful renewals", got, len(won))
	}
	if len(won) == 0 {
		t.Fatal("no renewal succeeded")
	}
}

func ptr[T any](v T) *T { return &v }
