package datastreams

import "time"

// Defaults of Config, applied by Open to fields left zero; cmd/shardcast
// shows and sets the same values.
const (
	DefaultShardLimit               = 500
	DefaultOnDemandStreamCountLimit = 50
	DefaultIteratorTTL              = 5 * time.Minute
	DefaultRetentionCheck           = time.Minute
)
