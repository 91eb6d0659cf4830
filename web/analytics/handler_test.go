package analytics

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/shardcast/shardcast/web/awsapi"
)

// Requests that the handler refuses before they reach the manager: an
// unknown operation, a body that is not JSON, and members that break the
// model's constraints, each answered in AWS's shape (the manager is nil:
// reaching it would panic).
func TestRefusedBeforeTheManager(t *testing.T) {
	h := New(nil, &awsapi.Auth{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, c := range []struct {
		op, body, typ, msg string
	}{
		{"GetApplication", `{}`, "UnknownOperationException", ""},
		{"CreateApplication", `{"ApplicationName":`, "SerializationException", ""},
		{"CreateApplication", `{}`, "ValidationException", "Value null at 'applicationName' failed to satisfy constraint: Member must not be null"},
		{"CreateApplication", `{"ApplicationName":"bad name!"}`, "ValidationException", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		{"CreateApplication", `{"ApplicationName":"` + strings.Repeat("a", 129) + `"}`, "ValidationException", "Member must have length less than or equal to 128"},
		{"UpdateApplication", `{"ApplicationName":"app","CurrentApplicationVersionId":0,"ApplicationUpdate":{}}`, "ValidationException", "Member must have value between 1 and 999999999"},
		{"CreateApplication", `{"ApplicationName":"app","Inputs":[{"NamePrefix":"S","KinesisStreamsInput":{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","RoleARN":"not-a-role"},"InputSchema":{"RecordFormat":{"RecordFormatType":"JSON"},"RecordColumns":[{"Name":"A","SqlType":"INT"}]}}]}`,
			"ValidationException", "inputs.1.member.kinesisStreamsInput.roleARN"},
		{"TagResource", `{"ResourceARN":"arn:aws:kinesis:us-east-1:000000000000:stream/s","Tags":[{"Key":"k","Value":"v"}]}`, "ValidationException", "resourceARN"},
	} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
		req.Header.Set("X-Amz-Target", TargetPrefix+c.op)
		req.Header.Set("Content-Type", awsapi.ContentTypeJSON11)
		sum := sha256.Sum256([]byte(c.body))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"},
			req, hex.EncodeToString(sum[:]), "kinesisanalytics", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != http.StatusBadRequest ||
			!strings.HasSuffix(e.Type, c.typ) || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%s %s: %d %s", c.op, c.body, w.Code, w.Body.String())
		}
	}
}
