package web

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/shardcast/shardcast/web/awsapi"
)

// Config wires the router to the services it fronts.
type Config struct {
	Logger       *slog.Logger
	MaxBodyBytes int64 // request body limit (default 12 MiB)

	// Kinesis serves Kinesis_20131202.* targets.
	Kinesis http.Handler
	// Auth checks admin requests.
	Auth *awsapi.Auth
	// RotateMasterKey rotates a master key and re-wraps the data keys under it.
	RotateMasterKey func(keyRef string) (int, error)
	// Version is shown on the landing page.
	Version string
}

// NewRouter returns the HTTP handler of the server.
func NewRouter(cfg Config) http.Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 12 << 20
	}
	log := cfg.Logger
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			req = awsapi.WithRequestID(w, req)
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					log.Error("panic serving request", "request_id", awsapi.RequestID(req), "panic", p, "stack", string(debug.Stack()))
					if !sw.wrote {
						awsapi.WriteError(sw, req, log, nil, awsapi.ContentTypeJSON11, awsapi.Internal())
					}
				}
				log.Debug("http", "method", req.Method, "path", req.URL.Path, "target", req.Header.Get("X-Amz-Target"),
					"status", sw.status, "ms", time.Since(start).Milliseconds(), "request_id", awsapi.RequestID(req))
			}()
			req.Body = http.MaxBytesReader(sw, req.Body, cfg.MaxBodyBytes)
			next.ServeHTTP(sw, req)
		})
	})
	r.Post("/", func(w http.ResponseWriter, req *http.Request) {
		target := req.Header.Get("X-Amz-Target")
		switch {
		case cfg.Kinesis != nil && strings.HasPrefix(target, "Kinesis_20131202."):
			cfg.Kinesis.ServeHTTP(w, req)
		default:
			awsapi.WriteError(w, req, log, nil, awsapi.ContentTypeJSON11, awsapi.UnknownOperation())
		}
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	r.Post("/admin/rotate-master-key", func(w http.ResponseWriter, req *http.Request) {
		body, release, err := awsapi.ReadBody(req)
		defer release()
		if err == nil {
			err = cfg.Auth.Check(req, body)
		}
		if err != nil {
			awsapi.WriteError(w, req, log, nil, "application/json", err)
			return
		}
		key := req.URL.Query().Get("key")
		if key == "" {
			key = "alias/aws/kinesis"
		}
		n, err := cfg.RotateMasterKey(key)
		if err != nil {
			awsapi.WriteError(w, req, log, nil, "application/json",
				&awsapi.APIError{Type: "KMSInvalidStateException", Message: err.Error(), Status: http.StatusBadRequest})
			return
		}
		log.Info("master key rotated", "key", key, "data_keys_rewrapped", n)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"KeyId": key, "DataKeysRewrapped": n})
	})
	r.Get("/", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "shardcast %s\n\nKinesis Data Streams API: POST %s/ (point the AWS SDK or CLI at --endpoint-url http://%s)\nHealth: GET /healthz\n",
			cfg.Version, "http://"+req.Host, req.Host)
	})
	return r
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
