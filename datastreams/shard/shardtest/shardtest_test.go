package shardtest_test

import (
	"testing"

	"github.com/shardcast/shardcast/datastreams/shard/shardtest"
)

// PerTest gives each test its own storage, the same on every call within
// it, and a fresh one to a test that starts later.
func TestPerTest(t *testing.T) {
	made := 0
	get := shardtest.PerTest(func(t *testing.T) *int { made++; n := made; return &n })
	var first *int
	t.Run("a", func(t *testing.T) {
		first = get(t)
		if get(t) != first || made != 1 {
			t.Fatalf("a second call made new storage (%d made)", made)
		}
		t.Run("nested", func(t *testing.T) {
			if get(t) == first {
				t.Fatal("a subtest shares its parent's storage")
			}
		})
	})
	t.Run("b", func(t *testing.T) {
		if get(t) == first || made != 3 {
			t.Fatalf("a later test got earlier storage (%d made)", made)
		}
	})
}
