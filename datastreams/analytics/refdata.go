package analytics

import (
	"context"
	"fmt"

	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

// loadTables reads every reference data source's object into rows. A
// source that cannot be read gives an empty table and a message for the
// error stream: the application runs on, as the service's does.
func (m *Manager) loadTables(ctx context.Context, st *stored) (map[string][][]sqltypes.Value, []string) {
	tables := map[string][][]sqltypes.Value{}
	var problems []string
	for _, r := range st.References {
		rows, err := m.loadTable(ctx, &r.ReferenceDataSource)
		if err != nil {
			problems = append(problems, fmt.Sprintf("reference data source %s (table %s): %v", r.ID, r.TableName, err))
			rows = [][]sqltypes.Value{}
		}
		tables[r.TableName] = rows
	}
	return tables, problems
}

func (m *Manager) loadTable(ctx context.Context, r *ReferenceDataSource) ([][]sqltypes.Value, error) {
	if m.cfg.Objects == nil || r.S3ReferenceDataSource == nil {
		return nil, fmt.Errorf("no object store")
	}
	bucket, ok := bucketName(r.S3ReferenceDataSource.BucketARN)
	if !ok {
		return nil, fmt.Errorf("%s is not a bucket ARN", r.S3ReferenceDataSource.BucketARN)
	}
	d, _, err := decoder("reference data", r.ReferenceSchema)
	if err != nil {
		return nil, err
	}
	body, err := m.cfg.Objects.Get(ctx, bucket, r.S3ReferenceDataSource.FileKey)
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, r.S3ReferenceDataSource.FileKey, err)
	}
	rows, err := d.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("s3://%s/%s does not match the reference schema: %w", bucket, r.S3ReferenceDataSource.FileKey, err)
	}
	return rows, nil
}
