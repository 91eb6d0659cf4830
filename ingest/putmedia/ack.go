package putmedia

import (
	"encoding/json"
	"io"
)

// Event types of acknowledgements.
const (
	EventBuffering = "BUFFERING"
	EventReceived  = "RECEIVED"
	EventPersisted = "PERSISTED"
	EventError     = "ERROR"
	EventIdle      = "IDLE"
)

// Ack is one acknowledgement event, as KVS encodes it: a JSON object.
type Ack struct {
	EventType string `json:"EventType"`
	// FragmentTimecode is the cluster's Timecode as sent; nil on IDLE and
	// on errors that belong to no cluster.
	FragmentTimecode *uint64 `json:"FragmentTimecode,omitempty"`
	FragmentNumber   string  `json:"FragmentNumber,omitempty"`
	ErrorID          int     `json:"ErrorId,omitempty"`
	ErrorCode        string  `json:"ErrorCode,omitempty"`
}

// ErrorIDs of ERROR acknowledgements (KVS's PutMedia documentation).
const (
	ErrReadBody          = 4000 // error reading the data stream
	ErrFragmentSize      = 4001 // fragment over the size limit (50 MB)
	ErrFragmentDuration  = 4002 // fragment over the duration limit
	ErrTimecodeLower     = 4004 // fragment timecode lower than (or overlapping) the previous
	ErrInvalidMKV        = 4006 // the input is not valid Matroska
	ErrProducerTimestamp = 4007 // invalid producer timestamp
	ErrStreamNotActive   = 4008 // the stream no longer exists
	ErrTrackMismatch     = 4010 // a frame's track is not in the header
	ErrFramesMissing     = 4011 // a fragment without frames
	ErrInternal          = 5000 // internal error
	ErrPersist           = 5001 // the fragment could not be stored
)

// errorCodes are the names sent with ErrorId.
var errorCodes = map[int]string{
	ErrReadBody:          "STREAM_READ_ERROR",
	ErrFragmentSize:      "MAX_FRAGMENT_SIZE_REACHED",
	ErrFragmentDuration:  "MAX_FRAGMENT_DURATION_REACHED",
	ErrTimecodeLower:     "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS",
	ErrInvalidMKV:        "INVALID_MKV_DATA",
	ErrProducerTimestamp: "INVALID_PRODUCER_TIMESTAMP",
	ErrStreamNotActive:   "STREAM_NOT_ACTIVE",
	ErrTrackMismatch:     "TRACK_NUMBER_MISMATCH",
	ErrFramesMissing:     "FRAMES_MISSING_FOR_TRACK",
	ErrInternal:          "INTERNAL_ERROR",
	ErrPersist:           "ARCHIVAL_ERROR",
}

// ErrorCode is the name KVS sends with an ErrorId.
func ErrorCode(id int) string { return errorCodes[id] }

// JSONAcks returns an ack sink that writes each ack as one line of JSON to
// w and flushes it (flush may be nil).
func JSONAcks(w io.Writer, flush func() error) func(Ack) error {
	return func(a Ack) error {
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
		if flush != nil {
			return flush()
		}
		return nil
	}
}
