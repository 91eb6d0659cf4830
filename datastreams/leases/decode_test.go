package leases

import (
	"errors"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

func TestDecodeRequest(t *testing.T) {
	var in UpdateItemInput
	if err := DecodeRequest([]byte(`{"TableName":"app","Key":{"leaseKey":{"S":"a"}},"Expected":{"leaseCounter":{"Value":{"N":"1"}}},"AttributeUpdates":{"leaseCounter":{"Action":"PUT","Value":{"N":"2"}}},"ReturnConsumedCapacity":"TOTAL","ReturnValues":"ALL_NEW"}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.TableName != "app" || *in.AttributeUpdates["leaseCounter"].Value.N != "2" {
		t.Fatalf("decoded %+v", in)
	}
	err := DecodeRequest([]byte(`{"TableName":"app","Key":{},"ExpressionAttributeNamez":{}}`), new(UpdateItemInput))
	if !errors.Is(err, ErrValidation) || err.Error() != "Unsupported parameter(s) in this DynamoDB implementation: ExpressionAttributeNamez" {
		t.Fatalf("unknown member: %v", err)
	}
	err = DecodeRequest([]byte(`{"TableName":"app","Expected":{"a":{"Exists":"yes"}}}`), new(PutItemInput))
	if !errors.Is(err, ErrSerialization) {
		t.Fatalf("wrong type: %v", err)
	}
	if err := DecodeRequest([]byte(`{"TableName":`), new(ScanInput)); !errors.Is(err, ErrSerialization) {
		t.Fatalf("bad JSON: %v", err)
	}
	if err := DecodeRequest(nil, new(ListTablesInput)); err != nil {
		t.Fatalf("empty body: %v", err)
	}
	var sc ScanInput
	if err := DecodeRequest([]byte(`{"TableName":"app","ScanFilter":{"a":{"ComparisonOperator":"NULL"}}}`), &sc); err != nil {
		t.Fatal(err)
	}
	if err := checkUnsupported(sc.Unsupported); !errors.Is(err, ErrValidation) {
		t.Fatalf("ScanFilter: %v", err)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{`{"TableName":"app","Item":{"a":{"S":"b"}}}`, `{"TableName":"x","Expected":{"a":{"Exists":false}}}`, `{}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in PutItemInput
		err := DecodeRequest(b, &in)
		var le *Error
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("%q: error %T", b, err)
		}
		if err == nil {
			e := New(NewMemStore(), Config{})
			e.CreateTable(t.Context(), &CreateTableInput{TableName: "app", KeySchema: []KeySchemaElement{{"a", "HASH"}}, AttributeDefinitions: []AttributeDefinition{{"a", "S"}}, BillingMode: "PAY_PER_REQUEST"})
			in.TableName = "app"
			_, err := e.PutItem(t.Context(), &in)
			if err != nil && !errors.As(err, &le) {
				t.Fatalf("%q: put error %T %v", b, err, err)
			}
		}
	})
}

// FuzzUpdateItem applies arbitrary update and condition expressions to a
// stored item: every failure must be an *Error, and a stored result must
// be a valid item that reads back.
func FuzzUpdateItem(f *testing.F) {
	for _, s := range [][2]string{
		{"SET #a = :n, l[3] = :s REMOVE m.x", "attribute_exists(#a)"},
		{"ADD n :n, ss :ss DELETE ss :ss", "n < :n OR size(l) > :n"},
		{"SET l = list_append(l, :l), m.y = if_not_exists(m.y, :s)", ""},
		{"SET n = n - :n", "NOT begins_with(s, :s)"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, ue, ce string) {
		e := New(NewMemStore(), Config{})
		ctx := t.Context()
		_, err := e.CreateTable(ctx, &CreateTableInput{TableName: "app", KeySchema: []KeySchemaElement{{"k", "HASH"}}, AttributeDefinitions: []AttributeDefinition{{"k", "S"}}, BillingMode: "PAY_PER_REQUEST"})
		if err != nil {
			t.Fatal(err)
		}
		var in PutItemInput
		if err := DecodeRequest([]byte(`{"TableName":"app","Item":{"k":{"S":"x"},"n":{"N":"1"},"s":{"S":"ab"},"l":{"L":[{"N":"1"},{"M":{}}]},"m":{"M":{"x":{"L":[]}}},"ss":{"SS":["a"]}}}`), &in); err != nil {
			t.Fatal(err)
		}
		if _, err := e.PutItem(ctx, &in); err != nil {
			t.Fatal(err)
		}
		var up UpdateItemInput
		if err := DecodeRequest([]byte(`{"TableName":"app","Key":{"k":{"S":"x"}},"ExpressionAttributeNames":{"#a":"n"},"ExpressionAttributeValues":{":n":{"N":"2"},":s":{"S":"a"},":l":{"L":[{"NULL":true}]},":ss":{"SS":["b"]}},"ReturnValues":"ALL_NEW"}`), &up); err != nil {
			t.Fatal(err)
		}
		up.UpdateExpression, up.ConditionExpression = ue, ce
		// Offer only the placeholders the expressions mention, so that
		// the unused-placeholder rule does not end most cases.
		for k := range up.ExpressionAttributeValues {
			if !strings.Contains(ue+" "+ce, k) {
				delete(up.ExpressionAttributeValues, k)
			}
		}
		if !strings.Contains(ue+" "+ce, "#a") {
			up.ExpressionAttributeNames = nil
		}
		if len(up.ExpressionAttributeValues) == 0 {
			up.ExpressionAttributeValues = nil
		}
		got, err := e.UpdateItem(ctx, &up)
		var le *Error
		if err != nil {
			if !errors.As(err, &le) {
				t.Fatalf("%q / %q: error %T %v", ue, ce, err, err)
			}
			return
		}
		if _, err := got["k"].Validate(); err != nil || *got["k"].S != "x" {
			t.Fatalf("%q: key changed: %v", ue, got["k"])
		}
		back, err := e.GetItem(ctx, &GetItemInput{TableName: "app", Key: attr.Item{"k": attr.S("x")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(back) != len(got) {
			t.Fatalf("%q: stored %d attributes, returned %d", ue, len(back), len(got))
		}
	})
}

func TestFuzzUpdateSeedsSucceed(t *testing.T) {
	// The fuzz target's seeds reach the success path (see FuzzUpdateItem).
	e := New(NewMemStore(), Config{})
	_, err := e.CreateTable(t.Context(), &CreateTableInput{TableName: "app", KeySchema: []KeySchemaElement{{"k", "HASH"}}, AttributeDefinitions: []AttributeDefinition{{"k", "S"}}, BillingMode: "PAY_PER_REQUEST"})
	ok(t, err)
	_, err = e.PutItem(t.Context(), &PutItemInput{TableName: "app", Item: attr.Item{"k": attr.S("x"), "n": attr.N("1")}})
	ok(t, err)
	got, err := e.UpdateItem(t.Context(), &UpdateItemInput{TableName: "app", Key: attr.Item{"k": attr.S("x")}, UpdateExpression: "SET #a = :n", ConditionExpression: "attribute_exists(#a)",
		ExpressionAttributeNames: map[string]string{"#a": "n"}, ExpressionAttributeValues: attr.Item{":n": attr.N("2")}, ReturnValues: "ALL_NEW"})
	ok(t, err)
	if *got["n"].N != "2" {
		t.Fatal(js(t, got))
	}
}
