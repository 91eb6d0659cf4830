package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/web/awsapi"
	"github.com/shardcast/shardcast/web/ui"
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

// CORS: a preflight for a signed SDK request is answered with the method
// and the very headers it asks for, and every answer, errors included,
// lets a page on any origin read it and the AWS headers the SDKs need.
func TestCORS(t *testing.T) {
	kinesis := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) })
	h := NewRouter(Config{Logger: slog.New(slog.DiscardHandler), Kinesis: kinesis, Auth: &awsapi.Auth{}})
	const asked = "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-target,x-amz-user-agent"
	for _, path := range []string{"/", "/getMedia", "/listStreams"} {
		r := httptest.NewRequest("OPTIONS", path, nil)
		r.Header.Set("Origin", "http://127.0.0.1:9999")
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", asked)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header()
		if w.Code != http.StatusNoContent || got.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(got.Get("Access-Control-Allow-Methods"), "POST") ||
			got.Get("Access-Control-Allow-Headers") != asked || got.Get("Access-Control-Max-Age") == "" {
			t.Errorf("preflight of %s: %d %v", path, w.Code, got)
		}
	}
	// A preflight that names no headers is allowed those the SDKs send.
	r := httptest.NewRequest("OPTIONS", "/", nil)
	r.Header.Set("Origin", "http://127.0.0.1:9999")
	r.Header.Set("Access-Control-Request-Method", "POST")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if allow := w.Header().Get("Access-Control-Allow-Headers"); !strings.Contains(allow, "x-amz-target") || !strings.Contains(allow, "authorization") {
		t.Errorf("default allowed headers: %q", allow)
	}

	for _, target := range []string{"Kinesis_20131202.ListStreams", "DynamoDB_20120810.ListTables"} {
		r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
		r.Header.Set("Origin", "http://127.0.0.1:9999")
		r.Header.Set("X-Amz-Target", target)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		expose := strings.ToLower(w.Header().Get("Access-Control-Expose-Headers"))
		if w.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s answered %d without Access-Control-Allow-Origin", target, w.Code)
		}
		for _, name := range []string{"x-amzn-requestid", "x-amzn-errortype", "x-amz-id-2", "etag"} {
			if !strings.Contains(expose, name) {
				t.Errorf("%s: %s not exposed: %q", target, name, expose)
			}
		}
	}
}

// The console's routes: a browser's GET / gets the console, other clients
// the plain-text page; its assets and login are served; an admin endpoint
// takes a console session as a credential, with the one check deciding.
func TestConsoleRoutes(t *testing.T) {
	auth := &awsapi.Auth{Keys: map[string]awsapi.Key{"AKID": {Secret: "s"}}}
	h := NewRouter(Config{Logger: slog.New(slog.DiscardHandler), Auth: auth, Version: "v1",
		UI:          ui.New(ui.Config{Auth: auth}),
		KVS:         noKVS{},
		DataTraffic: func() any { return []string{"traffic"} }})
	do := func(method, target, body string, hdr map[string]string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := do("GET", "/", "", map[string]string{"Accept": "text/html"}); w.Code != 200 || !strings.Contains(w.Body.String(), "/ui/assets/js/app.js") {
		t.Fatalf("a browser's GET /: %d %s", w.Code, w.Body)
	}
	if w := do("GET", "/", "", nil); !strings.HasPrefix(w.Body.String(), "shardcast v1") {
		t.Fatalf("curl's GET /: %s", w.Body)
	}
	if w := do("GET", "/ui/assets/app.css", "", nil); w.Code != 200 || w.Header().Get("ETag") == "" {
		t.Fatalf("an asset: %d %v", w.Code, w.Header())
	}
	if w := do("GET", "/admin/v1/datastreams", "", nil); w.Code != 400 {
		t.Fatalf("admin without credentials: %d %s", w.Code, w.Body)
	}
	w := do("POST", "/ui/api/login", `{"accessKeyId":"AKID","secretAccessKey":"s"}`, nil)
	if w.Code != 200 || len(w.Result().Cookies()) != 1 {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	cookie := w.Result().Cookies()[0]
	if w := do("GET", "/admin/v1/datastreams", "", nil, cookie); w.Code != 200 || !strings.Contains(w.Body.String(), "traffic") {
		t.Fatalf("admin with the console's session: %d %s", w.Code, w.Body)
	}
	if w := do("GET", "/play/cam", "", nil, cookie); w.Code != 200 || !strings.Contains(w.Body.String(), `data-playlist="/hls/cam/index.m3u8"`) {
		t.Fatalf("the player with the console's session (a plain playlist, no presigning): %d %s", w.Code, w.Body)
	}
}

// noKVS routes no KVS operation: the router's own pages are under test.
type noKVS struct{ http.Handler }

func (noKVS) Paths() []string                              { return nil }
func (noKVS) ServeHLS(http.ResponseWriter, *http.Request)  {}
func (noKVS) ServeDASH(http.ResponseWriter, *http.Request) {}
