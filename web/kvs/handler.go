package kvs

import (
	"log/slog"
	"net/http"
	"regexp"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/ingest/putmedia"
	"github.com/shardcast/shardcast/playback"
	"github.com/shardcast/shardcast/web/awsapi"
)

var errorTable = awsapi.ErrorTable{
	{Err: registry.ErrResourceNotFound, Type: "ResourceNotFoundException", Status: http.StatusNotFound},
	// A fragment lost to damaged storage will not come back: not found, with
	// a message that says why.
	{Err: registry.ErrDamaged, Type: "ResourceNotFoundException", Status: http.StatusNotFound},
	{Err: registry.ErrResourceInUse, Type: "ResourceInUseException", Status: http.StatusBadRequest},
	{Err: registry.ErrInvalidArgument, Type: "InvalidArgumentException", Status: http.StatusBadRequest},
	{Err: registry.ErrVersionMismatch, Type: "VersionMismatchException", Status: http.StatusBadRequest},
	{Err: registry.ErrTagsLimit, Type: "TagsPerResourceExceededLimitException", Status: http.StatusBadRequest},
	{Err: registry.ErrStreamLimit, Type: "AccountStreamLimitExceededException", Status: http.StatusBadRequest},
	{Err: registry.ErrKMSNotFound, Type: "InvalidArgumentException", Status: http.StatusBadRequest},
	{Err: registry.ErrNoDataRetention, Type: "NoDataRetentionException", Status: http.StatusBadRequest},
	{Err: playback.ErrNotAuthorized, Type: "NotAuthorizedException", Status: http.StatusForbidden},
	{Err: playback.ErrUnsupportedMediaType, Type: "UnsupportedStreamMediaTypeException", Status: http.StatusBadRequest},
	{Err: playback.ErrMissingCodecPrivateData, Type: "MissingCodecPrivateDataException", Status: http.StatusBadRequest},
	{Err: playback.ErrInvalidMediaFrame, Type: "InvalidMediaFrameException", Status: http.StatusBadRequest},
	{Err: playback.ErrConnectionLimit, Type: "ConnectionLimitExceededException", Status: http.StatusBadRequest},
	{Err: playback.ErrClientLimit, Type: "ClientLimitExceededException", Status: http.StatusBadRequest},
	// GetImages without a decoder: what the server answers for any operation
	// it cannot serve (a 400, which SDKs do not retry), saying what to install.
	{Err: playback.ErrImagesUnavailable, Type: "UnsupportedOperationException", Status: http.StatusBadRequest},
	{Err: registry.ErrInternal, Type: "InternalFailure", Status: http.StatusInternalServerError},
}

// Streams is what the handler calls of the video store (*fragments.Store
// is one): the stream control operations and the lookup of a stream.
type Streams interface {
	CreateStream(in fragments.CreateInput) (string, error)
	DeleteStream(ref fragments.StreamRef, version string) error
	ListStreams(max int, token, prefix string) ([]fragments.Info, string, error)
	Lookup(ref fragments.StreamRef) (*fragments.Stream, error)
}

// Config wires the handler.
type Config struct {
	Store    Streams
	Playback *playback.Service
	Auth     *awsapi.Auth
	Logger   *slog.Logger
	// PublicURL is what GetDataEndpoint returns; "" derives it from the
	// request's Host.
	PublicURL string
	// PutMedia takes PutMedia uploads; nil answers UnsupportedOperationException.
	PutMedia *putmedia.Service
}

// Handler serves the KVS REST-JSON paths.
type Handler struct {
	cfg Config
	ops map[string]func(*http.Request, []byte) (any, error)
	// streams are the operations whose answer is a media stream.
	streams map[string]func(http.ResponseWriter, *http.Request, []byte) error
}

// unsupported lists KVS operations (by path) not implemented yet.
var unsupported = map[string]string{
	"/createSignalingChannel": "CreateSignalingChannel", "/deleteSignalingChannel": "DeleteSignalingChannel",
	"/describeSignalingChannel": "DescribeSignalingChannel", "/listSignalingChannels": "ListSignalingChannels",
	"/updateSignalingChannel": "UpdateSignalingChannel", "/getSignalingChannelEndpoint": "GetSignalingChannelEndpoint",
	"/deleteEdgeConfiguration": "DeleteEdgeConfiguration", "/describeEdgeConfiguration": "DescribeEdgeConfiguration",
	"/startEdgeConfigurationUpdate": "StartEdgeConfigurationUpdate", "/listEdgeAgentConfigurations": "ListEdgeAgentConfigurations",
	"/describeImageGenerationConfiguration": "DescribeImageGenerationConfiguration", "/updateImageGenerationConfiguration": "UpdateImageGenerationConfiguration",
	"/describeNotificationConfiguration": "DescribeNotificationConfiguration", "/updateNotificationConfiguration": "UpdateNotificationConfiguration",
	"/describeMediaStorageConfiguration": "DescribeMediaStorageConfiguration", "/updateMediaStorageConfiguration": "UpdateMediaStorageConfiguration",
	"/describeMappedResourceConfiguration": "DescribeMappedResourceConfiguration",
	"/describeStreamStorageConfiguration":  "DescribeStreamStorageConfiguration", "/updateStreamStorageConfiguration": "UpdateStreamStorageConfiguration",
}

// New returns the handler.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg}
	h.ops = map[string]func(*http.Request, []byte) (any, error){
		"/createStream":        h.createStream,
		"/describeStream":      h.describeStream,
		"/listStreams":         h.listStreams,
		"/deleteStream":        h.deleteStream,
		"/updateStream":        h.updateStream,
		"/updateDataRetention": h.updateDataRetention,
		"/getDataEndpoint":     h.getDataEndpoint,
		"/tagStream":           h.tagStream,
		"/untagStream":         h.untagStream,
		"/listTagsForStream":   h.listTagsForStream,
		"/TagResource":         h.tagResource,
		"/UntagResource":       h.untagResource,
		"/ListTagsForResource": h.listTagsForResource,
		"/listFragments":       h.listFragments,

		"/getHLSStreamingSessionURL":  h.getHLSStreamingSessionURL,
		"/getImages":                  h.getImages,
		"/getDASHStreamingSessionURL": h.getDASHStreamingSessionURL,
	}
	h.streams = map[string]func(http.ResponseWriter, *http.Request, []byte) error{
		"/getMedia":                h.getMedia,
		"/getMediaForFragmentList": h.getMediaForFragmentList,
		"/getClip":                 h.getClip,
	}
	return h
}

// Paths returns every POST path the handler answers.
func (h *Handler) Paths() []string {
	var out []string
	for p := range h.ops {
		out = append(out, p)
	}
	for p := range h.streams {
		out = append(out, p)
	}
	for p := range unsupported {
		out = append(out, p)
	}
	return append(out, "/putMedia")
}

// ServeHTTP handles one operation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/putMedia" {
		h.putMedia(w, r) // its body is a stream, never read whole
		return
	}
	body, release, err := h.cfg.Auth.ReadSigned(r)
	defer release()
	if err == nil {
		if fn := h.streams[r.URL.Path]; fn != nil {
			if h.cfg.Playback == nil {
				err = awsapi.Unsupported(r.URL.Path[1:])
			} else if err = fn(w, r, body); err == nil {
				return
			}
		}
	}
	if err == nil {
		fn := h.ops[r.URL.Path]
		if fn == nil {
			err = awsapi.Unsupported(unsupported[r.URL.Path])
		} else {
			var out any
			if out, err = fn(r, body); err == nil {
				awsapi.WriteJSON(w, "application/json", out)
				return
			}
		}
	}
	awsapi.WriteError(w, r, h.cfg.Logger, errorTable, awsapi.RESTJSON, err)
}

// decode parses and checks a request; failures are InvalidArgumentException.
func decode[T any, PT interface {
	*T
	awsapi.Request
}](body []byte) (*T, error) {
	return awsapi.Decode[T, PT](body, "InvalidArgumentException")
}

func deref[T any](p *T) T {
	if p == nil {
		var z T
		return z
	}
	return *p
}

// Model patterns.
var (
	namePattern      = awsapi.Pattern(`[a-zA-Z0-9_.-]+`)
	arnPattern       = awsapi.Pattern(`arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+`)
	mediaTypePattern = awsapi.Pattern(`[\w\-\.\+]+/[\w\-\.\+]+(,[\w\-\.\+]+/[\w\-\.\+]+)*`)
	versionPattern   = awsapi.Pattern(`[a-zA-Z0-9]+`)
	tokenPattern     = awsapi.Pattern(`[a-zA-Z0-9+/=]*`)
	fragTokenPattern = awsapi.Pattern(`[a-zA-Z0-9+/]+={0,2}`)
	// fragmentNumberPattern and continuationPattern are GetMedia's.
	fragmentNumberPattern = awsapi.Pattern(`[0-9]+`)
	continuationPattern   = awsapi.Pattern(`[a-zA-Z0-9_\.\-]+`)
	tagKeyPattern         = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// streamInput is the StreamName/StreamARN pair: exactly one is expected.
type streamInput struct {
	StreamName *string `json:"StreamName"`
	StreamARN  *string `json:"StreamARN"`
}

func (s *streamInput) Check(v *awsapi.Validator) {
	v.String("streamName", s.StreamName, namePattern, 1, 256)
	v.String("streamARN", s.StreamARN, arnPattern, 1, 1024)
}

func (s *streamInput) ref() fragments.StreamRef {
	return fragments.StreamRef{Name: deref(s.StreamName), ARN: deref(s.StreamARN)}
}

// tags checks a tag map.
func checkTags(v *awsapi.Validator, path string, tags map[string]string) {
	v.Len(path, len(tags), "{...}", 1, 50)
	for k, val := range tags {
		if n := len([]rune(k)); n < 1 || n > 128 || !tagKeyPattern.MatchString(k) {
			v.Custom(k, path+".key", "Member must have length between 1 and 128 and satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$")
		}
		if len([]rune(val)) > 256 || !tagKeyPattern.MatchString(val) {
			v.Custom(val, path+".value", "Member must have length less than or equal to 256 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*")
		}
	}
}
