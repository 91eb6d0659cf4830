package main

// The warning of a server that runs open: --insecure-open without
// credentials. It is logged at start and then every openWarnEvery while
// the server runs, so that a log read days later still says it.

import (
	"context"
	"time"
)

// openWarnEvery is how often the warning repeats (server.openWarnEvery;
// tests shorten it).
const openWarnEvery = time.Hour

// insecureOpenWarning is the warning's message.
const insecureOpenWarning = "--insecure-open: no credentials configured and listening where asked: anyone who can reach this server can publish, read and delete every stream"

// warnInsecureOpen logs the warning now and then every s.openWarnEvery
// until Close (which waits for the last one).
func (s *server) warnInsecureOpen() {
	s.log.Warn(insecureOpenWarning)
	if s.openWarnEvery <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.stopOpenWarn = func() { cancel(); <-done }
	go func() {
		defer close(done)
		tick := time.NewTicker(s.openWarnEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				s.log.Warn(insecureOpenWarning, "every", durationText(s.openWarnEvery))
			}
		}
	}()
}
