package fragments

import (
	"encoding/binary"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
)

// marshalPart writes a fragment (moof+mdat) exactly as mediacommon's
// fmp4.Part.Marshal lays it out (moof, mfhd, per track traf with tfhd
// default-base-is-moof, tfdt v1 and trun v1, then mdat), into one buffer of
// the right size. mediacommon's writer goes through reflection and growing
// buffers; at a fragment a second per camera that was the largest cost of
// ingest. TestMarshalPartMatchesMediacommon holds the two byte-identical.
func marshalPart(p *fmp4.Part) []byte {
	const (
		trunDataOffset = 0x01
		trunDuration   = 0x100
		trunSize       = 0x200
		trunFlags      = 0x400
		trunCTO        = 0x800
		nonSync        = 1 << 16
	)
	trunFlagsOf := func(t *fmp4.PartTrack) uint32 {
		f := uint32(trunDataOffset | trunDuration | trunSize)
		for _, s := range t.Samples {
			if s.IsNonSyncSample {
				f |= trunFlags
			}
			if s.PTSOffset != 0 {
				f |= trunCTO
			}
		}
		return f
	}
	entrySize := func(f uint32) int {
		n := 8
		if f&trunFlags != 0 {
			n += 4
		}
		if f&trunCTO != 0 {
			n += 4
		}
		return n
	}
	moofSize := 8 + 16
	data := 0
	for _, t := range p.Tracks {
		moofSize += 8 + 16 + 20 + 20 + len(t.Samples)*entrySize(trunFlagsOf(t))
		for _, s := range t.Samples {
			data += len(s.Payload)
		}
	}
	b := make([]byte, 0, moofSize+8+data)
	box := func(size int, typ string) {
		b = binary.BigEndian.AppendUint32(b, uint32(size))
		b = append(b, typ...)
	}
	box(moofSize, "moof")
	box(16, "mfhd")
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, p.SequenceNumber)
	offset := moofSize + 8 // first byte of the mdat payload, from the moof start
	for _, t := range p.Tracks {
		f := trunFlagsOf(t)
		trunSize := 20 + len(t.Samples)*entrySize(f)
		box(8+16+20+trunSize, "traf")
		box(16, "tfhd")
		b = binary.BigEndian.AppendUint32(b, 0x020000) // default-base-is-moof
		b = binary.BigEndian.AppendUint32(b, uint32(t.ID))
		box(20, "tfdt")
		b = binary.BigEndian.AppendUint32(b, 1<<24) // version 1
		b = binary.BigEndian.AppendUint64(b, t.BaseTime)
		box(trunSize, "trun")
		b = binary.BigEndian.AppendUint32(b, 1<<24|f)
		b = binary.BigEndian.AppendUint32(b, uint32(len(t.Samples)))
		b = binary.BigEndian.AppendUint32(b, uint32(offset))
		for _, s := range t.Samples {
			b = binary.BigEndian.AppendUint32(b, s.Duration)
			b = binary.BigEndian.AppendUint32(b, uint32(len(s.Payload)))
			if f&trunFlags != 0 {
				var sf uint32
				if s.IsNonSyncSample {
					sf = nonSync
				}
				b = binary.BigEndian.AppendUint32(b, sf)
			}
			if f&trunCTO != 0 {
				b = binary.BigEndian.AppendUint32(b, uint32(s.PTSOffset))
			}
			offset += len(s.Payload)
		}
	}
	box(8+data, "mdat")
	for _, t := range p.Tracks {
		for _, s := range t.Samples {
			b = append(b, s.Payload...)
		}
	}
	return b
}
