package fragments

import (
	"fmt"
	"time"
)

// WriteVP9 adds a VP9 frame (one RTP-depacketized frame, superframes
// whole) with its presentation time in the track's clock.
func (f *Fragmenter) WriteVP9(track int, ntp time.Time, pts int64, frame []byte) error {
	return fmt.Errorf("%w: VP9 (not yet)", ErrUnsupportedCodec)
}

// WriteAV1 adds an AV1 temporal unit given as its OBUs.
func (f *Fragmenter) WriteAV1(track int, ntp time.Time, pts int64, obus [][]byte) error {
	return fmt.Errorf("%w: AV1 (not yet)", ErrUnsupportedCodec)
}
