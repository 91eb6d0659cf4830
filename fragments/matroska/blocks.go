package matroska

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Blocks: a SimpleBlock or BlockGroup split into frames by its lacing.

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
