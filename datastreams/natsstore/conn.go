package natsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
)

// DefaultPrefix names the streams and the bucket of a server that was given
// no prefix.
const DefaultPrefix = "shardcast"

// Config says where JetStream is and how to use it.
type Config struct {
	// URL is the NATS server to connect to (nats://host:4222); several may
	// be given separated by commas.
	URL string
	// Replicas is the number of copies JetStream keeps of every shard
	// stream and of the bucket (default 1; 3 or 5 on a cluster).
	Replicas int
	// Prefix names this server's streams and bucket so two servers can
	// share a NATS system (default DefaultPrefix). Letters, digits and '-'.
	Prefix string
	// Now is the clock records are stamped with (default time.Now).
	Now func() time.Time
	// Logger receives warnings (default: discarded).
	Logger *slog.Logger
}

// Conn is a connection to JetStream that serves a shard store and a
// catalog. Close it after the store and catalog are done with.
type Conn struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	bucket string
	log    *slog.Logger
	chunk  int // records whose framed body is larger go in chunks of this size

	omu  sync.Mutex
	open map[shard.LogID]bool // logs open in this process: a log is open once at a time
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// Connect connects to NATS, checks that JetStream is enabled and opens (or
// creates) the bucket of stream definitions, log states and secrets.
func Connect(ctx context.Context, cfg Config) (*Conn, error) {
	if cfg.URL == "" {
		return nil, errors.New("natsstore: no NATS URL")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if !prefixRE.MatchString(cfg.Prefix) {
		return nil, fmt.Errorf("natsstore: prefix %q: use 1 to 64 letters, digits and '-'", cfg.Prefix)
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.Replicas < 1 || cfg.Replicas > 5 {
		return nil, fmt.Errorf("natsstore: replicas %d: JetStream keeps 1 to 5", cfg.Replicas)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	nc, err := nats.Connect(cfg.URL, nats.Name("shardcast"), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(false))
	if err != nil {
		return nil, fmt.Errorf("natsstore: connect %s: %w", cfg.URL, err)
	}
	c := &Conn{cfg: cfg, nc: nc, bucket: cfg.Prefix + "_meta", log: lg.With("backend", "nats")}
	mp := nc.MaxPayload()
	if mp < minMaxPayload {
		nc.Close()
		return nil, fmt.Errorf("natsstore: the NATS server's max_payload of %d bytes is too small; raise it to at least %d in the nats-server configuration (the default, 1MB, is fine)", mp, minMaxPayload)
	}
	c.chunk = chunkSize(mp)
	if err := c.init(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func (c *Conn) init(ctx context.Context) error {
	// Chunks of large records are published asynchronously, at most
	// chunksInFlight per log; answers that never come are given up after
	// opTimeout.
	js, err := jetstream.New(c.nc, jetstream.WithPublishAsyncMaxPending(1<<14), jetstream.WithPublishAsyncTimeout(opTimeout))
	if err != nil {
		return fmt.Errorf("natsstore: %w", err)
	}
	c.js = js
	if _, err := js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("natsstore: JetStream unavailable at %s (start nats-server with -js): %w", c.cfg.URL, err)
	}
	kv, err := js.KeyValue(ctx, c.bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      c.bucket,
			Description: "shardcast stream definitions, shard log states and secrets",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    c.cfg.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, c.bucket)
		}
	}
	if err != nil {
		return fmt.Errorf("natsstore: bucket %s: %w", c.bucket, err)
	}
	c.kv = kv
	return nil
}

// Store returns the shard store over this connection.
func (c *Conn) Store() shard.Store { return &store{c: c} }

// claim marks id open in this process, or fails if it already is.
func (c *Conn) claim(id shard.LogID) error {
	c.omu.Lock()
	defer c.omu.Unlock()
	if c.open == nil {
		c.open = map[shard.LogID]bool{}
	}
	if c.open[id] {
		return fmt.Errorf("natsstore: log %s is already open", id)
	}
	c.open[id] = true
	return nil
}

func (c *Conn) release(id shard.LogID) {
	c.omu.Lock()
	defer c.omu.Unlock()
	delete(c.open, id)
}

// Catalog returns the catalog of stream definitions over this connection.
func (c *Conn) Catalog() registry.Catalog { return &catalog{c: c} }

// Close drains nothing and closes the connection; close the logs first.
func (c *Conn) Close() {
	c.nc.Close()
}

const keyringKey = "keyring"

// KeyringBlob returns the load/save pair that keeps the master keyring in
// the bucket, for envelope.OpenStored. save creates the key the first time
// and afterwards replaces only the revision it loaded, so two servers
// cannot overwrite each other's keys unnoticed.
func (c *Conn) KeyringBlob() (load func() ([]byte, error), save func([]byte) error) {
	var rev uint64
	load = func() ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e, err := c.kv.Get(ctx, keyringKey)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			rev = 0
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("natsstore: load keyring: %w", err)
		}
		rev = e.Revision()
		return e.Value(), nil
	}
	save = func(b []byte) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var (
			r   uint64
			err error
		)
		if rev == 0 {
			r, err = c.kv.Create(ctx, keyringKey, b)
		} else {
			r, err = c.kv.Update(ctx, keyringKey, b, rev)
		}
		if err != nil {
			return fmt.Errorf("natsstore: save keyring: %w", err)
		}
		rev = r
		return nil
	}
	return load, save
}

// enc makes s usable as a stream-name part, a subject token and a bucket key
// token: letters, digits and '-' stay, every other byte becomes =XX.
func enc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "=%02X", ch)
	}
	return b.String()
}

// dec reverses enc.
func dec(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("natsstore: bad escape in %q", s)
		}
		var ch byte
		if _, err := fmt.Sscanf(s[i+1:i+3], "%02X", &ch); err != nil {
			return "", fmt.Errorf("natsstore: bad escape in %q: %w", s, err)
		}
		b.WriteByte(ch)
		i += 2
	}
	return b.String(), nil
}

// streamName is the JetStream stream holding log id.
func (c *Conn) streamName(id shard.LogID) string {
	return c.cfg.Prefix + "_log_" + enc(id.Stream) + "_" + enc(id.Shard)
}

// subject is the subject log id's records are published on.
func (c *Conn) subject(id shard.LogID) string {
	return c.cfg.Prefix + ".log." + enc(id.Stream) + "." + enc(id.Shard)
}

// bigSubject is the subject of log id's messages that name chunks: a
// second subject of the log's stream, so that the first of them at or
// after a sequence is one direct get away.
func (c *Conn) bigSubject(id shard.LogID) string { return c.subject(id) + ".big" }

// chunkStreamName is the companion JetStream stream holding the chunks of
// log id's large records.
func (c *Conn) chunkStreamName(id shard.LogID) string {
	return c.cfg.Prefix + "_big_" + enc(id.Stream) + "_" + enc(id.Shard)
}

// chunkSubject is the subject the chunks of log id are published on.
func (c *Conn) chunkSubject(id shard.LogID) string {
	return c.cfg.Prefix + ".big." + enc(id.Stream) + "." + enc(id.Shard)
}

// stateKey is the bucket key holding log id's numbering state.
func stateKey(id shard.LogID) string {
	return "log." + enc(id.Stream) + "." + enc(id.Shard)
}

// streamConfig is the configuration of every stream shardcast keeps (shard
// logs and their chunk streams): file storage, the configured replicas, no
// limits and discard-new, so the server never drops an acknowledged
// message on its own; direct gets for reads; no deletes of single messages.
func (c *Conn) streamConfig(name, description string, subjects ...string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name: name, Description: description, Subjects: subjects,
		Storage: jetstream.FileStorage, Replicas: c.cfg.Replicas,
		Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardNew,
		MaxMsgs: -1, MaxBytes: -1, MaxMsgsPerSubject: -1, MaxMsgSize: -1,
		AllowDirect: true, DenyDelete: true,
	}
}
