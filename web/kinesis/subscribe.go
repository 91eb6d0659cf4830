package kinesis

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/web/awsapi"
)

// SubscribeToShard answers an event stream (application/vnd.amazon.eventstream):
// an initial-response event, then SubscribeToShardEvent events as records
// commit, until the subscription's lifetime ends (the stream then ends
// cleanly and the client subscribes again from its last
// ContinuationSequenceNumber). Errors found before the stream starts are
// ordinary errors (JSON or CBOR, as the request); later ones are exception
// events, which end it. Event payloads are in the request's wire format.
// The framing is the AWS SDK for Go's event-stream encoder.

// contentTypeEventStream is the media type of an event stream answer.
const contentTypeEventStream = "application/vnd.amazon.eventstream"

type startingPosition struct {
	Type           *string           `json:"Type"`
	SequenceNumber *string           `json:"SequenceNumber"`
	Timestamp      *awsapi.Timestamp `json:"Timestamp"`
}

type subscribeInput struct {
	ConsumerARN      *string           `json:"ConsumerARN"`
	ShardID          *string           `json:"ShardId"`
	StartingPosition *startingPosition `json:"StartingPosition"`
}

func (in *subscribeInput) Check(v *awsapi.Validator) {
	if v.Required("consumerARN", in.ConsumerARN != nil) {
		v.String("consumerARN", in.ConsumerARN, consumerARNPattern, 1, 2048)
	}
	if v.Required("shardId", in.ShardID != nil) {
		v.String("shardId", in.ShardID, namePattern, 1, 128)
	}
	if p := in.StartingPosition; v.Required("startingPosition", p != nil) {
		if v.Required("startingPosition.type", p.Type != nil) {
			v.Enum("startingPosition.type", p.Type, "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
		}
		v.String("startingPosition.sequenceNumber", p.SequenceNumber, seqPattern, 0, -1)
	}
}

// eventBodies encodes the payloads of an event stream in the request's
// wire format: JSON 1.1 today; the CBOR protocol plugs in at eventBodiesFor.
type eventBodies interface {
	contentType() string
	initial() []byte
	event(buf []byte, ev datastreams.SubscribeEvent) []byte
	exception(message string) []byte
}

// eventBodiesFor returns the payload encoding for r's wire format.
func eventBodiesFor(r *http.Request) eventBodies {
	if awsapi.CodecOf(r) == awsapi.CodecCBOR {
		return cborEventBodies{}
	}
	return jsonEventBodies{}
}

// cborEventBodies are the payloads of a CBOR request's event stream:
// CBOR maps with the members of the JSON ones (raw blobs, AWS's
// timestamps), as the CBOR answers of the other operations.
type cborEventBodies struct{}

func (cborEventBodies) contentType() string { return awsapi.ContentTypeCBOR11 }
func (cborEventBodies) initial() []byte     { return awsapi.AppendCBORHead(nil, 5, 0) }

func (cborEventBodies) exception(message string) []byte {
	b := awsapi.AppendCBORHead(nil, 5, 1)
	b = awsapi.AppendCBORText(b, "message")
	return awsapi.AppendCBORText(b, message)
}

func (cborEventBodies) event(b []byte, ev datastreams.SubscribeEvent) []byte {
	members := uint64(2)
	if ev.ContinuationSequenceNumber != "" {
		members++
	}
	if len(ev.ChildShards) > 0 {
		members++
	}
	b = awsapi.AppendCBORHead(b[:0], 5, members)
	b = appendRecordsCBOR(b, ev.Records)
	if ev.ContinuationSequenceNumber != "" {
		b = awsapi.AppendCBORText(b, "ContinuationSequenceNumber")
		b = awsapi.AppendCBORText(b, ev.ContinuationSequenceNumber)
	}
	b = awsapi.AppendCBORText(b, "MillisBehindLatest")
	b = awsapi.AppendCBORInt(b, ev.MillisBehindLatest)
	if len(ev.ChildShards) > 0 {
		b = appendChildShardsCBOR(b, ev.ChildShards)
	}
	return b
}

type jsonEventBodies struct{}

func (jsonEventBodies) contentType() string { return "application/json" }
func (jsonEventBodies) initial() []byte     { return []byte("{}") }

func (jsonEventBodies) exception(message string) []byte {
	b, _ := json.Marshal(map[string]string{"message": message})
	return b
}

// event writes a SubscribeToShardEvent; records look as in GetRecords.
func (jsonEventBodies) event(b []byte, ev datastreams.SubscribeEvent) []byte {
	b = append(b[:0], '{')
	b = appendRecordsJSON(b, ev.Records)
	if ev.ContinuationSequenceNumber != "" {
		b = append(b, `,"ContinuationSequenceNumber":"`...)
		b = append(b, ev.ContinuationSequenceNumber...)
		b = append(b, '"')
	}
	b = append(b, `,"MillisBehindLatest":`...)
	b = strconv.AppendInt(b, ev.MillisBehindLatest, 10)
	if len(ev.ChildShards) > 0 {
		b = appendChildShardsJSON(b, ev.ChildShards)
	}
	return append(b, '}')
}

// subscribeToShard serves SubscribeToShard. It runs for the
// subscription's lifetime, and ends early when the client goes away or the
// server closes (the request's context).
func (h *Handler) subscribeToShard(w http.ResponseWriter, r *http.Request, body []byte) {
	proto := awsapi.CodecOf(r).Protocol()
	in, err := decode[subscribeInput](r, body)
	if err != nil {
		awsapi.WriteError(w, r, h.log, errorTable, proto, err)
		return
	}
	p := in.StartingPosition
	start := datastreams.StartingPosition{Type: *p.Type, SequenceNumber: deref(p.SequenceNumber)}
	if p.Timestamp != nil {
		start.Timestamp = &p.Timestamp.Time
	}
	ctx := r.Context()
	sub, err := h.engine.SubscribeToShard(ctx, *in.ConsumerARN, *in.ShardID, start)
	if err != nil {
		awsapi.WriteError(w, r, h.log, errorTable, proto, err)
		return
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	// A client that stops reading holds only its own request: its writes
	// give up a while after the subscription's end.
	rc.SetWriteDeadline(time.Now().Add(sub.Lifetime() + time.Minute))
	defer rc.SetWriteDeadline(time.Time{})
	bodies := eventBodiesFor(r)
	w.Header().Set("Content-Type", contentTypeEventStream)
	w.WriteHeader(http.StatusOK)
	enc := eventstream.NewEncoder()
	send := func(headers eventstream.Headers, payload []byte) error {
		if err := enc.Encode(w, eventstream.Message{Headers: headers, Payload: payload}); err != nil {
			return err
		}
		return rc.Flush()
	}
	event := func(typ string) eventstream.Headers {
		return eventstream.Headers{
			{Name: ":event-type", Value: eventstream.StringValue(typ)},
			{Name: ":content-type", Value: eventstream.StringValue(bodies.contentType())},
			{Name: ":message-type", Value: eventstream.StringValue("event")},
		}
	}
	if send(event("initial-response"), bodies.initial()) != nil {
		return
	}
	evHeaders := event("SubscribeToShardEvent")
	var buf []byte
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return
			}
			typ, msg := "InternalFailure", "Internal service failure."
			if m := errorTable.Lookup(err); m != nil && m.Status < 500 {
				typ, msg = m.Type, err.Error()
			} else {
				h.log.Error("SubscribeToShard failed", "request_id", awsapi.RequestID(r), "err", err)
			}
			send(eventstream.Headers{
				{Name: ":exception-type", Value: eventstream.StringValue(typ)},
				{Name: ":content-type", Value: eventstream.StringValue(bodies.contentType())},
				{Name: ":message-type", Value: eventstream.StringValue("exception")},
			}, bodies.exception(msg))
			return
		}
		buf = bodies.event(buf, ev)
		if send(evHeaders, buf) != nil {
			return
		}
	}
}
