package rtsp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest"
	"github.com/shardcast/shardcast/playback/rtpout"
)

// The live re-serve: rtsp://host:8554/<stream> with DESCRIBE, SETUP and
// PLAY plays the stream's current publisher from the live edge, whatever
// protocol it publishes with, from the unit feed (fragments.Stream
// SubscribeUnits): nothing is read from disk and nothing waits for a part
// or a fragment.
//
// A stream with readers has one liveStream per publisher session: one
// subscription to the feed, one gortsplib.ServerStream (one description,
// SSRCs and sequence numbers shared by every reader) and one goroutine,
// run, that packetizes each unit once. That goroutine hands the packets to
// each reader's session itself rather than through the ServerStream, so
// that a reader joining at any time first receives the packets since the
// latest keyframe (kept in cache) and then the live ones, in order, with
// nothing missing or twice: its first picture comes at once. A reader
// whose write queue is full (it reads too slowly) loses the rest of that
// frame and resumes at the next keyframe; the publisher and the other
// readers never wait for it.

// Re-serve limits.
const (
	// defaultReaderQueue is each reader session's queue of packets (a
	// power of two); it holds the cached keyframe interval and then some.
	// The packets kept since the latest keyframe are bounded by half of
	// it; past that, a new reader waits for the next keyframe.
	defaultReaderQueue = 4096
	// subscribeWait bounds how long DESCRIBE waits for a publisher that
	// has not sent its first keyframe yet.
	subscribeWait = 10 * time.Second
	// reportEvery is the period of RTCP sender reports to readers.
	reportEvery = time.Second
)

// Payload types of the re-served medias (each media has one format).
const (
	videoPayloadType = 96
	audioPayloadType = 97
)

// outTrack is one re-served track: its media in the stream's description
// and the packetizer of its units (gortsplib's encoders, with the
// encoders' default payload size, and a random RTP timestamp base).
type outTrack struct {
	media *description.Media
	pk    *rtpout.Packetizer
}

// outTrackOf maps a track of the unit feed to a media and its packetizer;
// false for codecs the re-serve does not carry.
func outTrackOf(t fragments.Track) (*outTrack, bool, error) {
	typ, pt := description.MediaTypeAudio, uint8(audioPayloadType)
	if t.Codec != nil && t.Codec.IsVideo() {
		typ, pt = description.MediaTypeVideo, videoPayloadType
	}
	pk, err := rtpout.New(t, pt, 0)
	if errors.Is(err, rtpout.ErrUnsupported) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &outTrack{media: &description.Media{Type: typ, Formats: []format.Format{pk.Format()}}, pk: pk}, true, nil
}

// liveStream is the re-serve of one publisher session of a stream.
type liveStream struct {
	name   string
	sub    *fragments.UnitSubscription
	stream *gortsplib.ServerStream
	tracks []*outTrack // by the feed's track index; nil for a track not served
	key    int         // the feed track whose random units are keyframes; -1 when audio only
	ssrc   map[*description.Media]uint32
	quit   chan struct{}
	quitMu sync.Once
	ended  chan struct{} // closed when run has returned

	mu      sync.Mutex
	readers map[*gortsplib.ServerSession]*liveReader
	started time.Time
	cache   []cachedPacket
	cacheOK bool      // cache holds everything since the latest keyframe
	anchor  time.Time // the wall clock of media time 0, for sender reports
	latest  time.Time // the wall clock of the latest unit sent
	last    []lastSent
}

// cachedPacket is a packet of the current keyframe interval.
type cachedPacket struct {
	media *description.Media
	pkt   *rtp.Packet
}

// lastSent counts what a track sent, for sender reports.
type lastSent struct {
	packets uint32
	octets  uint32
}

// liveReader is a reader session of a liveStream.
type liveReader struct {
	remote  string
	medias  map[*description.Media]bool // the medias it set up
	playing bool
	waitKey bool  // it lost packets: nothing until the next keyframe
	dropped int64 // packets it could not take
	losses  int64 // times it fell behind
}

// stop ends the live stream (its goroutine closes everything).
func (ls *liveStream) stop() { ls.quitMu.Do(func() { close(ls.quit) }) }

// over reports whether the live stream ended or is ending.
func (ls *liveStream) over() bool {
	select {
	case <-ls.quit:
		return true
	case <-ls.sub.Done():
		return true
	case <-ls.ended:
		return true
	default:
		return false
	}
}

// notFound is the answer to a reader of a stream that cannot be played;
// the status message says why, as RTSP clients print it.
func notFound(why string) *base.Response {
	return &base.Response{StatusCode: base.StatusNotFound, StatusMessage: why}
}

// live returns the live stream of name, starting one (a subscription to
// the unit feed and its goroutine) when none runs. It answers 404 for an
// unknown stream and for one without a publisher.
func (s *Server) live(name, remote string) (*liveStream, *base.Response, error) {
	refuse := func(res *base.Response, err error) (*liveStream, *base.Response, error) {
		s.Logger.Info("rtsp: read refused", "stream", name, "remote", remote, "status", res.StatusCode, "reason", err)
		return nil, res, err
	}
	s.mu.Lock()
	ls := s.lives[name]
	s.mu.Unlock()
	if ls != nil && !ls.over() {
		return ls, nil, nil
	}
	if s.Store == nil {
		return refuse(notFound("Not Found"), errors.New("live playback is not configured"))
	}
	if fragments.CheckStreamName(name) != nil {
		return refuse(notFound("Not Found"), errors.New("the path is not a stream name"))
	}
	st, err := s.Store.Lookup(fragments.StreamRef{Name: name})
	if errors.Is(err, registry.ErrResourceNotFound) {
		return refuse(notFound("Not Found"), errors.New("no such stream"))
	}
	if err != nil {
		return refuse(&base.Response{StatusCode: base.StatusInternalServerError}, fmt.Errorf("look up the stream: %w", err))
	}
	ctx, cancel := context.WithTimeout(s.ctx, subscribeWait)
	sub, err := st.SubscribeUnits(ctx)
	cancel()
	switch {
	case errors.Is(err, fragments.ErrNotLive):
		return refuse(notFound("Stream Not Live"), errors.New("the stream has no publisher"))
	case err != nil:
		return refuse(notFound("Stream Not Live"), fmt.Errorf("no live media: %w", err))
	}
	ls, err = s.startLive(name, sub)
	if err != nil {
		sub.Close()
		return refuse(&base.Response{StatusCode: base.StatusInternalServerError}, err)
	}
	s.mu.Lock()
	if other := s.lives[name]; other != nil && !other.over() && other.sub.Epoch == sub.Epoch {
		// Another reader started it meanwhile: share theirs.
		s.mu.Unlock()
		ls.stop()
		<-ls.ended
		return other, nil, nil
	}
	s.lives[name] = ls
	s.mu.Unlock()
	return ls, nil, nil
}

// startLive builds the live stream of a subscription and starts its
// goroutine.
func (s *Server) startLive(name string, sub *fragments.UnitSubscription) (*liveStream, error) {
	ls := &liveStream{name: name, sub: sub, key: -1, tracks: make([]*outTrack, len(sub.Tracks)), last: make([]lastSent, len(sub.Tracks)),
		ssrc: map[*description.Media]uint32{}, quit: make(chan struct{}), ended: make(chan struct{}),
		readers: map[*gortsplib.ServerSession]*liveReader{}, started: time.Now()}
	desc := &description.Session{Title: name}
	for i, t := range sub.Tracks {
		o, ok, err := outTrackOf(t)
		if err != nil {
			return nil, fmt.Errorf("track %d: %w", i, err)
		}
		if !ok {
			continue
		}
		if ls.key < 0 && t.Codec.IsVideo() {
			ls.key = i
		}
		ls.tracks[i] = o
		desc.Medias = append(desc.Medias, o.media)
	}
	if len(desc.Medias) == 0 {
		return nil, errors.New("no track the re-serve can carry")
	}
	ls.cacheOK = ls.key < 0 // audio only: nothing to wait for
	ls.stream = &gortsplib.ServerStream{Server: s.srv, Desc: desc}
	if err := ls.stream.Initialize(); err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	for m, ms := range ls.stream.Stats().Medias {
		for _, f := range ms.Formats {
			ls.ssrc[m] = f.LocalSSRC
		}
	}
	// The units since the latest keyframe are waiting in the
	// subscription: take them now, so the first reader starts with them
	// and with sender reports.
	for n := len(sub.C()); n > 0; n-- {
		s.send(ls, <-sub.C())
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ls.stream.Close()
		return nil, errors.New("the server is closing")
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go s.run(ls)
	s.Logger.Info("rtsp: live re-serve started", "stream", name, "epoch", sub.Epoch, "medias", len(desc.Medias))
	return ls, nil
}

// run is the live stream's goroutine: it packetizes the units and hands
// them to the readers until the publisher leaves, the last reader leaves,
// nobody set up within the server's read timeout, or the server closes.
func (s *Server) run(ls *liveStream) {
	defer s.wg.Done()
	reason := ""
	defer func() {
		ls.sub.Close()
		s.mu.Lock()
		if s.lives[ls.name] == ls {
			delete(s.lives, ls.name)
		}
		s.mu.Unlock()
		// Closing the stream closes its reader sessions: they may
		// reconnect, and find the next publisher.
		ls.stream.Close()
		close(ls.ended)
		s.Logger.Info("rtsp: live re-serve ended", "stream", ls.name, "reason", reason, "dropped_units", ls.sub.Dropped())
	}()
	tick := time.NewTicker(reportEvery)
	defer tick.Stop()
	for {
		select {
		case u := <-ls.sub.C():
			s.send(ls, u)
		case <-ls.sub.Done():
			for {
				select {
				case u := <-ls.sub.C():
					s.send(ls, u)
					continue
				default:
				}
				break
			}
			reason = "the publisher left"
			return
		case <-ls.quit:
			reason = "no readers"
			return
		case <-s.ctx.Done():
			reason = "the server is closing"
			return
		case <-tick.C:
			ls.report()
			ls.mu.Lock()
			idle := len(ls.readers) == 0 && time.Since(ls.started) > s.ReadTimeout
			if idle {
				ls.stop() // under ls.mu: a reader being set up sees it
			}
			ls.mu.Unlock()
			if idle {
				reason = "nobody set up"
				return
			}
		}
	}
}

// send packetizes a unit and writes it to the readers that play.
func (s *Server) send(ls *liveStream, u fragments.Unit) {
	if u.Track < 0 || u.Track >= len(ls.tracks) || ls.tracks[u.Track] == nil {
		return
	}
	o := ls.tracks[u.Track]
	pkts, err := o.pk.Packets(u.Data, u.PTS)
	if err != nil {
		s.Logger.Debug("rtsp: packetize", "stream", ls.name, "track", u.Track, "err", err)
		return
	}
	key := u.Random && (u.Track == ls.key || ls.key < 0)
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.anchor.IsZero() {
		// Sender reports map media time to wall clock by one fixed anchor:
		// a producer clock that slews would make players' timestamps jump.
		at := u.Producer
		if at.IsZero() {
			at = u.Arrival
		}
		ls.anchor = at.Add(-mediaTime(u.PTS, o.pk.ClockRate()))
	}
	if at := ls.anchor.Add(mediaTime(u.PTS, o.pk.ClockRate())); at.After(ls.latest) {
		ls.latest = at
	}
	l := &ls.last[u.Track]
	for _, p := range pkts {
		l.packets++
		l.octets += uint32(len(p.Payload))
	}
	switch {
	case key && ls.key >= 0:
		ls.cache, ls.cacheOK = ls.cache[:0], true
	case ls.key < 0:
		ls.cache = ls.cache[:0] // audio only: no cache needed
	}
	if ls.cacheOK && ls.key >= 0 {
		if len(ls.cache)+len(pkts) > s.ReaderQueue/2 {
			ls.cache, ls.cacheOK = nil, false
		} else {
			for _, p := range pkts {
				ls.cache = append(ls.cache, cachedPacket{media: o.media, pkt: p})
			}
		}
	}
	for ss, r := range ls.readers {
		if !r.playing {
			continue
		}
		if r.waitKey {
			if !key {
				continue
			}
			r.waitKey = false
		}
		if !r.medias[o.media] {
			continue
		}
		for i, p := range pkts {
			if err := ss.WritePacketRTP(o.media, p); err != nil {
				s.fellBehind(ls, r, len(pkts)-i, err)
				break
			}
		}
	}
}

// fellBehind marks a reader that could not take a packet: it skips to the
// next keyframe.
func (s *Server) fellBehind(ls *liveStream, r *liveReader, lost int, err error) {
	r.waitKey = true
	r.dropped += int64(lost)
	r.losses++
	if r.losses <= 3 || r.losses%100 == 0 {
		s.Logger.Warn("rtsp: reader too slow, skipping to the next keyframe", "stream", ls.name, "remote", r.remote,
			"times", r.losses, "dropped_packets", r.dropped, "err", err)
	}
}

// report sends RTCP sender reports (the wall clock of an RTP timestamp of
// each medium) to the readers that play: players align audio and video
// with them.
func (ls *liveStream) report() {
	ls.mu.Lock()
	srs := ls.senderReportsLocked()
	ls.mu.Unlock()
	for m, sr := range srs {
		ls.stream.WritePacketRTCP(m, sr) //nolint:errcheck // a closed stream has no readers left
	}
}

// senderReportsLocked makes a sender report of every medium, all for the
// same instant (the latest unit's), so that a player can place each
// medium's packets, even one that has sent none yet.
func (ls *liveStream) senderReportsLocked() map[*description.Media]*rtcp.SenderReport {
	if ls.latest.IsZero() {
		return nil
	}
	d := ls.latest.Sub(ls.anchor)
	out := map[*description.Media]*rtcp.SenderReport{}
	for i, o := range ls.tracks {
		if o == nil {
			continue
		}
		rate := o.pk.ClockRate()
		ticks := int64(d/time.Second)*rate + int64(d%time.Second)*rate/int64(time.Second)
		out[o.media] = &rtcp.SenderReport{SSRC: ls.ssrc[o.media], NTPTime: ingest.NTPStamp(ls.latest), RTPTime: o.pk.Timestamp(ticks),
			PacketCount: ls.last[i].packets, OctetCount: ls.last[i].octets}
	}
	return out
}

// mediaTime converts ticks of a clock of rate to a duration.
func mediaTime(ticks, rate int64) time.Duration {
	return time.Duration(ticks/rate)*time.Second + time.Duration(ticks%rate*int64(time.Second)/rate)
}

// OnDescribe answers readers with the live stream's description.
func (s *Server) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	name := pathStream(ctx.Path)
	if res, err := s.authorize(ctx.Conn, ctx.Request, ingest.ActionRead, name); res != nil {
		return res, nil, err
	}
	ls, res, err := s.live(name, ctx.Conn.NetConn().RemoteAddr().String())
	if res != nil {
		return res, nil, err
	}
	return &base.Response{StatusCode: base.StatusOK}, ls.stream, nil
}

// setupReader accepts a reader's SETUP: every medium of a session comes
// from the live stream its first SETUP found.
func (s *Server) setupReader(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	name := pathStream(ctx.Path)
	if res, err := s.authorize(ctx.Conn, ctx.Request, ingest.ActionRead, name); res != nil {
		return res, nil, err
	}
	s.mu.Lock()
	ls := s.readers[ctx.Session]
	s.mu.Unlock()
	if ls != nil {
		return &base.Response{StatusCode: base.StatusOK}, ls.stream, nil
	}
	remote := ctx.Conn.NetConn().RemoteAddr().String()
	for {
		ls, res, err := s.live(name, remote)
		if res != nil {
			return res, nil, err
		}
		ls.mu.Lock()
		if ls.over() {
			// Its last reader left just now: start another.
			ls.mu.Unlock()
			<-ls.ended
			continue
		}
		ls.readers[ctx.Session] = &liveReader{remote: remote}
		ls.mu.Unlock()
		s.mu.Lock()
		s.readers[ctx.Session] = ls
		s.mu.Unlock()
		return &base.Response{StatusCode: base.StatusOK}, ls.stream, nil
	}
}

// OnPlay starts a reader: the packets since the latest keyframe, then
// live.
func (s *Server) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	s.mu.Lock()
	ls := s.readers[ctx.Session]
	s.mu.Unlock()
	if ls == nil {
		return &base.Response{StatusCode: base.StatusBadRequest}, errors.New("PLAY without SETUP")
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	r := ls.readers[ctx.Session]
	if r == nil {
		return notFound("Stream Not Live"), errors.New("the publisher left")
	}
	if r.playing {
		return &base.Response{StatusCode: base.StatusOK}, nil
	}
	r.medias = map[*description.Media]bool{}
	for _, m := range ctx.Session.SetuppedMedias() {
		r.medias[m] = true
	}
	r.playing, r.waitKey = true, !ls.cacheOK
	// The session's writer holds these until the answer has gone: sender
	// reports first, so that a player times the very first packets as
	// it will all others, then the packets since the latest keyframe.
	for m, sr := range ls.senderReportsLocked() {
		if r.medias[m] {
			ctx.Session.WritePacketRTCP(m, sr) //nolint:errcheck // as for packets: the writer takes it or the session is gone
		}
	}
	if ls.cacheOK {
		for i, c := range ls.cache {
			if !r.medias[c.media] {
				continue
			}
			if err := ctx.Session.WritePacketRTP(c.media, c.pkt); err != nil {
				s.fellBehind(ls, r, len(ls.cache)-i, err)
				break
			}
		}
	}
	s.Logger.Info("rtsp: reader playing", "stream", ls.name, "remote", r.remote, "transport", ctx.Session.SetuppedTransport().String(),
		"from_keyframe", !r.waitKey)
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnPause stops sending to a reader until it plays again.
func (s *Server) OnPause(ctx *gortsplib.ServerHandlerOnPauseCtx) (*base.Response, error) {
	s.mu.Lock()
	ls := s.readers[ctx.Session]
	s.mu.Unlock()
	if ls != nil {
		ls.mu.Lock()
		if r := ls.readers[ctx.Session]; r != nil {
			r.playing = false
		}
		ls.mu.Unlock()
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// readerLeft forgets a reader session; the last one out stops the live
// stream.
func (s *Server) readerLeft(ss *gortsplib.ServerSession, reason error) {
	s.mu.Lock()
	ls := s.readers[ss]
	delete(s.readers, ss)
	s.mu.Unlock()
	if ls == nil {
		return
	}
	ls.mu.Lock()
	r := ls.readers[ss]
	delete(ls.readers, ss)
	if len(ls.readers) == 0 {
		ls.stop() // under ls.mu: a reader being set up sees it
	}
	ls.mu.Unlock()
	if r != nil {
		s.Logger.Info("rtsp: reader left", "stream", ls.name, "remote", r.remote, "reason", reason, "dropped_packets", r.dropped)
	}
}

// OnStreamWriteError logs what the live streams could not send (RTCP to a
// full queue); readers' RTP is handled where it is written.
func (s *Server) OnStreamWriteError(ctx *gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	s.Logger.Debug("rtsp: write to reader", "err", ctx.Error)
}

// closeLive stops every live stream and waits for their goroutines.
func (s *Server) closeLive() {
	s.mu.Lock()
	s.closed = true
	lives := make([]*liveStream, 0, len(s.lives))
	for _, ls := range s.lives {
		lives = append(lives, ls)
	}
	s.mu.Unlock()
	for _, ls := range lives {
		ls.stop()
	}
	s.wg.Wait()
}
