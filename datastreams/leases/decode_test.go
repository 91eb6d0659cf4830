package leases

import (
	"errors"
	"testing"
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
