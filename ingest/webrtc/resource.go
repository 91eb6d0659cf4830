package webrtc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest"
)

// Viewer is a WHEP session as the resource layer sees it (playback
// provides it through the Play hook); a WHIP publisher is one too.
type Viewer interface {
	PeerConnection() *webrtc.PeerConnection
	// Close ends the session and frees everything; it waits for that.
	Close() error
	// Done is closed when the session has ended by itself or by Close.
	Done() <-chan struct{}
}

// PlayFunc answers a WHEP offer for stream with a running session and
// its complete SDP answer. An error may implement HTTPStatus() int (404
// for a stream without a publisher, say); its text is shown to the client.
type PlayFunc func(ctx context.Context, api *webrtc.API, stream, offer string) (Viewer, string, error)

// Kinds of resource.
const (
	kindWHIP = "whip"
	kindWHEP = "whep"
)

// HandlerConfig wires a Handler.
type HandlerConfig struct {
	Transport *Transport
	Manager   *ingest.Manager
	Access    *Access
	// Play serves WHEP; nil answers /whep with 501.
	Play   PlayFunc
	Logger *slog.Logger
}

// Handler serves the WHIP and WHEP resources.
type Handler struct {
	cfg HandlerConfig
	log *slog.Logger

	mu     sync.Mutex
	res    map[string]*resource
	closed bool
	wg     sync.WaitGroup
	starts atomic.Int64
}

type resource struct {
	id, kind, stream string
	s                Viewer
	mu               sync.Mutex // serializes PATCHes
	etag             string
}

// maxSDP bounds an offer or a PATCH body.
const maxSDP = 128 << 10

// NewHandler returns a handler over a transport.
func NewHandler(cfg HandlerConfig) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Access == nil {
		cfg.Access = &Access{}
	}
	return &Handler{cfg: cfg, log: cfg.Logger, res: map[string]*resource{}}
}

// statusError is an error with the HTTP status to answer.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string   { return e.msg }
func (e *statusError) HTTPStatus() int { return e.code }

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Del("ETag")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// exposed are the headers a cross-origin page's script reads.
const exposed = "Location, ETag, Link, Accept-Patch, Content-Type, x-amzn-RequestId"

func (h *Handler) common(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Access-Control-Expose-Headers", exposed)
	hd.Set("Accept-Patch", "application/trickle-ice-sdpfrag")
	for _, l := range h.cfg.Transport.linkHeaders() {
		hd.Add("Link", l)
	}
}

// LinkHeaders are the ICE servers as Link header values, for answers made
// elsewhere (CORS preflights).
func (h *Handler) LinkHeaders() []string { return h.cfg.Transport.linkHeaders() }

// ServeOffer serves /whip/{stream} and /whep/{stream}: POST an offer,
// OPTIONS for the ICE servers.
func (h *Handler) ServeOffer(w http.ResponseWriter, r *http.Request, kind, stream string) {
	h.common(w)
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Allow", "OPTIONS, POST")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "OPTIONS, POST")
		httpError(w, http.StatusMethodNotAllowed, "POST an SDP offer (Content-Type: application/sdp)")
		return
	}
	if !h.allow(w, r, kind, stream) {
		return
	}
	if kind == kindWHEP && h.cfg.Play == nil {
		httpError(w, http.StatusNotImplemented, "WHEP playback is not available in this build")
		return
	}
	if err := fragments.CheckStreamName(stream); err != nil {
		httpError(w, http.StatusBadRequest, "the path does not name a stream: "+err.Error())
		return
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/sdp" {
		httpError(w, http.StatusUnsupportedMediaType, "the offer must be sent with Content-Type: application/sdp")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSDP+1))
	if err != nil {
		httpError(w, http.StatusBadRequest, "cannot read the offer: "+err.Error())
		return
	}
	if len(body) > maxSDP {
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the offer is larger than %d bytes", maxSDP))
		return
	}
	var desc sdp.SessionDescription
	if err := desc.Unmarshal(body); err != nil {
		httpError(w, http.StatusBadRequest, "the offer is not a valid SDP: "+err.Error())
		return
	}
	if len(desc.MediaDescriptions) == 0 {
		httpError(w, http.StatusBadRequest, "the offer has no media sections")
		return
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		httpError(w, http.StatusServiceUnavailable, errClosed.Error())
		return
	}
	var s Viewer
	var answer string
	if kind == kindWHIP {
		s, answer, err = h.publish(r, stream, &desc)
	} else {
		s, answer, err = h.cfg.Play(r.Context(), h.cfg.Transport.api, stream, string(body))
	}
	if err != nil {
		code := http.StatusInternalServerError
		var hs interface{ HTTPStatus() int }
		if errors.As(err, &hs) {
			code = hs.HTTPStatus()
		}
		if code >= 500 {
			h.log.Warn("webrtc: session refused", "kind", kind, "stream", stream, "remote", r.RemoteAddr, "err", err)
		} else {
			h.log.Info("webrtc: session refused", "kind", kind, "stream", stream, "remote", r.RemoteAddr, "err", err)
		}
		httpError(w, code, err.Error())
		return
	}
	res := &resource{id: newID(), kind: kind, stream: stream, s: s, etag: `"` + newID() + `"`}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		s.Close()
		httpError(w, http.StatusServiceUnavailable, errClosed.Error())
		return
	}
	h.res[res.id] = res
	h.wg.Add(1)
	h.mu.Unlock()
	go h.watch(res)
	w.Header().Set("Content-Type", "application/sdp")
	loc := "/" + kind + "/" + stream + "/" + res.id
	if r.URL.RawQuery != "" {
		// Credentials in the query (a presigned one) authorize the
		// session's PATCH and DELETE too.
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", loc)
	w.Header().Set("ETag", res.etag)
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer)
}

// watch forgets a resource once its session has ended.
func (h *Handler) watch(res *resource) {
	defer h.wg.Done()
	<-res.s.Done()
	h.mu.Lock()
	delete(h.res, res.id)
	h.mu.Unlock()
}

// publish starts a WHIP publisher for an offer.
func (h *Handler) publish(r *http.Request, stream string, desc *sdp.SessionDescription) (Viewer, string, error) {
	plans, tracks, err := choose(desc)
	if err != nil {
		return nil, "", &statusError{code: http.StatusNotAcceptable, msg: err.Error()}
	}
	offer, err := desc.Marshal()
	if err != nil {
		return nil, "", &statusError{code: http.StatusBadRequest, msg: "the offer cannot be used: " + err.Error()}
	}
	var keyframe atomic.Pointer[func()]
	sess, err := h.cfg.Manager.Start(ingest.Request{Stream: stream, Protocol: "webrtc", Remote: r.RemoteAddr, Tracks: tracks,
		RequestKeyframe: func() {
			if f := keyframe.Load(); f != nil {
				(*f)()
			}
		}})
	switch {
	case errors.Is(err, ingest.ErrBusy):
		return nil, "", &statusError{code: http.StatusConflict, msg: "the stream " + stream + " already has a publisher"}
	case errors.Is(err, ingest.ErrNoStream):
		return nil, "", &statusError{code: http.StatusNotFound, msg: "no stream " + stream + ", and creating streams on publish is off"}
	case errors.Is(err, ingest.ErrClosed):
		return nil, "", &statusError{code: http.StatusServiceUnavailable, msg: "the server is shutting down"}
	case errors.Is(err, fragments.ErrUnsupportedCodec):
		return nil, "", &statusError{code: http.StatusNotAcceptable, msg: "the stream cannot store what was offered (" + err.Error() + "); accepted are " + accepted}
	case err != nil:
		return nil, "", fmt.Errorf("webrtc: start session: %w", err)
	}
	p, answer, err := h.startPublisher(r.Context(), stream, r.RemoteAddr, string(offer), plans, sess, func(f func()) { keyframe.Store(&f) })
	if err != nil {
		sess.Close()
		return nil, "", err
	}
	h.starts.Add(1)
	return p, answer, nil
}

// allow is the access check of a request on a stream: publishing for
// WHIP, reading for WHEP.
func (h *Handler) allow(w http.ResponseWriter, r *http.Request, kind, stream string) bool {
	action := ingest.ActionPublish
	if kind == kindWHEP {
		action = ingest.ActionRead
	}
	return h.cfg.Access.Allow(w, r, action, stream)
}

// ServeResource serves the session resource /{kind}/{stream}/{id}: PATCH
// (trickle ICE, ICE restart), DELETE, OPTIONS.
func (h *Handler) ServeResource(w http.ResponseWriter, r *http.Request, kind, stream, id string) {
	h.common(w)
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", "OPTIONS, PATCH, DELETE")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !h.allow(w, r, kind, stream) {
		return
	}
	h.mu.Lock()
	res := h.res[id]
	h.mu.Unlock()
	if res == nil || res.kind != kind || res.stream != stream {
		httpError(w, http.StatusNotFound, "no such session (it ended, or never was)")
		return
	}
	switch r.Method {
	case http.MethodDelete:
		res.s.Close()
		h.mu.Lock()
		delete(h.res, id)
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	case http.MethodPatch:
		h.patch(w, r, res)
	default:
		w.Header().Set("Allow", "OPTIONS, PATCH, DELETE")
		httpError(w, http.StatusMethodNotAllowed, "PATCH (trickle ICE) or DELETE the session")
	}
}

// patch applies a trickle-ice-sdpfrag: new remote candidates, or with new
// credentials an ICE restart answered with the server's own fragment.
func (h *Handler) patch(w http.ResponseWriter, r *http.Request, res *resource) {
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/trickle-ice-sdpfrag" {
		httpError(w, http.StatusUnsupportedMediaType, "PATCH takes Content-Type: application/trickle-ice-sdpfrag")
		return
	}
	res.mu.Lock()
	defer res.mu.Unlock()
	match := r.Header.Get("If-Match")
	switch {
	case match == "":
		httpError(w, http.StatusPreconditionRequired, "PATCH needs If-Match with the session's ETag")
		return
	case match != "*" && match != res.etag:
		httpError(w, http.StatusPreconditionFailed, "If-Match does not match the session's ETag "+res.etag)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSDP+1))
	if err != nil || len(body) > maxSDP {
		httpError(w, http.StatusBadRequest, "cannot read the fragment")
		return
	}
	frag, err := parseFrag(string(body))
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	pc := res.s.PeerConnection()
	rd := pc.RemoteDescription()
	if rd == nil {
		httpError(w, http.StatusConflict, "the session has no remote description")
		return
	}
	var cur sdp.SessionDescription
	if err := cur.UnmarshalString(rd.SDP); err != nil {
		httpError(w, http.StatusInternalServerError, "the session's offer cannot be read: "+err.Error())
		return
	}
	curUfrag, curPwd := iceCreds(&cur)
	restart := (frag.ufrag != "" && frag.ufrag != curUfrag) || (frag.pwd != "" && frag.pwd != curPwd)
	if !restart {
		firstMid := ""
		if len(cur.MediaDescriptions) > 0 {
			firstMid, _ = cur.MediaDescriptions[0].Attribute("mid")
		}
		for _, c := range frag.cands {
			mid := c.mid
			if mid == "" {
				mid = firstMid
			}
			if err := pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c.line, SDPMid: &mid}); err != nil {
				httpError(w, http.StatusBadRequest, "candidate refused: "+err.Error())
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if frag.ufrag == "" || frag.pwd == "" {
		httpError(w, http.StatusBadRequest, "an ICE restart needs both a=ice-ufrag and a=ice-pwd")
		return
	}
	// ICE restart: the offer again with the new credentials and candidates.
	setCreds(&cur, frag)
	offer, err := cur.Marshal()
	if err != nil {
		httpError(w, http.StatusBadRequest, "the restart offer cannot be made: "+err.Error())
		return
	}
	answer, err := negotiate(r.Context(), pc, string(offer))
	if err != nil {
		code := http.StatusInternalServerError
		var hs interface{ HTTPStatus() int }
		if errors.As(err, &hs) {
			code = hs.HTTPStatus()
		}
		httpError(w, code, "ICE restart failed: "+err.Error())
		return
	}
	out, err := answerFrag(answer)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	res.etag = `"` + newID() + `"`
	h.log.Info("webrtc: ICE restart", "kind", res.kind, "stream", res.stream)
	w.Header().Set("Content-Type", "application/trickle-ice-sdpfrag")
	w.Header().Set("ETag", res.etag)
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, out)
}

// Sessions is the number of live WHIP and WHEP sessions.
func (h *Handler) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.res)
}

// Close ends every session and refuses new ones; it waits for them to
// have freed everything.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	list := make([]*resource, 0, len(h.res))
	for _, r := range h.res {
		list = append(list, r)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.s.Close()
		}()
	}
	wg.Wait()
	h.wg.Wait()
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sdpFrag is a parsed trickle-ice-sdpfrag (RFC 8840).
type sdpFrag struct {
	ufrag, pwd string
	cands      []fragCand
}

type fragCand struct{ mid, line string }

func parseFrag(s string) (sdpFrag, error) {
	var f sdpFrag
	mid := ""
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case line == "":
		case strings.HasPrefix(line, "m="):
			mid = ""
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			f.ufrag = strings.TrimPrefix(line, "a=ice-ufrag:")
		case strings.HasPrefix(line, "a=ice-pwd:"):
			f.pwd = strings.TrimPrefix(line, "a=ice-pwd:")
		case strings.HasPrefix(line, "a=candidate:"):
			f.cands = append(f.cands, fragCand{mid: mid, line: strings.TrimPrefix(line, "a=")})
		case strings.HasPrefix(line, "a="), strings.HasPrefix(line, "c="):
			// end-of-candidates, ice-options, group...: nothing to do
		default:
			return f, fmt.Errorf("the fragment has a line that is not SDP: %q", line)
		}
	}
	return f, nil
}

// iceCreds reads an SDP's ICE credentials (media level, else session).
func iceCreds(d *sdp.SessionDescription) (ufrag, pwd string) {
	ufrag, _ = d.Attribute("ice-ufrag")
	pwd, _ = d.Attribute("ice-pwd")
	for _, md := range d.MediaDescriptions {
		if u, ok := md.Attribute("ice-ufrag"); ok {
			ufrag = u
		}
		if p, ok := md.Attribute("ice-pwd"); ok {
			pwd = p
		}
		if ufrag != "" {
			break
		}
	}
	return ufrag, pwd
}

// setCreds puts a restart's credentials and candidates into an offer.
func setCreds(d *sdp.SessionDescription, f sdpFrag) {
	fix := func(attrs []sdp.Attribute) []sdp.Attribute {
		out := attrs[:0]
		for _, a := range attrs {
			switch a.Key {
			case "ice-ufrag":
				a.Value = f.ufrag
			case "ice-pwd":
				a.Value = f.pwd
			case "candidate", "end-of-candidates":
				continue
			}
			out = append(out, a)
		}
		return out
	}
	d.Attributes = fix(d.Attributes)
	for i, md := range d.MediaDescriptions {
		md.Attributes = fix(md.Attributes)
		mid, _ := md.Attribute("mid")
		for _, c := range f.cands {
			if c.mid == mid || (c.mid == "" && i == 0) {
				md.Attributes = append(md.Attributes, sdp.NewAttribute("candidate", strings.TrimPrefix(c.line, "candidate:")))
			}
		}
	}
}

// answerFrag is the server's side of an ICE restart: its credentials and
// candidates, as a trickle-ice-sdpfrag.
func answerFrag(answer string) (string, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		return "", fmt.Errorf("webrtc: restart answer: %w", err)
	}
	ufrag, pwd := iceCreds(&d)
	var b strings.Builder
	fmt.Fprintf(&b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", ufrag, pwd)
	// One bundle: the first section carries the candidates.
	if len(d.MediaDescriptions) > 0 {
		md := d.MediaDescriptions[0]
		mid, _ := md.Attribute("mid")
		fmt.Fprintf(&b, "m=%s 9 %s %s\r\na=mid:%s\r\n", md.MediaName.Media, strings.Join(md.MediaName.Protos, "/"), strings.Join(md.MediaName.Formats, " "), mid)
		for _, a := range md.Attributes {
			if a.Key == "candidate" {
				fmt.Fprintf(&b, "a=candidate:%s\r\n", a.Value)
			}
		}
		b.WriteString("a=end-of-candidates\r\n")
	}
	return b.String(), nil
}
