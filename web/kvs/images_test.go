package kvs

import (
	"net/http"
	"strings"
	"testing"
)

// GetImages' input rules from the model answer InvalidArgumentException
// before anything runs; with no decoder configured (this handler's
// playback has none) well-formed input gets UnsupportedOperationException
// naming ffmpeg.
func TestGetImagesInput(t *testing.T) {
	h := newHandler(t)
	if code, out := call(t, h, "/createStream", `{"StreamName":"cam","DataRetentionInHours":1}`); code != 200 {
		t.Fatalf("createStream: %d %v", code, out)
	}
	const ok = `"StreamName":"cam","ImageSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":1700000000,"EndTimestamp":1700000010,"Format":"JPEG"`
	for _, body := range []string{
		`{"StreamName":"cam","StartTimestamp":1700000000,"EndTimestamp":1700000010,"Format":"JPEG"}`,                          // no selector
		`{"StreamName":"cam","ImageSelectorType":"PRODUCER_TIMESTAMP","EndTimestamp":1700000010,"Format":"JPEG"}`,             // no start
		`{"StreamName":"cam","ImageSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":1700000000,"Format":"JPEG"}`,           // no end
		`{"StreamName":"cam","ImageSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":1700000000,"EndTimestamp":1700000010}`, // no format
		`{` + strings.Replace(ok, `"JPEG"`, `"GIF"`, 1) + `}`,
		`{` + strings.Replace(ok, `PRODUCER_TIMESTAMP`, `NOW`, 1) + `}`,
		`{` + ok + `,"SamplingInterval":199}`,
		`{` + ok + `,"WidthPixels":0}`,
		`{` + ok + `,"WidthPixels":3841}`,
		`{` + ok + `,"HeightPixels":2161}`,
		`{` + ok + `,"MaxResults":0}`,
		`{` + ok + `,"MaxResults":101}`,
		`{` + ok + `,"NextToken":""}`,
		`{` + ok + `,"NextToken":"not a token!"}`,
		`{` + ok + `,"FormatConfig":{}}`,
		`{` + ok + `,"FormatConfig":{"Quality":"80"}}`,
		`{` + ok + `,"FormatConfig":{"JPEGQuality":"0"}}`,
		`{` + ok + `,"FormatConfig":{"JPEGQuality":"101"}}`,
		`{` + ok + `,"FormatConfig":{"JPEGQuality":"high"}}`,
		`{` + ok + `,"FormatConfig":{"JPEGQuality":"8 0"}}`,
		`{` + strings.Replace(ok, `1700000010`, `1700000301`, 1) + `}`, // over 300 s
		`{` + strings.Replace(ok, `1700000010`, `1699999999`, 1) + `}`, // end before start
		`{` + ok + `,"StreamARN":"arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam/1"}`,
		`{` + strings.Replace(ok, `"StreamName":"cam",`, ``, 1) + `}`, // neither name nor ARN
	} {
		code, out := call(t, h, "/getImages", body)
		if code != http.StatusBadRequest || out["__type"] != "InvalidArgumentException" {
			t.Errorf("%s: %d %v, want 400 InvalidArgumentException", body, code, out)
		}
	}
	code, out := call(t, h, "/getImages", `{`+ok+`,"SamplingInterval":200,"FormatConfig":{"JPEGQuality":"100"},"WidthPixels":3840,"HeightPixels":2160,"MaxResults":100}`)
	if msg, _ := out["Message"].(string); code != http.StatusBadRequest || out["__type"] != "UnsupportedOperationException" || !strings.Contains(msg, "ffmpeg") {
		t.Errorf("no decoder: %d %v", code, out)
	}
}
