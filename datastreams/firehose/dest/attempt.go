package dest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// netFailure says how an HTTP attempt failed before any response came.
type netFailure int

const (
	netTimeout netFailure = iota // the attempt's deadline passed
	netRefused                   // no connection could be made
	netReset                     // the connection broke mid-request
	netOther
)

// classifyNet sorts a transport error. The parent context's own end
// (shutdown) is reported as netOther so that it is never mistaken for the
// peer's slowness.
func classifyNet(parent context.Context, err error) netFailure {
	if parent.Err() != nil {
		return netOther
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return netTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return netRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return netReset
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return netRefused
	}
	return netOther
}

// newAttemptClient returns the client a destination uses when its config
// names none: it never follows redirects (a 3xx is the answer), does not
// ask for compressed replies (so a compressed reply is seen as such), and
// each attempt's deadline comes from the request's context.
func newAttemptClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// noRedirects returns c, or a copy of it that does not follow redirects.
func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		return newAttemptClient()
	}
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// closeIdle closes the idle connections of c's transport.
func closeIdle(c *http.Client) {
	c.CloseIdleConnections()
}

// readLimited reads at most limit bytes of r; tooLarge reports a body
// longer than that.
func readLimited(r io.Reader, limit int64) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(body)) > limit {
		return body[:limit], true, err
	}
	return body, false, err
}

// newUUID returns a random version 4 UUID in its text form.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("dest: random channel id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// orDefault returns d when v is zero.
func orDefault(v, d time.Duration) time.Duration {
	if v <= 0 {
		return d
	}
	return v
}
