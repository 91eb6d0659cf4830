package dynamodb

import (
	"encoding/json"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/web/awsapi"
)

// newTestHandler is a handler over a real engine on the memory store,
// with no credentials configured (the check lets every signed request
// through).
func newTestHandler(t testing.TB) *Handler {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := leases.New(leases.NewMemStore(), leases.Config{Region: "us-east-1", Account: "000000000000", Logger: log})
	return New(e, &awsapi.Auth{Region: "us-east-1", Account: "000000000000"}, log)
}

// call posts body with op's target, signed enough for an open server.
func call(h http.Handler, op, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", ContentType)
	r.Header.Set("X-Amz-Target", TargetPrefix+op)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=00")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// errorOf checks an error answer's framing and returns its __type and
// message.
func errorOf(t *testing.T, w *httptest.ResponseRecorder) (string, string, map[string]json.RawMessage) {
	t.Helper()
	checkFraming(t, w)
	var body map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	var typ, msg string
	json.Unmarshal(body["__type"], &typ)
	json.Unmarshal(body["message"], &msg)
	if bare := typ[strings.IndexByte(typ, '#')+1:]; w.Header().Get("X-Amzn-Errortype") != bare {
		t.Fatalf("X-Amzn-ErrorType %q for __type %q", w.Header().Get("X-Amzn-Errortype"), typ)
	}
	return typ, msg, body
}

// checkFraming checks the content type and the CRC32 that SDKs verify.
func checkFraming(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != ContentType {
		t.Fatalf("Content-Type %q", ct)
	}
	if crc := w.Header().Get("X-Amz-Crc32"); crc != strconv.FormatUint(uint64(crc32.ChecksumIEEE(w.Body.Bytes())), 10) {
		t.Fatalf("x-amz-crc32 %q for %q", crc, w.Body.String())
	}
}

func TestErrorShapes(t *testing.T) {
	h := newTestHandler(t)
	w := call(h, "CreateTable", `{"TableName":"tb1","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`)
	if w.Code != 200 {
		t.Fatalf("CreateTable: %d %s", w.Code, w.Body)
	}
	checkFraming(t, w)
	for _, c := range []struct {
		op, body, typ, msg string
		status             int
	}{
		{"BatchGetItem", `{}`, nsCoral + "UnsupportedOperationException", "BatchGetItem is not supported by shardcast yet; see the compatibility table in the README.", 400},
		{"NoSuchThing", `{}`, nsCoral + "UnknownOperationException", "", 400},
		{"GetItem", `{"TableName":`, nsCoral + "SerializationException", "", 400},
		{"GetItem", `{"TableName":5}`, nsCoral + "SerializationException", "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String", 400},
		{"GetItem", `{"TableName":"x"}`, nsValidate + "ValidationException", "1 validation error detected: Value 'x' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3", 400},
		{"DescribeTable", `{}`, nsValidate + "ValidationException", "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null", 400},
		{"DescribeTable", `{"TableName":"nope"}`, nsService + "ResourceNotFoundException", "", 400},
		{"DescribeContinuousBackups", `{"TableName":"nope"}`, nsService + "TableNotFoundException", "Table not found: nope", 400},
		{"ListTables", `{"Limit":0}`, nsValidate + "ValidationException", "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", 400},
		{"PutItem", `{"TableName":"tb1","Item":{"k":{"S":"a"}},"Expected":{"k":{"Exists":false}}}`, "", "", 200},
		{"PutItem", `{"TableName":"tb1","Item":{"k":{"S":"a"}},"Expected":{"k":{"Exists":false}}}`, nsService + "ConditionalCheckFailedException", "The conditional request failed", 400},
	} {
		w := call(h, c.op, c.body)
		if w.Code != c.status {
			t.Fatalf("%s %s: status %d, want %d: %s", c.op, c.body, w.Code, c.status, w.Body)
		}
		if c.status == 200 {
			checkFraming(t, w)
			continue
		}
		typ, msg, _ := errorOf(t, w)
		if typ != c.typ || (c.msg != "" && msg != c.msg) {
			t.Fatalf("%s %s:\n got %s %q\nwant %s %q", c.op, c.body, typ, msg, c.typ, c.msg)
		}
	}
	// ALL_OLD on a failed check: the current item rides along.
	w = call(h, "PutItem", `{"TableName":"tb1","Item":{"k":{"S":"a"}},"ConditionExpression":"attribute_not_exists(k)","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`)
	_, _, body := errorOf(t, w)
	if string(body["Item"]) != `{"k":{"S":"a"}}` {
		t.Fatalf("Item %s", body["Item"])
	}
	// Every operation of the API is either served or named unsupported.
	ops := h.Operations()
	if len(ops)+len(Unsupported) != 62 {
		t.Fatalf("%d served + %d unsupported, want the API's 62", len(ops), len(Unsupported))
	}
	for _, op := range ops {
		for _, u := range Unsupported {
			if op == u {
				t.Fatalf("%s is both served and unsupported", op)
			}
		}
	}
}

// TestAnswers checks the members of answers that clients test for
// presence: Items always a list (absent for COUNT), no LastEvaluatedKey
// on the last page, no Item for a missing key, Attributes only when asked.
func TestAnswers(t *testing.T) {
	h := newTestHandler(t)
	call(h, "CreateTable", `{"TableName":"tb1","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`)
	for _, c := range []struct{ op, body, want string }{
		{"Scan", `{"TableName":"tb1"}`, `{"Items":[],"Count":0,"ScannedCount":0}`},
		{"Scan", `{"TableName":"tb1","Select":"COUNT"}`, `{"Count":0,"ScannedCount":0}`},
		{"GetItem", `{"TableName":"tb1","Key":{"k":{"S":"a"}}}`, `{}`},
		{"PutItem", `{"TableName":"tb1","Item":{"k":{"S":"a"},"n":{"N":"1"}}}`, `{}`},
		{"PutItem", `{"TableName":"tb1","Item":{"k":{"S":"a"},"n":{"N":"2"}},"ReturnValues":"ALL_OLD"}`, `{"Attributes":{"k":{"S":"a"},"n":{"N":"1"}}}`},
		{"UpdateItem", `{"TableName":"tb1","Key":{"k":{"S":"a"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}}}`, `{}`},
		{"UpdateItem", `{"TableName":"tb1","Key":{"k":{"S":"a"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"UPDATED_NEW"}`, `{"Attributes":{"n":{"N":"4"}}}`},
		{"Scan", `{"TableName":"tb1","Limit":1}`, `{"Items":[{"k":{"S":"a"},"n":{"N":"4"}}],"Count":1,"ScannedCount":1}`},
		{"Scan", `{"TableName":"tb1","ExclusiveStartKey":{"k":{"S":"a"}}}`, `{"Items":[],"Count":0,"ScannedCount":0}`},
		{"DeleteItem", `{"TableName":"tb1","Key":{"k":{"S":"a"}},"ReturnValues":"ALL_OLD"}`, `{"Attributes":{"k":{"S":"a"},"n":{"N":"4"}}}`},
		{"DescribeTimeToLive", `{"TableName":"tb1"}`, `{"TimeToLiveDescription":{"TimeToLiveStatus":"DISABLED"}}`},
		{"ListTables", ``, `{"TableNames":["tb1"]}`},
	} {
		w := call(h, c.op, c.body)
		if w.Code != 200 || w.Body.String() != c.want {
			t.Fatalf("%s %s:\n got %d %s\nwant %s", c.op, c.body, w.Code, w.Body, c.want)
		}
		checkFraming(t, w)
	}
}

// FuzzRequest sends arbitrary bodies to every operation: the answer is
// 200 with a JSON object, or an error of DynamoDB's shape; never a panic
// or a 500.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		`{"TableName":"tb1","Item":{"k":{"S":"a"},"n":{"N":"1.0E-4"}},"Expected":{"k":{"Exists":false}}}`,
		`{"TableName":"tb1","Key":{"k":{"S":"a"}},"UpdateExpression":"SET #a = :v REMOVE b","ExpressionAttributeNames":{"#a":"a"},"ExpressionAttributeValues":{":v":{"L":[{"NULL":true},{"M":{}}]}}}`,
		`{"TableName":"tb1","Key":{"k":{"S":"a"}},"AttributeUpdates":{"n":{"Action":"ADD","Value":{"N":"1"}}},"Expected":{"n":{"Value":{"N":"1"}}}}`,
		`{"TableName":"tb1","FilterExpression":"attribute_exists (n) AND NOT n BETWEEN :a AND :b","ExpressionAttributeValues":{":a":{"N":"1"},":b":{"N":"9"}},"Segment":1,"TotalSegments":3,"Limit":2}`,
		`{"TableName":"tb1","KeyConditionExpression":"k = :k","ExpressionAttributeValues":{":k":{"S":"a"}}}`,
		`{"TableName":"tb1","Item":{"k":{"S":"a"},"b":{"B":"AAE="},"s":{"SS":["x","y"]}}}`,
		`{"TableName":"tb2","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`,
		`{"TableName":"tb1","AttributeDefinitions":[{"AttributeName":"o","AttributeType":"S"}],"GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"i","KeySchema":[{"AttributeName":"o","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}}]}`,
		`{"TableName":[1]}`, `{"Item":{"k":{"S":"a","N":"1"}}}`, `[]`, `null`, ``, `{"Limit":"x"}`,
	} {
		for op := range 16 {
			f.Add(uint8(op), s)
		}
	}
	h := newTestHandler(f)
	call(h, "CreateTable", `{"TableName":"tb1","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`)
	ops := h.Operations()
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		name := ops[int(op)%len(ops)]
		if name == "DeleteTable" {
			return // keep the table for the next input
		}
		w := call(h, name, body)
		checkFraming(t, w)
		if w.Code == 200 {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
				t.Fatalf("%s %q: answer %q", name, body, w.Body)
			}
			return
		}
		if w.Code != 400 && w.Code != 413 {
			t.Fatalf("%s %q: status %d %s", name, body, w.Code, w.Body)
		}
		if typ, _, _ := errorOf(t, w); !strings.Contains(typ, "#") {
			t.Fatalf("%s %q: __type %q", name, body, typ)
		}
	})
}
