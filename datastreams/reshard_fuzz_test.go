package datastreams

import (
	"strings"
	"testing"
)

// FuzzReshardShardIndex: a shard id SplitShard and MergeShards accept
// names an index below 2^31 whose normal form parses back to it, and one
// they refuse has no all-digit part after its first '-'.
func FuzzReshardShardIndex(f *testing.F) {
	for _, s := range []string{"shardId-000000000005", "shardId-5", "5", "x-0", "2147483647", "2147483648",
		"shardId-002147483648", "ABKLFD8", "2.14E4", "-00002147483647", "a-00002147483647", "", "-", "shardId-", "a-b-1", "+1", "shardId-+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		n, ok := reshardShardIndex(id)
		if !ok {
			return
		}
		if n < 0 || n > 1<<31-1 {
			t.Fatalf("%q: index %d out of range", id, n)
		}
		digits := id
		if i := strings.IndexByte(id, '-'); i >= 0 {
			digits = id[i+1:]
		}
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("%q accepted with %q after the first '-'", id, digits)
		}
		if m, ok := reshardShardIndex(shardID(n)); !ok || m != n {
			t.Fatalf("%q: normal form %s parses to %d %v", id, shardID(n), m, ok)
		}
	})
}
