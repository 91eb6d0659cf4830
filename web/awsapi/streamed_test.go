package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A PutMedia request as the KVS producer libraries sign it: hop-by-hop
// headers and User-Agent signed, the payload hash that of an empty body,
// the body chunked (net/http keeps Transfer-Encoding out of the header
// map). CheckStreamed accepts it without reading the body and refuses a
// changed header. The expected signature is built here by hand, from the
// SigV4 specification.
func TestCheckStreamed(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	const secret = "secret"
	r := httptest.NewRequest("POST", "http://127.0.0.1:8080/putMedia", strings.NewReader("not read"))
	r.TransferEncoding = []string{"chunked"}
	r.ContentLength = -1
	hdr := map[string]string{"connection": "keep-alive", "content-type": "application/json", "user-agent": "AWS-SDK-KVS/3.4.1",
		"x-amz-date": now.Format("20060102T150405Z"), "x-amzn-fragment-acknowledgment-required": "1",
		"x-amzn-fragment-timecode-type": "ABSOLUTE", "x-amzn-producer-start-timestamp": "1764666000.000", "x-amzn-stream-name": "cam"}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	signed := "connection;content-type;host;transfer-encoding;user-agent;x-amz-date;x-amzn-fragment-acknowledgment-required;x-amzn-fragment-timecode-type;x-amzn-producer-start-timestamp;x-amzn-stream-name"
	canon := "POST\n/putMedia\n\n"
	for _, h := range strings.Split(signed, ";") {
		v := hdr[h]
		switch h {
		case "host":
			v = "127.0.0.1:8080"
		case "transfer-encoding":
			v = "chunked"
		}
		canon += h + ":" + v + "\n"
	}
	canon += "\n" + signed + "\n" + emptyHash
	sum := sha256.Sum256([]byte(canon))
	scope := "20261202/us-west-2/kinesisvideo/aws4_request"
	key := []byte("AWS4" + secret)
	for _, p := range []string{"20261202", "us-west-2", "kinesisvideo", "aws4_request",
		"AWS4-HMAC-SHA256\n" + hdr["x-amz-date"] + "\n" + scope + "\n" + hex.EncodeToString(sum[:])} {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(p))
		key = m.Sum(nil)
	}
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/"+scope+", SignedHeaders="+signed+", Signature="+hex.EncodeToString(key))
	a := &Auth{Keys: map[string]Key{"AKID": {Secret: secret}}, Now: func() time.Time { return now }}
	if err := a.CheckStreamed(r); err != nil {
		t.Fatalf("refused: %v", err)
	}
	if b := make([]byte, 3); true {
		if n, _ := r.Body.Read(b); n != 3 {
			t.Fatal("the body was read")
		}
	}
	r.Header.Set("x-amzn-stream-name", "other")
	if err := a.CheckStreamed(r); err != errSignature {
		t.Fatalf("a changed header: %v", err)
	}
}
