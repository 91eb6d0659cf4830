package transform

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
)

// Error codes of Decompression and CloudWatchLogProcessing failures (ours).
const (
	CodeDecompression = "Decompression.Failed"
	CodeLogFormat     = "CloudWatchLogProcessing.InvalidData"
)

// maxDecompressed bounds what one record may inflate to.
const maxDecompressed = 64 << 20

func decompress(it item) ([]item, *Failed) {
	zr, err := gzip.NewReader(bytes.NewReader(it.rec.Data))
	if err == nil {
		var data []byte
		data, err = io.ReadAll(io.LimitReader(zr, maxDecompressed+1))
		if err == nil && len(data) > maxDecompressed {
			err = fmt.Errorf("it inflates to more than %d bytes", maxDecompressed)
		}
		if err == nil {
			it.rec.Data = data
			return []item{it}, nil
		}
	}
	f := it.fail(OutputDecompressionFailed, CodeDecompression, "the record is not valid GZIP data: "+err.Error())
	return nil, &f
}

// logsPayload is what a CloudWatch Logs subscription delivers (decompressed).
type logsPayload struct {
	MessageType *string `json:"messageType"`
	LogEvents   []struct {
		Message *string `json:"message"`
	} `json:"logEvents"`
}

// extractLogMessages turns a CloudWatch Logs DATA_MESSAGE into one record
// per log event, holding its message. CONTROL_MESSAGEs are dropped.
func extractLogMessages(it item) ([]item, *Failed) {
	var p logsPayload
	if err := json.Unmarshal(it.rec.Data, &p); err != nil || p.MessageType == nil {
		msg := "the record is not a CloudWatch Logs subscription payload"
		if err != nil {
			msg += ": " + err.Error()
		}
		f := it.fail(OutputProcessingFailed, CodeLogFormat, msg)
		return nil, &f
	}
	switch *p.MessageType {
	case "CONTROL_MESSAGE":
		return nil, nil
	case "DATA_MESSAGE":
	default:
		f := it.fail(OutputProcessingFailed, CodeLogFormat, fmt.Sprintf("unknown messageType %q", *p.MessageType))
		return nil, &f
	}
	out := make([]item, 0, len(p.LogEvents))
	for i, e := range p.LogEvents {
		if e.Message == nil {
			f := it.fail(OutputProcessingFailed, CodeLogFormat, fmt.Sprintf("log event %d has no message", i))
			return nil, &f
		}
		out = append(out, it.child(i, []byte(*e.Message)))
	}
	return out, nil
}
