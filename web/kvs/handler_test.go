package kvs

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/playback"
	"github.com/shardcast/shardcast/web/awsapi"
)

// newHandler returns the handler over an in-memory video store, with no
// keys configured (any SigV4-shaped request is accepted).
func newHandler(t *testing.T) *Handler {
	t.Helper()
	kr, err := envelope.NewStatic(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	store, err := fragments.Open(fragments.Config{Catalog: registry.NewMemCatalog(), Store: shard.NewMemStore(nil), Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return New(Config{Store: store, Playback: playback.New(playback.Config{Store: store, Key: make([]byte, 32)}), Auth: &awsapi.Auth{}})
}

// call POSTs body to path and returns the status and the decoded answer.
func call(t *testing.T, h *Handler, path, body string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s answer is not JSON: %v: %s", path, err, w.Body.Bytes())
		}
	}
	return w.Code, out
}

// Every path the handler lists answers: the built ones work or refuse
// with KVS's errors, the unbuilt ones say so with UnsupportedOperationException.
func TestHandlerPaths(t *testing.T) {
	h := newHandler(t)
	for path, op := range unsupported {
		code, out := call(t, h, path, "{}")
		if code != http.StatusBadRequest || out["__type"] != "UnsupportedOperationException" || !strings.Contains(out["Message"].(string), op) {
			t.Errorf("%s: %d %v, want 400 UnsupportedOperationException naming %s", path, code, out, op)
		}
	}
	if code, out := call(t, h, "/createStream", `{"StreamName":"cam","DataRetentionInHours":1}`); code != 200 || out["StreamARN"] == nil {
		t.Fatalf("createStream: %d %v", code, out)
	}
	if code, out := call(t, h, "/describeStream", `{"StreamName":"cam"}`); code != 200 || out["StreamInfo"].(map[string]any)["StreamName"] != "cam" {
		t.Fatalf("describeStream: %d %v", code, out)
	}
	if code, out := call(t, h, "/describeStream", `{"StreamName":"nope"}`); code != 404 || out["__type"] != "ResourceNotFoundException" {
		t.Fatalf("describeStream of a missing stream: %d %v", code, out)
	}
	if code, out := call(t, h, "/createStream", `{"StreamName":".."}`); code != 400 || out["__type"] != "InvalidArgumentException" {
		t.Fatalf("createStream with a bad name: %d %v", code, out)
	}
}

// The store's error kinds reach the wire as KVS names them; a fragment lost
// to damaged storage is not found, with the store's message.
func TestErrorTable(t *testing.T) {
	for _, c := range []struct {
		kind   error
		typ    string
		status int
	}{
		{registry.ErrDamaged, "ResourceNotFoundException", 404},
		{registry.ErrResourceInUse, "ResourceInUseException", 400},
		{registry.ErrNoDataRetention, "NoDataRetentionException", 400},
		{playback.ErrNotAuthorized, "NotAuthorizedException", 403},
	} {
		err := &registry.Error{Kind: c.kind, Message: "message for " + c.typ}
		w := httptest.NewRecorder()
		awsapi.WriteError(w, httptest.NewRequest(http.MethodPost, "/getClip", nil), nil, errorTable, awsapi.RESTJSON, err)
		var out map[string]any
		json.Unmarshal(w.Body.Bytes(), &out)
		if w.Code != c.status || out["__type"] != c.typ || out["Message"] != err.Message || !errors.Is(err, c.kind) {
			t.Errorf("%v: %d %v, want %d %s", c.kind, w.Code, out, c.status, c.typ)
		}
	}
}
