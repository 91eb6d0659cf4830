package kvs

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/playback"
	"github.com/shardcast/shardcast/web/awsapi"
)

// ---- GetImages -------------------------------------------------------------

type getImagesInput struct {
	streamInput
	ImageSelectorType *string           `json:"ImageSelectorType"`
	StartTimestamp    *awsapi.Timestamp `json:"StartTimestamp"`
	EndTimestamp      *awsapi.Timestamp `json:"EndTimestamp"`
	SamplingInterval  *int              `json:"SamplingInterval"`
	Format            *string           `json:"Format"`
	FormatConfig      map[string]string `json:"FormatConfig"`
	WidthPixels       *int              `json:"WidthPixels"`
	HeightPixels      *int              `json:"HeightPixels"`
	MaxResults        *int              `json:"MaxResults"`
	NextToken         *string           `json:"NextToken"`
}

// formatConfigValuePattern is the model's pattern of FormatConfig values.
var formatConfigValuePattern = awsapi.Pattern(`[a-zA-Z_0-9]+`)

func (in *getImagesInput) Check(v *awsapi.Validator) {
	in.streamInput.Check(v)
	if v.Required("imageSelectorType", in.ImageSelectorType != nil) {
		v.Enum("imageSelectorType", in.ImageSelectorType, fragments.ProducerTimestamp, fragments.ServerTimestamp)
	}
	v.Required("startTimestamp", in.StartTimestamp != nil)
	v.Required("endTimestamp", in.EndTimestamp != nil)
	v.Int("samplingInterval", in.SamplingInterval, int(playback.ImagesMinInterval/time.Millisecond), math.MaxInt32)
	if v.Required("format", in.Format != nil) {
		v.Enum("format", in.Format, playback.ImageJPEG, playback.ImagePNG)
	}
	if in.FormatConfig != nil {
		v.Len("formatConfig", len(in.FormatConfig), "{...}", 1, 1)
		for k, val := range in.FormatConfig {
			v.Enum("formatConfig.key", &k, "JPEGQuality")
			v.String("formatConfig.value", &val, formatConfigValuePattern, 0, 256)
		}
	}
	v.Int("widthPixels", in.WidthPixels, 1, 3840)
	v.Int("heightPixels", in.HeightPixels, 1, 2160)
	v.Int("maxResults", in.MaxResults, 1, 100)
	v.String("nextToken", in.NextToken, fragTokenPattern, 1, 4096)
}

// imageOut is one image as the SDKs read it (note TimeStamp's spelling).
type imageOut struct {
	TimeStamp    awsapi.Timestamp `json:"TimeStamp"`
	Error        string           `json:"Error,omitempty"`
	ImageContent []byte           `json:"ImageContent,omitempty"` // base64 in JSON
}

func (h *Handler) getImages(r *http.Request, body []byte) (any, error) {
	if h.cfg.Playback == nil {
		return nil, awsapi.Unsupported("GetImages")
	}
	in, err := decode[getImagesInput](body)
	if err != nil {
		return nil, err
	}
	req := playback.ImagesInput{Stream: in.ref(), SelectorType: *in.ImageSelectorType,
		Start: in.StartTimestamp.Time, End: in.EndTimestamp.Time, Format: *in.Format,
		Interval: time.Duration(deref(in.SamplingInterval)) * time.Millisecond,
		Width:    deref(in.WidthPixels), Height: deref(in.HeightPixels),
		MaxResults: deref(in.MaxResults), NextToken: deref(in.NextToken)}
	if q, ok := in.FormatConfig["JPEGQuality"]; ok {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > 100 {
			return nil, &awsapi.APIError{Type: "InvalidArgumentException", Status: http.StatusBadRequest,
				Message: "FormatConfig JPEGQuality must be an integer from 1 to 100, not " + strconv.Quote(q) + "."}
		}
		req.Quality = n
	}
	images, next, err := h.cfg.Playback.GetImages(r.Context(), req)
	if err != nil {
		return nil, err
	}
	out := struct {
		Images    []imageOut `json:"Images"`
		NextToken string     `json:"NextToken,omitempty"`
	}{Images: make([]imageOut, 0, len(images)), NextToken: next}
	for _, im := range images {
		out.Images = append(out.Images, imageOut{TimeStamp: awsapi.Timestamp{Time: im.Time}, Error: im.Error, ImageContent: im.Content})
	}
	return out, nil
}
