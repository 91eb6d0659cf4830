package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose"
	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
	"github.com/shardcast/shardcast/datastreams/firehose/dest"
	"github.com/shardcast/shardcast/datastreams/firehose/format"
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
	c := s.cfg.Firehose.S3
	if c.Endpoint == "" {
		return objstore.NewDir(filepath.Join(s.cfg.DataDir, "s3")), nil
	}
	sc := objstore.S3Config{Endpoint: c.Endpoint, Region: c.Region, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		VirtualHostedStyle: c.VirtualHostedStyle, InsecureSkipVerify: c.InsecureSkipVerify}
	if sc.Region == "" {
		sc.Region = s.cfg.Region
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("firehose.s3.ca_file: %w", err)
		}
		sc.CACertPEM = pem
	}
	return objstore.NewS3(sc)
}

// firehoseTables returns the tables of DataFormatConversionConfiguration.
func (s *server) firehoseTables() format.Tables {
	var ts format.Tables
	for name, t := range s.cfg.Firehose.Tables {
		db, tb, _ := strings.Cut(name, ".")
		ft := format.Table{Database: db, Name: tb}
		for _, c := range t.Columns {
			ft.Columns = append(ft.Columns, format.Column{Name: c.Name, Type: c.Type})
		}
		ts = append(ts, ft)
	}
	return ts
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
		LambdaEndpoints: fc.Lambdas, Tables: s.firehoseTables(), Destinations: s.firehoseDestination,
		CreateDelay: fc.CreateDelay, RetentionCheck: fc.RetentionCheck, MaxBackoff: fc.MaxBackoff,
		Logger: s.log,
	})
	return err
}

// firehoseDestination builds the non-S3 destinations of delivery streams
// from their API configuration and what shardcast's configuration says
// about the services they name.
func (s *server) firehoseDestination(kind string, config []byte) (delivery.Destination, error) {
	fc := s.cfg.Firehose
	switch kind {
	case firehose.DestHTTPEndpoint:
		var c firehose.HTTPEndpointDestinationConfiguration
		if err := json.Unmarshal(config, &c); err != nil {
			return nil, err
		}
		if c.EndpointConfiguration == nil {
			return nil, fmt.Errorf("EndpointConfiguration is required")
		}
		hc := dest.HTTPEndpointConfig{URL: c.EndpointConfiguration.URL, Name: c.EndpointConfiguration.Name, AccessKey: c.EndpointConfiguration.AccessKey}
		if rc := c.RequestConfiguration; rc != nil {
			hc.ContentEncoding = rc.ContentEncoding
			for _, a := range rc.CommonAttributes {
				if hc.CommonAttributes == nil {
					hc.CommonAttributes = map[string]string{}
				}
				hc.CommonAttributes[a.AttributeName] = a.AttributeValue
			}
		}
		return dest.NewHTTPEndpoint(hc)
	case firehose.DestOpenSearch, firehose.DestElasticsearch:
		var c firehose.OpenSearchDestinationConfiguration
		if err := json.Unmarshal(config, &c); err != nil {
			return nil, err
		}
		var ids struct {
			DefaultDocumentIDFormat string `json:"DefaultDocumentIdFormat"`
		}
		if len(c.DocumentIDOptions) > 0 {
			json.Unmarshal(c.DocumentIDOptions, &ids)
		}
		key := c.ClusterEndpoint
		if key == "" {
			key = c.DomainARN
		}
		cl := fc.OpenSearch[key]
		endpoint := cl.URL
		if endpoint == "" {
			endpoint = c.ClusterEndpoint
		}
		if endpoint == "" {
			return nil, fmt.Errorf("no cluster URL for the domain %s: map its DomainARN to a URL under firehose.opensearch in shardcast's configuration", c.DomainARN)
		}
		return dest.NewOpenSearch(dest.OpenSearchConfig{Endpoint: endpoint, IndexName: c.IndexName, TypeName: c.TypeName,
			IndexRotationPeriod: c.IndexRotationPeriod, DocumentIDFormat: ids.DefaultDocumentIDFormat,
			Elasticsearch: kind == firehose.DestElasticsearch, Username: cl.Username, Password: cl.Password})
	case firehose.DestSplunk:
		var c firehose.SplunkDestinationConfiguration
		if err := json.Unmarshal(config, &c); err != nil {
			return nil, err
		}
		sc := dest.SplunkConfig{Endpoint: c.HECEndpoint, EndpointType: c.HECEndpointType, Token: c.HECToken}
		if c.HECAcknowledgmentTimeoutInSeconds != nil {
			sc.AckTimeout = time.Duration(*c.HECAcknowledgmentTimeoutInSeconds) * time.Second
		}
		return dest.NewSplunk(sc)
	case firehose.DestRedshift:
		var c firehose.RedshiftDestinationConfiguration
		if err := json.Unmarshal(config, &c); err != nil {
			return nil, err
		}
		conn, ok := fc.Redshift[c.ClusterJDBCURL]
		if !ok {
			return nil, fmt.Errorf("no PostgreSQL database stands in for the Redshift cluster %s: map its ClusterJDBCURL to a connection string under firehose.redshift in shardcast's configuration", c.ClusterJDBCURL)
		}
		if c.CopyCommand == nil {
			return nil, fmt.Errorf("CopyCommand is required")
		}
		return dest.NewPostgres(dest.PostgresConfig{ConnString: conn, Username: c.Username, Password: c.Password,
			Table: c.CopyCommand.DataTableName, Columns: c.CopyCommand.DataTableColumns, CopyOptions: c.CopyCommand.CopyOptions, Logger: s.log})
	}
	return nil, fmt.Errorf("%s destinations are not supported by this server", kind)
}
