package matroska

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Errors that Next wraps.
var (
	ErrInvalid  = errors.New("matroska: invalid data")
	ErrTooLarge = errors.New("matroska: cluster too large")
)

// unknownSize marks an element whose size field is all ones.
const unknownSize = -1

// maxHeaderBytes bounds the elements read whole besides clusters (Info,
// Tracks, Tags, the EBML header): codec private data is at most 1 MiB in
// KVS.
const maxHeaderBytes = 4 << 20

// Options tune a Reader.
type Options struct {
	// MaxClusterBytes bounds one cluster (default 50 MiB, KVS's fragment
	// limit); a larger one is an error wrapping ErrTooLarge.
	MaxClusterBytes int64
	// ClusterStart, if set, is called when a cluster's Timecode has been
	// read, before its blocks: c.Timecode and c.Offset are set.
	ClusterStart func(c *Cluster)
}

// Kind is what an Event carries.
type Kind int

// Event kinds.
const (
	KindHeader Kind = iota + 1
	KindTags
	KindCluster
)

// Event is one step of a stream.
type Event struct {
	Kind    Kind
	Header  *Header  // KindHeader
	Tags    []Tag    // KindTags: the SimpleTags of one Tags element, in order
	Cluster *Cluster // KindCluster
}

// Header is what a document says before its media.
type Header struct {
	DocType       string
	TimecodeScale uint64 // ns per timecode unit (default 1000000)
	Title         string
	MuxingApp     string
	WritingApp    string
	Tracks        []Track
}

// Track returns the track with that number, or nil.
func (h *Header) Track(number uint64) *Track {
	for i := range h.Tracks {
		if h.Tracks[i].Number == number {
			return &h.Tracks[i]
		}
	}
	return nil
}

// Track is one TrackEntry.
type Track struct {
	Number, UID, Type uint64 // Type: 1 video, 2 audio
	CodecID           string
	CodecPrivate      []byte
	Name              string
	DefaultDuration   uint64 // ns, 0 when absent
	Width, Height     uint64
	SampleRate        float64
	Channels          uint64
}

// Tag is one SimpleTag.
type Tag struct{ Name, Value string }

// Cluster is one Cluster element with its frames.
type Cluster struct {
	Timecode uint64 // as sent, in TimecodeScale units
	Offset   int64  // stream offset of the Cluster element's ID
	Frames   []Frame
}

// Frame is one frame of a block (a laced block gives several).
type Frame struct {
	Track    uint64
	Timecode int64 // cluster timecode + the block's relative timecode
	Keyframe bool
	Data     []byte
}

// where says which element the reader is inside.
type where int

const (
	atTop     where = iota // between documents
	inSegment              // inside a Segment's children
)

// elem is an element's ID and size as read.
type elem struct {
	id     uint32
	size   int64 // unknownSize or the body's length
	offset int64 // offset of the ID
}

// Reader reads a Matroska stream. It is not safe for concurrent use.
type Reader struct {
	r      *bufio.Reader
	opts   Options
	off    int64
	state  where
	segEnd int64 // offset where a known-size Segment ends; -1 unknown
	header *Header
	// pending is an element whose ID and size were read but whose body
	// was not: the one that ended a cluster or segment of unknown size.
	pending *elem
	err     error
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader, opts Options) *Reader {
	if opts.MaxClusterBytes <= 0 {
		opts.MaxClusterBytes = 50 << 20
	}
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), opts: opts, segEnd: -1}
}

// Offset returns how many bytes were consumed.
func (r *Reader) Offset() int64 { return r.off }

// Next returns the next event. At a clean end of the stream it returns
// io.EOF; after any error it keeps returning that error.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	ev, err := r.next()
	if err != nil {
		if errors.Is(err, io.EOF) && err != io.EOF {
			err = fmt.Errorf("%w: %w", io.ErrUnexpectedEOF, err)
		}
		r.err = err
	}
	return ev, err
}

func (r *Reader) next() (Event, error) {
	for {
		if r.state == inSegment && r.segEnd >= 0 && r.off >= r.segEnd && r.pending == nil {
			if r.off > r.segEnd {
				return Event{}, r.invalid(r.off, "segment's children run past its end")
			}
			r.state = atTop
		}
		e, err := r.element()
		if err != nil {
			if err == io.EOF && (r.state == atTop || r.segEnd < 0) {
				return Event{}, io.EOF
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		switch r.state {
		case atTop:
			if e.id != idEBML {
				return Event{}, r.invalid(e.offset, fmt.Sprintf("expected an EBML header, found element %X", e.id))
			}
			if err := r.readEBMLHeader(e); err != nil {
				return Event{}, err
			}
			if err := r.enterSegment(); err != nil {
				return Event{}, err
			}
		case inSegment:
			ev, ok, err := r.segmentChild(e)
			if err != nil || ok {
				return ev, err
			}
		}
	}
}

// enterSegment reads the Segment element that must follow an EBML header.
func (r *Reader) enterSegment() error {
	e, err := r.element()
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	if e.id != idSegment {
		return r.invalid(e.offset, fmt.Sprintf("expected a Segment after the EBML header, found element %X", e.id))
	}
	r.state = inSegment
	r.segEnd = -1
	if e.size != unknownSize {
		r.segEnd = r.off + e.size
	}
	r.header = &Header{DocType: r.header.DocType, TimecodeScale: 1000000}
	return nil
}

// segmentChild handles one child of a Segment; ok reports an event.
func (r *Reader) segmentChild(e elem) (Event, bool, error) {
	switch e.id {
	case idEBML:
		if r.segEnd >= 0 {
			return Event{}, false, r.invalid(e.offset, "EBML header inside a Segment")
		}
		// A new document: the previous unknown-size Segment ended.
		r.state = atTop
		r.pending = &e
		return Event{}, false, nil
	case idSegment:
		return Event{}, false, r.invalid(e.offset, "a second Segment inside one document")
	case idInfo:
		body, err := r.body(e, maxHeaderBytes)
		if err != nil {
			return Event{}, false, err
		}
		return Event{}, false, r.parseInfo(e, body)
	case idTracks:
		body, err := r.body(e, maxHeaderBytes)
		if err != nil {
			return Event{}, false, err
		}
		tracks, err := r.parseTracks(e, body)
		if err != nil {
			return Event{}, false, err
		}
		r.header.Tracks = tracks
		h := *r.header
		return Event{Kind: KindHeader, Header: &h}, true, nil
	case idTags:
		body, err := r.body(e, maxHeaderBytes)
		if err != nil {
			return Event{}, false, err
		}
		tags, err := r.parseTags(e, body)
		if err != nil {
			return Event{}, false, err
		}
		return Event{Kind: KindTags, Tags: tags}, true, nil
	case idCluster:
		c, err := r.readCluster(e)
		if err != nil {
			return Event{}, false, err
		}
		return Event{Kind: KindCluster, Cluster: c}, true, nil
	}
	if e.size == unknownSize {
		return Event{}, false, r.invalid(e.offset, fmt.Sprintf("element %X of unknown size", e.id))
	}
	return Event{}, false, r.skip(e.size)
}

// readCluster reads a Cluster's children up to its end: its size, or for
// an unknown size the first element that cannot be its child (kept for the
// next call) or the end of the stream.
func (r *Reader) readCluster(e elem) (*Cluster, error) {
	if r.header == nil || r.header.Tracks == nil {
		return nil, r.invalid(e.offset, "a Cluster before Tracks")
	}
	if e.size != unknownSize && e.size > r.opts.MaxClusterBytes {
		return nil, fmt.Errorf("%w: cluster at %d is %d bytes, over %d", ErrTooLarge, e.offset, e.size, r.opts.MaxClusterBytes)
	}
	c := &Cluster{Offset: e.offset}
	end := int64(-1)
	if e.size != unknownSize {
		end = r.off + e.size
	}
	haveTime := false
	var total int64
	for end < 0 || r.off < end {
		ce, err := r.element()
		if err == io.EOF && end < 0 {
			break
		}
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		if !clusterChild(ce.id) {
			if end >= 0 {
				return nil, r.invalid(ce.offset, fmt.Sprintf("element %X inside a Cluster", ce.id))
			}
			r.pending = &ce
			break
		}
		if ce.size == unknownSize {
			return nil, r.invalid(ce.offset, fmt.Sprintf("element %X of unknown size inside a Cluster", ce.id))
		}
		if total += ce.size; total > r.opts.MaxClusterBytes {
			return nil, fmt.Errorf("%w: cluster at %d passes %d bytes", ErrTooLarge, e.offset, r.opts.MaxClusterBytes)
		}
		switch ce.id {
		case idTimecode:
			b, err := r.body(ce, 8)
			if err != nil {
				return nil, err
			}
			c.Timecode = readUint(b)
			haveTime = true
			if r.opts.ClusterStart != nil {
				r.opts.ClusterStart(c)
			}
		case idSimpleBlock, idBlockGroup:
			if !haveTime {
				return nil, r.invalid(ce.offset, "a block before the cluster's Timecode")
			}
			b, err := r.body(ce, r.opts.MaxClusterBytes)
			if err != nil {
				return nil, err
			}
			if err := r.addBlock(c, ce, b); err != nil {
				return nil, err
			}
		default:
			if err := r.skip(ce.size); err != nil {
				return nil, err
			}
		}
	}
	if end >= 0 && r.off > end {
		return nil, r.invalid(e.offset, "cluster children run past its end")
	}
	if !haveTime {
		return nil, r.invalid(e.offset, "a Cluster without a Timecode")
	}
	return c, nil
}
