package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/web/awsapi"
)

func TestRouter(t *testing.T) {
	kinesis := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "Kinesis_20131202.Panic" {
			panic("boom")
		}
		io.ReadAll(r.Body)
		w.Write([]byte("{}"))
	})
	h := NewRouter(Config{Logger: slog.New(slog.DiscardHandler), Kinesis: kinesis, Auth: &awsapi.Auth{}, MaxBodyBytes: 1 << 20,
		RotateMasterKey: func(string) (int, error) { return 3, nil }})
	do := func(method, target, body string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := do("POST", "/", "{}", map[string]string{"X-Amz-Target": "Kinesis_20131202.ListStreams"})
	if w.Code != 200 || len(w.Header().Get("X-Amzn-Requestid")) != 36 {
		t.Fatalf("kinesis target: %d %v", w.Code, w.Header())
	}
	w = do("POST", "/", "{}", map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables"})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "UnknownOperationException") {
		t.Fatalf("other service: %d %s", w.Code, w.Body)
	}
	w = do("POST", "/", "{}", map[string]string{"X-Amz-Target": "Kinesis_20131202.Panic"})
	if w.Code != 500 || !strings.Contains(w.Body.String(), "InternalFailure") {
		t.Fatalf("panic: %d %s", w.Code, w.Body)
	}
	if w = do("GET", "/healthz", "", nil); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Fatalf("healthz: %d %s", w.Code, w.Body)
	}
	if w = do("POST", "/admin/rotate-master-key", "", nil); w.Code != 400 || !strings.Contains(w.Body.String(), "MissingAuthenticationToken") {
		t.Fatalf("unsigned admin call: %d %s", w.Code, w.Body)
	}
	w = do("POST", "/admin/rotate-master-key", "", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request, SignedHeaders=host, Signature=x"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"DataKeysRewrapped": 3`) {
		t.Fatalf("admin rotate: %d %s", w.Code, w.Body)
	}
}
