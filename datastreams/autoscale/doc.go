// Package autoscale is the scaling policy of on-demand Kinesis data
// streams: a per-shard write meter cheap enough for the PutRecords path,
// and a Policy that, fed the open shards of one stream at every tick,
// decides which shard to split (one that stays near a shard's write
// capacity) or which adjacent pair of cold shards to merge.
//
// The package knows nothing of streams, logs or the Kinesis API: hash keys
// are 128-bit numbers (Key), shards are an id, a hash-key range and a
// Meter. The engine carries the decisions out.
//
// # Measuring
//
// A Meter holds running totals (bytes, records and a 16-bucket histogram
// of the hash keys written), each an atomic counter: Add is a handful of
// atomic additions and no allocation. The Policy samples the totals at
// every tick and turns the differences into rates, then smooths them with
// an exponentially weighted moving average whose time constant is
// Config.Smoothing. Totals sampled by one reader give exact averages over
// each tick at no cost to writers (a sliding window of per-second slots
// would make writers rotate slots); the EWMA then keeps one short lull in
// a steady stream, or one burst in a quiet one, from resetting or starting
// the hysteresis timers.
//
// # Deciding
//
// Utilization is the larger of bytes/s over Config.BytesPerSec and
// records/s over Config.RecordsPerSec (AWS's 1 MiB/s and 1000 records/s a
// shard). A shard whose smoothed utilization stays at or above
// Config.SplitAt for Config.SplitAfter is split; the split key is the
// median hash key written to it during that time (from the histogram, so
// that both children take about half of the load), or the middle of its
// range when the traffic cannot be told apart. Two adjacent shards that
// both stay below Config.MergeBelow for Config.MergeAfter are merged,
// unless the stream would fall below Config.MinShards open shards (AWS
// starts on-demand streams with the capacity of 4 shards and does not
// scale below it). At most one action is returned per tick, and a split
// needs room under both Config.MaxShards and the caller's account limit.
package autoscale
