package playback

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/fragments"
)

// The plain live URLs: /hls/<stream>/index.m3u8 (and its media), which
// need no KVS session, and the stream's live status for players.

// PlainHLS answers GET /hls/<stream>/<name>: a low-latency live playlist
// (index.m3u8) and its resources, for players and tools that take a URL,
// and the stream's live state (status.json, a LiveStatus). The playlist
// ends (EXT-X-ENDLIST) once the publisher has been gone endGrace target
// durations, so that players stop; it is live again when one returns.
func (s *Service) PlainHLS(ctx context.Context, stream, name string, q url.Values) (*Resource, error) {
	st, err := s.cfg.Store.Lookup(fragments.StreamRef{Name: stream})
	if err != nil {
		return nil, err
	}
	u := uris{st: st, signed: presignedParams(q)}
	msn := func() (uint64, error) {
		n, err := strconv.ParseUint(q.Get("msn"), 10, 64)
		if err != nil {
			return 0, invalid("msn %q is not a number.", q.Get("msn"))
		}
		return n, nil
	}
	switch name {
	case "index.m3u8":
		return s.livePlaylist(ctx, st, u, liveOptions{max: s.cfg.LiveSegments, producer: true, showTime: true, disc: DiscontinuityOn, ends: true}, q)
	case "status.json":
		return s.liveStatus(st)
	case "init.mp4":
		seq, err := msn()
		if err != nil {
			return nil, err
		}
		return s.initOf(ctx, st, seq)
	case "segment.mp4":
		seq, err := msn()
		if err != nil {
			return nil, err
		}
		f, err := s.segmentOf(ctx, st, seq)
		if err != nil {
			return nil, err
		}
		return &Resource{ContentType: typeMP4, Body: f.Data}, nil
	case "part.mp4":
		seq, err := msn()
		if err != nil {
			return nil, err
		}
		k, err := strconv.Atoi(q.Get("part"))
		if err != nil || k < 0 {
			return nil, invalid("part %q is not a number.", q.Get("part"))
		}
		return s.partOf(ctx, st, seq, k)
	}
	return nil, notFound("No HLS resource %s.", name)
}

// LiveStatus is the live state of a stream, for players (the /play page)
// that show whether its camera is on.
type LiveStatus struct {
	Stream     string `json:"stream"`
	Publishing bool   `json:"publishing"` // a publisher is connected
	// Live: the plain live playlist is live (not ended). It stays live for
	// a short grace after the publisher left.
	Live bool `json:"live"`
	// LastFragment is the server time of the newest fragment.
	LastFragment time.Time `json:"lastFragment,omitzero"`
	// PublisherLeft is when the last publisher left, while none publishes
	// (zero when none has published since the server started).
	PublisherLeft time.Time `json:"publisherLeft,omitzero"`
}

func (s *Service) liveStatus(st *fragments.Stream) (*Resource, error) {
	v := st.Live()
	ls := LiveStatus{Stream: st.Info().Name, Publishing: v.Publishing, PublisherLeft: v.PublisherLeft,
		Live: !liveEnded(v, s.cfg.LiveSegments, s.cfg.Now())}
	if n := len(v.Recent); n > 0 {
		ls.LastFragment = v.Recent[n-1].ServerTime
	}
	b, err := json.Marshal(ls)
	if err != nil {
		return nil, fmt.Errorf("playback: live status: %w", err)
	}
	return &Resource{ContentType: "application/json", Body: b, Live: true}, nil
}

// presignedParams returns "&" and the X-Amz-* parameters of q (a presigned
// URL's), or "" when it has none.
func presignedParams(q url.Values) string {
	p := url.Values{}
	for k, v := range q {
		if strings.HasPrefix(k, "X-Amz-") {
			p[k] = v
		}
	}
	if len(p) == 0 {
		return ""
	}
	return "&" + p.Encode()
}
