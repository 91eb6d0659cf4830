package rtsp

import (
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// A packet's reported time counts from the latest sender report of its
// SSRC, in the format's clock, across RTP timestamp wrap-around.
func TestReportedTime(t *testing.T) {
	b := &binding{format: &format.H264{PayloadTyp: 96, PacketizationMode: 1}}
	pkt := &rtp.Packet{Header: rtp.Header{SSRC: 7, Timestamp: 100}}
	if got := b.reported(pkt); !got.IsZero() {
		t.Fatalf("reported before any sender report: %v", got)
	}
	at := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	b.onRTCP(&rtcp.SenderReport{SSRC: 7, NTPTime: uint64(at.Unix()+2208988800) << 32, RTPTime: 0xffffff00})
	// 0xffffff00 + 90100 wraps to 90100-256 = 89844.
	pkt.Timestamp = 89844
	if got := b.reported(pkt); !got.Equal(at.Add(time.Second + time.Second/900)) {
		t.Fatalf("reported = %v, want 1.00111 s after the report", got.Sub(at))
	}
	pkt.SSRC = 8
	if got := b.reported(pkt); !got.IsZero() {
		t.Fatalf("a report of another SSRC was used: %v", got)
	}
}
