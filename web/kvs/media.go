package kvs

import (
	"context"
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/playback"
	"github.com/shardcast/shardcast/web/awsapi"
)

// ---- GetHLSStreamingSessionURL ---------------------------------------------

type hlsSessionInput struct {
	streamInput
	PlaybackMode                    *string           `json:"PlaybackMode"`
	HLSFragmentSelector             *fragmentSelector `json:"HLSFragmentSelector"`
	ContainerFormat                 *string           `json:"ContainerFormat"`
	DiscontinuityMode               *string           `json:"DiscontinuityMode"`
	DisplayFragmentTimestamp        *string           `json:"DisplayFragmentTimestamp"`
	Expires                         *int              `json:"Expires"`
	MaxMediaPlaylistFragmentResults *int              `json:"MaxMediaPlaylistFragmentResults"`
}

func (in *hlsSessionInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	v.Enum("playbackMode", in.PlaybackMode, playback.ModeLive, playback.ModeReplay, playback.ModeOnDemand)
	if s := in.HLSFragmentSelector; s != nil {
		v.Enum("hLSFragmentSelector.fragmentSelectorType", s.FragmentSelectorType, fragments.ProducerTimestamp, fragments.ServerTimestamp)
	}
	v.Enum("containerFormat", in.ContainerFormat, playback.ContainerFMP4, playback.ContainerTS)
	v.Enum("discontinuityMode", in.DiscontinuityMode, playback.DiscontinuityAlways, playback.DiscontinuityNever, playback.DiscontinuityOn)
	v.Enum("displayFragmentTimestamp", in.DisplayFragmentTimestamp, "ALWAYS", "NEVER")
	v.Int("expires", in.Expires, 300, 43200)
	v.Int("maxMediaPlaylistFragmentResults", in.MaxMediaPlaylistFragmentResults, 1, 5000)
}

func (h *Handler) getHLSStreamingSessionURL(r *http.Request, body []byte) (any, error) {
	in, err := decode[hlsSessionInput](body)
	if err != nil {
		return nil, err
	}
	req := playback.HLSInput{Stream: in.ref(), PlaybackMode: deref(in.PlaybackMode), ContainerFormat: deref(in.ContainerFormat),
		Discontinuity: deref(in.DiscontinuityMode), DisplayTimestamp: deref(in.DisplayFragmentTimestamp),
		Expires: int64(deref(in.Expires)), MaxResults: int64(deref(in.MaxMediaPlaylistFragmentResults))}
	req.SelectorType, req.Start, req.End = in.HLSFragmentSelector.values()
	path, err := h.cfg.Playback.StartHLS(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return struct {
		URL string `json:"HLSStreamingSessionURL"`
	}{h.baseURL(r) + "/" + path}, nil
}

// ---- GetDASHStreamingSessionURL --------------------------------------------

type dashSessionInput struct {
	streamInput
	PlaybackMode               *string           `json:"PlaybackMode"`
	DASHFragmentSelector       *fragmentSelector `json:"DASHFragmentSelector"`
	DisplayFragmentTimestamp   *string           `json:"DisplayFragmentTimestamp"`
	DisplayFragmentNumber      *string           `json:"DisplayFragmentNumber"`
	Expires                    *int              `json:"Expires"`
	MaxManifestFragmentResults *int              `json:"MaxManifestFragmentResults"`
}

func (in *dashSessionInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	v.Enum("playbackMode", in.PlaybackMode, playback.ModeLive, playback.ModeReplay, playback.ModeOnDemand)
	if s := in.DASHFragmentSelector; s != nil {
		v.Enum("dASHFragmentSelector.fragmentSelectorType", s.FragmentSelectorType, fragments.ProducerTimestamp, fragments.ServerTimestamp)
	}
	v.Enum("displayFragmentTimestamp", in.DisplayFragmentTimestamp, "ALWAYS", "NEVER")
	v.Enum("displayFragmentNumber", in.DisplayFragmentNumber, "ALWAYS", "NEVER")
	v.Int("expires", in.Expires, 300, 43200)
	v.Int("maxManifestFragmentResults", in.MaxManifestFragmentResults, 1, 5000)
}

func (h *Handler) getDASHStreamingSessionURL(r *http.Request, body []byte) (any, error) {
	in, err := decode[dashSessionInput](body)
	if err != nil {
		return nil, err
	}
	req := playback.DASHInput{Stream: in.ref(), PlaybackMode: deref(in.PlaybackMode),
		DisplayTimestamp: deref(in.DisplayFragmentTimestamp), DisplayNumber: deref(in.DisplayFragmentNumber),
		Expires: int64(deref(in.Expires)), MaxResults: int64(deref(in.MaxManifestFragmentResults))}
	req.SelectorType, req.Start, req.End = in.DASHFragmentSelector.values()
	path, err := h.cfg.Playback.StartDASH(r.Context(), req)
	if err != nil {
		return nil, err
	}
	return struct {
		URL string `json:"DASHStreamingSessionURL"`
	}{h.baseURL(r) + "/" + path}, nil
}

// ---- streaming answers -----------------------------------------------------

// countingWriter notes whether the answer has begun.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

// stream writes a media answer: errors before the first byte are AWS
// errors, later ones end the stream (the client sees it cut short).
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, contentType string, run func(w *countingWriter, flush func()) error) {
	w.Header().Set("Content-Type", contentType)
	cw := &countingWriter{ResponseWriter: w}
	rc := http.NewResponseController(w)
	flush := func() { rc.Flush() }
	err := run(cw, flush)
	switch {
	case err == nil:
	case cw.n == 0 && !errors.Is(err, context.Canceled):
		w.Header().Del("Content-Type")
		awsapi.WriteError(w, r, h.cfg.Logger, errorTable, awsapi.RESTJSON, err)
	default:
		if !errors.Is(err, context.Canceled) {
			h.cfg.Logger.Warn("kvs: media answer cut short", "path", r.URL.Path, "bytes", cw.n, "err", err)
		}
	}
}

type getMediaInput struct {
	streamInput
	StartSelector *struct {
		StartSelectorType   *string           `json:"StartSelectorType"`
		AfterFragmentNumber *string           `json:"AfterFragmentNumber"`
		StartTimestamp      *awsapi.Timestamp `json:"StartTimestamp"`
		ContinuationToken   *string           `json:"ContinuationToken"`
	} `json:"StartSelector"`
}

func (in *getMediaInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	if v.Required("startSelector", in.StartSelector != nil) {
		s := in.StartSelector
		if v.Required("startSelector.startSelectorType", s.StartSelectorType != nil) {
			v.Enum("startSelector.startSelectorType", s.StartSelectorType, playback.StartNow, playback.StartEarliest,
				playback.StartFragmentNumber, playback.StartServerTimestamp, playback.StartProducerTimestamp, playback.StartContinuationToken)
		}
		v.String("startSelector.afterFragmentNumber", s.AfterFragmentNumber, fragmentNumberPattern, 1, 128)
		v.String("startSelector.continuationToken", s.ContinuationToken, continuationPattern, 1, 128)
	}
}

func (h *Handler) getMedia(w http.ResponseWriter, r *http.Request, body []byte) error {
	in, err := decode[getMediaInput](body)
	if err != nil {
		return err
	}
	s := in.StartSelector
	req := playback.MediaInput{Stream: in.ref(), StartType: deref(s.StartSelectorType),
		AfterFragmentNumber: deref(s.AfterFragmentNumber), ContinuationToken: deref(s.ContinuationToken)}
	if s.StartTimestamp != nil {
		req.StartTimestamp = &s.StartTimestamp.Time
	}
	m, err := h.cfg.Playback.GetMedia(r.Context(), req)
	if err != nil {
		return err
	}
	h.stream(w, r, m.ContentType(), func(cw *countingWriter, flush func()) error { return m.Run(r.Context(), cw, flush) })
	return nil
}

type fragmentListInput struct {
	streamInput
	Fragments []string `json:"Fragments"`
}

func (in *fragmentListInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	if v.Required("fragments", in.Fragments != nil) {
		v.Len("fragments", len(in.Fragments), "", 1, 1000)
		for i := range in.Fragments {
			v.String("fragments.member", &in.Fragments[i], fragmentNumberPattern, 1, 128)
		}
	}
}

func (h *Handler) getMediaForFragmentList(w http.ResponseWriter, r *http.Request, body []byte) error {
	in, err := decode[fragmentListInput](body)
	if err != nil {
		return err
	}
	m, err := h.cfg.Playback.GetMediaForFragmentList(in.ref(), in.Fragments)
	if err != nil {
		return err
	}
	h.stream(w, r, m.ContentType(), func(cw *countingWriter, flush func()) error { return m.Run(r.Context(), cw, flush) })
	return nil
}

type getClipInput struct {
	streamInput
	ClipFragmentSelector *fragmentSelector `json:"ClipFragmentSelector"`
}

func (in *getClipInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	if v.Required("clipFragmentSelector", in.ClipFragmentSelector != nil) {
		s := in.ClipFragmentSelector
		if v.Required("clipFragmentSelector.fragmentSelectorType", s.FragmentSelectorType != nil) {
			v.Enum("clipFragmentSelector.fragmentSelectorType", s.FragmentSelectorType, fragments.ProducerTimestamp, fragments.ServerTimestamp)
		}
		if v.Required("clipFragmentSelector.timestampRange", s.TimestampRange != nil) {
			v.Required("clipFragmentSelector.timestampRange.startTimestamp", s.TimestampRange.StartTimestamp != nil)
			v.Required("clipFragmentSelector.timestampRange.endTimestamp", s.TimestampRange.EndTimestamp != nil)
		}
	}
}

func (h *Handler) getClip(w http.ResponseWriter, r *http.Request, body []byte) error {
	in, err := decode[getClipInput](body)
	if err != nil {
		return err
	}
	s := in.ClipFragmentSelector
	req := playback.ClipInput{Stream: in.ref(), SelectorType: *s.FragmentSelectorType,
		Start: &s.TimestampRange.StartTimestamp.Time, End: &s.TimestampRange.EndTimestamp.Time}
	h.stream(w, r, playback.ClipContentType, func(cw *countingWriter, _ func()) error { return h.cfg.Playback.GetClip(r.Context(), req, cw) })
	return nil
}

// ---- HLS resources ---------------------------------------------------------

// ServeHLS answers GET /hls/v1/{name} (session resources, authorized by their
// SessionToken) and GET /hls/{stream}/{name} (the plain live URLs). Both
// allow any origin, so browser players on other sites can use them.
func (h *Handler) ServeHLS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	var res *playback.Resource
	var err error
	if stream := chi.URLParam(r, "stream"); stream != "" {
		res, err = h.cfg.Playback.PlainHLS(r.Context(), stream, chi.URLParam(r, "name"), r.URL.Query())
	} else {
		res, err = h.cfg.Playback.HLS(r.Context(), chi.URLParam(r, "name"), r.URL.Query())
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		awsapi.WriteError(w, r, h.cfg.Logger, errorTable, awsapi.RESTJSON, err)
		return
	}
	w.Header().Set("Content-Type", res.ContentType)
	if res.Live {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Write(res.Body)
}

// ServeDASH answers GET /dash/v1/{name}: the resources of a DASH session,
// authorized by their SessionToken, for any origin.
func (h *Handler) ServeDASH(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	res, err := h.cfg.Playback.DASH(r.Context(), chi.URLParam(r, "name"), r.URL.Query())
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		awsapi.WriteError(w, r, h.cfg.Logger, errorTable, awsapi.RESTJSON, err)
		return
	}
	w.Header().Set("Content-Type", res.ContentType)
	if res.Live {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Write(res.Body)
}
