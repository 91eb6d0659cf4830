package leases

import (
	"context"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// SKELETON: method set the web handler calls. The leases helper owns the
// implementation and may change inputs/outputs (not their wire names).
type Engine struct{}

func (e *Engine) CreateTable(ctx context.Context, in *CreateTableInput) (*TableDescription, error) {
	panic("skeleton")
}
func (e *Engine) DescribeTable(ctx context.Context, name string) (*TableDescription, error) {
	panic("skeleton")
}
func (e *Engine) DeleteTable(ctx context.Context, name string) (*TableDescription, error) {
	panic("skeleton")
}
func (e *Engine) ListTables(ctx context.Context, exclusiveStart string, limit int) (names []string, last string, err error) {
	panic("skeleton")
}
func (e *Engine) GetItem(ctx context.Context, in *GetItemInput) (attr.Item, error) {
	panic("skeleton")
}
func (e *Engine) PutItem(ctx context.Context, in *PutItemInput) (old attr.Item, err error) {
	panic("skeleton")
}
func (e *Engine) UpdateItem(ctx context.Context, in *UpdateItemInput) (attrs attr.Item, err error) {
	panic("skeleton")
}
func (e *Engine) DeleteItem(ctx context.Context, in *DeleteItemInput) (old attr.Item, err error) {
	panic("skeleton")
}
func (e *Engine) Scan(ctx context.Context, in *ScanInput) (*ItemsOutput, error) {
	panic("skeleton")
}
func (e *Engine) Query(ctx context.Context, in *QueryInput) (*ItemsOutput, error) {
	panic("skeleton")
}
