package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	pionwebrtc "github.com/pion/webrtc/v4"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/analytics"
	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/firehose"
	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/datastreams/natsstore"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/datastreams/streamdir"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/index"
	"github.com/shardcast/shardcast/ingest"
	"github.com/shardcast/shardcast/ingest/putmedia"
	"github.com/shardcast/shardcast/ingest/rtsp"
	"github.com/shardcast/shardcast/ingest/webrtc"
	"github.com/shardcast/shardcast/playback"
	"github.com/shardcast/shardcast/playback/ffdecode"
	"github.com/shardcast/shardcast/playback/whep"
	"github.com/shardcast/shardcast/web"
	analyticsweb "github.com/shardcast/shardcast/web/analytics"
	"github.com/shardcast/shardcast/web/audit"
	"github.com/shardcast/shardcast/web/awsapi"
	dynamodbweb "github.com/shardcast/shardcast/web/dynamodb"
	firehoseweb "github.com/shardcast/shardcast/web/firehose"
	"github.com/shardcast/shardcast/web/kinesis"
	"github.com/shardcast/shardcast/web/kvs"
	"github.com/shardcast/shardcast/web/ui"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "check" {
		return runCheck(args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "agent" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runAgent(ctx, args[1:], getenv, stderr)
	}
	if len(args) > 0 && args[0] == "media" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runMedia(ctx, args[1:], getenv, stdout, stderr)
	}
	cfg, err := loadConfig(args, getenv, stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "shardcast:", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	srv, err := newServer(cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	if err := srv.Start(); err != nil {
		// Close whatever did start, then say in one line what failed.
		srv.Close()
		var le *listenError
		if errors.As(err, &le) {
			err = le
		}
		fmt.Fprintln(stderr, "shardcast:", err)
		return 1
	}
	srv.printURLs(stdout)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
wait:
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			break wait
		case <-hup:
			srv.reloadTLS()
		case err := <-srv.errc:
			log.Error("server failed", "err", err)
			srv.Close()
			return 1
		}
	}
	if err := srv.Close(); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// server is every part of a running shardcast, built in dependency order
// and closed in reverse.
type server struct {
	cfg     Config
	log     *slog.Logger
	keyring *envelope.Keyring
	catalog *index.Catalog  // node-local: segment and fragment time indexes
	nats    *natsstore.Conn // --storage nats
	// dataStore and videoStore hold the shard logs of each kind.
	dataStore, videoStore shard.Store
	engine                *datastreams.Engine
	firehose              *firehose.Engine
	analytics             *analytics.Manager // Kinesis Data Analytics (SQL) applications
	analyticsShards       shard.Store
	leases                *leases.Engine // the DynamoDB API's tables
	firehoseShards        shard.Store
	video                 *fragments.Store
	playback              *playback.Service
	ingest                *ingest.Manager
	rtsp                  *rtsp.Server
	sources               *rtsp.Sources
	handler               http.Handler
	// WebRTC: the transport opens its sockets in Start; whip serves WHIP
	// and WHEP resources over it.
	auth      *awsapi.Auth
	audit     *audit.Log // nil: none
	transport *webrtc.Transport
	whip      *webrtc.Handler
	viewers   *whep.Server

	ln             net.Listener
	tls            *web.TLSCert // nil: plain HTTP
	http           *http.Server
	cancelRequests context.CancelFunc
	h2c            *web.H2CUpgrade
	pprofLn        net.Listener
	pprof          *http.Server
	errc           chan error

	// loopback: no credentials are configured, so the listeners were
	// given loopback addresses. bound holds each listener's address by
	// setting name once it listens.
	loopback bool
	bound    map[string]string
	// openWarnEvery is how often --insecure-open's warning is repeated
	// while the server runs (insecure_open.go); stopOpenWarn ends that.
	openWarnEvery time.Duration
	stopOpenWarn  func()
}

// listenError is a listener that could not be opened, named by its flag.
type listenError struct {
	name, addr string
	err        error
}

func (e *listenError) Error() string {
	reason := e.err.Error()
	var sys *os.SyscallError
	var op *net.OpError
	if errors.As(e.err, &sys) {
		reason = sys.Err.Error()
	} else if errors.As(e.err, &op) {
		reason = op.Err.Error()
	}
	return fmt.Sprintf("cannot listen on %s (%s): %s", e.addr, e.name, reason)
}

func (e *listenError) Unwrap() error { return e.err }

// listen opens a TCP listener for the setting called name.
func listen(name, network, addr string) (net.Listener, error) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, &listenError{name: name, addr: addr, err: err}
	}
	return ln, nil
}

// newServer opens the store and builds the handlers; nothing listens yet.
func newServer(cfg Config, log *slog.Logger) (s *server, err error) {
	// Without credentials, listeners bind loopback unless --insecure-open.
	loopback := cfg.loopbackDefaults()
	s = &server{cfg: cfg, log: log, errc: make(chan error, 1), loopback: loopback, bound: map[string]string{}, openWarnEvery: openWarnEvery}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	// The storage backend: one catalog of stream definitions and secrets,
	// and a shard store for each kind of stream (a view of one store on
	// JetStream). The bbolt catalog is node-local: the file store's
	// segment index and, on every durable backend, the fragment time index.
	ctx := context.Background()
	var (
		cat                 registry.Catalog
		dataStore, vidStore shard.Store
		reserveDir          string
	)
	switch cfg.Storage {
	case "file", "nats":
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return s, fmt.Errorf("data dir: %w", err)
		}
		if s.catalog, err = index.Open(filepath.Join(cfg.DataDir, "catalog.db")); err != nil {
			return s, err
		}
	}
	switch cfg.Storage {
	case "file":
		if cat, err = streamdir.NewCatalog(streamdir.CatalogConfig{Root: filepath.Join(cfg.DataDir, "streams"), Mirror: s.catalog, Logger: log}); err != nil {
			return s, err
		}
		kdir, vdir := filepath.Join(cfg.DataDir, "kinesis"), filepath.Join(cfg.DataDir, "video")
		if dataStore, err = streamdir.NewStore(streamdir.StoreConfig{Root: kdir, Index: s.catalog, Logger: log}); err != nil {
			return s, err
		}
		if vidStore, err = streamdir.NewStore(streamdir.StoreConfig{Root: vdir, Index: s.catalog, Logger: log}); err != nil {
			return s, err
		}
		reserveDir = vdir
	case "nats":
		if s.nats, err = natsstore.Connect(ctx, natsstore.Config{URL: cfg.NATS.URL, Replicas: cfg.NATS.Replicas, Prefix: cfg.NATS.Prefix, Logger: log}); err != nil {
			return s, err
		}
		cat = s.nats.Catalog()
		dataStore, vidStore = shard.Prefixed(s.nats.Store(), "kinesis-"), shard.Prefixed(s.nats.Store(), "video-")
	default:
		cat = registry.NewMemCatalog()
		dataStore, vidStore = shard.NewMemStore(nil), shard.NewMemStore(nil)
	}
	switch {
	case cfg.MasterKey != "":
		key, err := envelope.ParseMasterKey(cfg.MasterKey)
		if err != nil {
			return s, err
		}
		if s.keyring, err = envelope.NewStatic(key); err != nil {
			return s, err
		}
	case cfg.Storage == "file":
		if s.keyring, err = envelope.OpenFile(filepath.Join(cfg.DataDir, "keyring.json")); err != nil {
			return s, err
		}
	case cfg.Storage == "nats":
		// Every server on this NATS unwraps the same data keys.
		load, save := s.nats.KeyringBlob()
		if s.keyring, err = envelope.OpenStored(load, save); err != nil {
			return s, err
		}
	default:
		key := make([]byte, 32)
		rand.Read(key)
		s.keyring, _ = envelope.NewStatic(key)
	}
	ecfg := datastreams.Config{
		Keyring: s.keyring, Account: cfg.AccountID, Region: cfg.Region,
		ShardLimit: cfg.Kinesis.ShardLimit, OnDemandStreamCountLimit: cfg.Kinesis.OnDemandStreamCountLimit,
		IteratorTTL: cfg.Kinesis.IteratorTTL, RetentionCheck: cfg.Kinesis.RetentionCheck,
		EnforceLimits: cfg.Kinesis.EnforceLimits, SegmentMaxBytes: cfg.Kinesis.SegmentMaxBytes,
		ConsumerDelay: cfg.Kinesis.ConsumerDelay, SubscriptionLifetime: cfg.Kinesis.SubscriptionLifetime,
		OnDemand: cfg.onDemand(), CreateDelay: cfg.Kinesis.CreateDelay, UpdateDelay: cfg.Kinesis.UpdateDelay, DeleteDelay: cfg.Kinesis.DeleteDelay,
		Logger: log,
	}
	reserveBytes, reservePct, _ := parseDiskReserve(cfg.Video.DiskReserve) // checked by Validate
	if reserveBytes > 0 || reservePct > 0 {
		// Data writers meeting a full disk make room by the video reserve too.
		video := &s.video
		ecfg.OnDiskFull = func() {
			if v := *video; v != nil {
				v.CheckReserve()
			}
		}
	}
	vcfg := fragments.Config{Keyring: s.keyring, Account: cfg.AccountID, Region: cfg.Region, StreamLimit: cfg.Video.StreamLimit,
		SegmentMaxBytes: cfg.Video.SegmentMaxBytes, RetentionCheck: cfg.Video.RetentionCheck, LiveBuffer: cfg.Video.LiveBuffer, Logger: log,
		ReserveBytes: reserveBytes, ReservePercent: reservePct, ReserveCheck: cfg.Video.DiskReserveCheck}
	s.dataStore, s.videoStore = dataStore, vidStore
	ecfg.Catalog, ecfg.Store = cat, dataStore
	vcfg.Catalog, vcfg.Store, vcfg.MemStore = cat, vidStore, shard.NewMemStore(nil)
	if s.catalog != nil {
		vcfg.Index = s.catalog
	}
	vcfg.ReserveDir = reserveDir
	if s.engine, err = datastreams.Open(ecfg); err != nil {
		return s, err
	}
	if err := s.openAudit(); err != nil {
		return s, err
	}
	if s.video, err = fragments.Open(vcfg); err != nil {
		return s, err
	}
	if err := s.openFirehose(cat); err != nil {
		return s, err
	}
	if err := s.openAnalytics(cat); err != nil {
		return s, err
	}
	s.openLeases()
	ids := map[string]bool{}
	for _, id := range append(append(append(s.engine.IDs(), s.video.IDs()...), s.firehose.IDs()...), s.analytics.IDs()...) {
		ids[id] = true
	}
	if err := streamdir.Prune(s.catalog, ids); err != nil {
		return s, err
	}
	// HLS session tokens are sealed with a key the catalog keeps, so
	// sessions survive restarts (and work on every server of a NATS).
	playKey, err := cat.Secret(ctx, "playback", 32)
	if err != nil {
		return s, fmt.Errorf("playback key: %w", err)
	}
	pcfg := playback.Config{Store: s.video, Key: playKey, Logger: log, ImageCacheBytes: cfg.ImageCacheBytes,
		MediaConnections: cfg.GetMediaMaxConnections, MediaListConnections: cfg.GetMediaMaxConnections * 5 / 3,
		MediaFragmentsPerSecond: cfg.GetMediaFragmentsPerSecond, MediaCallsPerSecond: cfg.GetMediaCallsPerSecond}
	if path, err := ffdecode.Find(cfg.FFmpeg); err != nil {
		log.Warn("GetImages is unavailable: no ffmpeg binary to decode video (install ffmpeg or set --ffmpeg)", "err", err)
	} else {
		pcfg.Decoder = ffdecode.New(path, 0)
	}
	s.playback = playback.New(pcfg)
	s.ingest = ingest.NewManager(ingest.Config{Store: s.video, AutoCreate: cfg.Video.AutoCreate,
		AutoCreateRetentionHours: cfg.Video.AutoCreateRetentionHours, Logger: log,
		Fragments: fragments.Options{MinDuration: cfg.Video.FragmentMinDuration, MaxDuration: cfg.Video.FragmentMaxDuration,
			PartDuration: cfg.Video.PartDuration}})
	auth, sealer, err := newAuth(cfg, s.video)
	if err != nil {
		return s, err
	}
	s.auth = auth
	s.rtsp = &rtsp.Server{Address: cfg.RTSP, TLSAddress: cfg.RTSPS, UDPRTPAddress: cfg.RTSPUDPRTP, UDPRTCPAddress: cfg.RTSPUDPRTCP, Manager: s.ingest, Store: s.video, Logger: log,
		Guard: auth, Refused: s.auditRTSP,
		Listen: func(network, addr string) (net.Listener, error) {
			name := "rtsp"
			if cfg.RTSPS != "" && addr == cfg.RTSPS {
				name = "rtsps"
			}
			ln, err := listen(name, network, addr)
			if err == nil {
				s.bound[name] = ln.Addr().String()
			}
			return ln, err
		},
		ListenPacket: func(network, addr string) (net.PacketConn, error) {
			name := "rtsp-udp-rtp"
			if addr == cfg.RTSPUDPRTCP {
				name = "rtsp-udp-rtcp"
			}
			pc, err := net.ListenPacket(network, addr)
			if err != nil {
				return nil, &listenError{name: name, addr: addr, err: err}
			}
			s.bound[name] = pc.LocalAddr().String()
			return pc, nil
		}}
	s.sources = &rtsp.Sources{Manager: s.ingest, Logger: log}
	if cfg.Storage != "memory" {
		s.sources.StateFile = filepath.Join(cfg.DataDir, "sources.json")
	}
	s.handler = web.NewRouter(web.Config{
		Logger: log, MaxBodyBytes: cfg.MaxBodyBytes, BodyTimeout: cfg.HTTPBodyTimeout, BodyBudget: cfg.HTTPBodyBudget,
		Version: version, Auth: auth, Audit: s.auditHTTP, STS: stsHandler(cfg, auth, sealer, log),
		Kinesis:       kinesis.New(s.engine, auth, log),
		Firehose:      firehoseweb.New(s.firehose, auth, log),
		FirehoseStats: func() any { return s.firehose.Stats() },
		DataTraffic:   func() any { return s.engine.Traffic() },
		Analytics:     analyticsweb.New(s.analytics, auth, log),
		DynamoDB:      dynamodbweb.New(s.leases, auth, log),
		KVS: kvs.New(kvs.Config{Store: s.video, Playback: s.playback, Auth: auth, Logger: log, PublicURL: cfg.PublicURL,
			PutMedia: putmedia.New(putmedia.Config{Ingest: s.ingest, MaxFragmentDuration: cfg.Video.PutMediaMaxFragmentDuration, Logger: log})}),
		Ingest: func(latencies bool) any {
			if latencies {
				return s.ingest.SessionsWithLatencies()
			}
			return s.ingest.Sessions()
		},
		Damage: func() any {
			return map[string]any{"kinesis": s.engine.Damaged(), "video": s.video.Damaged()}
		},
		Sources:         sourcesAPI{s.sources},
		RotateMasterKey: s.rotateMasterKey,
		WebRTC:          webrtcRoutes{s},
		UI: ui.New(ui.Config{Auth: auth, Logger: log, Version: version, Secure: awsapi.SecureTransport,
			RTSPPort: func() string {
				_, port, _ := net.SplitHostPort(s.bound["rtsp"]) // bound before HTTP serves
				return port
			}}),
	})
	return s, nil
}

// rotateMasterKey adds a version to a master key and re-wraps every data
// key it protects, in every engine.
func (s *server) rotateMasterKey(keyRef string) (int, error) {
	keyID, err := s.keyring.Resolve(keyRef)
	if err != nil {
		return 0, err
	}
	if _, err := s.keyring.Rotate(keyID); err != nil {
		return 0, err
	}
	n, err := s.engine.RewrapDataKeys(keyID)
	if err != nil {
		return n, err
	}
	m, err := s.video.RewrapDataKeys(keyID)
	return n + m, err
}

// sourcesAPI adapts the pull sources to the admin endpoints.
type sourcesAPI struct{ s *rtsp.Sources }

func (a sourcesAPI) List() any { return a.s.List() }

func (a sourcesAPI) Put(stream string, body []byte) error {
	var c rtsp.SourceConfig
	if err := json.Unmarshal(body, &c); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	c.Stream = stream
	return a.s.Put(c)
}

func (a sourcesAPI) Delete(stream string) error { return a.s.Delete(stream) }

// webrtcRoutes hands WHIP and WHEP requests to the handler Start made.
type webrtcRoutes struct{ s *server }

func (r webrtcRoutes) ServeOffer(w http.ResponseWriter, req *http.Request, kind, stream string) {
	r.s.whip.ServeOffer(w, req, kind, stream)
}

func (r webrtcRoutes) ServeResource(w http.ResponseWriter, req *http.Request, kind, stream, session string) {
	r.s.whip.ServeResource(w, req, kind, stream, session)
}

func (r webrtcRoutes) LinkHeaders() []string { return r.s.whip.LinkHeaders() }

// startWebRTC opens the ICE sockets and makes the WHIP/WHEP handler.
func (s *server) startWebRTC() error {
	o := s.cfg.WebRTCOpts
	t, err := webrtc.NewTransport(webrtc.Config{Address: s.cfg.WebRTC, Hosts: o.Hosts, ICEServers: o.ICEServers,
		MaxBitrate: o.MaxBitrate, KeyframeInterval: o.KeyframeInterval, Logger: s.log,
		Listen: func(network, addr string) (net.Listener, error) {
			ln, err := listen("webrtc", network, addr)
			if err == nil {
				s.bound["webrtc-tcp"] = ln.Addr().String()
			}
			return ln, err
		},
		ListenPacket: func(network, addr string) (net.PacketConn, error) {
			pc, err := net.ListenPacket(network, addr)
			if err != nil {
				return nil, &listenError{name: "webrtc", addr: addr, err: err}
			}
			s.bound["webrtc"] = pc.LocalAddr().String()
			return pc, nil
		}})
	if err != nil {
		var le *listenError
		if errors.As(err, &le) {
			return le
		}
		return err
	}
	s.transport = t
	auth := s.auth
	s.viewers = whep.New(whep.Config{Store: s.video, Logger: s.log})
	viewers := s.viewers
	s.whip = webrtc.NewHandler(webrtc.HandlerConfig{Transport: t, Manager: s.ingest, Logger: s.log,
		Play: func(ctx context.Context, api *pionwebrtc.API, stream, offer string) (webrtc.Viewer, string, error) {
			return viewers.Play(ctx, api, stream, offer)
		},
		Access: &webrtc.Access{Token: o.Token, StreamTokens: o.Tokens, Known: auth.KnownToken,
			Fallback: func(w http.ResponseWriter, r *http.Request, action, stream string) bool {
				// A viewer may carry the presigned query of the stream's
				// playlist (the player page hands its own on).
				signed := ""
				if action == awsapi.ActionRead {
					signed = "/hls/" + stream + "/index.m3u8"
				}
				_, ok := auth.AllowBearer(w, r, action, stream, signed)
				return ok
			}}})
	return nil
}

// Start opens every listener, then serves in the background. When one
// cannot be opened it returns a *listenError; Close then closes those that
// were.
func (s *server) Start() error {
	ln, err := listen("http", "tcp", s.cfg.HTTP)
	if err != nil {
		return err
	}
	s.ln = ln
	s.bound["http"] = ln.Addr().String()
	if s.cfg.TLS.Cert != "" {
		if s.tls, err = web.LoadTLSCert(s.cfg.TLS.Cert, s.cfg.TLS.Key); err != nil {
			return err
		}
		// HTTP/1.1 and HTTP/2 (with ALPN, or prior knowledge without it)
		// over TLS; see web.TLSListener.
		ln = web.TLSListener(ln, s.tls.Config())
		// RTSPS takes the same certificate, reloads included; ALPN's
		// HTTP protocols are no business of RTSP.
		rtspsTLS := s.tls.Config()
		rtspsTLS.NextProtos = nil
		s.rtsp.TLSConfig = rtspsTLS
	}
	switch {
	case s.loopback:
		s.log.Info("no credentials configured: listening on loopback only; set --access-key-id and --secret-access-key to serve other machines (or --insecure-open to serve them without credentials)")
	case len(s.cfg.authKeys()) == 0:
		s.warnInsecureOpen()
	}
	if err := s.rtsp.Start(); err != nil {
		return err
	}
	if err := s.startWebRTC(); err != nil {
		return err
	}
	if s.cfg.Pprof != "" {
		if s.pprofLn, err = listen("pprof", "tcp", s.cfg.Pprof); err != nil {
			return err
		}
	}
	// Requests run under a context that Close cancels first, so that
	// long answers (GetMedia streams, blocking playlist reloads) end at once.
	base, cancel := context.WithCancel(context.Background())
	s.cancelRequests = cancel
	// HTTP/1.1 and unencrypted HTTP/2 share the port: clients that speak
	// HTTP/2 with prior knowledge to an http:// endpoint (the AWS SDK for
	// JavaScript v3 does, for Kinesis and Kinesis Video) are served HTTP/2.
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	// Clients that ask to switch with Upgrade: h2c get HTTP/2 too.
	s.h2c = &web.H2CUpgrade{Handler: s.handler}
	s.http = &http.Server{Handler: s.h2c, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		Protocols:   protocols,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return base },
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if web.IsTLS(c) {
				return awsapi.WithSecureTransport(ctx)
			}
			return ctx
		}}
	s.h2c.Server = s.http
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.errc <- err
		}
	}()
	s.log.Info("http listening", "addr", ln.Addr().String())
	if s.pprofLn != nil {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		s.pprof = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go s.pprof.Serve(s.pprofLn)
		s.log.Info("pprof listening", "addr", s.pprofLn.Addr().String())
	}
	return s.sources.Start(s.cfg.Video.Sources)
}

// reloadTLS reads the certificate files again (on SIGHUP); a bad new pair
// leaves the old one in service.
func (s *server) reloadTLS() {
	if s.tls == nil {
		return
	}
	if err := s.tls.Reload(); err != nil {
		s.log.Error("tls reload failed; still serving the previous certificate", "err", err)
		return
	}
	s.log.Info("tls certificate reloaded", "cert", s.cfg.TLS.Cert)
}

// Close stops the listeners and sources (publishers' last fragments are
// stored), then the engines, then the catalog.
func (s *server) Close() error {
	var errs []error
	if s.stopOpenWarn != nil {
		s.stopOpenWarn()
	}
	if s.pprof != nil {
		s.pprof.Close()
	} else if s.pprofLn != nil {
		s.pprofLn.Close()
	}
	if s.sources != nil {
		s.sources.Close()
	}
	if s.rtsp != nil {
		s.rtsp.Close()
	}
	if s.whip != nil {
		s.whip.Close()
	}
	if s.viewers != nil {
		s.viewers.Close()
	}
	if s.transport != nil {
		s.transport.Close()
	}
	if s.ingest != nil {
		s.ingest.Close()
	}
	if s.http != nil {
		s.cancelRequests()
		s.h2c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, s.http.Shutdown(ctx))
		cancel()
	} else if s.ln != nil {
		s.ln.Close() // opened, never served: start failed after it
	}
	if s.analytics != nil {
		// Before Firehose and the data streams: applications write to them.
		errs = append(errs, s.analytics.Close())
	}
	if s.firehose != nil {
		errs = append(errs, s.firehose.Close())
	}
	if s.audit != nil {
		// Before the engine: the last lines may go to a data stream.
		errs = append(errs, s.audit.Close())
	}
	if s.engine != nil {
		errs = append(errs, s.engine.Close())
	}
	if s.video != nil {
		errs = append(errs, s.video.Close())
	}
	for _, st := range []shard.Store{s.dataStore, s.videoStore, s.firehoseShards, s.analyticsShards} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.catalog != nil {
		errs = append(errs, s.catalog.Close())
	}
	if s.nats != nil {
		s.nats.Close()
	}
	return errors.Join(errs...)
}
