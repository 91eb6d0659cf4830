package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/shardcast/shardcast/datastreams/analytics"
	"github.com/shardcast/shardcast/datastreams/firehose"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/datastreams/streamdir"
)

// analyticsStore returns the shard store of applications' checkpoint
// logs: an analytics directory beside the others, a view of the NATS
// store, or memory.
func (s *server) analyticsStore() (shard.Store, error) {
	switch s.cfg.Storage {
	case "file":
		return streamdir.NewStore(streamdir.StoreConfig{Root: filepath.Join(s.cfg.DataDir, "analytics"), Index: s.catalog, Logger: s.log})
	case "nats":
		return shard.Prefixed(s.nats.Store(), "analytics-"), nil
	}
	return shard.NewMemStore(nil), nil
}

// openAnalytics opens the application manager over cat: applications
// read and write data streams, read and write delivery streams and read reference
// data from Firehose's object store.
func (s *server) openAnalytics(cat registry.Catalog) error {
	st, err := s.analyticsStore()
	if err != nil {
		return err
	}
	s.analyticsShards = st
	objects, err := s.firehoseObjects()
	if err != nil {
		return err
	}
	getter, _ := objects.(analytics.Objects)
	s.analytics, err = analytics.Open(analytics.Config{
		Catalog: cat, Store: st, Keyring: s.keyring, Account: s.cfg.AccountID, Region: s.cfg.Region,
		Streams: s.engine, Firehose: firehosePut{s.firehose}, FirehoseInputs: firehoseLog{s.firehose}, Objects: getter,
		LambdaEndpoints: s.cfg.Firehose.Lambdas, Logger: s.log,
		ArrivalSlack: s.cfg.Analytics.ArrivalSlack, CheckpointInterval: s.cfg.Analytics.CheckpointInterval,
	})
	return err
}

// firehosePut writes application output into delivery streams.
type firehosePut struct{ e *firehose.Engine }

func (f firehosePut) PutBatch(ctx context.Context, name string, data [][]byte) error {
	res, _, err := f.e.Put(ctx, name, data)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.ErrorCode != "" {
			return fmt.Errorf("delivery stream %s: %s: %s", name, r.ErrorCode, r.ErrorMessage)
		}
	}
	return nil
}

// firehoseLog reads delivery streams' logs for applications whose input
// is a delivery stream.
type firehoseLog struct{ e *firehose.Engine }

func (f firehoseLog) SeekLog(ctx context.Context, name string, t time.Time) (uint64, error) {
	return f.e.SeekLog(ctx, name, t)
}

func (f firehoseLog) ReadLog(ctx context.Context, name, reader string, from uint64, limit int) ([]analytics.DeliveryRecord, error) {
	recs, err := f.e.ReadLog(ctx, name, reader, from, limit)
	out := make([]analytics.DeliveryRecord, len(recs))
	for i, r := range recs {
		out[i] = analytics.DeliveryRecord{Seq: r.Seq, Arrival: r.Arrival, Data: r.Data}
	}
	return out, err
}

func (f firehoseLog) HoldLog(ctx context.Context, name, reader string, from uint64) error {
	return f.e.HoldLog(ctx, name, reader, from)
}

func (f firehoseLog) ReleaseLog(ctx context.Context, name, reader string) error {
	return f.e.ReleaseLog(ctx, name, reader)
}
