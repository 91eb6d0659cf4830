package leases

import (
	"encoding/json"

	"github.com/shardcast/shardcast/datastreams/leases/attr"
)

// The request and response types mirror DynamoDB's JSON 1.0 members by
// name, so the web handler decodes a body straight into them.
//
// Members that DynamoDB defines but the engine does not implement are
// decoded (as raw JSON) so that a request using them is refused with a
// ValidationException naming them, instead of succeeding silently.

// ExpectedAttr is one entry of the legacy Expected map.
type ExpectedAttr struct {
	Value              *attr.Value
	Exists             *bool
	ComparisonOperator string
	AttributeValueList []attr.Value
}

// AttributeUpdate is one entry of the legacy AttributeUpdates map.
type AttributeUpdate struct {
	Action string // PUT (default), ADD, DELETE
	Value  *attr.Value
}

type KeySchemaElement struct{ AttributeName, KeyType string }
type AttributeDefinition struct{ AttributeName, AttributeType string }
type Projection struct {
	ProjectionType   string
	NonKeyAttributes []string `json:",omitempty"`
}
type ProvisionedThroughput struct{ ReadCapacityUnits, WriteCapacityUnits int64 }

// Unsupported holds request members the engine refuses when present.
type Unsupported struct {
	KeyConditions               json.RawMessage `json:",omitempty"`
	QueryFilter                 json.RawMessage `json:",omitempty"`
	ScanFilter                  json.RawMessage `json:",omitempty"`
	LocalSecondaryIndexes       json.RawMessage `json:",omitempty"`
	StreamSpecification         json.RawMessage `json:",omitempty"`
	SSESpecification            json.RawMessage `json:",omitempty"`
	ReplicaUpdates              json.RawMessage `json:",omitempty"`
	MultiRegionConsistency      json.RawMessage `json:",omitempty"`
	GlobalTableWitnessUpdates   json.RawMessage `json:",omitempty"`
	TableClass                  json.RawMessage `json:",omitempty"`
	OnDemandThroughput          json.RawMessage `json:",omitempty"`
	WarmThroughput              json.RawMessage `json:",omitempty"`
	ResourcePolicy              json.RawMessage `json:",omitempty"`
	ReturnItemCollectionMetrics string          `json:",omitempty"` // NONE is accepted
	ReturnConsumedCapacity      string          `json:",omitempty"` // accepted; nothing is reported
}

type GlobalSecondaryIndex struct {
	IndexName             string
	KeySchema             []KeySchemaElement
	Projection            *Projection
	ProvisionedThroughput *ProvisionedThroughput
}

type Tag struct{ Key, Value string }

type CreateTableInput struct {
	Unsupported
	TableName                 string
	KeySchema                 []KeySchemaElement
	AttributeDefinitions      []AttributeDefinition
	BillingMode               string
	ProvisionedThroughput     *ProvisionedThroughput
	GlobalSecondaryIndexes    []GlobalSecondaryIndex
	DeletionProtectionEnabled *bool
	Tags                      []Tag
}

type PutItemInput struct {
	Unsupported
	TableName                           string
	Item                                attr.Item
	Expected                            map[string]ExpectedAttr
	ConditionalOperator                 string
	ConditionExpression                 string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           attr.Item
	ReturnValues                        string
	ReturnValuesOnConditionCheckFailure string
}

type UpdateItemInput struct {
	Unsupported
	TableName                           string
	Key                                 attr.Item
	AttributeUpdates                    map[string]AttributeUpdate
	Expected                            map[string]ExpectedAttr
	ConditionalOperator                 string
	ConditionExpression                 string
	UpdateExpression                    string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           attr.Item
	ReturnValues                        string
	ReturnValuesOnConditionCheckFailure string
}

type DeleteItemInput struct {
	Unsupported
	TableName                           string
	Key                                 attr.Item
	Expected                            map[string]ExpectedAttr
	ConditionalOperator                 string
	ConditionExpression                 string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           attr.Item
	ReturnValues                        string
	ReturnValuesOnConditionCheckFailure string
}

type GetItemInput struct {
	Unsupported
	TableName                string
	Key                      attr.Item
	ConsistentRead           bool
	ProjectionExpression     string
	AttributesToGet          []string
	ExpressionAttributeNames map[string]string
}

type ScanInput struct {
	Unsupported
	TableName                 string
	IndexName                 string
	Limit                     int
	ExclusiveStartKey         attr.Item
	Segment                   *int
	TotalSegments             *int
	FilterExpression          string
	ProjectionExpression      string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues attr.Item
	ConsistentRead            bool
	Select                    string
	AttributesToGet           []string
	ConditionalOperator       string // legacy, with ScanFilter only: refused
}

type QueryInput struct {
	Unsupported
	TableName                 string
	IndexName                 string
	KeyConditionExpression    string
	FilterExpression          string
	ProjectionExpression      string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues attr.Item
	Limit                     int
	ExclusiveStartKey         attr.Item
	ScanIndexForward          *bool
	ConsistentRead            bool
	Select                    string
	AttributesToGet           []string
	ConditionalOperator       string // legacy, with QueryFilter only: refused
}

// ItemsOutput answers Scan and Query.
type ItemsOutput struct {
	Items            []attr.Item
	Count            int
	ScannedCount     int
	LastEvaluatedKey attr.Item `json:",omitempty"`
}

// TableDescription is DescribeTable's Table (and CreateTable's, DeleteTable's,
// UpdateTable's TableDescription).
type TableDescription struct {
	TableName                 string
	TableStatus               string
	TableArn                  string
	TableId                   string
	KeySchema                 []KeySchemaElement
	AttributeDefinitions      []AttributeDefinition
	CreationDateTime          float64 // epoch seconds
	ItemCount                 int64
	TableSizeBytes            int64
	BillingModeSummary        *struct{ BillingMode string }
	ProvisionedThroughput     *ProvisionedThroughput
	GlobalSecondaryIndexes    []GlobalSecondaryIndexDescription `json:",omitempty"`
	DeletionProtectionEnabled bool
}

// GlobalSecondaryIndexDescription describes an index; IndexStatus is
// ACTIVE from the moment it is created.
type GlobalSecondaryIndexDescription struct {
	IndexName             string
	IndexArn              string
	IndexStatus           string
	KeySchema             []KeySchemaElement
	Projection            *Projection
	ProvisionedThroughput *ProvisionedThroughput
	ItemCount             int64
	IndexSizeBytes        int64
}

// UpdateTableInput is UpdateTable's request: index creation and deletion,
// billing mode, throughput and deletion protection.
type UpdateTableInput struct {
	Unsupported
	TableName                   string
	AttributeDefinitions        []AttributeDefinition
	BillingMode                 string
	ProvisionedThroughput       *ProvisionedThroughput
	GlobalSecondaryIndexUpdates []GlobalSecondaryIndexUpdate
	DeletionProtectionEnabled   *bool
}

// GlobalSecondaryIndexUpdate is one entry of GlobalSecondaryIndexUpdates.
type GlobalSecondaryIndexUpdate struct {
	Create *GlobalSecondaryIndex
	Delete *struct{ IndexName string }
	Update *struct {
		IndexName             string
		ProvisionedThroughput *ProvisionedThroughput
	}
}

// Error is every failure the engine returns: Kind is one of the Err*
// values below, the web handler maps it to the wire __type.
type Error struct {
	Kind    error
	Message string
	// Item is the current item on a failed condition when the request
	// asked for ReturnValuesOnConditionCheckFailure ALL_OLD.
	Item attr.Item
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

// TableNameInput is DescribeTable's and DeleteTable's request.
type TableNameInput struct{ TableName string }

// ListTablesInput is ListTables' request.
type ListTablesInput struct {
	ExclusiveStartTableName string
	Limit                   int
}
