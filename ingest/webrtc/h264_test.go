package webrtc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// testAUs makes access units of random NAL units: SPS and PPS before each
// keyframe, slices from a few bytes to many packets long.
func testAUs(rng *rand.Rand, n int) [][][]byte {
	nalu := func(typ byte, size int) []byte {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(rng.IntN(255) + 1) // no start codes inside
		}
		b[0] = 0x60 | typ
		return b
	}
	var aus [][][]byte
	for i := 0; i < n; i++ {
		var au [][]byte
		if i%10 == 0 {
			au = append(au, nalu(7, 12), nalu(8, 4), nalu(5, 1+rng.IntN(9000)))
		} else {
			for s := 0; s < 1+rng.IntN(3); s++ {
				au = append(au, nalu(1, 1+rng.IntN(3000)))
			}
		}
		aus = append(aus, au)
	}
	return aus
}

// packetize makes the packets of access units as pion's payloader does
// (STAP-A for the parameter sets, FU-A above the MTU).
func packetize(aus [][][]byte, mtu uint16) []*rtp.Packet {
	pk := rtp.NewPacketizer(mtu, 96, 1, &codecs.H264Payloader{}, rtp.NewFixedSequencer(65000), 90000)
	var out []*rtp.Packet
	for _, au := range aus {
		var annexB []byte
		for _, n := range au {
			annexB = append(append(annexB, 0, 0, 0, 1), n...)
		}
		out = append(out, pk.Packetize(annexB, 3000)...)
	}
	return out
}

// The depacketizer gives the same access units as gortsplib's decoder.
func TestH264UnpackerMatchesGortsplib(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 7))
	aus := testAUs(rng, 200)
	for _, c := range []struct {
		mtu    uint16
		marker bool // false: units end at the next timestamp only
	}{{200, true}, {1200, true}, {1200, false}} {
		mtu, pkts := c.mtu, packetize(aus, c.mtu)
		if !c.marker {
			for _, p := range pkts {
				p.Marker = false
			}
		}
		ref := &rtph264.Decoder{PacketizationMode: 1}
		if err := ref.Init(); err != nil {
			t.Fatal(err)
		}
		ours := newH264Unpacker()
		// Without markers, a unit ends at the next timestamp: ours hands it
		// on at the packet that brings it, gortsplib's when that packet's
		// NAL unit is whole; so the units are compared, not the packets.
		// The units are kept as handed over and compared at the end: each
		// is the caller's, untouched by the units after it.
		var wantAUs, gotAUs [][]byte
		join := func(au [][]byte) []byte {
			var b []byte
			for _, n := range au {
				b = append(append(b, 0, 0, 0, 1), n...)
			}
			return b
		}
		for i, pkt := range pkts {
			wa, werr := ref.Decode(pkt)
			ga, gerr := ours.Decode(pkt)
			if c.marker && ((werr == nil) != (gerr == nil) || (werr != nil && !errors.Is(gerr, werr))) {
				t.Fatalf("mtu %d packet %d: error %v, gortsplib says %v", mtu, i, gerr, werr)
			}
			if werr == nil {
				wantAUs = append(wantAUs, join(wa))
			}
			if ga != nil {
				gotAUs = append(gotAUs, ga)
			}
		}
		for i := range gotAUs {
			au, err := avccNALUs(gotAUs[i])
			if err != nil {
				t.Fatalf("mtu %d: access unit %d: %v", mtu, i, err)
			}
			if avccRandomAccess(gotAUs[i]) != h264.IsRandomAccess(au) {
				t.Fatalf("mtu %d: access unit %d: random access %v, want %v", mtu, i, avccRandomAccess(gotAUs[i]), h264.IsRandomAccess(au))
			}
			gotAUs[i] = join(au)
		}
		for i := range min(len(wantAUs), len(gotAUs)) {
			if !bytes.Equal(gotAUs[i], wantAUs[i]) {
				t.Fatalf("mtu %d: access unit %d differs from gortsplib's", mtu, i)
			}
			if !bytes.Equal(gotAUs[i], join(aus[i])) {
				t.Fatalf("mtu %d: access unit %d is not the one sent", mtu, i)
			}
		}
		got, want := len(gotAUs), len(wantAUs)
		n := len(aus)
		if !c.marker {
			n-- // the last unit waits for a next timestamp
		}
		if got != n || want != n {
			t.Fatalf("mtu %d: %d access units, want %d", mtu, got, n)
		}
	}
}

// A lost fragment: that access unit is refused with an error (not "more
// packets needed"), the others are whole; a fragment first of all is "no
// previous".
func TestH264UnpackerLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	aus := testAUs(rng, 3)
	big := make([]byte, 3000) // three fragments at an MTU of 1200
	for i := range big {
		big[i] = byte(rng.IntN(255) + 1)
	}
	big[0] = 0x41
	aus[1] = [][]byte{big}
	pkts := packetize(aus, 1200)
	var frags []int // the packets of unit 1
	for i, p := range pkts {
		if p.Timestamp == pkts[0].Timestamp+3000 {
			frags = append(frags, i)
		}
	}
	if len(frags) != 3 {
		t.Fatalf("unit 1 in %d packets, want 3", len(frags))
	}
	if _, err := newH264Unpacker().Decode(pkts[frags[1]]); !errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) {
		t.Fatalf("a middle fragment first of all: %v", err)
	}
	d := newH264Unpacker()
	var units, errs int
	for i, pkt := range pkts {
		if i == frags[1] {
			continue // lost
		}
		au, err := d.Decode(pkt)
		switch {
		case err == nil:
			units++
			if len(au) == 0 {
				t.Fatal("empty access unit")
			}
		case !errors.Is(err, rtph264.ErrMorePacketsNeeded):
			errs++
		}
	}
	if units != 2 || errs != 1 {
		t.Fatalf("%d access units and %d errors after losing a fragment of one of 3, want 2 and 1", units, errs)
	}
}

// avccNALUs splits an AVCC access unit into its NAL units.
func avccNALUs(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("truncated length")
		}
		n := int(binary.BigEndian.Uint32(b))
		if n == 0 || n > len(b)-4 {
			return nil, fmt.Errorf("NAL unit length %d of %d bytes left", n, len(b)-4)
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out, nil
}
