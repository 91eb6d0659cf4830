package datastreams

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// Stream statuses besides ACTIVE, as AWS has them.
const (
	StatusCreating = "CREATING"
	StatusUpdating = "UPDATING"
	StatusDeleting = "DELETING"
)

// later runs fn after d in a goroutine that Close stops (fn then does not
// run) and waits for. After Close it does nothing.
func (e *Engine) later(d time.Duration, fn func(ctx context.Context)) {
	e.laterMu.Lock()
	defer e.laterMu.Unlock()
	if e.closed {
		return
	}
	e.laterWG.Add(1)
	go func() {
		defer e.laterWG.Done()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-e.stop:
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-e.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		fn(ctx)
	}()
}

// stopLater stops the delayed transitions and waits for those running.
// What they would have done is done at the next Open (recoverStatus).
func (e *Engine) stopLater() {
	e.laterMu.Lock()
	if !e.closed {
		e.closed = true
		close(e.stop)
	}
	e.laterMu.Unlock()
	e.laterWG.Wait()
}

// setStatus moves the stream to status to when it is in one of from.
func (e *Engine) setStatus(ctx context.Context, st *stream, to string, from ...string) error {
	_, err := st.Update(ctx, func(m *index.Stream) error {
		if !slices.Contains(from, m.Status) {
			return registry.ErrUnchanged
		}
		m.Status = to
		return nil
	})
	if errors.Is(err, registry.ErrGone) {
		return nil
	}
	return err
}

// finishUpdate returns a stream from UPDATING to ACTIVE, at once or after
// Config.UpdateDelay.
func (e *Engine) finishUpdate(ctx context.Context, st *stream) {
	back := func(ctx context.Context) {
		if err := e.setStatus(ctx, st, StatusActive, StatusUpdating); err != nil {
			e.cfg.Logger.Warn("datastreams: return a stream to ACTIVE (done at the next start)", "stream", st.Def().Name, "err", err)
		}
	}
	if e.cfg.UpdateDelay <= 0 {
		back(context.WithoutCancel(ctx))
		return
	}
	e.later(e.cfg.UpdateDelay, back)
}

// whileUpdating is how every stream-wide change runs: it refuses unless
// the stream is ACTIVE (ResourceInUse, AWS's message), then runs check on a
// copy of the definition, which may refuse with an error or change the copy;
// the copy is persisted with the status UPDATING. change then runs (it may
// be nil), and the stream returns to ACTIVE at once or after
// Config.UpdateDelay. A second change meanwhile meets UPDATING and is
// refused, so changes of a stream never overlap. When change fails the
// stream returns to ACTIVE at once and its error is returned.
func (e *Engine) whileUpdating(ctx context.Context, st *stream, check func(m *index.Stream) error, change func(ctx context.Context) error) error {
	name := st.Def().Name
	_, err := st.Update(ctx, func(m *index.Stream) error {
		if m.Status != StatusActive {
			return e.notActive(name, m.Status)
		}
		if check != nil {
			if err := check(m); err != nil {
				return err
			}
		}
		m.Status = StatusUpdating
		return nil
	})
	if err != nil {
		return e.updateErr(name, err)
	}
	if change != nil {
		if err := change(ctx); err != nil {
			if serr := e.setStatus(context.WithoutCancel(ctx), st, StatusActive, StatusUpdating); serr != nil {
				e.cfg.Logger.Warn("datastreams: return a stream to ACTIVE (done at the next start)", "stream", name, "err", serr)
			}
			return e.updateErr(name, err)
		}
	}
	e.finishUpdate(ctx, st)
	return nil
}

// updateErr maps an error of a definition update to what a client sees.
func (e *Engine) updateErr(name string, err error) error {
	if errors.Is(err, registry.ErrGone) {
		return e.streamNotFound(name)
	}
	var re *registry.Error
	if !errors.As(err, &re) {
		err = fmt.Errorf("%w: %w", registry.ErrInternal, err)
	}
	return err
}

// recoverStatus finishes at Open what a stop left of the transitions: a
// stream CREATING or UPDATING becomes ACTIVE, one DELETING is deleted.
func (e *Engine) recoverStatus(ctx context.Context) error {
	for _, st := range e.reg.All() {
		switch st.Def().Status {
		case StatusCreating, StatusUpdating:
			if err := e.setStatus(ctx, st, StatusActive, StatusCreating, StatusUpdating); err != nil {
				return fmt.Errorf("datastreams: stream %s: %w", st.Def().Name, err)
			}
		case StatusDeleting:
			if err := e.reg.Delete(ctx, st, nil); err != nil && !errors.Is(err, registry.ErrGone) {
				return fmt.Errorf("datastreams: finish deleting stream %s: %w", st.Def().Name, err)
			}
		}
	}
	return nil
}
