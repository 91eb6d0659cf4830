package webrtc

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/fragments/fragmentstest"
	"github.com/shardcast/shardcast/ingest"
)

// testTransport is a transport on a loopback port of its own.
func testTransport(t *testing.T, cfg Config) *Transport {
	t.Helper()
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:0"
	}
	tr, err := NewTransport(cfg)
	if err != nil {
		t.Fatalf("NewTransport: %v", err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// testEndpoint serves a Handler over a transport and a real store (streams
// created on publish), as cmd/shardcast routes it.
type testEndpoint struct {
	*httptest.Server
	h     *Handler
	tr    *Transport
	store *fragments.Store
}

func newTestEndpoint(t *testing.T, cfg Config, access *Access) *testEndpoint {
	t.Helper()
	store := fragmentstest.Open(t, fragments.Config{})
	m := ingest.NewManager(ingest.Config{Store: store, AutoCreate: true, AutoCreateRetentionHours: 1})
	tr := testTransport(t, cfg)
	h := NewHandler(HandlerConfig{Transport: tr, Manager: m, Access: access})
	mux := http.NewServeMux()
	for _, kind := range []string{kindWHIP, kindWHEP} {
		mux.HandleFunc("/"+kind+"/{stream}", func(w http.ResponseWriter, r *http.Request) {
			h.ServeOffer(w, r, kind, r.PathValue("stream"))
		})
		mux.HandleFunc("/"+kind+"/{stream}/{id}", func(w http.ResponseWriter, r *http.Request) {
			h.ServeResource(w, r, kind, r.PathValue("stream"), r.PathValue("id"))
		})
	}
	srv := httptest.NewServer(mux)
	// Cleanups run last first: the HTTP server, the sessions, the
	// sessions' ingest, the store; the transport's sockets after all.
	t.Cleanup(m.Close)
	t.Cleanup(h.Close)
	t.Cleanup(srv.Close)
	return &testEndpoint{Server: srv, h: h, tr: tr, store: store}
}
