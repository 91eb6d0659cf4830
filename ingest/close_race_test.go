package ingest

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/streamdir"
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/index"
)

// TestStartRacingClose: a Start that races the manager's Close either
// fails with ErrClosed or returns a session that Close has ended; no
// session is left running once both have returned.
func TestStartRacingClose(t *testing.T) {
	dir := t.TempDir()
	kr, err := envelope.NewStatic(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := index.Open(filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	vcat, err := streamdir.NewCatalog(streamdir.CatalogConfig{Root: filepath.Join(dir, "video"), Mirror: cat})
	if err != nil {
		t.Fatal(err)
	}
	vstore, err := streamdir.NewStore(streamdir.StoreConfig{Root: filepath.Join(dir, "video"), Index: cat})
	if err != nil {
		t.Fatal(err)
	}
	store, err := fragments.Open(fragments.Config{Catalog: vcat, Store: vstore, Index: cat, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(); cat.Close() })
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
