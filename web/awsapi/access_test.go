package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/shardcast/shardcast/web/iam"
)

func TestAuthorize(t *testing.T) {
	open := &Auth{}
	if err := open.Authorize("", ActionPublish, "cam"); err != nil {
		t.Errorf("no keys: %v", err)
	}
	var none *Auth
	if err := none.Authorize("", ActionRead, "cam"); err != nil || !none.Open() {
		t.Errorf("nil Auth: %v", err)
	}
	a := &Auth{Keys: map[string]Key{"AKID": {Secret: "secret"}}}
	if err := a.Authorize("", ActionPublish, "cam"); !errors.Is(err, errUnauthenticated) {
		t.Errorf("anonymous with keys: %v", err)
	}
	if err := a.Authorize("OTHER", ActionRead, "cam"); !errors.Is(err, errUnauthenticated) {
		t.Errorf("unknown key: %v", err)
	}
	if err := a.Authorize("AKID", ActionRead, "cam"); err != nil {
		t.Errorf("known key: %v", err)
	}
}

// presignAt presigns u as the SDK does, at when, for expires seconds.
func presignAt(t *testing.T, u, secret, service string, when time.Time, expires string) string {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, u, nil)
	q := r.URL.Query()
	q.Set("X-Amz-Expires", expires)
	r.URL.RawQuery = q.Encode()
	out, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: secret}, r,
		"UNSIGNED-PAYLOAD", service, "us-east-1", when)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAllowReader(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := &Auth{Keys: map[string]Key{"AKID": {Secret: "secret"}}, Now: func() time.Time { return now }}
	const base = "http://example.test:8080"
	const playlist = "/hls/cam/index.m3u8"
	signed := presignAt(t, base+playlist, "secret", "kinesisvideo", now.Add(-time.Minute), "600")
	su, _ := url.Parse(signed)
	cases := []struct {
		name, url, user, pass string
		want                  bool
	}{
		{"anonymous", base + playlist, "", "", false},
		{"basic", base + playlist, "AKID", "secret", true},
		{"basic wrong secret", base + playlist, "AKID", "nope", false},
		{"basic unknown key", base + playlist, "OTHER", "secret", false},
		{"presigned", signed, "", "", true},
		{"presigned, a player's own parameters added", signed + "&_HLS_msn=4&_HLS_part=1", "", "", true},
		{"presigned playlist's parameters on its segment", base + "/hls/cam/segment.mp4?msn=3&" + su.RawQuery, "", "", true},
		{"presigned for another stream", base + "/hls/other/index.m3u8?" + su.RawQuery, "", "", false},
		{"presigned with a wrong secret", presignAt(t, base+playlist, "nope", "kinesisvideo", now, "600"), "", "", false},
		{"presigned by S3 rules", presignAt(t, base+playlist, "secret", "s3", now, "600"), "", "", true},
		{"presigned, expired", presignAt(t, base+playlist, "secret", "kinesisvideo", now.Add(-11*time.Minute), "600"), "", "", false},
		{"presigned, from the future", presignAt(t, base+playlist, "secret", "kinesisvideo", now.Add(time.Hour), "600"), "", "", false},
		{"presigned, tampered expiry", strings.Replace(signed, "X-Amz-Expires=600", "X-Amz-Expires=6000", 1), "", "", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, c.url, nil)
		if c.user != "" {
			r.SetBasicAuth(c.user, c.pass)
		}
		w := httptest.NewRecorder()
		_, ok := a.AllowReader(w, r, "cam", playlist)
		if c.name == "presigned for another stream" {
			_, ok = a.AllowReader(w, r, "other", "/hls/other/index.m3u8")
		}
		if ok != c.want {
			t.Errorf("%s: allowed %v, want %v (%d %s)", c.name, ok, c.want, w.Code, w.Body.String())
		}
		if !ok && (w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic ")) {
			t.Errorf("%s: refused with %d %q, want 401 asking for Basic", c.name, w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}

	// A page opened with a presigned URL hands out one of the same key and expiry.
	page := presignAt(t, base+"/play/cam", "secret", "kinesisvideo", now, "300")
	r := httptest.NewRequest(http.MethodGet, page, nil)
	who, ok := a.AllowReader(httptest.NewRecorder(), r, "cam", "")
	if !ok || who == nil || who.KeyID != "AKID" {
		t.Fatalf("presigned page: %v %v", ok, who)
	}
	u, err := a.PresignAlike(r, who, playlist)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.AllowReader(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, base+u, nil), "cam", playlist); !ok || !strings.Contains(u, "X-Amz-Expires=300") {
		t.Errorf("PresignAlike gave %s", u)
	}
}

// TestPolicyConditions checks that the request's condition keys reach a
// policy: aws:SecureTransport (set for TLS connections by
// WithSecureTransport) and aws:SourceIp.
func TestPolicyConditions(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	p, err := iam.Parse([]byte(`{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}}},
		{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a := &Auth{Keys: map[string]Key{"AKID": {Secret: "secret", Policy: p}}, Now: func() time.Time { return now }}
	creds := aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}
	body := `{"StreamName":"s"}`
	try := func(remote string, tls bool) string {
		r := signed(t, creds, now, body)
		r.RemoteAddr = remote
		if tls {
			r = r.WithContext(WithSecureTransport(r.Context()))
		}
		err := a.Check(r, []byte(body))
		var ae *APIError
		if errors.As(err, &ae) {
			return ae.Type + ": " + ae.Message
		}
		return fmt.Sprint(err)
	}
	if got := try("192.0.2.7:5000", true); got != "<nil>" {
		t.Errorf("from 192.0.2.7 over TLS: %s", got)
	}
	if got := try("192.0.2.7:5000", false); !strings.Contains(got, "with an explicit deny") {
		t.Errorf("from 192.0.2.7 without TLS: %s", got)
	}
	if got := try("198.51.100.1:5000", true); !strings.Contains(got, "because no identity-based policy allows") {
		t.Errorf("from 198.51.100.1 over TLS: %s", got)
	}
}
