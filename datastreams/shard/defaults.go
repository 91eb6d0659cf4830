package shard

// DefaultSegmentMaxBytes is the size past which a log starts a new segment
// when LogOptions (or Options) give none: the unit that retention drops.
const DefaultSegmentMaxBytes = 64 << 20
