package main

import (
	"errors"
	"path/filepath"

	"github.com/shardcast/shardcast/datastreams/firehose"
	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/firehose/objstore"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/datastreams/shard"
	"github.com/shardcast/shardcast/datastreams/streamdir"
)

// firehoseStore returns the shard store of delivery streams' logs: a
// firehose directory beside the others, a view of the NATS store, or memory.
func (s *server) firehoseStore() (shard.Store, error) {
	switch s.cfg.Storage {
	case "file":
		return streamdir.NewStore(streamdir.StoreConfig{Root: filepath.Join(s.cfg.DataDir, "firehose"), Index: s.catalog, Logger: s.log})
	case "nats":
		return shard.Prefixed(s.nats.Store(), "firehose-"), nil
	}
	return shard.NewMemStore(nil), nil
}

// firehoseObjects returns where S3 destinations write: directories under
// <data-dir>/s3/ unless an S3-compatible endpoint is configured.
func (s *server) firehoseObjects() (delivery.ObjectStore, error) {
	if s.cfg.Firehose.S3.Endpoint != "" {
		return nil, errors.New("firehose.s3.endpoint: this build has no S3 client; leave it empty to keep buckets under the data directory")
	}
	return objstore.NewDir(filepath.Join(s.cfg.DataDir, "s3")), nil
}

// openFirehose opens the delivery stream engine over cat, reading data
// streams from the Kinesis engine.
func (s *server) openFirehose(cat registry.Catalog) error {
	st, err := s.firehoseStore()
	if err != nil {
		return err
	}
	s.firehoseShards = st
	objects, err := s.firehoseObjects()
	if err != nil {
		return err
	}
	fc := s.cfg.Firehose
	s.firehose, err = firehose.Open(firehose.Config{
		Catalog: cat, Store: st, Keyring: s.keyring, Account: s.cfg.AccountID, Region: s.cfg.Region,
		Objects: objects, Sources: s.engine,
		CreateDelay: fc.CreateDelay, RetentionCheck: fc.RetentionCheck, MaxBackoff: fc.MaxBackoff,
		Logger: s.log,
	})
	return err
}
