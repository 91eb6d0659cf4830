package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/web/awsapi"
	"github.com/shardcast/shardcast/web/ui"
)

// Config wires the router to the services it fronts.
type Config struct {
	Logger       *slog.Logger
	MaxBodyBytes int64 // request body limit (default 12 MiB)
	// BodyTimeout is how long a request body may take to arrive, from the
	// end of the request's headers (default 1m); then the connection is cut.
	BodyTimeout time.Duration
	// BodyBudget bounds the bytes of request bodies held at once, server
	// wide (default 256 MiB, at least MaxBodyBytes); a body that finds it
	// spent waits up to BodyBudgetWait (default 2s), then gets a 503.
	BodyBudget     int64
	BodyBudgetWait time.Duration

	// Kinesis serves Kinesis_20131202.* targets.
	Kinesis http.Handler
	// Firehose serves Firehose_20150804.* targets; nil when the server has none.
	Firehose http.Handler
	// DynamoDB serves DynamoDB_20120810.* targets (the lease-table subset);
	// nil when the server has none.
	DynamoDB http.Handler
	// Analytics serves KinesisAnalytics_20150814.* targets; nil when the
	// server has none.
	Analytics http.Handler
	// FirehoseStats reports delivery per delivery stream (GET /admin/v1/firehose).
	FirehoseStats func() any
	// DataTraffic reports each data stream's records in and out and
	// iterator age (GET /admin/v1/datastreams).
	DataTraffic func() any
	// UI is the web console (/ for browsers, /ui/..., and the player and
	// publishing pages); nil serves the plain-text landing page only.
	UI *ui.UI
	// KVS serves the Kinesis Video Streams REST-JSON paths it lists.
	KVS interface {
		http.Handler
		Paths() []string
		// ServeHLS answers GET /hls/v1/{name} and /hls/{stream}/{name}.
		ServeHLS(w http.ResponseWriter, r *http.Request)
		// ServeDASH answers GET /dash/v1/{name}.
		ServeDASH(w http.ResponseWriter, r *http.Request)
	}
	// Ingest reports the running publisher sessions, with their recent
	// commit latencies when asked (?latencies=1).
	Ingest func(latencies bool) any
	// Damage reports the damaged records the stores know of.
	Damage func() any
	// Sources manages RTSP pull sources; nil when the server has none.
	Sources SourcesAPI
	// Auth is the one check: the APIs, the admin endpoints and the plain
	// HLS, player and publishing pages go through it.
	Auth *awsapi.Auth
	// STS serves the STS Query protocol (POST / form-encoded, or GET /
	// with Action=); nil when the server has none.
	STS http.Handler
	// Audit is told of every request once it is answered: what the one
	// check decided (the Call), the status and the AWS error type.
	Audit func(r *http.Request, c *awsapi.Call, status int, errorType string)
	// RotateMasterKey rotates a master key and re-wraps the data keys under it.
	RotateMasterKey func(keyRef string) (int, error)
	// Version is shown on the landing page.
	Version string
	// WebRTC serves WHIP and WHEP (/whip/{stream}, /whep/{stream} and
	// their session resources); nil when the server has none.
	WebRTC WebRTCRoutes
}

// WebRTCRoutes is the WHIP/WHEP resource layer (ingest/webrtc.Handler).
type WebRTCRoutes interface {
	// ServeOffer answers POST and OPTIONS on /{kind}/{stream}.
	ServeOffer(w http.ResponseWriter, r *http.Request, kind, stream string)
	// ServeResource answers PATCH, DELETE and OPTIONS on /{kind}/{stream}/{session}.
	ServeResource(w http.ResponseWriter, r *http.Request, kind, stream, session string)
	// LinkHeaders are the ICE servers as Link header values.
	LinkHeaders() []string
}

// SourcesAPI is the admin view of RTSP pull sources.
type SourcesAPI interface {
	List() any
	Put(stream string, body []byte) error
	Delete(stream string) error
}

// playerSession is how long the presigned playlist of a player page opened
// with Basic credentials stays valid.
const playerSession = 12 * time.Hour

// Defaults of Config, applied by NewRouter to fields left zero;
// cmd/shardcast shows and sets the same values.
const (
	DefaultMaxBodyBytes = 12 << 20
	DefaultBodyTimeout  = time.Minute
	DefaultBodyBudget   = 256 << 20
)

// streamedBody reports whether r's body is a stream that is not read whole
// (PutMedia): it does not go under the body limits.
func streamedBody(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/putMedia"
}

// NewRouter returns the HTTP handler of the server.
func NewRouter(cfg Config) http.Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.BodyBudget <= 0 {
		cfg.BodyBudget = DefaultBodyBudget
	}
	if cfg.BodyBudgetWait <= 0 {
		cfg.BodyBudgetWait = 2 * time.Second
	}
	limits := &bodyLimits{max: cfg.MaxBodyBytes, timeout: cfg.BodyTimeout, wait: cfg.BodyBudgetWait,
		budget: newBudget(max(cfg.BodyBudget, cfg.MaxBodyBytes+1))}
	log := cfg.Logger
	// home answers GET /: the console for browsers, plain text for the rest.
	home := func(w http.ResponseWriter, req *http.Request) {
		if cfg.UI != nil && ui.WantsPage(req) {
			cfg.UI.ServeIndex(w, req)
			return
		}
		landing(w, req, cfg.Version)
	}
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			req = awsapi.WithRequestID(w, req)
			req, call := awsapi.WithCall(req)
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			defer func() {
				if cfg.Audit != nil && call.Action != "" {
					cfg.Audit(req, call, sw.status, sw.Header().Get("X-Amzn-Errortype"))
				}
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					log.Error("panic serving request", "request_id", awsapi.RequestID(req), "panic", p, "stack", string(debug.Stack()))
					if !sw.wrote {
						awsapi.WriteError(sw, req, log, nil, awsapi.JSON11, awsapi.Internal())
					}
				}
				log.Debug("http", "method", req.Method, "path", req.URL.Path, "target", req.Header.Get("X-Amz-Target"),
					"status", sw.status, "ms", time.Since(start).Milliseconds(), "request_id", awsapi.RequestID(req))
			}()
			if streamedBody(req) {
				// Read as it arrives for as long as the upload lasts: its
				// handler bounds it (idle time, fragment size) itself.
				next.ServeHTTP(sw, req)
				return
			}
			body := limits.wrap(sw, req)
			defer body.release()
			req.Body = body
			next.ServeHTTP(sw, req)
		})
	})
	if cfg.WebRTC != nil {
		// CORS preflights of WHIP and WHEP are answered by withCORS; they
		// list the ICE servers too (RFC 9725 4.4).
		r.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				if req.Method == http.MethodOptions && (strings.HasPrefix(req.URL.Path, "/whip/") || strings.HasPrefix(req.URL.Path, "/whep/")) {
					for _, l := range cfg.WebRTC.LinkHeaders() {
						w.Header().Add("Link", l)
					}
				}
				next.ServeHTTP(w, req)
			})
		})
	}
	r.Use(withCORS)
	r.Post("/", func(w http.ResponseWriter, req *http.Request) {
		target := req.Header.Get("X-Amz-Target")
		switch {
		case cfg.Kinesis != nil && strings.HasPrefix(target, "Kinesis_20131202."):
			cfg.Kinesis.ServeHTTP(w, req)
		case cfg.Firehose != nil && strings.HasPrefix(target, "Firehose_20150804."):
			cfg.Firehose.ServeHTTP(w, req)
		case cfg.Analytics != nil && strings.HasPrefix(target, "KinesisAnalytics_20150814."):
			cfg.Analytics.ServeHTTP(w, req)
		case cfg.DynamoDB != nil && strings.HasPrefix(target, "DynamoDB_20120810."):
			cfg.DynamoDB.ServeHTTP(w, req)
		case target == "" && cfg.STS != nil && stsQuery(req):
			cfg.STS.ServeHTTP(w, req)
		default:
			awsapi.WriteError(w, req, log, nil, awsapi.JSON11, awsapi.UnknownOperation())
		}
	})
	if cfg.KVS != nil {
		for _, p := range cfg.KVS.Paths() {
			r.Post(p, cfg.KVS.ServeHTTP)
		}
		r.Get("/hls/v1/{name}", cfg.KVS.ServeHLS)
		r.Get("/dash/v1/{name}", cfg.KVS.ServeDASH)
		// The plain live URLs and the player are readers of a stream: with
		// credentials configured they need them (Basic or presigned).
		r.Get("/hls/{stream}/{name}", func(w http.ResponseWriter, req *http.Request) {
			stream := chi.URLParam(req, "stream")
			if _, ok := cfg.Auth.AllowReader(w, req, stream, "/hls/"+stream+"/index.m3u8"); ok {
				cfg.KVS.ServeHLS(w, req)
			}
		})
		r.Get("/play/{stream}", func(w http.ResponseWriter, req *http.Request) {
			stream, ok := streamParam(w, req, log)
			if !ok {
				return
			}
			who, ok := cfg.Auth.AllowReader(w, req, stream, "")
			if !ok {
				return
			}
			playlist := "/hls/" + stream + "/index.m3u8"
			if who != nil && !awsapi.ConsoleRequest(req) {
				// The player gets a presigned playlist, so that what it fetches
				// (status, playlist, segments, parts) carries the signature: the
				// same key and expiry as a presigned page, or, for a page opened
				// with Basic credentials, playerSession from now.
				var u string
				var err error
				if _, _, basic := req.BasicAuth(); basic {
					u, err = cfg.Auth.Presign(req, who, playlist, time.Now().UTC(), playerSession)
				} else {
					u, err = cfg.Auth.PresignAlike(req, who, playlist)
				}
				if err != nil {
					awsapi.WriteError(w, req, log, nil, awsapi.RESTJSON, err)
					return
				}
				playlist = u
			}
			if cfg.UI != nil {
				cfg.UI.ServePlayer(w, stream, playlist)
			}
		})
		// The publishing page follows the player's rules; the WHIP
		// endpoint it posts to checks its own token.
		r.Get("/publish/{stream}", func(w http.ResponseWriter, req *http.Request) {
			stream, ok := streamParam(w, req, log)
			if !ok {
				return
			}
			if _, ok := cfg.Auth.AllowReader(w, req, stream, ""); ok && cfg.UI != nil {
				cfg.UI.ServePublisher(w, stream)
			}
		})
	}
	// Every admin endpoint is an action of its own ("shardcast:..."),
	// which a key's policy must allow.
	admin := func(action string, fn func(w http.ResponseWriter, req *http.Request, body []byte) (any, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			resource := "*"
			if stream := chi.URLParam(req, "stream"); stream != "" {
				resource = cfg.Auth.NameARN("kinesisvideo:", stream)
			}
			awsapi.AdminAction(req, action, resource)
			body, release, err := cfg.Auth.ReadSigned(req)
			defer release()
			var out any
			if err == nil {
				out, err = fn(w, req, body)
			}
			if err != nil {
				var ae *awsapi.APIError
				if !errors.As(err, &ae) {
					err = &awsapi.APIError{Type: "InvalidArgumentException", Message: err.Error(), Status: http.StatusBadRequest}
				}
				awsapi.WriteError(w, req, log, nil, awsapi.RESTJSON, err)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.Encode(out)
		}
	}
	if cfg.Ingest != nil {
		r.Get("/admin/v1/ingest", admin("shardcast:DescribeIngestSessions", func(_ http.ResponseWriter, req *http.Request, _ []byte) (any, error) {
			return cfg.Ingest(req.URL.Query().Get("latencies") == "1"), nil
		}))
	}
	if cfg.FirehoseStats != nil {
		r.Get("/admin/v1/firehose", admin("shardcast:DescribeFirehoseDelivery", func(http.ResponseWriter, *http.Request, []byte) (any, error) { return cfg.FirehoseStats(), nil }))
	}
	if cfg.DataTraffic != nil {
		r.Get("/admin/v1/datastreams", admin("shardcast:DescribeStreamTraffic", func(http.ResponseWriter, *http.Request, []byte) (any, error) { return cfg.DataTraffic(), nil }))
	}
	if cfg.Damage != nil {
		r.Get("/admin/v1/damage", admin("shardcast:DescribeDamage", func(http.ResponseWriter, *http.Request, []byte) (any, error) { return cfg.Damage(), nil }))
	}
	if cfg.Sources != nil {
		r.Get("/admin/v1/sources", admin("shardcast:ListSources", func(http.ResponseWriter, *http.Request, []byte) (any, error) { return cfg.Sources.List(), nil }))
		r.Put("/admin/v1/sources/{stream}", admin("shardcast:PutSource", func(_ http.ResponseWriter, req *http.Request, body []byte) (any, error) {
			if err := cfg.Sources.Put(chi.URLParam(req, "stream"), body); err != nil {
				return nil, err
			}
			return cfg.Sources.List(), nil
		}))
		r.Delete("/admin/v1/sources/{stream}", admin("shardcast:DeleteSource", func(_ http.ResponseWriter, req *http.Request, _ []byte) (any, error) {
			if err := cfg.Sources.Delete(chi.URLParam(req, "stream")); err != nil {
				return nil, &awsapi.APIError{Type: "ResourceNotFoundException", Message: err.Error(), Status: http.StatusNotFound}
			}
			return cfg.Sources.List(), nil
		}))
	}
	if cfg.WebRTC != nil {
		for _, kind := range []string{"whip", "whep"} {
			offer := func(w http.ResponseWriter, req *http.Request) {
				cfg.WebRTC.ServeOffer(w, req, kind, chi.URLParam(req, "stream"))
			}
			res := func(w http.ResponseWriter, req *http.Request) {
				cfg.WebRTC.ServeResource(w, req, kind, chi.URLParam(req, "stream"), chi.URLParam(req, "session"))
			}
			r.Post("/"+kind+"/{stream}", offer)
			r.Options("/"+kind+"/{stream}", offer)
			r.Patch("/"+kind+"/{stream}/{session}", res)
			r.Delete("/"+kind+"/{stream}/{session}", res)
			r.Options("/"+kind+"/{stream}/{session}", res)
		}
	}
	if cfg.STS != nil {
		r.Get("/", func(w http.ResponseWriter, req *http.Request) {
			if stsQuery(req) {
				cfg.STS.ServeHTTP(w, req)
				return
			}
			home(w, req)
		})
	}
	r.Handle("/static/*", staticHandler())
	if cfg.UI != nil {
		r.Get("/ui/assets/*", cfg.UI.ServeAsset)
		r.Get("/ui/api/session", cfg.UI.ServeSession)
		r.Post("/ui/api/login", cfg.UI.ServeLogin)
		r.Post("/ui/api/logout", cfg.UI.ServeLogout)
	}
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, "ok")
	})
	r.Post("/admin/rotate-master-key", admin("shardcast:RotateMasterKey", func(_ http.ResponseWriter, req *http.Request, _ []byte) (any, error) {
		key := req.URL.Query().Get("key")
		if key == "" {
			key = "alias/aws/kinesis"
		}
		n, err := cfg.RotateMasterKey(key)
		if err != nil {
			return nil, &awsapi.APIError{Type: "KMSInvalidStateException", Message: err.Error(), Status: http.StatusBadRequest}
		}
		log.Info("master key rotated", "key", key, "data_keys_rewrapped", n)
		return map[string]any{"KeyId": key, "DataKeysRewrapped": n}, nil
	}))
	// A path or method nothing serves (an unknown KVS operation, say) gets an
	// AWS-shaped JSON error, as an unknown Kinesis target does.
	unknown := func(w http.ResponseWriter, req *http.Request) {
		awsapi.WriteError(w, req, log, nil, awsapi.RESTJSON, &awsapi.APIError{Type: "UnknownOperationException", Status: http.StatusNotFound})
	}
	r.NotFound(unknown)
	r.MethodNotAllowed(unknown)
	if cfg.STS == nil {
		r.Get("/", home)
	}
	return r
}

// streamParam returns the {stream} of a page's path, or answers
// InvalidArgumentException when it is not a stream name.
func streamParam(w http.ResponseWriter, req *http.Request, log *slog.Logger) (string, bool) {
	stream := chi.URLParam(req, "stream")
	if err := fragments.CheckStreamName(stream); err != nil {
		awsapi.WriteError(w, req, log, nil, awsapi.RESTJSON, &awsapi.APIError{Type: "InvalidArgumentException", Message: err.Error(), Status: http.StatusBadRequest})
		return "", false
	}
	return stream, true
}

// landing is the plain-text page at /.
func landing(w http.ResponseWriter, req *http.Request, version string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "shardcast %s\n\nKinesis Data Streams, Firehose and Kinesis Video Streams APIs, and DynamoDB for lease tables: point the AWS SDK or CLI at --endpoint-url http://%s\nPublish cameras to rtsp://<host>:<rtsp port>/<stream>\nIngest sessions: GET /admin/v1/ingest   Pull sources: GET /admin/v1/sources\nHealth: GET /healthz\n",
		version, req.Host)
}

// stsQuery reports whether r is an STS Query-protocol request: a
// form-encoded POST, or a GET whose query names an Action.
func stsQuery(r *http.Request) bool {
	if r.Method == http.MethodGet {
		return r.URL.Query().Get("Action") != ""
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return r.Method == http.MethodPost && mt == "application/x-www-form-urlencoded"
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
