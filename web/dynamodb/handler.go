package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"hash/crc32"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/datastreams/leases/attr"
	"github.com/shardcast/shardcast/web/awsapi"
)

// TargetPrefix prefixes every DynamoDB X-Amz-Target.
const TargetPrefix = "DynamoDB_20120810."

// ContentType is the content type of the awsJson1.0 protocol.
const ContentType = "application/x-amz-json-1.0"

// Engine is what the handler calls (*leases.Engine is one).
type Engine interface {
	CreateTable(ctx context.Context, in *leases.CreateTableInput) (*leases.TableDescription, error)
	DescribeTable(ctx context.Context, name string) (*leases.TableDescription, error)
	UpdateTable(ctx context.Context, in *leases.UpdateTableInput) (*leases.TableDescription, error)
	DeleteTable(ctx context.Context, name string) (*leases.TableDescription, error)
	ListTables(ctx context.Context, exclusiveStart string, limit int) (names []string, last string, err error)
	GetItem(ctx context.Context, in *leases.GetItemInput) (attr.Item, error)
	PutItem(ctx context.Context, in *leases.PutItemInput) (old attr.Item, err error)
	UpdateItem(ctx context.Context, in *leases.UpdateItemInput) (attrs attr.Item, err error)
	DeleteItem(ctx context.Context, in *leases.DeleteItemInput) (old attr.Item, err error)
	Scan(ctx context.Context, in *leases.ScanInput) (*leases.ItemsOutput, error)
	Query(ctx context.Context, in *leases.QueryInput) (*leases.ItemsOutput, error)
}

// Handler serves DynamoDB API requests.
type Handler struct {
	engine Engine
	auth   *awsapi.Auth
	log    *slog.Logger
	ops    map[string]func(*http.Request, []byte) (any, error)

	// pitr holds the point-in-time-recovery flag of the tables that
	// UpdateContinuousBackups set, by table ARN and creation time (a
	// table made again starts without it).
	pitrMu sync.Mutex
	pitr   map[string]bool
}

// Unsupported lists the operations of DynamoDB's API (as of the AWS SDK
// for Go v2's service/dynamodb v1.74) that shardcast does not serve.
var Unsupported = []string{
	"BatchExecuteStatement", "BatchGetItem", "BatchWriteItem", "CancelBulkOperation", "CreateBackup",
	"CreateGlobalTable", "DeleteBackup", "DeleteResourcePolicy", "DescribeBackup", "DescribeBulkOperation",
	"DescribeContributorInsights", "DescribeExport", "DescribeGlobalTable", "DescribeGlobalTableSettings",
	"DescribeImport", "DescribeKinesisStreamingDestination", "DescribeTableReplicaAutoScaling",
	"DisableKinesisStreamingDestination", "EnableKinesisStreamingDestination", "ExecuteStatement",
	"ExecuteTransaction", "ExportTableToPointInTime", "GetResourcePolicy", "ImportTable", "ListBackups",
	"ListBulkOperations", "ListContributorInsights", "ListExports", "ListGlobalTables", "ListImports",
	"ListTagsOfResource", "PutResourcePolicy", "RestoreTableFromBackup", "RestoreTableToPointInTime",
	"SearchVectors", "StartBulkPutItems", "TagResource", "TransactGetItems", "TransactWriteItems", "UntagResource",
	"UpdateContributorInsights", "UpdateGlobalTable", "UpdateGlobalTableSettings",
	"UpdateKinesisStreamingDestination", "UpdateTableReplicaAutoScaling", "UpdateTimeToLive",
}

// New returns a handler over engine.
func New(engine Engine, auth *awsapi.Auth, log *slog.Logger) *Handler {
	h := &Handler{engine: engine, auth: auth, log: log, pitr: map[string]bool{}}
	h.ops = map[string]func(*http.Request, []byte) (any, error){
		"CreateTable":               h.createTable,
		"DescribeTable":             h.describeTable,
		"UpdateTable":               h.updateTable,
		"DeleteTable":               h.deleteTable,
		"ListTables":                h.listTables,
		"UpdateContinuousBackups":   h.updateContinuousBackups,
		"DescribeContinuousBackups": h.describeContinuousBackups,
		"DescribeTimeToLive":        h.describeTimeToLive,
		"DescribeLimits":            h.describeLimits,
		"DescribeEndpoints":         h.describeEndpoints,
		"GetItem":                   h.getItem,
		"PutItem":                   h.putItem,
		"UpdateItem":                h.updateItem,
		"DeleteItem":                h.deleteItem,
		"Scan":                      h.scan,
		"Query":                     h.query,
	}
	return h
}

// Operations lists the operations the handler serves, sorted.
func (h *Handler) Operations() []string {
	var ops []string
	for op := range h.ops {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	return ops
}

// ServeHTTP handles one POST with a DynamoDB_20120810.* target.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	body, release, err := h.auth.ReadSigned(r)
	defer release()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	fn := h.ops[op]
	if fn == nil {
		err = awsapi.UnknownOperation()
		if slices.Contains(Unsupported, op) {
			err = awsapi.Unsupported(op)
		}
		h.writeError(w, r, err)
		return
	}
	out, err := fn(r, body)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeBody(w, http.StatusOK, b)
}

// writeBody writes a JSON 1.0 answer with its CRC32, which the SDKs check
// (botocore retries an answer whose CRC32 does not match).
func writeBody(w http.ResponseWriter, status int, b []byte) {
	hd := w.Header()
	hd.Set("Content-Type", ContentType)
	hd.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// decode parses a request body into v: malformed JSON or a member of the
// wrong type is a SerializationException worded as AWS words it, a value
// the engine's types refuse (an AttributeValue with two members, say) is
// the engine's error. An empty body is {}.
func decode(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var le *leases.Error
	var ae *attr.Error
	switch {
	case errors.As(err, &le):
		return le
	case errors.As(err, &ae):
		return validation(ae.Message)
	}
	return awsapi.DecodeJSON(body, v)
}

// validation is a ValidationException with DynamoDB's wording.
func validation(msg string) error {
	return &leases.Error{Kind: leases.ErrValidation, Message: msg}
}

// tableNamePattern is TableName's constraint in the API's model (a name;
// newer models also take the table's ARN).
var tableNamePattern = awsapi.Pattern(`[a-zA-Z0-9_.-]+`)

// tableName checks a TableName where it enters and returns the name. A
// table's ARN stands for its name when it is this server's ARN of that
// name (the one check decided on the ARN as given); any other ARN names
// a table that is not here.
func (h *Handler) tableName(name string) (string, error) {
	if rest, ok := strings.CutPrefix(name, "arn:"); ok {
		i := strings.Index(rest, ":table/")
		if i < 0 || len(name) > 1024 {
			return "", validation("1 validation error detected: Value '" + name + "' at 'tableName' failed to satisfy constraint: Member must be a table name or a table ARN")
		}
		arn := name
		name = rest[i+len(":table/"):]
		if h.auth == nil || h.auth.NameARN("dynamodb:", name) != arn {
			return "", &leases.Error{Kind: leases.ErrResourceNotFound, Message: "Requested resource not found: Table: " + arn + " not found"}
		}
	}
	var v awsapi.Validator
	if v.Required("tableName", name != "") {
		v.String("tableName", &name, tableNamePattern, 3, 255)
	}
	return name, v.Err()
}
