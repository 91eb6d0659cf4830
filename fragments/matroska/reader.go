package matroska

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
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

// addBlock splits a SimpleBlock or BlockGroup into frames.
func (r *Reader) addBlock(c *Cluster, e elem, b []byte) error {
	keyframe := false
	if e.id == idBlockGroup {
		var block []byte
		ref := false
		err := children(b, func(id uint32, body []byte) error {
			switch id {
			case idBlock:
				block = body
			case idRefBlock:
				ref = true
			}
			return nil
		})
		if err != nil || block == nil {
			return r.invalid(e.offset, "a BlockGroup without a readable Block")
		}
		b, keyframe = block, !ref
	}
	track, n := vint(b, false)
	if n <= 0 || len(b) < n+3 {
		return r.invalid(e.offset, "a block with a bad header")
	}
	if r.header.Track(track) == nil {
		return r.invalid(e.offset, fmt.Sprintf("a block for track %d, which Tracks does not declare", track))
	}
	rel := int16(binary.BigEndian.Uint16(b[n:]))
	flags := b[n+2]
	if e.id == idSimpleBlock {
		keyframe = flags&0x80 != 0
	}
	frames, err := unlace(flags>>1&3, b[n+3:])
	if err != nil {
		return r.invalid(e.offset, err.Error())
	}
	tc := int64(c.Timecode) + int64(rel)
	for _, f := range frames {
		c.Frames = append(c.Frames, Frame{Track: track, Timecode: tc, Keyframe: keyframe, Data: f})
	}
	return nil
}

// unlace splits a block's payload by its lacing (0 none, 1 Xiph, 2 fixed,
// 3 EBML).
func unlace(lacing byte, p []byte) ([][]byte, error) {
	if lacing == 0 {
		return [][]byte{p}, nil
	}
	if len(p) < 1 {
		return nil, errors.New("a laced block without a frame count")
	}
	count := int(p[0]) + 1
	p = p[1:]
	sizes := make([]int, count)
	switch lacing {
	case 1:
		for i := 0; i < count-1; i++ {
			for {
				if len(p) == 0 {
					return nil, errors.New("xiph lacing runs past the block")
				}
				v := int(p[0])
				p = p[1:]
				sizes[i] += v
				if v != 255 {
					break
				}
			}
		}
	case 2:
		if len(p)%count != 0 {
			return nil, errors.New("fixed lacing of unequal frames")
		}
		for i := range sizes {
			sizes[i] = len(p) / count
		}
		count = 0 // sizes all set
	case 3:
		first, n := vint(p, false)
		if n <= 0 {
			return nil, errors.New("bad EBML lacing")
		}
		p = p[n:]
		sizes[0] = int(first)
		for i := 1; i < count-1; i++ {
			raw, n := vint(p, false)
			if n <= 0 {
				return nil, errors.New("bad EBML lacing")
			}
			p = p[n:]
			bias := int64(1)<<(7*n-1) - 1
			sizes[i] = sizes[i-1] + int(int64(raw)-bias)
		}
	}
	if count > 0 {
		used := 0
		for _, s := range sizes[:count-1] {
			if s < 0 {
				return nil, errors.New("negative laced frame size")
			}
			used += s
		}
		if used > len(p) {
			return nil, errors.New("laced frames run past the block")
		}
		sizes[count-1] = len(p) - used
	}
	out := make([][]byte, 0, len(sizes))
	for _, s := range sizes {
		if s > len(p) {
			return nil, errors.New("laced frames run past the block")
		}
		out = append(out, p[:s])
		p = p[s:]
	}
	return out, nil
}

func (r *Reader) readEBMLHeader(e elem) error {
	body, err := r.body(e, 4096)
	if err != nil {
		return err
	}
	h := &Header{}
	err = children(body, func(id uint32, b []byte) error {
		if id == idDocType {
			h.DocType = string(b)
		}
		return nil
	})
	if err != nil {
		return r.invalid(e.offset, "EBML header: "+err.Error())
	}
	if h.DocType != "matroska" && h.DocType != "webm" {
		return r.invalid(e.offset, fmt.Sprintf("DocType %q is not matroska or webm", h.DocType))
	}
	r.header = h
	return nil
}

func (r *Reader) parseInfo(e elem, body []byte) error {
	err := children(body, func(id uint32, b []byte) error {
		switch id {
		case idTimecodeSc:
			if v := readUint(b); v > 0 {
				r.header.TimecodeScale = v
			}
		case idTitle:
			r.header.Title = string(b)
		case idMuxingApp:
			r.header.MuxingApp = string(b)
		case idWritingApp:
			r.header.WritingApp = string(b)
		}
		return nil
	})
	if err != nil {
		return r.invalid(e.offset, "Info: "+err.Error())
	}
	return nil
}

func (r *Reader) parseTracks(e elem, body []byte) ([]Track, error) {
	tracks := []Track{}
	err := children(body, func(id uint32, b []byte) error {
		if id != idTrackEntry {
			return nil
		}
		var t Track
		err := children(b, func(id uint32, v []byte) error {
			switch id {
			case idTrackNumber:
				t.Number = readUint(v)
			case idTrackUID:
				t.UID = readUint(v)
			case idTrackType:
				t.Type = readUint(v)
			case idCodecID:
				t.CodecID = string(v)
			case idCodecPriv:
				t.CodecPrivate = v
			case idName:
				t.Name = string(v)
			case idDefaultDur:
				t.DefaultDuration = readUint(v)
			case idVideo:
				return children(v, func(id uint32, v []byte) error {
					switch id {
					case idPixelWidth:
						t.Width = readUint(v)
					case idPixelHeight:
						t.Height = readUint(v)
					}
					return nil
				})
			case idAudio:
				return children(v, func(id uint32, v []byte) error {
					switch id {
					case idSampling:
						t.SampleRate = readFloat(v)
					case idChannels:
						t.Channels = readUint(v)
					}
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if t.Number == 0 {
			return errors.New("a TrackEntry without a TrackNumber")
		}
		for _, o := range tracks {
			if o.Number == t.Number {
				return fmt.Errorf("track number %d declared twice", t.Number)
			}
		}
		tracks = append(tracks, t)
		return nil
	})
	if err != nil {
		return nil, r.invalid(e.offset, "Tracks: "+err.Error())
	}
	if len(tracks) == 0 {
		return nil, r.invalid(e.offset, "Tracks declares no track")
	}
	return tracks, nil
}

func (r *Reader) parseTags(e elem, body []byte) ([]Tag, error) {
	var tags []Tag
	var simple func(b []byte) error
	simple = func(b []byte) error {
		var t Tag
		var nested [][]byte
		err := children(b, func(id uint32, v []byte) error {
			switch id {
			case idTagName:
				t.Name = string(v)
			case idTagString:
				t.Value = string(v)
			case idSimpleTag:
				nested = append(nested, v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		tags = append(tags, t)
		for _, n := range nested {
			if err := simple(n); err != nil {
				return err
			}
		}
		return nil
	}
	err := children(body, func(id uint32, b []byte) error {
		if id != idTag {
			return nil
		}
		return children(b, func(id uint32, v []byte) error {
			if id == idSimpleTag {
				return simple(v)
			}
			return nil
		})
	})
	if err != nil {
		return nil, r.invalid(e.offset, "Tags: "+err.Error())
	}
	return tags, nil
}

// ---- framing ----------------------------------------------------------

func (r *Reader) invalid(off int64, what string) error {
	return fmt.Errorf("%w at byte %d: %s", ErrInvalid, off, what)
}

// element reads the next element's ID and size (or returns the pending
// one). io.EOF only when the stream ends before the first byte.
func (r *Reader) element() (elem, error) {
	if p := r.pending; p != nil {
		r.pending = nil
		return *p, nil
	}
	start := r.off
	first, err := r.r.ReadByte()
	if err != nil {
		return elem{}, err
	}
	r.off++
	n := vintLen(first)
	if n == 0 || n > 4 {
		return elem{}, r.invalid(start, fmt.Sprintf("bad element ID byte %#02x", first))
	}
	id := uint32(first)
	for range n - 1 {
		b, err := r.byte()
		if err != nil {
			return elem{}, err
		}
		id = id<<8 | uint32(b)
	}
	sb, err := r.byte()
	if err != nil {
		return elem{}, err
	}
	sn := vintLen(sb)
	if sn == 0 {
		return elem{}, r.invalid(start, fmt.Sprintf("bad size byte %#02x of element %X", sb, id))
	}
	size := uint64(sb) & (0xFF >> sn)
	allOnes := size == 0xFF>>sn
	for range sn - 1 {
		b, err := r.byte()
		if err != nil {
			return elem{}, err
		}
		size = size<<8 | uint64(b)
		allOnes = allOnes && b == 0xFF
	}
	if allOnes {
		return elem{id: id, size: unknownSize, offset: start}, nil
	}
	if size > math.MaxInt64/2 {
		return elem{}, r.invalid(start, "element size out of range")
	}
	return elem{id: id, size: int64(size), offset: start}, nil
}

// byte reads one byte inside an element: the end of the stream there is
// io.ErrUnexpectedEOF.
func (r *Reader) byte() (byte, error) {
	b, err := r.r.ReadByte()
	if err == io.EOF {
		return 0, io.ErrUnexpectedEOF
	}
	if err == nil {
		r.off++
	}
	return b, err
}

// body reads an element's body, at most max bytes.
func (r *Reader) body(e elem, max int64) ([]byte, error) {
	if e.size == unknownSize {
		return nil, r.invalid(e.offset, fmt.Sprintf("element %X of unknown size", e.id))
	}
	if e.size > max {
		if e.id == idSimpleBlock || e.id == idBlockGroup {
			return nil, fmt.Errorf("%w: block at %d is %d bytes", ErrTooLarge, e.offset, e.size)
		}
		return nil, r.invalid(e.offset, fmt.Sprintf("element %X is %d bytes, over %d", e.id, e.size, max))
	}
	if e.size <= 64<<10 {
		b := make([]byte, e.size)
		n, err := io.ReadFull(r.r, b)
		r.off += int64(n)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return b, err
	}
	// A large body grows as it arrives, so a size field alone cannot make
	// the reader allocate.
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, r.r, e.size)
	r.off += n
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

func (r *Reader) skip(n int64) error {
	d, err := r.r.Discard(int(n))
	r.off += int64(d)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// children walks the elements of a master element's body (known sizes).
func children(b []byte, fn func(id uint32, body []byte) error) error {
	for len(b) > 0 {
		n := vintLen(b[0])
		if n == 0 || n > 4 || len(b) < n {
			return errors.New("bad child element ID")
		}
		id := uint32(0)
		for _, c := range b[:n] {
			id = id<<8 | uint32(c)
		}
		b = b[n:]
		size, sn := vint(b, true)
		if sn <= 0 {
			return fmt.Errorf("bad size of element %X", id)
		}
		b = b[sn:]
		if size > uint64(len(b)) {
			return fmt.Errorf("element %X runs past its parent", id)
		}
		if err := fn(id, b[:size]); err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}

// vintLen is the length of a variable-size integer from its first byte (0:
// invalid).
func vintLen(b byte) int {
	for i := range 8 {
		if b&(0x80>>i) != 0 {
			return i + 1
		}
	}
	return 0
}

// vint decodes a variable-size integer without its marker; n <= 0 when it
// is malformed or, with noUnknown, all ones.
func vint(b []byte, noUnknown bool) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	n := vintLen(b[0])
	if n == 0 || len(b) < n {
		return 0, 0
	}
	v := uint64(b[0]) & (0xFF >> n)
	ones := v == 0xFF>>n
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
		ones = ones && c == 0xFF
	}
	if ones && noUnknown {
		return 0, -1
	}
	return v, n
}

func readUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func readFloat(b []byte) float64 {
	switch len(b) {
	case 4:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
	case 8:
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	}
	return 0
}
