package awsapi

import (
	"bytes"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

type codecInput struct {
	Name  *string    `json:"StreamName"`
	Limit *int       `json:"Limit"`
	Seq   *string    `json:"StartingSequenceNumber"`
	Data  Blob       `json:"Data"`
	At    *Timestamp `json:"Timestamp"`
	Keys  []string   `json:"TagKeys"`
	Flag  *bool      `json:"DryRun"`
}

func mustCBOR(t testing.TB, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCodecOf(t *testing.T) {
	for ct, want := range map[string]Codec{
		"application/x-amz-cbor-1.1":                CodecCBOR,
		"Application/X-Amz-CBOR-1.1; charset=utf-8": CodecCBOR,
		"application/x-amz-json-1.1":                CodecJSON,
		"":                                          CodecJSON,
		"application/cbor-ish":                      CodecJSON,
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Content-Type", ct)
		if got := CodecOf(r); got != want {
			t.Errorf("%q: codec %v, want %v", ct, got, want)
		}
	}
	if CodecCBOR.ContentType() != ContentTypeCBOR11 || CodecJSON.ContentType() != ContentTypeJSON11 {
		t.Fatal("content types")
	}
}

func TestCBORTimestamps(t *testing.T) {
	want := time.UnixMilli(1572383852123).UTC()
	for name, v := range map[string]any{
		"tag 1 + ms (Java SDK)": cbor.Tag{Number: 1, Content: uint64(1572383852123)},
		"untagged ms":           int64(1572383852123),
		"float ms":              1572383852123.0,
	} {
		var in codecInput
		if err := DecodeCBOR(mustCBOR(t, map[string]any{"Timestamp": v}), &in); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if in.At == nil || !in.At.Equal(want) {
			t.Fatalf("%s: got %v, want %v", name, in.At, want)
		}
	}
	var in codecInput
	err := DecodeCBOR(mustCBOR(t, map[string]any{"Timestamp": "2019-10-29T21:17:32Z"}), &in)
	if err == nil || err.Error() != "SerializationException: class java.lang.String can not be converted to milliseconds since epoch" {
		t.Fatalf("a text timestamp: %v", err)
	}
	b, err := CodecCBOR.Marshal(struct {
		T Timestamp `json:"T"`
	}{Timestamp{want}})
	if err != nil {
		t.Fatal(err)
	}
	// {"T": 1(1572383852123)}
	if got := hex.EncodeToString(b); got != "a16154c11b0000016e1961865b" {
		t.Fatalf("encoded timestamp %s", got)
	}
	// JSON is unchanged: epoch seconds.
	if j, _ := CodecJSON.Marshal(Timestamp{want}); string(j) != "1572383852.123" {
		t.Fatalf("JSON timestamp %s", j)
	}
}

func TestCBORBlobs(t *testing.T) {
	var in codecInput
	if err := DecodeCBOR(mustCBOR(t, map[string]any{"Data": []byte{0, 1, 0xff}}), &in); err != nil || !in.Data.Set || !bytes.Equal(in.Data.Bytes, []byte{0, 1, 0xff}) {
		t.Fatalf("byte string: %+v %v", in.Data, err)
	}
	// A byte string in chunks (indefinite length), as streaming encoders write.
	in = codecInput{}
	body, _ := hex.DecodeString("a16444617461" + "5f" + "4201024103" + "ff")
	if err := DecodeCBOR(body, &in); err != nil || !bytes.Equal(in.Data.Bytes, []byte{1, 2, 3}) {
		t.Fatalf("chunked byte string: %+v %v", in.Data, err)
	}
	in = codecInput{}
	if err := DecodeCBOR(mustCBOR(t, map[string]any{"Data": []byte{}}), &in); err != nil || !in.Data.Set || len(in.Data.Bytes) != 0 {
		t.Fatalf("empty data must be set: %+v %v", in.Data, err)
	}
	in = codecInput{}
	if err := DecodeCBOR(mustCBOR(t, map[string]any{"Data": nil}), &in); err != nil || in.Data.Set {
		t.Fatalf("null data must be unset: %+v %v", in.Data, err)
	}
	err := DecodeCBOR(mustCBOR(t, map[string]any{"Data": "aGk="}), &in)
	if err == nil || !strings.HasPrefix(err.Error(), "SerializationException: ") {
		t.Fatalf("text for a blob: %v", err)
	}
	b, _ := CodecCBOR.Marshal(Blob{Bytes: []byte("hi")})
	if !bytes.Equal(b, []byte{0x42, 'h', 'i'}) {
		t.Fatalf("encoded blob %x", b)
	}
}

func TestCBORBigNumbersAndTypes(t *testing.T) {
	var in codecInput
	seq := "49590338271490256608559692538361571095921575989136588898"
	if err := DecodeCBOR(mustCBOR(t, map[string]any{"StartingSequenceNumber": seq, "Limit": 25, "StreamName": "s", "TagKeys": []string{"a"}}), &in); err != nil {
		t.Fatal(err)
	}
	if *in.Seq != seq || *in.Limit != 25 || *in.Name != "s" || in.Keys[0] != "a" {
		t.Fatalf("decoded %+v", in)
	}
	// Member names match as in JSON: case-insensitively after exact.
	in = codecInput{}
	if err := DecodeCBOR(mustCBOR(t, map[string]any{"streamname": "x"}), &in); err != nil || in.Name == nil || *in.Name != "x" {
		t.Fatalf("case-insensitive member: %+v %v", in, err)
	}
	for _, c := range []struct {
		body any
		want string
	}{
		{map[string]any{"Limit": "25"}, "class java.lang.String can not be converted to an Integer"},
		{map[string]any{"StreamName": 5}, "class java.lang.Long can not be converted to an String"},
		{map[string]any{"StreamName": map[string]any{}}, "Start of structure or map found where not expected."},
		{map[string]any{"StreamName": []any{}}, "Start of list found where not expected"},
		{map[string]any{"TagKeys": "a"}, "Expected list or null"},
		{[]any{1}, "Start of list found where not expected"},
	} {
		in = codecInput{}
		err := DecodeCBOR(mustCBOR(t, c.body), &in)
		ae, ok := err.(*APIError)
		if !ok || ae.Type != "SerializationException" || ae.Message != c.want || ae.Status != 400 {
			t.Errorf("%v: %v, want %q", c.body, err, c.want)
		}
	}
	for name, body := range map[string][]byte{
		"truncated":   {0xa1, 0x64, 'D'},
		"trailing":    append(mustCBOR(t, map[string]any{}), 0x00),
		"bad utf-8":   {0xa1, 0x6a, 'S', 't', 'r', 'e', 'a', 'm', 'N', 'a', 'm', 'e', 0x61, 0xff},
		"reserved ai": {0xbc},
	} {
		err := DecodeCBOR(body, &in)
		ae, ok := err.(*APIError)
		if !ok || ae.Type != "SerializationException" || !strings.HasPrefix(ae.Message, "Malformed CBOR: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCBORError(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/", nil)
	WriteError(w, r, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, CBOR11,
		&APIError{Type: "ResourceNotFoundException", Message: "Stream x under account 000000000000 not found.", Status: http.StatusBadRequest})
	if w.Code != 400 || w.Header().Get("Content-Type") != ContentTypeCBOR11 || w.Header().Get("X-Amzn-Errortype") != "ResourceNotFoundException" {
		t.Fatalf("status %d, headers %v", w.Code, w.Header())
	}
	var body map[string]string
	if err := cbor.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body["__type"] != "ResourceNotFoundException" || body["message"] != "Stream x under account 000000000000 not found." || len(body) != 2 {
		t.Fatalf("body %v", body)
	}
}

// FuzzDecodeCBOR feeds arbitrary bodies to the CBOR decoder: it must never
// panic, and every failure must be a SerializationException.
func FuzzDecodeCBOR(f *testing.F) {
	for _, v := range []any{
		map[string]any{"StreamName": "s", "Limit": 5, "Data": []byte("x"), "Timestamp": cbor.Tag{Number: 1, Content: 5}},
		map[string]any{"TagKeys": []string{"a", "b"}, "DryRun": true},
		map[string]any{"Timestamp": 1.5, "Data": nil},
		[]any{1, "a"},
	} {
		f.Add(mustCBOR(f, v))
	}
	f.Add([]byte{0xbf, 0x64, 'D', 'a', 't', 'a', 0x5f, 0x41, 1, 0xff, 0xff})
	f.Add([]byte{0xa1, 0x69, 'T', 'i', 'm', 'e', 's', 't', 'a', 'm', 'p', 0xc1, 0xc1, 0x63, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, body []byte) {
		var in codecInput
		err := DecodeCBOR(body, &in)
		if err == nil {
			return
		}
		if ae, ok := err.(*APIError); !ok || ae.Type != "SerializationException" || ae.Status != 400 {
			t.Fatalf("%x: %v", body, err)
		}
	})
}
