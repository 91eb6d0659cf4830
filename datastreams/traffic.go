package datastreams

import (
	"sort"
	"sync/atomic"
	"time"
)

// shardTraffic counts what a shard took in and gave out since the server
// started, for the live figures of the web UI and the admin endpoint. The
// counters only grow: a reader of them takes rates from two readings.
type shardTraffic struct {
	recordsIn, bytesIn   atomic.Int64
	recordsOut, bytesOut atomic.Int64
	// behind is the MillisBehindLatest of the shard's last read that
	// returned records, and behindAt when it was read (Unix ns).
	behind, behindAt atomic.Int64
}

func (t *shardTraffic) put(records, bytes int) {
	t.recordsIn.Add(int64(records))
	t.bytesIn.Add(int64(bytes))
}

func (t *shardTraffic) got(records, bytes int, millisBehind int64, now time.Time) {
	if records == 0 {
		return
	}
	t.recordsOut.Add(int64(records))
	t.bytesOut.Add(int64(bytes))
	t.behind.Store(millisBehind)
	t.behindAt.Store(now.UnixNano())
}

// StreamTraffic is what one data stream took in and gave out since the
// server started (GetRecords and SubscribeToShard alike).
type StreamTraffic struct {
	Stream     string `json:"stream"`
	RecordsIn  int64  `json:"recordsIn"`
	BytesIn    int64  `json:"bytesIn"`
	RecordsOut int64  `json:"recordsOut"`
	BytesOut   int64  `json:"bytesOut"`
	// IteratorAgeMillis is the largest MillisBehindLatest of the reads of
	// the last minute, over the stream's shards (GetRecords.IteratorAgeMilliseconds
	// in CloudWatch's terms); 0 when nothing was read in that minute.
	IteratorAgeMillis int64 `json:"iteratorAgeMillis"`
	OpenShards        int   `json:"openShards"`
}

// Traffic reports every stream's counters, by name.
func (e *Engine) Traffic() []StreamTraffic {
	now := e.cfg.Now()
	var out []StreamTraffic
	for _, st := range e.reg.All() {
		state := stateOf(st)
		t := StreamTraffic{Stream: state.meta.Name, OpenShards: len(state.open)}
		for _, s := range state.shards {
			t.RecordsIn += s.traffic.recordsIn.Load()
			t.BytesIn += s.traffic.bytesIn.Load()
			t.RecordsOut += s.traffic.recordsOut.Load()
			t.BytesOut += s.traffic.bytesOut.Load()
			if at := s.traffic.behindAt.Load(); at != 0 && now.Sub(time.Unix(0, at)) < time.Minute {
				t.IteratorAgeMillis = max(t.IteratorAgeMillis, s.traffic.behind.Load())
			}
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stream < out[j].Stream })
	return out
}
