package datastreams

import "time"

// Defaults of Config, applied by Open to fields left zero; cmd/shardcast
// shows and sets the same values.
const (
	DefaultShardLimit               = 500
	DefaultOnDemandStreamCountLimit = 50
	DefaultIteratorTTL              = 5 * time.Minute
	DefaultRetentionCheck           = time.Minute
	DefaultConsumerDelay            = time.Duration(0)
	DefaultSubscriptionLifetime     = 5 * time.Minute
	DefaultSubscriptionTakeover     = 5 * time.Second
	DefaultSubscriptionHeartbeat    = 5 * time.Second
)
