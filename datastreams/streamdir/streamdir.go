package streamdir

import (
	"strings"

	"github.com/shardcast/shardcast/index"
)

// deletedSuffix marks a log directory being removed: the rename to it is
// the removal's commit point, and NewStore finishes what a crash left.
const deletedSuffix = ".deleted"

// Prune drops time-index entries of logs that belong to no stream of ids
// (the union over every kind sharing a catalog).
func Prune(cat *index.Catalog, ids map[string]bool) error {
	if cat == nil {
		return nil
	}
	_, err := cat.PruneLogs(func(log string) bool {
		id, _, _ := strings.Cut(log, "/")
		return ids[id]
	})
	return err
}
