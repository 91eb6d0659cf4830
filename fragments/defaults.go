package fragments

import "time"

// Defaults of Config and Options, applied by Open and NewFragmenter to
// fields left zero; cmd/shardcast shows and sets the same values.
const (
	DefaultStreamLimit    = 10000
	DefaultRetentionCheck = time.Minute
	DefaultLiveBuffer     = 5 * time.Minute
	DefaultReserveCheck   = 10 * time.Second
	DefaultMaxDuration    = 10 * time.Second
)
