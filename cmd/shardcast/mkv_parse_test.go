package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A small Matroska reader written for the tests, independent of the EBML
// library the server writes with: it reads the GetMedia stream chunk by
// chunk (EBML header, Segment of unknown size, then its children) and keeps
// what the checks need.

const (
	idEBML        = 0x1A45DFA3
	idSegment     = 0x18538067
	idInfo        = 0x1549A966
	idTracks      = 0x1654AE6B
	idTrackEntry  = 0xAE
	idTrackNumber = 0xD7
	idCodecID     = 0x86
	idCodecPriv   = 0x63A2
	idTags        = 0x1254C367
	idTag         = 0x7373
	idSimpleTag   = 0x67C8
	idTagName     = 0x45A3
	idTagString   = 0x4487
	idCluster     = 0x1F43B675
	idTimecode    = 0xE7
	idSimpleBlock = 0xA3
)

type mkvTagKV struct{ name, value string }

type mkvBlock struct {
	track    uint64
	timecode int16
	keyframe bool
	size     int
}

// mkvChunkParsed is one GetMedia chunk.
type mkvChunkParsed struct {
	codecs      map[uint64]string // track number -> codec id
	private     map[uint64][]byte
	tagsBefore  []mkvTagKV
	tagsAfter   []mkvTagKV
	clusterTime uint64
	blocks      []mkvBlock
	order       []string // top-level element names in order
}

func (c *mkvChunkParsed) tag(name string) string {
	for _, kv := range append(append([]mkvTagKV(nil), c.tagsBefore...), c.tagsAfter...) {
		if kv.name == name {
			return kv.value
		}
	}
	return ""
}

type ebmlReader struct {
	r       *bufio.Reader
	pending *mkvChunkParsed
}

func newEBMLReader(r io.Reader) *ebmlReader { return &ebmlReader{r: bufio.NewReaderSize(r, 1<<16)} }

// vint reads an EBML variable-length integer; id keeps the marker bits.
func (e *ebmlReader) vint(id bool) (uint64, int, error) {
	first, err := e.r.ReadByte()
	if err != nil {
		return 0, 0, err
	}
	n := 1
	for mask := byte(0x80); n <= 8 && first&mask == 0; mask >>= 1 {
		n++
	}
	if n > 8 {
		return 0, 0, errors.New("bad vint")
	}
	v := uint64(first)
	if !id {
		v &= uint64(0xFF >> n)
	}
	allOnes := v == uint64(0xFF>>n)
	for i := 1; i < n; i++ {
		b, err := e.r.ReadByte()
		if err != nil {
			return 0, 0, err
		}
		v = v<<8 | uint64(b)
		allOnes = allOnes && b == 0xFF
	}
	if !id && allOnes {
		return ^uint64(0), n, nil // unknown size
	}
	return v, n, nil
}

func (e *ebmlReader) header() (uint32, uint64, error) {
	id, _, err := e.vint(true)
	if err != nil {
		return 0, 0, err
	}
	size, _, err := e.vint(false)
	return uint32(id), size, err
}

func children(b []byte, fn func(id uint32, body []byte) error) error {
	e := newEBMLReader(bytes.NewReader(b))
	for {
		id, size, err := e.header()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if size > uint64(len(b)) {
			return fmt.Errorf("element %x size %d beyond its parent", id, size)
		}
		body := make([]byte, size)
		if _, err := io.ReadFull(e.r, body); err != nil {
			return err
		}
		if err := fn(id, body); err != nil {
			return err
		}
	}
}

// next returns the next chunk, or io.EOF at a clean end of the stream.
func (e *ebmlReader) next() (*mkvChunkParsed, error) {
	c := e.pending
	e.pending = nil
	for {
		id, size, err := e.header()
		if err == io.EOF && c != nil {
			e.pending = nil
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		if id == idSegment {
			if c == nil {
				return nil, errors.New("segment before EBML header")
			}
			continue // unknown size: its children follow
		}
		if size == ^uint64(0) {
			return nil, fmt.Errorf("element %x of unknown size", id)
		}
		body := make([]byte, size)
		if _, err := io.ReadFull(e.r, body); err != nil {
			return nil, err
		}
		switch id {
		case idEBML:
			if c != nil {
				e.pending = &mkvChunkParsed{codecs: map[uint64]string{}, private: map[uint64][]byte{}, order: []string{"EBML"}}
				return c, nil
			}
			c = &mkvChunkParsed{codecs: map[uint64]string{}, private: map[uint64][]byte{}, order: []string{"EBML"}}
		case idInfo:
			c.order = append(c.order, "Info")
		case idTracks:
			c.order = append(c.order, "Tracks")
			err = children(body, func(id uint32, te []byte) error {
				if id != idTrackEntry {
					return nil
				}
				var num uint64
				var codec string
				var priv []byte
				err := children(te, func(id uint32, v []byte) error {
					switch id {
					case idTrackNumber:
						num = beUint(v)
					case idCodecID:
						codec = string(v)
					case idCodecPriv:
						priv = v
					}
					return nil
				})
				c.codecs[num], c.private[num] = codec, priv
				return err
			})
		case idTags:
			var kvs []mkvTagKV
			err = children(body, func(id uint32, tag []byte) error {
				return children(tag, func(id uint32, st []byte) error {
					if id != idSimpleTag {
						return nil
					}
					var kv mkvTagKV
					err := children(st, func(id uint32, v []byte) error {
						switch id {
						case idTagName:
							kv.name = string(v)
						case idTagString:
							kv.value = string(v)
						}
						return nil
					})
					kvs = append(kvs, kv)
					return err
				})
			})
			if containsString(c.order, "Cluster") {
				c.order = append(c.order, "TagsAfter")
				c.tagsAfter = kvs
				if err == nil && c.tag("AWS_KINESISVIDEO_CONTINUATION_TOKEN") != "" {
					// Complete, as KVS's parser sees it: return without
					// waiting for more of the stream.
					e.pending = nil
					return c, nil
				}
			} else {
				c.order = append(c.order, "TagsBefore")
				c.tagsBefore = kvs
			}
		case idCluster:
			c.order = append(c.order, "Cluster")
			err = children(body, func(id uint32, v []byte) error {
				switch id {
				case idTimecode:
					c.clusterTime = beUint(v)
				case idSimpleBlock:
					be := newEBMLReader(bytes.NewReader(v))
					track, n, err := be.vint(false)
					if err != nil || len(v) < n+3 {
						return fmt.Errorf("bad block: %v", err)
					}
					c.blocks = append(c.blocks, mkvBlock{track: track, timecode: int16(binary.BigEndian.Uint16(v[n:])),
						keyframe: v[n+2]&0x80 != 0, size: len(v) - n - 3})
				}
				return nil
			})
		}
		if err != nil {
			return nil, err
		}
	}
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
