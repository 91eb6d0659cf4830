package ingest

import (
	"errors"
	"sync"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/fragments/fragmentstest"
)

// TestStartRacingClose: a Start that races the manager's Close either
// fails with ErrClosed or returns a session that Close has ended; no
// session is left running once both have returned.
func TestStartRacingClose(t *testing.T) {
	store := fragmentstest.Open(t, fragments.Config{})
	if _, err := store.CreateStream(fragments.CreateInput{Name: "race", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	tracks := []fragments.Track{{Codec: &codecs.VP9{}, ClockRate: 90000}}
	for round := 0; round < 20; round++ {
		m := NewManager(Config{Store: store})
		var (
			wg      sync.WaitGroup
			s       *Session
			err     error
			release = make(chan struct{})
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-release
			s, err = m.Start(Request{Stream: "race", Protocol: "test", Tracks: tracks})
		}()
		go func() {
			defer wg.Done()
			<-release
			m.Close()
		}()
		close(release)
		wg.Wait()
		if err != nil {
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("round %d: Start failed with %v, want ErrClosed", round, err)
			}
			continue
		}
		select {
		case <-s.ended:
		default:
			s.Close() // free the stream's publisher slot for the next round
			t.Fatalf("round %d: Start returned a session after Close that is still running", round)
		}
		if n := len(m.Sessions()); n != 0 {
			t.Fatalf("round %d: %d sessions still registered after Close", round, n)
		}
	}
}
