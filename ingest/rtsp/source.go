package rtsp

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest"
)

// SourceConfig is a camera to pull into a stream.
type SourceConfig struct {
	Stream    string `json:"stream" yaml:"stream"`
	URL       string `json:"url" yaml:"url"`                                 // rtsp://[user:pass@]host[:port]/path
	Transport string `json:"transport,omitempty" yaml:"transport,omitempty"` // "tcp", "udp" or "" (UDP, falling back to TCP)
}

// Validate checks a source configuration.
func (c SourceConfig) Validate() error {
	if err := fragments.CheckStreamName(c.Stream); err != nil {
		return fmt.Errorf("source stream: %w", err)
	}
	u, err := base.ParseURL(c.URL)
	if err != nil {
		return fmt.Errorf("source %s: url: %w", c.Stream, err)
	}
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		return fmt.Errorf("source %s: url scheme must be rtsp or rtsps", c.Stream)
	}
	switch c.Transport {
	case "", "tcp", "udp":
	default:
		return fmt.Errorf("source %s: transport must be tcp, udp or empty", c.Stream)
	}
	return nil
}

// Source states.
const (
	StateConnecting = "connecting"
	StateRunning    = "running"
	StateBackoff    = "backoff"
	StateStopped    = "stopped"
)

// SourceStatus is what operators see of a source.
type SourceStatus struct {
	SourceConfig
	State      string    `json:"state"`
	Since      time.Time `json:"since"`
	LastError  string    `json:"lastError,omitempty"`
	Connects   int       `json:"connects"`
	NextRetry  time.Time `json:"nextRetry,omitzero"`
	SessionID  string    `json:"session,omitempty"`
	Persistent bool      `json:"persistent"`
}

// Source keeps pulling one camera, reconnecting with backoff.
type Source struct {
	cfg     SourceConfig
	manager *ingest.Manager
	log     *slog.Logger
	backoff func(attempt int) time.Duration

	mu     sync.Mutex
	status SourceStatus
	client *gortsplib.Client
	stop   chan struct{}
	done   chan struct{}
}

func newSource(cfg SourceConfig, m *ingest.Manager, log *slog.Logger, persistent bool, backoff func(int) time.Duration) *Source {
	s := &Source{cfg: cfg, manager: m, log: log.With("stream", cfg.Stream, "source", redact(cfg.URL)), backoff: backoff,
		stop: make(chan struct{}), done: make(chan struct{})}
	s.status = SourceStatus{SourceConfig: cfg, State: StateConnecting, Since: time.Now(), Persistent: persistent}
	s.status.URL = redact(cfg.URL)
	go s.run()
	return s
}

// redact hides credentials in a URL for logs and status.
func redact(raw string) string {
	u, err := base.ParseURL(raw)
	if err != nil || u.User == nil {
		return raw
	}
	c := *u
	c.User = nil
	return c.String()
}

func (s *Source) setState(state string, err error, retry time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.State, s.status.Since, s.status.NextRetry = state, time.Now(), retry
	if err != nil {
		s.status.LastError = err.Error()
	}
}

// Status returns the source's state.
func (s *Source) Status() SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *Source) run() {
	defer close(s.done)
	for attempt := 0; ; {
		s.setState(StateConnecting, nil, time.Time{})
		ran, err := s.once()
		select {
		case <-s.stop:
			s.setState(StateStopped, nil, time.Time{})
			return
		default:
		}
		if ran {
			attempt = 0 // it worked for a while: start the backoff over
		}
		wait := s.backoff(attempt)
		attempt++
		s.log.Warn("rtsp source: disconnected, retrying", "err", err, "in", wait)
		s.setState(StateBackoff, err, time.Now().Add(wait))
		select {
		case <-s.stop:
			s.setState(StateStopped, nil, time.Time{})
			return
		case <-time.After(wait):
		}
	}
}

// once connects, pulls until the connection fails, and reports whether
// media flowed.
func (s *Source) once() (bool, error) {
	u, err := base.ParseURL(s.cfg.URL)
	if err != nil {
		return false, err
	}
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	switch s.cfg.Transport {
	case "tcp":
		t := gortsplib.TransportTCP
		c.Transport = &t
	case "udp":
		t := gortsplib.TransportUDP
		c.Transport = &t
	}
	s.mu.Lock()
	select {
	case <-s.stop:
		s.mu.Unlock()
		return false, errors.New("stopped")
	default:
	}
	s.client = c
	s.status.Connects++
	s.mu.Unlock()
	if err := c.Start2(); err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer c.Close()
	desc, _, err := c.Describe(u)
	if err != nil {
		return false, fmt.Errorf("describe: %w", err)
	}
	tracks, bindings := bind(desc)
	if len(tracks) == 0 {
		return false, errors.New("the camera offers no supported track (H.264, H.265, AAC, Opus)")
	}
	medias := make([]*description.Media, 0, len(bindings))
	for _, b := range bindings {
		medias = append(medias, b.media)
	}
	if err := c.SetupAll(desc.BaseURL, medias); err != nil {
		return false, fmt.Errorf("setup: %w", err)
	}
	sess, err := s.manager.Start(ingest.Request{Stream: s.cfg.Stream, Protocol: "rtsp-pull", Remote: u.Host, Tracks: tracks})
	if err != nil {
		return false, err
	}
	defer sess.Close()
	onError := func(err error) { s.log.Debug("rtsp source: depacketize", "err", err) }
	for _, b := range bindings {
		cb, err := b.handler(sess, c, onError)
		if err != nil {
			return false, err
		}
		c.OnPacketRTP(b.media, b.format, cb)
		c.OnPacketRTCP(b.media, b.onRTCP)
	}
	if _, err := c.Play(nil); err != nil {
		return false, fmt.Errorf("play: %w", err)
	}
	s.mu.Lock()
	s.status.State, s.status.Since, s.status.SessionID = StateRunning, time.Now(), sess.ID
	s.mu.Unlock()
	s.log.Info("rtsp source: pulling")
	return true, c.Wait()
}

// Close stops the source and waits for its session to end.
func (s *Source) Close() {
	s.mu.Lock()
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	c := s.client
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
	<-s.done
}
