package awsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func TestValidatorMessages(t *testing.T) {
	var v Validator
	if v.Err() != nil {
		t.Fatal("empty validator failed")
	}
	name := ""
	n := 0
	v.Int("shardCount", &n, 1, 100)
	v.String("streamName", &name, Pattern(`[a-zA-Z0-9_.-]+`), 1, 128)
	v.Required("data", false)
	mode := "FAST"
	v.Enum("streamModeDetails.streamMode", &mode, "PROVISIONED", "ON_DEMAND")
	v.BlobMax("data", make([]byte, 5), 4)
	want := "6 validation errors detected: " +
		"Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
		"Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
		"Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
		"Value null at 'data' failed to satisfy constraint: Member must not be null; " +
		"Value 'FAST' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]; " +
		"Value 'java.nio.HeapByteBuffer[pos=0 lim=5 cap=5]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 4"
	var ae *APIError
	if err := v.Err(); !errors.As(err, &ae) || ae.Type != "ValidationException" || ae.Message != want || ae.Status != 400 {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	// AWS reports ten at most.
	var many Validator
	for i := 0; i < 15; i++ {
		many.Required("x", false)
	}
	if !strings.HasPrefix(many.Err().(*APIError).Message, "10 validation errors detected") {
		t.Fatal("more than ten errors reported")
	}
	// Lengths count characters, not bytes.
	var runes Validator
	s := strings.Repeat("é", 256)
	runes.String("partitionKey", &s, nil, 1, 256)
	if runes.Err() != nil {
		t.Fatal("256 two-byte characters are 256 characters")
	}
}

func TestDecodeJSONMessages(t *testing.T) {
	type in struct {
		Name  *string    `json:"Name"`
		Count *int       `json:"Count"`
		Tags  []string   `json:"Tags"`
		When  *Timestamp `json:"When"`
		Data  Blob       `json:"Data"`
	}
	cases := map[string]string{
		`{"Name":true}`:         "class java.lang.Boolean can not be converted to an String",
		`{"Name":5}`:            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
		`{"Count":"x"}`:         "class java.lang.String can not be converted to an Integer",
		`{"Name":[1]}`:          "Start of list found where not expected",
		`{"Name":{}}`:           "Start of structure or map found where not expected.",
		`{"Tags":"x"}`:          "Expected list or null",
		`{"When":"2020-01-01"}`: "class java.lang.String can not be converted to milliseconds since epoch",
		`{"Data":"23456"}`:      "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5",
		`{"Data":"ab$="}`:       "'ab$=' can not be converted to a Blob: Invalid Base64 character: '$'",
	}
	for body, msg := range cases {
		var v in
		err := DecodeJSON([]byte(body), &v)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Type != "SerializationException" || ae.Message != msg || !ae.CapitalMessage {
			t.Errorf("%s: got %v, want %q", body, err, msg)
		}
	}
	var v in
	if err := DecodeJSON(nil, &v); err != nil {
		t.Fatalf("empty body: %v", err)
	}
	if err := DecodeJSON([]byte(`{"When":1572383852.123,"Data":"aGk=","Count":3}`), &v); err != nil ||
		v.When.UnixMilli() != 1572383852123 || string(v.Data.Bytes) != "hi" || !v.Data.Set || *v.Count != 3 {
		t.Fatalf("valid body: %+v %v", v, err)
	}
	if err := DecodeJSON([]byte(`{"When":1.5e9}`), &v); err != nil || v.When.Unix() != 1500000000 {
		t.Fatalf("exponent timestamp: %v", err)
	}
}

func TestTimestampAndBlobEncoding(t *testing.T) {
	b, _ := json.Marshal(struct {
		T Timestamp
		B Blob
	}{Timestamp{time.UnixMilli(1572383852120)}, Blob{Bytes: []byte("hello")}})
	if string(b) != `{"T":1572383852.120,"B":"aGVsbG8="}` {
		t.Fatalf("encoded %s", b)
	}
	if got := string(EpochSeconds(time.Unix(5, 0))); got != "5" {
		t.Fatalf("whole seconds: %s", got)
	}
}

func TestWriteError(t *testing.T) {
	sentinel := errors.New("gone")
	table := ErrorTable{{Err: sentinel, Type: "ResourceNotFoundException", Status: 400}}
	log := slog.New(slog.DiscardHandler)
	for _, c := range []struct {
		err        error
		status     int
		body, kind string
	}{
		{fmtErr{sentinel, "Stream x not found."}, 400, `{"__type":"ResourceNotFoundException","message":"Stream x not found."}`, "ResourceNotFoundException"},
		{serializationError("bad"), 400, `{"Message":"bad","__type":"SerializationException"}`, "SerializationException"},
		{errors.New("disk on fire"), 500, `{"__type":"InternalFailure"}`, "InternalFailure"},
	} {
		w := httptest.NewRecorder()
		WriteError(w, httptest.NewRequest("POST", "/", nil), log, table, JSON11, c.err)
		if w.Code != c.status || w.Body.String() != c.body || w.Header().Get("X-Amzn-Errortype") != c.kind {
			t.Errorf("%v: %d %s %s", c.err, w.Code, w.Body, w.Header().Get("X-Amzn-Errortype"))
		}
	}
}

type fmtErr struct {
	kind error
	msg  string
}

func (e fmtErr) Error() string { return e.msg }
func (e fmtErr) Unwrap() error { return e.kind }

// signed builds a request signed by the AWS SDK's signer.
func signed(t *testing.T, creds aws.Credentials, when time.Time, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest("POST", "http://127.0.0.1:8080/", strings.NewReader(body))
	r.Header.Set("Content-Type", ContentTypeJSON11)
	r.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "kinesis", "us-east-1", when); err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(strings.NewReader(body))
	return r
}

func TestAuthVerifiesSignatures(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	a := &Auth{Keys: map[string]Key{"AKID": {Secret: "secret"}}, Now: func() time.Time { return now }}
	good := aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}
	if err := a.Check(signed(t, good, now, "{}"), []byte("{}")); err != nil {
		t.Fatalf("a correctly signed request was refused: %v", err)
	}
	kind := func(err error) string {
		var ae *APIError
		if errors.As(err, &ae) {
			return ae.Type
		}
		return "none"
	}
	// A body that is not the one signed.
	if got := kind(a.Check(signed(t, good, now, "{}"), []byte(`{"x":1}`))); got != "InvalidSignatureException" {
		t.Fatalf("altered body: %s", got)
	}
	if got := kind(a.Check(signed(t, aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "nope"}, now, "{}"), []byte("{}"))); got != "InvalidSignatureException" {
		t.Fatalf("wrong secret: %s", got)
	}
	if got := kind(a.Check(signed(t, aws.Credentials{AccessKeyID: "OTHER", SecretAccessKey: "secret"}, now, "{}"), []byte("{}"))); got != "UnrecognizedClientException" {
		t.Fatalf("unknown key: %s", got)
	}
	if got := kind(a.Check(signed(t, good, now.Add(-20*time.Minute), "{}"), []byte("{}"))); got != "InvalidSignatureException" {
		t.Fatalf("stale signature: %s", got)
	}
	r := signed(t, good, now, "{}")
	r.Header.Set("X-Amz-Target", "Kinesis_20131202.DeleteStream") // a signed header changed
	if got := kind(a.Check(r, []byte("{}"))); got != "InvalidSignatureException" {
		t.Fatalf("altered header: %s", got)
	}
	if got := kind(a.Check(httptest.NewRequest("POST", "/", nil), nil)); got != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned: %s", got)
	}
	// Without keys, any well-formed signature passes, and only that.
	open := &Auth{}
	if err := open.Check(signed(t, aws.Credentials{AccessKeyID: "x", SecretAccessKey: "y"}, now, "{}"), nil); err != nil {
		t.Fatalf("open auth refused a signed request: %v", err)
	}
	r = httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Authorization", "Bearer token")
	if got := kind(open.Check(r, nil)); got != "IncompleteSignatureException" {
		t.Fatalf("malformed authorization: %s", got)
	}
}

// ReadSigned refuses an unknown key or a stale date before it reads a
// byte of the body, and verifies the signature over the body it reads.
func TestReadSignedChecksHeadersFirst(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	a := &Auth{Keys: map[string]Key{"AKID": {Secret: "secret"}}, Now: func() time.Time { return now }}
	for name, r := range map[string]*http.Request{
		"unknown key": signed(t, aws.Credentials{AccessKeyID: "OTHER", SecretAccessKey: "secret"}, now, "{}"),
		"stale":       signed(t, aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, now.Add(-time.Hour), "{}"),
		"unsigned":    httptest.NewRequest("POST", "/", nil),
	} {
		r.Body = io.NopCloser(unreadable{t})
		if _, release, err := a.ReadSigned(r); err == nil {
			t.Fatalf("%s: accepted", name)
		} else {
			release()
		}
	}
	r := signed(t, aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, now, "{}")
	body, release, err := a.ReadSigned(r)
	if err != nil || string(body) != "{}" {
		t.Fatalf("signed request: %q %v", body, err)
	}
	release()
	r = signed(t, aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, now, "{}")
	r.Body = io.NopCloser(strings.NewReader(`{"x":1}`))
	if _, release, err := a.ReadSigned(r); err == nil {
		t.Fatal("a body other than the one signed was accepted")
	} else {
		release()
	}
}

type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("the body of a request refused by its headers was read")
	return 0, io.EOF
}

func TestReadBody(t *testing.T) {
	for _, n := range []int{0, 1, 4095, 70000} {
		payload := bytes.Repeat([]byte{'x'}, n)
		r := httptest.NewRequest("POST", "/", bytes.NewReader(payload))
		b, release, err := ReadBody(r)
		if err != nil || !bytes.Equal(b, payload) {
			t.Fatalf("%d bytes: %v", n, err)
		}
		release()
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/", bytes.NewReader(make([]byte, 100)))
	r.Body = http.MaxBytesReader(w, r.Body, 10)
	_, release, err := ReadBody(r)
	release()
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("over the limit: %v", err)
	}
}

func FuzzBlobAndTimestamp(f *testing.F) {
	for _, s := range []string{`"aGk="`, `"a\u0047k="`, `null`, `"===="`, `1.5e9`, `"x"`, `-1`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var b Blob
		if err := b.UnmarshalJSON(raw); err == nil && b.Set {
			out, _ := b.MarshalJSON()
			var again Blob
			if err := again.UnmarshalJSON(out); err != nil || !bytes.Equal(again.Bytes, b.Bytes) {
				t.Fatalf("blob %q does not round-trip", raw)
			}
		}
		var ts Timestamp
		ts.UnmarshalJSON(raw)
	})
}
