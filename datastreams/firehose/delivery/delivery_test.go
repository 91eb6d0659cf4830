package delivery

import (
	"errors"
	"testing"
	"time"
)

func TestBatchOldestAndBytes(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	b := Batch{Records: []Record{{Data: []byte("ab"), Arrival: t0.Add(time.Second)}, {Data: []byte("c"), Arrival: t0}, {Arrival: t0.Add(2 * time.Second)}}}
	if !b.Oldest().Equal(t0) || b.Bytes() != 3 {
		t.Fatalf("oldest %v, bytes %d", b.Oldest(), b.Bytes())
	}
	if !(Batch{}).Oldest().IsZero() {
		t.Fatal("an empty batch has an oldest record")
	}
}

func TestAsError(t *testing.T) {
	base := errors.New("connection refused")
	e := AsError(base, "HttpEndpoint.ConnectionFailed")
	if e.Code != "HttpEndpoint.ConnectionFailed" || !errors.Is(e, base) || e.Permanent {
		t.Fatalf("%+v", e)
	}
	own := &Error{Code: "HttpEndpoint.DestinationException", Permanent: true, Failed: []int{2}}
	if got := AsError(errors.Join(own), "x"); got != own {
		t.Fatalf("an *Error inside is not found: %+v", got)
	}
	if msg := Errorf("Splunk.AckTimeout", "after %ds", 180).Error(); msg != "Splunk.AckTimeout: after 180s" {
		t.Fatalf("message %q", msg)
	}
}
