package playback

import (
	"log/slog"
	"sync"
	"time"

	"github.com/shardcast/shardcast/fragments"
)

// Streams finds the video streams playback reads (*fragments.Store is
// one).
type Streams interface {
	Lookup(ref fragments.StreamRef) (*fragments.Stream, error)
	LookupID(id string) (*fragments.Stream, error)
}

// Config configures a Service.
type Config struct {
	Store Streams
	// Key seals HLS session tokens (HMAC-SHA256). Keep it across restarts
	// so that sessions survive them.
	Key []byte
	// BlockTimeout bounds how long a blocking playlist reload, a request for
	// a part not yet made, or a caught-up GetMedia with no publisher waits
	// (default 6 s).
	BlockTimeout time.Duration
	// LiveSegments is how many whole segments the plain live playlist lists
	// (default 6).
	LiveSegments int
	Now          func() time.Time
	Logger       *slog.Logger
	// MediaConnections is how many GetMedia answers a stream serves at
	// once, and MediaListConnections how many GetMediaForFragmentList
	// answers; the newest beyond gets ConnectionLimitExceeded (KVS: 3 and
	// 5, DefaultMediaConnections). 0: no limit.
	MediaConnections     int
	MediaListConnections int
	// MediaFragmentsPerSecond paces a GetMedia reader that is behind the
	// live edge, with a burst of as many (KVS: 5,
	// DefaultMediaFragmentsPerSecond); the newest fragment goes out
	// unpaced. 0: no pacing.
	MediaFragmentsPerSecond int
	// MediaCallsPerSecond is how many GetMedia calls a stream takes a
	// second, with a burst of as many; one more gets ClientLimitExceeded
	// (KVS: 5, DefaultMediaCallsPerSecond). 0: no limit.
	MediaCallsPerSecond int

	// Decoder decodes the frames GetImages returns; nil: GetImages answers
	// ErrImagesUnavailable.
	Decoder FrameDecoder
	// ImageCacheBytes bounds the cache of GetImages' images (default
	// DefaultImageCacheBytes).
	ImageCacheBytes int64
}

// KVS's GetMedia limits, the defaults of shardcast's flags.
const (
	DefaultMediaConnections        = 3
	DefaultMediaFragmentsPerSecond = 5
	DefaultMediaCallsPerSecond     = 5
)

// Service answers the playback APIs.
type Service struct {
	cfg Config

	mu    sync.Mutex
	conns map[connKey]int      // open GetMedia answers per stream
	calls map[string]time.Time // per stream ARN: when the next GetMedia call is due at the steady rate

	// images caches GetImages' decoded images per fragment.
	images *imageCache
}

type connKey struct {
	stream string // ARN
	list   bool   // GetMediaForFragmentList
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.BlockTimeout <= 0 {
		cfg.BlockTimeout = 6 * time.Second
	}
	if cfg.LiveSegments <= 0 {
		cfg.LiveSegments = 6
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ImageCacheBytes <= 0 {
		cfg.ImageCacheBytes = DefaultImageCacheBytes
	}
	return &Service{cfg: cfg, conns: make(map[connKey]int), calls: make(map[string]time.Time), images: newImageCache(cfg.ImageCacheBytes)}
}

// Resource is an answer to an HLS request.
type Resource struct {
	ContentType string
	Body        []byte
	// Live marks answers that change as the stream grows (playlists): they
	// must not be cached.
	Live bool
}

const (
	typePlaylist = "application/vnd.apple.mpegurl"
	typeMP4      = "video/mp4"
	typeTS       = "video/MP2T"
)
