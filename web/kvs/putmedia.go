package kvs

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/ingest"
	"github.com/shardcast/shardcast/ingest/putmedia"
	"github.com/shardcast/shardcast/web/awsapi"
)

// ---- PutMedia ---------------------------------------------------------------

// PutMedia headers.
const (
	hdrStreamName    = "x-amzn-stream-name"
	hdrStreamARN     = "x-amzn-stream-arn"
	hdrTimecodeType  = "x-amzn-fragment-timecode-type"
	hdrProducerStart = "x-amzn-producer-start-timestamp"
	hdrAckRequired   = "x-amzn-fragment-acknowledgment-required"
)

// ackWriteTimeout bounds the write of one acknowledgement.
const ackWriteTimeout = 10 * time.Second

// ackRequired reads x-amzn-fragment-acknowledgment-required: the KVS
// producer libraries send 1.
func ackRequired(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

func invalidArgument(msg string) error {
	return &awsapi.APIError{Type: "InvalidArgumentException", Status: http.StatusBadRequest, Message: msg}
}

// putMedia answers POST /putMedia: the headers are checked and the
// publisher slot taken before the 200; then the body is read as it arrives
// while acknowledgements are written on the same connection (full duplex).
// The body is never read whole, so the signature covers the headers only
// (Auth.CheckStreamed).
func (h *Handler) putMedia(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	up, err := h.startPutMedia(r, rc)
	if err != nil {
		// The unread body must not be taken for a next request.
		w.Header().Set("Connection", "close")
		awsapi.WriteError(w, r, h.cfg.Logger, errorTable, awsapi.RESTJSON, err)
		return
	}
	if err := rc.EnableFullDuplex(); err != nil {
		h.cfg.Logger.Debug("kvs: PutMedia: no full duplex", "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	// The connection carries one upload: after it, whatever the producer
	// still sends is not a next request.
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusOK)
	rc.Flush()
	write := putmedia.JSONAcks(w, rc.Flush)
	required := ackRequired(r.Header.Get(hdrAckRequired))
	send := func(a putmedia.Ack) error {
		if !required && a.EventType != putmedia.EventError {
			// Only errors are answered: a producer that does not read the
			// answer (ffmpeg) must not find unread acknowledgements when
			// it closes, which would reset the connection under its last
			// bytes.
			return nil
		}
		// A producer that stops reading its acknowledgements ends the
		// upload, rather than holding the stream's slot forever.
		rc.SetWriteDeadline(time.Now().Add(ackWriteTimeout))
		return write(a)
	}
	if err := up.Run(r.Body, send); err != nil {
		h.cfg.Logger.Debug("kvs: PutMedia ended", "err", err)
	}
}

// startPutMedia checks a PutMedia request's headers and starts its upload.
func (h *Handler) startPutMedia(r *http.Request, rc *http.ResponseController) (*putmedia.Upload, error) {
	if err := h.cfg.Auth.CheckStreamed(r); err != nil {
		return nil, err
	}
	if h.cfg.PutMedia == nil {
		return nil, awsapi.Unsupported("PutMedia")
	}
	var in streamInput
	if v := r.Header.Get(hdrStreamName); v != "" {
		in.StreamName = &v
	}
	if v := r.Header.Get(hdrStreamARN); v != "" {
		in.StreamARN = &v
	}
	var v awsapi.Validator
	in.Check(&v)
	if err := v.Err(); err != nil {
		var ae *awsapi.APIError
		if errors.As(err, &ae) {
			ae.Type = "InvalidArgumentException" // as KVS reports validation failures
		}
		return nil, err
	}
	switch {
	case in.StreamName == nil && in.StreamARN == nil:
		return nil, invalidArgument("Either the stream name or the stream ARN must be specified (header " + hdrStreamName + " or " + hdrStreamARN + ").")
	case in.StreamName != nil && in.StreamARN != nil:
		return nil, invalidArgument("Specify either the stream name or the stream ARN, not both.")
	}
	req := putmedia.Request{Remote: r.RemoteAddr, TimecodeType: r.Header.Get(hdrTimecodeType)}
	switch req.TimecodeType {
	case putmedia.TimecodeAbsolute, putmedia.TimecodeRelative:
	case "":
		return nil, invalidArgument("The " + hdrTimecodeType + " header is required (ABSOLUTE or RELATIVE).")
	default:
		return nil, invalidArgument("1 validation error detected: Value '" + req.TimecodeType + "' at '" + hdrTimecodeType +
			"' failed to satisfy constraint: Member must satisfy enum value set: [ABSOLUTE, RELATIVE]")
	}
	if s := r.Header.Get(hdrProducerStart); s != "" {
		sec, err := strconv.ParseFloat(s, 64)
		if err != nil || sec < 0 || sec > math.MaxInt64/1e9 || math.IsNaN(sec) {
			return nil, invalidArgument("The " + hdrProducerStart + " header must be a timestamp in seconds since the epoch, not " + strconv.Quote(s) + ".")
		}
		whole, frac := math.Modf(sec)
		req.ProducerStart = time.Unix(int64(whole), int64(math.Round(frac*1e3))*1e6).UTC()
	} else if req.TimecodeType == putmedia.TimecodeRelative {
		return nil, invalidArgument("The " + hdrProducerStart + " header is required with RELATIVE fragment timecodes.")
	}
	st, err := h.cfg.Store.Lookup(in.ref())
	if err != nil {
		return nil, err
	}
	req.Stream = st.Info().Name
	// A read blocked on the body ends when the upload is idle too long or
	// the server closes: its deadline is moved to now.
	req.Interrupt = func() { rc.SetReadDeadline(time.Now()) }
	up, err := h.cfg.PutMedia.Start(req)
	switch {
	case errors.Is(err, ingest.ErrBusy):
		return nil, &awsapi.APIError{Type: "ConnectionLimitExceededException", Status: http.StatusBadRequest,
			Message: "The stream " + req.Stream + " already has a producer: one PutMedia connection (or camera) per stream."}
	case errors.Is(err, ingest.ErrNoStream):
		return nil, &awsapi.APIError{Type: "ResourceNotFoundException", Status: http.StatusNotFound,
			Message: "The stream " + req.Stream + " does not exist."}
	case err != nil:
		return nil, err
	}
	return up, nil
}
