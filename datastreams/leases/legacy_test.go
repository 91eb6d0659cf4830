package leases

import (
	"fmt"
	"strings"
	"testing"
)

// TestExpectedOperators checks every legacy ComparisonOperator against an
// item, alone and combined with ConditionalOperator.
func TestExpectedOperators(t *testing.T) {
	e := newTestEngine(t)
	leaseTable(t, e, "app")
	_, err := put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"k"},"n":{"N":"5"},"s":{"S":"hello"},"ss":{"SS":["a","b"]},"b":{"B":"AQID"},"nul":{"NULL":true}}}`)
	ok(t, err)
	for _, c := range []struct {
		attr, op, args string
		pass           bool
	}{
		{"n", "EQ", `{"N":"5.0"}`, true},
		{"n", "EQ", `{"S":"5"}`, false},
		{"n", "NE", `{"N":"5"}`, false},
		{"n", "NE", `{"S":"5"}`, true},
		{"missing", "NE", `{"N":"5"}`, true},
		{"n", "LE", `{"N":"5"}`, true},
		{"n", "LT", `{"N":"5"}`, false},
		{"n", "GE", `{"N":"4.99"}`, true},
		{"n", "GT", `{"N":"5"}`, false},
		{"n", "GT", `{"S":"4"}`, false},
		{"missing", "LT", `{"N":"5"}`, false},
		{"nul", "NOT_NULL", ``, true},
		{"missing", "NOT_NULL", ``, false},
		{"nul", "NULL", ``, false},
		{"missing", "NULL", ``, true},
		{"s", "CONTAINS", `{"S":"ell"}`, true},
		{"ss", "CONTAINS", `{"S":"b"}`, true},
		{"ss", "CONTAINS", `{"S":"c"}`, false},
		{"ss", "NOT_CONTAINS", `{"S":"c"}`, true},
		{"s", "NOT_CONTAINS", `{"S":"ell"}`, false},
		{"s", "BEGINS_WITH", `{"S":"he"}`, true},
		{"b", "BEGINS_WITH", `{"B":"AQ=="}`, true},
		{"s", "BEGINS_WITH", `{"S":"lo"}`, false},
		{"n", "IN", `{"N":"1"},{"N":"5"}`, true},
		{"n", "IN", `{"N":"1"},{"S":"5"}`, false},
		{"n", "BETWEEN", `{"N":"1"},{"N":"5"}`, true},
		{"n", "BETWEEN", `{"N":"6"},{"N":"9"}`, false},
		{"s", "BETWEEN", `{"S":"a"},{"S":"z"}`, true},
	} {
		body := fmt.Sprintf(`{"TableName":"app","Key":{"leaseKey":{"S":"k"}},"Expected":{%q:{"ComparisonOperator":%q,"AttributeValueList":[%s]}},"AttributeUpdates":{"touched":{"Value":{"BOOL":true}}}}`, c.attr, c.op, c.args)
		if c.args == "" {
			body = strings.Replace(body, `,"AttributeValueList":[]`, "", 1)
		}
		_, err := update(t, e, body)
		switch {
		case c.pass && err != nil:
			t.Errorf("%s %s %s: %v", c.attr, c.op, c.args, err)
		case !c.pass && err == nil:
			t.Errorf("%s %s %s passed", c.attr, c.op, c.args)
		case !c.pass:
			mustKind(t, err, ErrConditionalCheckFailed)
		}
	}
	// ConditionalOperator: AND (default) needs all, OR needs one.
	two := `"Expected":{"n":{"Value":{"N":"5"}},"s":{"Value":{"S":"nope"}}}`
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"k"}},`+two+`,"AttributeUpdates":{"x":{"Value":{"N":"1"}}}}`)
	mustKind(t, err, ErrConditionalCheckFailed)
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"k"}},`+two+`,"ConditionalOperator":"OR","AttributeUpdates":{"x":{"Value":{"N":"1"}}}}`)
	ok(t, err)
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"k"}},`+two+`,"ConditionalOperator":"XOR","AttributeUpdates":{"x":{"Value":{"N":"1"}}}}`)
	mustKind(t, err, ErrValidation)
	// Argument counts and types.
	for _, bad := range []string{
		`{"n":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"1"}]}}`,
		`{"n":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"9"},{"N":"1"}]}}`,
		`{"n":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"1"},{"S":"9"}]}}`,
		`{"n":{"ComparisonOperator":"NULL","AttributeValueList":[{"N":"1"}]}}`,
		`{"n":{"ComparisonOperator":"LT","AttributeValueList":[{"BOOL":true}]}}`,
		`{"n":{"ComparisonOperator":"IN","AttributeValueList":[]}}`,
	} {
		_, err := update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"k"}},"Expected":`+bad+`}`)
		mustKind(t, err, ErrValidation)
	}
}

func TestReturnValuesAndLimits(t *testing.T) {
	e := newTestEngine(t)
	leaseTable(t, e, "app")
	old, err := put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"k"},"v":{"N":"1"}},"ReturnValues":"ALL_OLD"}`)
	ok(t, err)
	if old != nil {
		t.Fatalf("ALL_OLD of a new item: %s", js(t, old))
	}
	old, err = put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"k"},"v":{"N":"2"}},"ReturnValues":"ALL_OLD"}`)
	ok(t, err)
	if *old["v"].N != "1" {
		t.Fatalf("ALL_OLD: %s", js(t, old))
	}
	// Failed conditions on Put and Delete carry the item with ALL_OLD.
	_, err = put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"k"}},"ConditionExpression":"attribute_not_exists(leaseKey)","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`)
	if ce := mustKind(t, err, ErrConditionalCheckFailed); *ce.Item["v"].N != "2" {
		t.Fatalf("CCF item %s", js(t, ce.Item))
	}
	_, err = e.DeleteItem(t.Context(), decode[DeleteItemInput](t, `{"TableName":"app","Key":{"leaseKey":{"S":"k"}},"Expected":{"v":{"Value":{"N":"3"}}},"ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`))
	if ce := mustKind(t, err, ErrConditionalCheckFailed); *ce.Item["v"].N != "2" {
		t.Fatalf("CCF item %s", js(t, ce.Item))
	}
	_, err = put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"k"}},"ReturnValuesOnConditionCheckFailure":"ALL_NEW"}`)
	mustKind(t, err, ErrValidation)
	// 400 KB items; 2048-byte hash keys.
	big := strings.Repeat("x", 400*1024)
	_, err = put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"big"},"v":{"S":"`+big+`"}}}`)
	mustKind(t, err, ErrValidation)
	_, err = put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"big"},"v":{"S":"`+big[:390*1024]+`"}}}`)
	ok(t, err)
	_, err = update(t, e, `{"TableName":"app","Key":{"leaseKey":{"S":"big"}},"UpdateExpression":"SET w = :w","ExpressionAttributeValues":{":w":{"S":"`+big[:20*1024]+`"}}}`)
	mustKind(t, err, ErrValidation)
	_, err = put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"`+strings.Repeat("k", 2049)+`"}}}`)
	mustKind(t, err, ErrValidation)
	_, err = put(t, e, `{"TableName":"app","Item":{"leaseKey":{"S":"`+strings.Repeat("k", 2048)+`"}}}`)
	ok(t, err)
}
