package playback

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	amp4 "github.com/abema/go-mp4"
	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/fragments"
)

// A GetMedia chunk is one self-contained Matroska file per fragment, as KVS
// sends them: EBML header, a Segment of unknown size with Info, Tracks, the
// tags that come before the media (fragment number, timestamps), one
// Cluster holding the fragment's frames, and the tags that come after it
// (millis behind now, continuation token).
type mkvChunk struct {
	Header  webm.EBMLHeader `ebml:"EBML"`
	Segment mkvSegment      `ebml:"Segment,size=unknown"`
}

type mkvSegment struct {
	Info    webm.Info   `ebml:"Info"`
	Tracks  webm.Tracks `ebml:"Tracks"`
	Before  mkvTags     `ebml:"Tags"`
	Cluster mkvCluster  `ebml:"Cluster"`
	After   mkvTags     `ebml:"Tags"`
}

type mkvTags struct {
	Tag []mkvTag `ebml:"Tag"`
}

type mkvTag struct {
	Targets   struct{}       `ebml:"Targets"`
	SimpleTag []mkvSimpleTag `ebml:"SimpleTag"`
}

type mkvSimpleTag struct {
	TagName   string `ebml:"TagName"`
	TagString string `ebml:"TagString"`
}

type mkvCluster struct {
	Timecode    uint64       `ebml:"Timecode"`
	SimpleBlock []ebml.Block `ebml:"SimpleBlock"`
}

// Tag names of the KVS fragment metadata.
const (
	tagFragmentNumber    = "AWS_KINESISVIDEO_FRAGMENT_NUMBER"
	tagServerTimestamp   = "AWS_KINESISVIDEO_SERVER_TIMESTAMP"
	tagProducerTimestamp = "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"
	tagMillisBehindNow   = "AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"
	tagContinuationToken = "AWS_KINESISVIDEO_CONTINUATION_TOKEN"
	tagErrorCode         = "AWS_KINESISVIDEO_ERROR_CODE"
	tagErrorID           = "AWS_KINESISVIDEO_ERROR_ID"
)

// The error GetMedia reports, in place of a fragment's media, for a fragment
// lost to damaged storage: KVS's internal-error id.
const (
	errDamagedID   = 5000
	errDamagedCode = "INTERNAL_ERROR: the fragment is damaged in storage and cannot be read"
)

// mkvErrorChunk is a chunk that carries no media: one Tags element with
// the fragment number, the error tags, and a continuation token that
// resumes after the fragment.
type mkvErrorChunk struct {
	Header  webm.EBMLHeader `ebml:"EBML"`
	Segment struct {
		Info webm.Info `ebml:"Info"`
		Tags mkvTags   `ebml:"Tags"`
	} `ebml:"Segment,size=unknown"`
}

func writeErrorChunk(w io.Writer, number string, id int, code string) error {
	var c mkvErrorChunk
	c.Header = mkvHeader()
	c.Segment.Info = webm.Info{TimecodeScale: 1000000, MuxingApp: "shardcast", WritingApp: "shardcast"}
	c.Segment.Tags = simpleTags(tagFragmentNumber, number, tagErrorCode, code, tagErrorID, strconv.Itoa(id),
		tagContinuationToken, number)
	var buf bytes.Buffer
	if err := ebml.Marshal(&c, &buf); err != nil {
		return fmt.Errorf("playback: matroska: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func mkvHeader() webm.EBMLHeader {
	return webm.EBMLHeader{EBMLVersion: 1, EBMLReadVersion: 1, EBMLMaxIDLength: 4, EBMLMaxSizeLength: 8,
		DocType: "matroska", DocTypeVersion: 4, DocTypeReadVersion: 2}
}

func simpleTags(kv ...string) mkvTags {
	t := mkvTag{}
	for i := 0; i+1 < len(kv); i += 2 {
		t.SimpleTag = append(t.SimpleTag, mkvSimpleTag{TagName: kv[i], TagString: kv[i+1]})
	}
	return mkvTags{Tag: []mkvTag{t}}
}

// epochSeconds formats a time as KVS's tags do: decimal seconds with
// millisecond precision.
func epochSeconds(t time.Time) string {
	ms := t.UnixMilli()
	return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
}

// mkvTrackEntries describes an init segment's tracks in Matroska terms.
func mkvTrackEntries(initSeg []byte) ([]webm.TrackEntry, error) {
	init, err := parseInit(initSeg)
	if err != nil {
		return nil, err
	}
	private, err := sampleEntryConfigs(initSeg)
	if err != nil {
		return nil, err
	}
	var out []webm.TrackEntry
	for i, it := range init.Tracks {
		e := webm.TrackEntry{TrackNumber: uint64(it.ID), TrackUID: uint64(it.ID)}
		switch c := it.Codec.(type) {
		case *codecs.H264, *codecs.H265:
			e.Name, e.TrackType, e.CodecID = "video", 1, "V_MPEG4/ISO/AVC"
			if _, ok := c.(*codecs.H265); ok {
				e.CodecID = "V_MPEGH/ISO/HEVC"
			}
			if i < len(private) {
				e.CodecPrivate = private[i]
			}
			if len(e.CodecPrivate) == 0 {
				return nil, errorf(ErrMissingCodecPrivateData, "The video track of the fragment has no codec private data.")
			}
			w, h := resolution(c)
			e.Video = &webm.Video{PixelWidth: uint64(w), PixelHeight: uint64(h)}
		case *codecs.VP9, *codecs.AV1:
			// VP9 needs no CodecPrivate; AV1's is the av1C record.
			e.Name, e.TrackType, e.CodecID = "video", 1, "V_VP9"
			if _, ok := c.(*codecs.AV1); ok {
				e.CodecID = "V_AV1"
				if i < len(private) {
					e.CodecPrivate = private[i]
				}
				if len(e.CodecPrivate) == 0 {
					return nil, errorf(ErrMissingCodecPrivateData, "The AV1 track of the fragment has no codec configuration.")
				}
			}
			w, h := resolution(c)
			e.Video = &webm.Video{PixelWidth: uint64(w), PixelHeight: uint64(h)}
		case *codecs.MPEG4Audio:
			asc, err := c.Config.Marshal()
			if err != nil {
				return nil, errorf(ErrMissingCodecPrivateData, "The AAC track's configuration cannot be written: %v", err)
			}
			ch := uint64(c.Config.ChannelConfig)
			if ch == 7 {
				ch = 8
			}
			e.Name, e.TrackType, e.CodecID, e.CodecPrivate = "audio", 2, "A_AAC", asc
			e.Audio = &webm.Audio{SamplingFrequency: float64(c.Config.SampleRate), Channels: ch}
		case *codecs.Opus:
			head := []byte("OpusHead\x01")
			head = append(head, byte(c.ChannelCount))
			head = binary.LittleEndian.AppendUint16(head, 312) // pre-skip, as encoders commonly set
			head = binary.LittleEndian.AppendUint32(head, 48000)
			head = append(head, 0, 0, 0) // gain 0, mapping family 0
			e.Name, e.TrackType, e.CodecID, e.CodecPrivate = "audio", 2, "A_OPUS", head
			e.Audio = &webm.Audio{SamplingFrequency: 48000, Channels: uint64(c.ChannelCount)}
		default:
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// sampleEntryConfigs returns, per trak of an init segment, the payload of
// its sample entry's avcC, hvcC or av1C box (the Matroska CodecPrivate), or
// nil.
func sampleEntryConfigs(initSeg []byte) ([][]byte, error) {
	r := bytes.NewReader(initSeg)
	traks, err := amp4.ExtractBox(r, nil, amp4.BoxPath{amp4.BoxTypeMoov(), amp4.BoxTypeTrak()})
	if err != nil {
		return nil, errorf(ErrMissingCodecPrivateData, "The init segment cannot be read: %v", err)
	}
	out := make([][]byte, len(traks))
	for i, trak := range traks {
		for _, cfg := range []amp4.BoxType{amp4.BoxTypeAvcC(), amp4.BoxTypeHvcC(), amp4.BoxTypeAv1C()} {
			boxes, err := amp4.ExtractBox(r, trak, amp4.BoxPath{amp4.BoxTypeMdia(), amp4.BoxTypeMinf(), amp4.BoxTypeStbl(),
				amp4.BoxTypeStsd(), amp4.BoxTypeAny(), cfg})
			if err != nil || len(boxes) == 0 {
				continue
			}
			b := boxes[0]
			out[i] = initSeg[b.Offset+b.HeaderSize : b.Offset+b.Size]
			break
		}
	}
	return out, nil
}

// chunkInfo is the metadata a GetMedia chunk carries.
type chunkInfo struct {
	Number       string
	Server       time.Time
	Producer     time.Time
	BehindMillis int64
	Continuation string
}

// writeChunk writes one fragment as a Matroska chunk.
// trackCache keeps the Matroska tracks of the last init segment a stream
// of chunks used: it changes only at a new codec configuration.
type trackCache struct {
	init    []byte
	entries []webm.TrackEntry
}

func (c *trackCache) entriesOf(init []byte) ([]webm.TrackEntry, error) {
	if c.entries != nil && bytes.Equal(c.init, init) {
		return c.entries, nil
	}
	entries, err := mkvTrackEntries(init)
	if err != nil {
		return nil, err
	}
	c.init, c.entries = init, entries
	return entries, nil
}

func writeChunk(w io.Writer, f *fragments.Fragment, ci chunkInfo, tc *trackCache) error {
	entries, err := tc.entriesOf(f.Init)
	if err != nil {
		return err
	}
	tracks, err := decode(f)
	if err != nil {
		return err
	}
	// The cluster starts at the fragment's producer time; block times are
	// milliseconds from there, taken from the fMP4 timeline where the
	// fragment begins at its first video (or first track's) sample.
	var originNs float64
	if len(tracks) > 0 {
		t := tracks[0]
		originNs = float64(t.Samples[0].DTS) * 1e9 / float64(t.TimeScale)
	}
	type timed struct {
		ns float64
		b  ebml.Block
	}
	var blocks []timed
	for _, t := range tracks {
		for _, s := range t.Samples {
			ns := float64(s.DTS+int64(s.PTSOffset))*1e9/float64(t.TimeScale) - originNs
			ms := math.Round(ns / 1e6)
			if ms < math.MinInt16 || ms > math.MaxInt16 {
				return errorf(ErrInvalidMediaFrame, "A frame lies %v ms from its fragment's start, beyond Matroska's block range.", ms)
			}
			blocks = append(blocks, timed{ns: float64(s.DTS)*1e9/float64(t.TimeScale) - originNs,
				b: ebml.Block{TrackNumber: uint64(t.ID), Timecode: int16(ms), Keyframe: s.Sync || !t.video(), Data: [][]byte{s.Payload}}})
		}
	}
	// Interleave by decode time, keeping each track's order.
	sortStable(blocks, func(a, b timed) bool { return a.ns < b.ns })
	c := mkvChunk{
		Header: mkvHeader(),
		Segment: mkvSegment{
			Info:   webm.Info{TimecodeScale: 1000000, MuxingApp: "shardcast", WritingApp: "shardcast"},
			Tracks: webm.Tracks{TrackEntry: entries},
			Before: simpleTags(tagFragmentNumber, ci.Number, tagServerTimestamp, epochSeconds(ci.Server),
				tagProducerTimestamp, epochSeconds(ci.Producer)),
			Cluster: mkvCluster{Timecode: uint64(max(0, f.ProducerTime.UnixMilli()))},
			After: simpleTags(tagMillisBehindNow, strconv.FormatInt(ci.BehindMillis, 10),
				tagContinuationToken, ci.Continuation),
		},
	}
	c.Segment.Cluster.SimpleBlock = make([]ebml.Block, len(blocks))
	for i := range blocks {
		c.Segment.Cluster.SimpleBlock[i] = blocks[i].b
	}
	var buf bytes.Buffer
	buf.Grow(len(f.Data) + 4096)
	if err := ebml.Marshal(&c, &buf); err != nil {
		return fmt.Errorf("playback: matroska: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// sortStable sorts s by less, keeping equal elements in order.
func sortStable[T any](s []T, less func(a, b T) bool) {
	slices.SortStableFunc(s, func(a, b T) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
}
