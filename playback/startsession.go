package playback

import (
	"context"
	"math"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
)

// Starting an HLS or DASH streaming session: GetHLSStreamingSessionURL and
// GetDASHStreamingSessionURL check the request and seal the session into
// its token.

// HLSInput is a GetHLSStreamingSessionURL request. Empty strings and zero
// numbers take KVS's defaults.
type HLSInput struct {
	Stream           fragments.StreamRef
	PlaybackMode     string
	SelectorType     string
	Start, End       *time.Time
	ContainerFormat  string
	Discontinuity    string
	DisplayTimestamp string
	Expires          int64 // seconds
	MaxResults       int64
}

// Limits of HLS sessions, as KVS sets them.
const (
	minExpires       = 300
	maxExpires       = 43200
	maxPlaylistItems = 5000
	maxRange         = 24 * time.Hour
	liveRecency      = 30 * time.Second
	gapTolerance     = 50 * time.Millisecond
)

// StartHLS checks a session request and returns the path and query of its
// master playlist, relative to the server's base URL.
func (s *Service) StartHLS(ctx context.Context, in HLSInput) (string, error) {
	st, err := s.cfg.Store.Lookup(in.Stream)
	if err != nil {
		return "", err
	}
	sess := session{StreamID: st.ID(), Mode: in.PlaybackMode, Container: in.ContainerFormat, Disc: in.Discontinuity}
	req := sessionRequest{selectorType: in.SelectorType, start: in.Start, end: in.End, displayTimestamp: in.DisplayTimestamp,
		expires: in.Expires, maxResults: in.MaxResults, selectorName: "HLSFragmentSelector", maxName: "MaxMediaPlaylistFragmentResults"}
	if err := checkModeAndSelector(&sess, req); err != nil {
		return "", err
	}
	if sess.Container == "" {
		sess.Container = ContainerFMP4
	}
	if indexOf(containers, sess.Container) == 0 && sess.Container != ContainerFMP4 {
		return "", invalid("ContainerFormat %s is not one of FRAGMENTED_MP4, MPEG_TS.", sess.Container)
	}
	if sess.Disc == "" {
		sess.Disc = DiscontinuityAlways
		if sess.Producer {
			sess.Disc = DiscontinuityNever
		}
	}
	if indexOf(discModes, sess.Disc) == 0 && sess.Disc != DiscontinuityAlways {
		return "", invalid("DiscontinuityMode %s is not one of ALWAYS, NEVER, ON_DISCONTINUITY.", sess.Disc)
	}
	if err := s.checkSession(ctx, st, &sess, req); err != nil {
		return "", err
	}
	// MPEG-TS carries H.264 and H.265 only: a VP9 or AV1 stream is refused
	// now when its codec is known without waiting (else by the playlist).
	if v := st.Live(); sess.Container == ContainerTS && (sess.Mode != ModeLive || len(v.Parts) > 0 || len(v.Recent) > 0) {
		if initSeg, _, err := s.sessionStart(context.Background(), st, sess); err == nil {
			init, err := parseInit(initSeg)
			if err == nil {
				err = checkTS(init)
			}
			if err != nil {
				return "", err
			}
		}
	}
	return "hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + sealSession(s.cfg.Key, sess), nil
}

// DASHInput is a GetDASHStreamingSessionURL request. Empty strings and zero
// numbers take KVS's defaults.
type DASHInput struct {
	Stream           fragments.StreamRef
	PlaybackMode     string
	SelectorType     string
	Start, End       *time.Time
	DisplayTimestamp string
	DisplayNumber    string
	Expires          int64 // seconds
	MaxResults       int64
}

// StartDASH checks a DASH session request and returns the path and query
// of its manifest, relative to the server's base URL. The rules are HLS's.
func (s *Service) StartDASH(ctx context.Context, in DASHInput) (string, error) {
	st, err := s.cfg.Store.Lookup(in.Stream)
	if err != nil {
		return "", err
	}
	sess := session{StreamID: st.ID(), Mode: in.PlaybackMode, DASH: true, Container: ContainerFMP4, Disc: DiscontinuityNever}
	req := sessionRequest{selectorType: in.SelectorType, start: in.Start, end: in.End, displayTimestamp: in.DisplayTimestamp,
		expires: in.Expires, maxResults: in.MaxResults, selectorName: "DASHFragmentSelector", maxName: "MaxManifestFragmentResults"}
	if err := checkModeAndSelector(&sess, req); err != nil {
		return "", err
	}
	switch in.DisplayNumber {
	case "", "NEVER":
	case "ALWAYS":
		sess.ShowNum = true
	default:
		return "", invalid("DisplayFragmentNumber %s is not one of ALWAYS, NEVER.", in.DisplayNumber)
	}
	if err := s.checkSession(ctx, st, &sess, req); err != nil {
		return "", err
	}
	return "dash/v1/getDASHManifest.mpd?SessionToken=" + sealSession(s.cfg.Key, sess), nil
}

// sessionRequest is what HLS and DASH session requests share.
type sessionRequest struct {
	selectorType     string
	start, end       *time.Time
	displayTimestamp string
	expires          int64
	maxResults       int64
	// selectorName and maxName name the protocol's fields in messages.
	selectorName, maxName string
}

// checkModeAndSelector checks the playback mode and the selector type.
func checkModeAndSelector(sess *session, in sessionRequest) error {
	if sess.Mode == "" {
		sess.Mode = ModeLive
	}
	if indexOf(modes, sess.Mode) == 0 && sess.Mode != ModeLive {
		return invalid("PlaybackMode %s is not one of LIVE, LIVE_REPLAY, ON_DEMAND.", sess.Mode)
	}
	switch in.selectorType {
	case "", fragments.ServerTimestamp:
	case fragments.ProducerTimestamp:
		sess.Producer = true
	default:
		return invalid("FragmentSelectorType %s is not one of PRODUCER_TIMESTAMP, SERVER_TIMESTAMP.", in.selectorType)
	}
	return nil
}

// checkSession checks the rest of a session request, that the stream has
// something to play, and sets the session's times.
func (s *Service) checkSession(ctx context.Context, st *fragments.Stream, sess *session, in sessionRequest) error {
	switch in.displayTimestamp {
	case "", "NEVER":
	case "ALWAYS":
		sess.ShowTime = true
	default:
		return invalid("DisplayFragmentTimestamp %s is not one of ALWAYS, NEVER.", in.displayTimestamp)
	}
	expires := in.expires
	if expires == 0 {
		expires = minExpires
	}
	if expires < minExpires || expires > maxExpires {
		return invalid("Expires %d is outside %d to %d seconds.", expires, minExpires, maxExpires)
	}
	max := in.maxResults
	if max == 0 {
		max = 5
		if sess.Mode == ModeOnDemand {
			max = 1000
		}
	}
	if max < 1 || max > maxPlaylistItems {
		return invalid("%s %d is outside 1 to %d.", in.maxName, max, maxPlaylistItems)
	}
	sess.Max = int(max)
	now := s.cfg.Now()
	switch sess.Mode {
	case ModeLive:
		if in.start != nil || in.end != nil {
			return invalid("TimestampRange must not be specified in LIVE mode.")
		}
	case ModeReplay, ModeOnDemand:
		if in.start == nil {
			return invalid("%s with a TimestampRange StartTimestamp is required in %s mode.", in.selectorName, sess.Mode)
		}
		if sess.Mode == ModeOnDemand && in.end == nil {
			return invalid("TimestampRange EndTimestamp is required in ON_DEMAND mode.")
		}
		sess.Start = in.start.UnixNano()
		if in.end != nil {
			if !in.end.After(*in.start) {
				return invalid("The EndTimestamp must be later than the StartTimestamp.")
			}
			if in.end.Sub(*in.start) > maxRange {
				return invalid("The timestamp range must not exceed 24 hours.")
			}
			if !sess.Producer && sess.Mode == ModeOnDemand && in.end.After(now) {
				return invalid("The EndTimestamp must be in the past for SERVER_TIMESTAMP ON_DEMAND sessions.")
			}
			sess.End = in.end.UnixNano()
		}
	}
	if st.Info().RetentionHours == 0 {
		return errorf(registry.ErrNoDataRetention, "The stream %s does not retain data.", st.Info().Name)
	}
	// There must be something to play.
	switch sess.Mode {
	case ModeLive:
		v := st.Live()
		if !v.Publishing && (len(v.Recent) == 0 || now.Sub(v.Recent[len(v.Recent)-1].ServerTime) > liveRecency) {
			return notFound("No fragments found in the stream for the streaming request.")
		}
	default:
		got, _, err := st.Select(ctx, sess.selector(), 1)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return notFound("No fragments found in the stream for the streaming request.")
		}
	}
	sess.Created, sess.Expires = now.UnixNano(), now.Add(time.Duration(expires)*time.Second).UnixNano()
	return nil
}

func (sess session) selector() fragments.Selector {
	sel := fragments.Selector{Type: fragments.ServerTimestamp, Start: time.Unix(0, sess.Start), End: time.Unix(0, sess.End)}
	if sess.Producer {
		sel.Type = fragments.ProducerTimestamp
	}
	if sess.End == 0 {
		sel.End = time.Unix(0, math.MaxInt64)
	}
	return sel
}
