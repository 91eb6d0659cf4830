package rtsp

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/shardcast/shardcast/fragments"
)

// player is a gortsplib client playing the re-serve; it keeps what a
// player needs to start well: whether a sender report came before the
// first video packet, and the video access units.
type player struct {
	c *gortsplib.Client

	mu       sync.Mutex
	srFirst  bool // a sender report of the video came before its first packet
	packets  int
	aus      [][][]byte
	firstSeq uint16
	lastSeq  uint16
	gaps     int  // jumps in the video's sequence numbers
	afterGap bool // no access unit since the latest gap
	badStart int  // access units after a gap that were no keyframe
}

func play(t *testing.T, url string, transport gortsplib.Transport, opts ...func(*gortsplib.Client)) (*player, error) {
	t.Helper()
	u, err := base.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	p := &player{c: &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Transport: &transport}}
	for _, o := range opts {
		o(p.c)
	}
	if err := p.c.Start2(); err != nil {
		return nil, err
	}
	desc, _, err := p.c.Describe(u)
	if err != nil {
		p.c.Close()
		return nil, err
	}
	var h *format.H264
	video := desc.FindFormat(&h)
	if video == nil || len(h.SPS) == 0 || len(h.PPS) == 0 {
		p.c.Close()
		t.Fatalf("the description has no H.264 with parameter sets: %+v", desc.Medias)
	}
	dec, err := h.CreateDecoder()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		p.c.Close()
		return nil, err
	}
	p.c.OnPacketRTCPAny(func(m *description.Media, pkt rtcp.Packet) {
		if _, ok := pkt.(*rtcp.SenderReport); ok && m == video {
			p.mu.Lock()
			if p.packets == 0 {
				p.srFirst = true
			}
			p.mu.Unlock()
		}
	})
	p.c.OnPacketRTP(video, h, func(pkt *rtp.Packet) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.packets == 0 {
			p.firstSeq = pkt.SequenceNumber
		} else if pkt.SequenceNumber != p.lastSeq+1 {
			p.gaps++
			p.afterGap = true
		}
		p.lastSeq = pkt.SequenceNumber
		p.packets++
		au, err := dec.Decode(pkt)
		if err != nil {
			if !errors.Is(err, rtph264.ErrMorePacketsNeeded) && !p.afterGap {
				t.Errorf("depacketize: %v", err)
			}
			return
		}
		if p.afterGap && !h264.IsRandomAccess(au) {
			p.badStart++
		}
		p.afterGap = false
		p.aus = append(p.aus, au)
	})
	if _, err := p.c.Play(nil); err != nil {
		p.c.Close()
		return nil, err
	}
	return p, nil
}

// waitAUs waits for n access units and checks the first is a keyframe
// and, with srFirst (TCP: one ordered connection), that a sender report
// preceded it.
func (p *player) waitAUs(t *testing.T, n int, srFirst bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p.mu.Lock()
		got := len(p.aus)
		p.mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d access units, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !h264.IsRandomAccess(p.aus[0]) {
		t.Fatal("the first access unit is not a keyframe")
	}
	if srFirst && !p.srFirst {
		t.Error("no sender report before the first packet")
	}
}

// The re-serve with a gortsplib reader: a 404 for an unknown stream and a
// 404 Stream Not Live for one without a publisher; then readers over TCP
// and UDP, the second joining later, each start at a keyframe (over TCP
// after a sender report); the publisher leaving ends their sessions, and nothing
// is left running.
func TestReserveGortsplibReaders(t *testing.T) {
	r := newRig(t)
	url := "rtsp://" + r.server.Addr() + "/cam"
	if _, err := play(t, "rtsp://"+r.server.Addr()+"/nosuch", gortsplib.TransportTCP); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("an unknown stream: %v, want 404", err)
	}
	if _, err := r.store.CreateStream(fragments.CreateInput{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	if _, err := play(t, url, gortsplib.TransportTCP); err == nil || !strings.Contains(err.Error(), "Stream Not Live") {
		t.Fatalf("a stream without a publisher: %v, want 404 Stream Not Live", err)
	}

	published := make(chan struct{})
	go func() {
		defer close(published)
		ffmpegPublish(t, url, 6, "tcp", "h264")
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(r.manager.Sessions()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no publisher")
		}
		time.Sleep(20 * time.Millisecond)
	}
	a, err := play(t, url, gortsplib.TransportTCP)
	if err != nil {
		t.Fatal(err)
	}
	defer a.c.Close()
	a.waitAUs(t, 40, true)
	b, err := play(t, url, gortsplib.TransportUDP)
	if err != nil {
		t.Fatal(err)
	}
	defer b.c.Close()
	b.waitAUs(t, 10, false)

	<-published
	for _, p := range []*player{a, b} {
		done := make(chan error, 1)
		go func() { done <- p.c.Wait() }()
		select {
		case err := <-done:
			t.Logf("reader ended: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("a reader still plays after the publisher left")
		}
		p.c.Close()
	}
	deadline = time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// smallBuffers gives accepted connections a small send buffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(8192)
	}
	return c, err
}

// slowConn reads at most 1 KiB every 100 ms: a reader on a thin link.
type slowConn struct{ net.Conn }

func (c slowConn) Read(b []byte) (int, error) {
	time.Sleep(100 * time.Millisecond)
	return c.Conn.Read(b[:min(len(b), 1024)])
}

// A reader slower than the stream (10 KiB/s for about 40) never holds
// back the publisher or another reader: it loses packets when its queue
// is full and resumes at a keyframe, so it never gets a frame with a hole,
// while the other reader gets every packet and the publisher loses no unit.
func TestReserveSlowReader(t *testing.T) {
	r := newRig(t, func(s *Server) {
		s.ReaderQueue = 64
		// Small socket buffers: a slow reader's queue fills within seconds.
		s.Listen = func(network, address string) (net.Listener, error) {
			ln, err := net.Listen(network, address)
			return smallBuffers{ln}, err
		}
	})
	url := "rtsp://" + r.server.Addr() + "/cam"
	published := make(chan struct{})
	go func() {
		defer close(published)
		ffmpegPublish(t, url, 10, "tcp", "h264")
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(r.manager.Sessions()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no publisher")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fast, err := play(t, url, gortsplib.TransportTCP)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.c.Close()
	thin := func(c *gortsplib.Client) {
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			// A small receive window: the server's socket fills soon.
			return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		c.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, address)
			if err != nil {
				return nil, err
			}
			return slowConn{conn}, nil
		}
		c.ReadTimeout = 30 * time.Second
	}
	slow, err := play(t, url, gortsplib.TransportTCP, thin)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.c.Close()

	// Near the end of the publish, the publisher has lost nothing.
	time.Sleep(7 * time.Second)
	for _, s := range r.manager.Sessions() {
		if s.DroppedUnits != 0 {
			t.Errorf("the publisher lost %d units", s.DroppedUnits)
		}
	}
	<-published
	for _, p := range []*player{fast, slow} {
		p.c.Wait() //nolint:errcheck // ends when the publisher leaves
	}
	fast.mu.Lock()
	defer fast.mu.Unlock()
	slow.mu.Lock()
	defer slow.mu.Unlock()
	t.Logf("fast reader: %d access units, %d gaps; slow reader: %d access units, %d gaps", len(fast.aus), fast.gaps, len(slow.aus), slow.gaps)
	if fast.gaps != 0 || len(fast.aus) < 200 {
		t.Errorf("the fast reader got %d access units with %d gaps, want all of 10 s at 25 fps and no gap", len(fast.aus), fast.gaps)
	}
	if slow.gaps == 0 {
		t.Error("the slow reader never fell behind: the test did not test")
	}
	if slow.badStart != 0 {
		t.Errorf("the slow reader resumed %d times at a frame that is no keyframe", slow.badStart)
	}
}
