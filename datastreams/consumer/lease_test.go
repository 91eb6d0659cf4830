package consumer

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestLeaseItemRoundTrip(t *testing.T) {
	l := Lease{
		Key: "shardId-000000000003", Owner: "w1", Counter: 7, OwnerSwitches: 2,
		Checkpoint:      Position{Sequence: "49590338271490256608559692538361571095921575989136588898", SubSequence: 4},
		Parents:         []string{"shardId-000000000001", "shardId-000000000000"},
		Children:        []string{"shardId-000000000009"},
		StartingHashKey: "0", EndingHashKey: "170141183460469231731687303715884105727",
	}
	it := l.item()
	// Exact KCL types.
	want := map[string]string{
		"leaseKey": "S", "leaseOwner": "S", "leaseCounter": "N", "ownerSwitchesSinceCheckpoint": "N",
		"checkpoint": "S", "checkpointSubSequenceNumber": "N", "parentShardId": "SS", "childShardIds": "SS",
		"startingHashKey": "S", "endingHashKey": "S",
	}
	for name, typ := range want {
		v, ok := it[name]
		if !ok {
			t.Fatalf("no %s", name)
		}
		var got string
		switch v.(type) {
		case *types.AttributeValueMemberS:
			got = "S"
		case *types.AttributeValueMemberN:
			got = "N"
		case *types.AttributeValueMemberSS:
			got = "SS"
		}
		if got != typ {
			t.Errorf("%s is %s, want %s", name, got, typ)
		}
	}
	if len(it) != len(want) {
		t.Errorf("extra attributes: %v", it)
	}
	back, err := parseLease(it)
	if err != nil {
		t.Fatal(err)
	}
	l.Parents = []string{"shardId-000000000000", "shardId-000000000001"} // a set: sorted
	if !reflect.DeepEqual(back, l) {
		t.Fatalf("round trip:\n%+v\n%+v", back, l)
	}
	// A fresh unowned lease writes no owner and no empty sets.
	fresh := Lease{Key: "shardId-000000000000", Checkpoint: Position{Sequence: SentinelTrimHorizon}}.item()
	for _, absent := range []string{"leaseOwner", "parentShardId", "childShardIds", "startingHashKey"} {
		if _, ok := fresh[absent]; ok {
			t.Errorf("fresh lease has %s", absent)
		}
	}
	if fresh["leaseCounter"].(*types.AttributeValueMemberN).Value != "0" || fresh["checkpointSubSequenceNumber"].(*types.AttributeValueMemberN).Value != "0" {
		t.Errorf("fresh counters %v", fresh)
	}
}

func TestParseLeaseRejectsIncompleteItems(t *testing.T) {
	base := Lease{Key: "k", Checkpoint: Position{Sequence: SentinelLatest}}.item()
	for _, drop := range []string{"leaseKey", "leaseCounter", "checkpoint"} {
		it := map[string]types.AttributeValue{}
		for k, v := range base {
			if k != drop {
				it[k] = v
			}
		}
		if _, err := parseLease(it); err == nil {
			t.Errorf("item without %s accepted", drop)
		}
	}
	bad := map[string]types.AttributeValue{}
	for k, v := range base {
		bad[k] = v
	}
	bad["leaseCounter"] = &types.AttributeValueMemberS{Value: "1"}
	if _, err := parseLease(bad); err == nil {
		t.Error("leaseCounter as S accepted")
	}
	if !isLeaseItem(base) {
		t.Error("lease without entityType is not a lease")
	}
	base["entityType"] = &types.AttributeValueMemberS{Value: "LEADER"}
	if isLeaseItem(base) {
		t.Error("Leader row taken for a lease")
	}
}

// FuzzParseLease: any item built from fuzzed attribute text either fails
// to parse or parses to a lease that writes back to the same lease.
func FuzzParseLease(f *testing.F) {
	f.Add("shardId-000000000001", "w1", "7", "0", "TRIM_HORIZON", "0", "shardId-000000000000", "0", "99")
	f.Add("k", "", "-1", "x", "495903382714902566085596925383615", "4", "", "", "")
	f.Fuzz(func(t *testing.T, key, owner, counter, switches, checkpoint, sub, parent, start, end string) {
		it := map[string]types.AttributeValue{
			attrLeaseKey:      &types.AttributeValueMemberS{Value: key},
			attrLeaseCounter:  &types.AttributeValueMemberN{Value: counter},
			attrOwnerSwitches: &types.AttributeValueMemberN{Value: switches},
			attrCheckpoint:    &types.AttributeValueMemberS{Value: checkpoint},
			attrCheckpointSub: &types.AttributeValueMemberN{Value: sub},
		}
		if owner != "" {
			it[attrLeaseOwner] = &types.AttributeValueMemberS{Value: owner}
		}
		if parent != "" {
			it[attrParents] = &types.AttributeValueMemberSS{Value: []string{parent}}
		}
		if start != "" && end != "" {
			it[attrStartHash] = &types.AttributeValueMemberS{Value: start}
			it[attrEndHash] = &types.AttributeValueMemberS{Value: end}
		}
		l, err := parseLease(it)
		if err != nil {
			return
		}
		again, err := parseLease(l.item())
		if err != nil {
			t.Fatalf("%+v does not parse back: %v", l, err)
		}
		if !reflect.DeepEqual(again, l) {
			t.Fatalf("round trip\n%+v\n%+v", l, again)
		}
	})
}
