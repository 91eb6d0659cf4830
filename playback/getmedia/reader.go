package getmedia

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/fragments/matroska"
)

// Names of the tags KVS puts around each fragment. GetMediaForFragmentList
// is documented with the _SIDE_ and EXCEPTION_ spellings; both are read.
const (
	TagFragmentNumber    = "AWS_KINESISVIDEO_FRAGMENT_NUMBER"
	TagServerTimestamp   = "AWS_KINESISVIDEO_SERVER_TIMESTAMP"
	TagProducerTimestamp = "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"
	TagMillisBehindNow   = "AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"
	TagContinuationToken = "AWS_KINESISVIDEO_CONTINUATION_TOKEN"
	TagErrorCode         = "AWS_KINESISVIDEO_ERROR_CODE"
	TagErrorID           = "AWS_KINESISVIDEO_ERROR_ID"

	tagServerSide        = "AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP"
	tagProducerSide      = "AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP"
	tagExceptionCode     = "AWS_KINESISVIDEO_EXCEPTION_ERROR_CODE"
	tagExceptionMessage  = "AWS_KINESISVIDEO_EXCEPTION_MESSAGE"
	awsTagPrefix         = "AWS_KINESISVIDEO_"
	defaultTimecodeScale = 1000000
)

// ErrInvalid is wrapped by the errors of a body that is not a GetMedia
// stream (not Matroska, bad framing, a tag value that does not parse).
var ErrInvalid = errors.New("getmedia: invalid body")

// Error is what KVS reports, in place of a fragment's media, about a
// fragment it cannot send (AWS_KINESISVIDEO_ERROR_CODE and _ERROR_ID).
// Next returns it together with the fragment's number and continuation
// token; the stream itself is intact and Next may be called again: KVS
// either goes on with the next fragment or ends the body.
type Error struct {
	FragmentNumber string
	Code           string // the error text KVS sends, for example "INTERNAL_ERROR: ..."
	ID             int    // KVS's error id: 4000 fragment not found, 5000 internal error, ...
}

func (e *Error) Error() string {
	if e.FragmentNumber != "" {
		return fmt.Sprintf("getmedia: fragment %s: error %d: %s", e.FragmentNumber, e.ID, e.Code)
	}
	return fmt.Sprintf("getmedia: error %d: %s", e.ID, e.Code)
}

// Tag is a producer's own fragment metadata tag.
type Tag struct{ Name, Value string }

// Track describes a track of a fragment, from its Matroska header.
type Track struct {
	Number       uint64
	Type         uint64 // 1 video, 2 audio
	CodecID      string // V_MPEG4/ISO/AVC, V_MPEGH/ISO/HEVC, A_AAC, A_OPUS, ...
	CodecPrivate []byte // AVCDecoderConfigurationRecord, HEVC record, AudioSpecificConfig, OpusHead
	Name         string
	Width        uint64  // video
	Height       uint64  // video
	SampleRate   float64 // audio
	Channels     uint64  // audio
}

// Frame is one frame of a fragment.
type Frame struct {
	Track uint64
	// Time is the frame's absolute presentation time: the cluster's
	// timecode plus the block's, times the TimecodeScale. In KVS bodies it
	// is the producer timestamp since the Unix epoch.
	Time     time.Duration
	Keyframe bool
	// Data is the frame as stored: length-prefixed NAL units for H.264 and
	// H.265, a raw AAC or Opus frame for audio.
	Data []byte
}

// Fragment is one chunk of a GetMedia body.
type Fragment struct {
	FragmentNumber    string
	ServerTimestamp   time.Time // zero if absent
	ProducerTimestamp time.Time // zero if absent
	MillisBehindNow   int64     // -1 if absent
	ContinuationToken string
	Tags              []Tag // the producer's own tags, in order
	Tracks            []Track
	Frames            []Frame
	// Err is set when KVS sent an error for this fragment instead of media.
	Err *Error
}

// Track returns the track with that number, or nil.
func (f *Fragment) Track(number uint64) *Track {
	for i := range f.Tracks {
		if f.Tracks[i].Number == number {
			return &f.Tracks[i]
		}
	}
	return nil
}

// Reader reads the fragments of a GetMedia or GetMediaForFragmentList body.
type Reader struct {
	mr      *matroska.Reader
	scale   uint64
	tracks  []Track
	cur     *Fragment
	cluster bool // cur has its cluster
	pending *Fragment
	err     error // sticky
}

// NewReader returns a Reader of body. Each fragment is held in memory
// whole (KVS fragments are at most 50 MB; a larger cluster is an error).
func NewReader(body io.Reader) *Reader {
	return &Reader{mr: matroska.NewReader(body, matroska.Options{})}
}

// Next returns the next fragment. It returns a fragment as soon as KVS's
// tags after its cluster (MILLIS_BEHIND_NOW and CONTINUATION_TOKEN) have
// been read, so a live body yields each fragment when it arrives. A
// fragment KVS could not send comes back with an *Error (also in
// Fragment.Err); reading may go on. At the end of the body Next returns
// io.EOF; a body cut inside a fragment gives io.ErrUnexpectedEOF, and one
// that is not a GetMedia stream an error wrapping ErrInvalid. Those end
// the reading: later calls return the same error.
func (r *Reader) Next() (*Fragment, error) {
	if r.pending != nil {
		f := r.pending
		r.pending = nil
		return r.done(f)
	}
	if r.err != nil {
		return nil, r.err
	}
	for {
		ev, err := r.mr.Next()
		if err != nil {
			if err == io.EOF && r.cur != nil {
				f := r.cur
				r.cur = nil
				return r.done(f)
			}
			if errors.Is(err, matroska.ErrInvalid) || errors.Is(err, matroska.ErrTooLarge) {
				err = fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			r.err = err
			return nil, err
		}
		switch ev.Kind {
		case matroska.KindHeader:
			scale := ev.Header.TimecodeScale
			if scale == 0 {
				scale = defaultTimecodeScale
			}
			tracks := convertTracks(ev.Header.Tracks)
			if r.cur != nil {
				// A new document: whatever came before is complete.
				f := r.cur
				r.cur, r.cluster = r.fresh(), false
				r.scale, r.tracks = scale, tracks
				r.cur.Tracks = tracks
				return r.done(f)
			}
			r.scale, r.tracks = scale, tracks
			r.cur, r.cluster = r.fresh(), false
			r.cur.Tracks = tracks
		case matroska.KindTags:
			if r.cur == nil {
				r.cur = r.fresh()
				r.cur.Tracks = r.tracks
			}
			if err := r.addTags(r.cur, ev.Tags); err != nil {
				r.err = err
				return nil, err
			}
			f := r.cur
			if f.Err != nil || (r.cluster && f.MillisBehindNow >= 0 && f.ContinuationToken != "") {
				r.cur, r.cluster = nil, false
				return r.done(f)
			}
		case matroska.KindCluster:
			if r.cur == nil || r.cluster {
				// A second cluster in one document: a fragment of its own.
				if r.cur != nil {
					r.pending = r.cur
				}
				r.cur = r.fresh()
				r.cur.Tracks = r.tracks
			}
			r.cluster = true
			for _, fr := range ev.Cluster.Frames {
				r.cur.Frames = append(r.cur.Frames, Frame{Track: fr.Track, Time: r.duration(fr.Timecode),
					Keyframe: fr.Keyframe, Data: fr.Data})
			}
			if r.pending != nil {
				f := r.pending
				r.pending = nil
				return r.done(f)
			}
		}
	}
}

func (r *Reader) fresh() *Fragment { return &Fragment{MillisBehindNow: -1} }

// done hands out a fragment, with its error if it carries one.
func (r *Reader) done(f *Fragment) (*Fragment, error) {
	if f.Err != nil {
		return f, f.Err
	}
	return f, nil
}

// duration converts a timecode to time, saturating instead of overflowing.
func (r *Reader) duration(tc int64) time.Duration {
	s := r.scale
	if s == 0 {
		s = defaultTimecodeScale
	}
	const maxD = int64(1<<63 - 1)
	if tc > 0 && uint64(tc) > uint64(maxD)/s {
		return time.Duration(maxD)
	}
	if tc < 0 && uint64(-tc) > uint64(maxD)/s {
		return time.Duration(-maxD)
	}
	return time.Duration(tc * int64(s))
}

func (r *Reader) addTags(f *Fragment, tags []matroska.Tag) error {
	bad := func(name, value string) error {
		return fmt.Errorf("%w: tag %s has value %q", ErrInvalid, name, value)
	}
	for _, t := range tags {
		switch t.Name {
		case TagFragmentNumber:
			f.FragmentNumber = t.Value
		case TagServerTimestamp, tagServerSide:
			ts, ok := parseEpoch(t.Value)
			if !ok {
				return bad(t.Name, t.Value)
			}
			f.ServerTimestamp = ts
		case TagProducerTimestamp, tagProducerSide:
			ts, ok := parseEpoch(t.Value)
			if !ok {
				return bad(t.Name, t.Value)
			}
			f.ProducerTimestamp = ts
		case TagMillisBehindNow:
			ms, err := strconv.ParseInt(strings.TrimSpace(t.Value), 10, 64)
			if err != nil || ms < 0 {
				return bad(t.Name, t.Value)
			}
			f.MillisBehindNow = ms
		case TagContinuationToken:
			f.ContinuationToken = t.Value
		case TagErrorCode, tagExceptionCode, tagExceptionMessage:
			if f.Err == nil {
				f.Err = &Error{}
			}
			if f.Err.Code == "" {
				f.Err.Code = t.Value
			} else if t.Name == tagExceptionMessage {
				f.Err.Code += ": " + t.Value
			}
		case TagErrorID:
			if f.Err == nil {
				f.Err = &Error{}
			}
			id, err := strconv.Atoi(strings.TrimSpace(t.Value))
			if err != nil {
				return bad(t.Name, t.Value)
			}
			f.Err.ID = id
		default:
			if !strings.HasPrefix(t.Name, awsTagPrefix) {
				f.Tags = append(f.Tags, Tag{Name: t.Name, Value: t.Value})
			}
		}
	}
	if f.Err != nil {
		f.Err.FragmentNumber = f.FragmentNumber
	}
	return nil
}

// parseEpoch reads KVS's timestamps: decimal seconds since the epoch
// ("1733130000.123"), exactly to the nanosecond.
func parseEpoch(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 9 {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec < 0 || sec > 1<<40 {
		return time.Time{}, false
	}
	var ns int64
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			ns += int64(c - '0')
		}
	}
	return time.Unix(sec, ns).UTC(), true
}

func convertTracks(in []matroska.Track) []Track {
	out := make([]Track, len(in))
	for i, t := range in {
		out[i] = Track{Number: t.Number, Type: t.Type, CodecID: t.CodecID, CodecPrivate: t.CodecPrivate,
			Name: t.Name, Width: t.Width, Height: t.Height, SampleRate: t.SampleRate, Channels: t.Channels}
	}
	return out
}
