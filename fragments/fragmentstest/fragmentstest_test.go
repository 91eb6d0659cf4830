package fragmentstest_test

import (
	"testing"

	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/fragments/fragmentstest"
)

// The store is durable (a retention of hours is kept on files) and keeps
// the caller's settings.
func TestOpen(t *testing.T) {
	st := fragmentstest.Open(t, fragments.Config{StreamLimit: 1})
	if _, err := st.CreateStream(fragments.CreateInput{Name: "a", RetentionHours: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateStream(fragments.CreateInput{Name: "b", RetentionHours: 2}); err == nil {
		t.Fatal("the caller's stream limit of 1 was not kept")
	}
	if s, err := st.Lookup(fragments.StreamRef{Name: "a"}); err != nil || s.Info().RetentionHours != 2 {
		t.Fatalf("lookup: %v", err)
	}
}
