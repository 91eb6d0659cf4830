package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/shardcast/shardcast/web/awsapi"
)

// A request body is read whole before its signature can be verified (the
// signature covers the payload), so a client can make the server hold
// memory without proving who it is: with no keys configured, or with a
// known key id and a bogus signature. What a body may cost is bounded three
// ways: its size (MaxBodyBytes, declared or not), its time (it must arrive
// within BodyTimeout of the request's headers, then the connection is
// cut), and the memory all bodies hold together (BodyBudget, taken as
// bytes arrive; over it a body waits up to BodyBudgetWait, then the request
// is refused with a retryable 503).

// budgetChunk is the most budget one read takes at a time.
const budgetChunk = 256 << 10

// bodyLimits is the server-wide state of the bounds.
type bodyLimits struct {
	max     int64
	timeout time.Duration
	wait    time.Duration
	budget  *budget
}

// limitedBody is a request body read under the limits. The middleware that
// made it releases its budget when the handler returns.
type limitedBody struct {
	lim      *bodyLimits
	body     io.ReadCloser // the request body under http.MaxBytesReader
	w        http.ResponseWriter
	ctx      context.Context
	declared int64 // Content-Length, -1 when not sent
	read     int64 // bytes read so far
	held     int64 // budget taken (at least read)
	err      error // sticky: the first limit hit
	proto1   bool  // an HTTP/1.x request: its connection carries the unread rest
}

// wrap puts r's body under the limits. The time limit starts now, for a
// request with a body: the deadline is on the connection, so a body that
// stops arriving is cut even while a read waits, and even when the handler
// never reads it (net/http then reads what is left, to reuse the connection).
// Under HTTP/2 the deadline is the stream's: its body reads fail the same
// way, and the other streams of the connection run on. Writers that cannot
// set a deadline (tests' recorders) leave bodies untimed.
func (l *bodyLimits) wrap(w http.ResponseWriter, r *http.Request) *limitedBody {
	if r.ContentLength != 0 && l.timeout > 0 {
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(l.timeout))
	}
	return &limitedBody{lim: l, body: http.MaxBytesReader(w, r.Body, l.max), w: w, ctx: r.Context(), declared: r.ContentLength,
		proto1: r.ProtoMajor < 2}
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.declared > b.lim.max {
		// Refused before a byte is read.
		return 0, b.fail(&http.MaxBytesError{Limit: b.lim.max})
	}
	// Take budget for the bytes this read may bring, before they arrive.
	rest := b.lim.max + 1 - b.read
	if b.declared >= 0 {
		rest = b.declared - b.read
	}
	want := min(int64(len(p)), budgetChunk, max(rest, 1))
	if credit := b.held - b.read; credit < want {
		if !b.lim.budget.acquire(b.ctx, want-credit, b.lim.wait) {
			return 0, b.fail(&awsapi.APIError{Type: "ServiceUnavailable", Status: http.StatusServiceUnavailable,
				Message: "The server is receiving too many request bodies at once. Retry the request."})
		}
		b.held += want - credit
	}
	n, err := b.body.Read(p[:want])
	b.read += int64(n)
	// Once the body is whole, net/http clears the deadline as it starts
	// watching the connection for the client going away: a streamed answer
	// and the next request on the connection run under the server's own
	// timeouts (TestBodyTimeoutSparesStreamedAnswers).
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = b.fail(&awsapi.APIError{Type: "RequestTimeoutException", Status: http.StatusRequestTimeout,
			Message: fmt.Sprintf("The request body did not arrive within %v.", b.lim.timeout)})
	case errors.As(err, new(*http.MaxBytesError)):
		err = b.fail(err)
	}
	return n, err
}

// fail makes err the body's answer to every later read, and has the
// connection closed after the reply: the unread rest of the body must not
// be taken for the next request.
func (b *limitedBody) fail(err error) error {
	b.err = err
	if b.proto1 {
		// Under HTTP/2 the body is its stream's own, and the server resets
		// the stream if the handler leaves it unread; a Connection header
		// there would end the whole connection, every stream on it.
		b.w.Header().Set("Connection", "close")
	}
	return err
}

func (b *limitedBody) Close() error { return b.body.Close() }

// release returns the body's budget; the handler is done with its bytes.
func (b *limitedBody) release() {
	if b.held > 0 {
		b.lim.budget.release(b.held)
		b.held = 0
	}
}

// budget is a count of bytes that callers take and give back; those that
// find too few wait their turn (first come, first served) for a while.
type budget struct {
	size int64
	sem  *semaphore.Weighted
}

func newBudget(n int64) *budget { return &budget{size: n, sem: semaphore.NewWeighted(n)} }

// acquire takes n bytes, waiting up to wait (or until ctx ends) for them;
// false means it did not get them.
func (b *budget) acquire(ctx context.Context, n int64, wait time.Duration) bool {
	if b.sem.TryAcquire(n) {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return b.sem.Acquire(ctx, n) == nil
}

func (b *budget) release(n int64) { b.sem.Release(n) }
