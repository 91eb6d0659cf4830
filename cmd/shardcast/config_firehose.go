package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FirehoseOptions configure Firehose delivery streams: where S3
// destinations write, and the services that stand in for AWS's (Lambda
// functions, Glue tables, Redshift clusters).
type FirehoseOptions struct {
	S3 struct {
		// Endpoint of an S3-compatible server; empty keeps buckets as
		// directories under <data-dir>/s3/<bucket>/ (the embedded default).
		Endpoint        string `yaml:"endpoint"`
		Region          string `yaml:"region"`
		AccessKeyID     string `yaml:"access_key_id"`
		SecretAccessKey string `yaml:"secret_access_key"`
		// VirtualHostedStyle addresses buckets as host names; the
		// default puts them in the path, as self-hosted servers expect.
		VirtualHostedStyle bool `yaml:"virtual_hosted_style"`
		// CAFile is a PEM file of the CAs that sign the endpoint's
		// certificate (default: the system's).
		CAFile             string `yaml:"ca_file"`
		InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	} `yaml:"s3"`
	// Lambdas maps Lambda function ARNs to the URLs of HTTP services that
	// answer Firehose transformation events.
	Lambdas map[string]string `yaml:"lambdas"`
	// Tables are the schemas DataFormatConversion resolves
	// SchemaConfiguration against, by "database.table".
	Tables map[string]FirehoseTable `yaml:"tables"`
	// OpenSearch maps an OpenSearch or Elasticsearch destination's
	// DomainARN, or its ClusterEndpoint, to the cluster's URL and
	// credentials.
	OpenSearch map[string]FirehoseCluster `yaml:"opensearch"`
	// Redshift maps a Redshift ClusterJDBCURL to a PostgreSQL connection
	// string that stands in for the cluster.
	Redshift map[string]string `yaml:"redshift"`
	// CreateDelay is how long a new delivery stream stays CREATING.
	CreateDelay time.Duration `yaml:"create_delay"`
	// RetentionCheck is how often delivered records are trimmed.
	RetentionCheck time.Duration `yaml:"retention_check"`
	// MaxBackoff caps the wait between delivery attempts.
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// FirehoseCluster is a search cluster: its URL (default: the key it is
// listed under, when that is a URL) and basic-auth credentials.
type FirehoseCluster struct {
	URL      string `yaml:"url"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// FirehoseTable is a table's columns, as Glue would hold them.
type FirehoseTable struct {
	Columns []FirehoseColumn `yaml:"columns"`
}

// FirehoseColumn is one column: a name and a Hive type (string, int,
// bigint, double, boolean, timestamp, ...).
type FirehoseColumn struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`
}

func firehoseSettings() []setting {
	str := func(f func(*Config) *string) func(*Config, string) error {
		return func(c *Config, v string) error { *f(c) = v; return nil }
	}
	dur := func(f func(*Config) *time.Duration) func(*Config, string) error {
		return func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			*f(c) = d
			return err
		}
	}
	boolean := func(f func(*Config) *bool) func(*Config, string) error {
		return func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			*f(c) = b
			return err
		}
	}
	pair := func(f func(*Config) *map[string]string) func(*Config, string) error {
		return func(c *Config, v string) error {
			m := map[string]string{}
			for _, kv := range splitList(v) {
				k, val, ok := cutFirst(kv, "=")
				if !ok {
					return fmt.Errorf("%q: want KEY=VALUE", kv)
				}
				m[k] = val
			}
			*f(c) = m
			return nil
		}
	}
	return []setting{
		{"firehose-s3-endpoint", "URL of the S3-compatible server Firehose S3 destinations write to (default: buckets are directories under <data-dir>/s3/)", str(func(c *Config) *string { return &c.Firehose.S3.Endpoint })},
		{"firehose-s3-region", "region of --firehose-s3-endpoint (default: --region)", str(func(c *Config) *string { return &c.Firehose.S3.Region })},
		{"firehose-s3-access-key-id", "access key id for --firehose-s3-endpoint", str(func(c *Config) *string { return &c.Firehose.S3.AccessKeyID })},
		{"firehose-s3-secret-access-key", "secret access key for --firehose-s3-endpoint", str(func(c *Config) *string { return &c.Firehose.S3.SecretAccessKey })},
		{"firehose-s3-virtual-hosted-style", "address buckets as host names of --firehose-s3-endpoint rather than path components (true or false)", boolean(func(c *Config) *bool { return &c.Firehose.S3.VirtualHostedStyle })},
		{"firehose-s3-ca-file", "PEM file of the CAs that sign --firehose-s3-endpoint's certificate (default: the system's)", str(func(c *Config) *string { return &c.Firehose.S3.CAFile })},
		{"firehose-s3-insecure-skip-verify", "do not verify --firehose-s3-endpoint's certificate (true or false)", boolean(func(c *Config) *bool { return &c.Firehose.S3.InsecureSkipVerify })},
		{"firehose-lambdas", "comma-separated LAMBDA_ARN=URL pairs: the HTTP services that run Firehose Lambda transformations", pair(func(c *Config) *map[string]string { return &c.Firehose.Lambdas })},
		{"firehose-redshift", "comma-separated CLUSTER_JDBC_URL=POSTGRES_URL pairs: the PostgreSQL databases that stand in for Redshift clusters", pair(func(c *Config) *map[string]string { return &c.Firehose.Redshift })},
		{"firehose-create-delay", "how long a new delivery stream stays CREATING (default 0: ACTIVE at once)", dur(func(c *Config) *time.Duration { return &c.Firehose.CreateDelay })},
		{"firehose-retention-check", "how often delivered Firehose records are trimmed from the log (default 1m)", dur(func(c *Config) *time.Duration { return &c.Firehose.RetentionCheck })},
		{"firehose-max-backoff", "longest wait between two attempts of a failing delivery (default 10s)", dur(func(c *Config) *time.Duration { return &c.Firehose.MaxBackoff })},
	}
}

// cutFirst cuts s around its first sep: the key comes first, and a URL
// value may hold '=' in its query.
func cutFirst(s, sep string) (string, string, bool) { return strings.Cut(s, sep) }

// validate checks the Firehose options.
func (o FirehoseOptions) validate() []error {
	var errs []error
	if (o.S3.AccessKeyID == "") != (o.S3.SecretAccessKey == "") {
		errs = append(errs, errors.New("firehose.s3.access_key_id and firehose.s3.secret_access_key go together"))
	}
	if o.S3.Endpoint == "" && (o.S3.AccessKeyID != "" || o.S3.VirtualHostedStyle || o.S3.CAFile != "" || o.S3.InsecureSkipVerify) {
		errs = append(errs, errors.New("firehose.s3 credentials, virtual_hosted_style, ca_file and insecure_skip_verify need firehose.s3.endpoint"))
	}
	for name, t := range o.Tables {
		if db, tb, ok := strings.Cut(name, "."); !ok || db == "" || tb == "" {
			errs = append(errs, fmt.Errorf("firehose.tables: %q: want DATABASE.TABLE", name))
		} else if len(t.Columns) == 0 {
			errs = append(errs, fmt.Errorf("firehose.tables: %q has no columns", name))
		}
	}
	for _, d := range []time.Duration{o.CreateDelay, o.RetentionCheck, o.MaxBackoff} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("firehose durations must not be negative, not %s", d))
		}
	}
	return errs
}
