package main

import "time"

// AnalyticsOptions tune analytics applications' runners (zero keeps each
// default).
type AnalyticsOptions struct {
	// ArrivalSlack is how far behind the clock an idle input shard's
	// watermark stays (default 50ms): an append whose commit took longer
	// than this between taking its arrival time and becoming readable
	// gets a later ROWTIME. Raise it on slow disks; windows then close
	// that much later.
	ArrivalSlack time.Duration `yaml:"arrival_slack"`
	// CheckpointInterval is how often a running application checkpoints
	// (default 1s).
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
}
