package dynamodb

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/web/awsapi"
)

// errTableNotFound is the kind of the continuous-backup operations'
// answer for a table that does not exist (their model's name for it).
var errTableNotFound = errors.New("TableNotFoundException")

func (h *Handler) createTable(r *http.Request, body []byte) (any, error) {
	var in leases.CreateTableInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var err error
	if in.TableName, err = h.tableName(in.TableName); err != nil {
		return nil, err
	}
	d, err := h.engine.CreateTable(r.Context(), &in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": d}, nil
}

// tableInput is the input of the operations that name only a table.
type tableInput struct {
	TableName string
}

// named decodes a tableInput and checks its name.
func (h *Handler) named(body []byte) (string, error) {
	var in tableInput
	if err := decode(body, &in); err != nil {
		return "", err
	}
	return h.tableName(in.TableName)
}

func (h *Handler) describeTable(r *http.Request, body []byte) (any, error) {
	name, err := h.named(body)
	if err != nil {
		return nil, err
	}
	d, err := h.engine.DescribeTable(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Table": d}, nil
}

func (h *Handler) updateTable(r *http.Request, body []byte) (any, error) {
	var in leases.UpdateTableInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var err error
	if in.TableName, err = h.tableName(in.TableName); err != nil {
		return nil, err
	}
	d, err := h.engine.UpdateTable(r.Context(), &in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": d}, nil
}

func (h *Handler) deleteTable(r *http.Request, body []byte) (any, error) {
	name, err := h.named(body)
	if err != nil {
		return nil, err
	}
	d, err := h.engine.DeleteTable(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": d}, nil
}

func (h *Handler) listTables(r *http.Request, body []byte) (any, error) {
	var in struct {
		ExclusiveStartTableName string
		Limit                   *int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if in.ExclusiveStartTableName != "" {
		v.String("exclusiveStartTableName", &in.ExclusiveStartTableName, tableNamePattern, 3, 255)
	}
	v.Int("limit", in.Limit, 1, 100)
	if err := v.Err(); err != nil {
		return nil, err
	}
	limit := 100
	if in.Limit != nil {
		limit = *in.Limit
	}
	names, last, err := h.engine.ListTables(r.Context(), in.ExclusiveStartTableName, limit)
	if err != nil {
		return nil, err
	}
	out := struct {
		TableNames             []string
		LastEvaluatedTableName string `json:",omitempty"`
	}{append([]string{}, names...), last}
	return out, nil
}

// pitrKey names a table in the PITR flags: its ARN and creation time.
func pitrKey(d *leases.TableDescription) string {
	return d.TableArn + "@" + strconv.FormatFloat(d.CreationDateTime, 'f', -1, 64)
}

// continuousBackups is ContinuousBackupsDescription.
func continuousBackups(on bool) map[string]any {
	status := "DISABLED"
	if on {
		status = "ENABLED"
	}
	return map[string]any{"ContinuousBackupsDescription": map[string]any{
		"ContinuousBackupsStatus":        "ENABLED",
		"PointInTimeRecoveryDescription": map[string]any{"PointInTimeRecoveryStatus": status},
	}}
}

// tableNotFound is the answer of the continuous-backup operations for a
// table that does not exist, as the API's model names it.
func tableNotFound(name string) error {
	return &leases.Error{Kind: errTableNotFound, Message: "Table not found: " + name}
}

func (h *Handler) updateContinuousBackups(r *http.Request, body []byte) (any, error) {
	var in struct {
		TableName                        string
		PointInTimeRecoverySpecification *struct {
			PointInTimeRecoveryEnabled *bool
			RecoveryPeriodInDays       *int
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name, err := h.tableName(in.TableName)
	if err != nil {
		return nil, err
	}
	var v awsapi.Validator
	if v.Required("pointInTimeRecoverySpecification", in.PointInTimeRecoverySpecification != nil) {
		spec := in.PointInTimeRecoverySpecification
		v.Required("pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled", spec.PointInTimeRecoveryEnabled != nil)
		v.Int("pointInTimeRecoverySpecification.recoveryPeriodInDays", spec.RecoveryPeriodInDays, 1, 35)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	d, err := h.engine.DescribeTable(r.Context(), name)
	if err != nil {
		return nil, notFoundAs(err, name)
	}
	on := *in.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled
	h.pitrMu.Lock()
	if on {
		h.pitr[pitrKey(d)] = true
	} else {
		delete(h.pitr, pitrKey(d))
	}
	h.pitrMu.Unlock()
	return continuousBackups(on), nil
}

func (h *Handler) describeContinuousBackups(r *http.Request, body []byte) (any, error) {
	name, err := h.named(body)
	if err != nil {
		return nil, err
	}
	d, err := h.engine.DescribeTable(r.Context(), name)
	if err != nil {
		return nil, notFoundAs(err, name)
	}
	h.pitrMu.Lock()
	on := h.pitr[pitrKey(d)]
	h.pitrMu.Unlock()
	return continuousBackups(on), nil
}

// notFoundAs turns the engine's ResourceNotFoundException into the
// TableNotFoundException of the continuous-backup operations.
func notFoundAs(err error, name string) error {
	if errors.Is(err, leases.ErrResourceNotFound) {
		return tableNotFound(name)
	}
	return err
}

func (h *Handler) describeTimeToLive(r *http.Request, body []byte) (any, error) {
	name, err := h.named(body)
	if err != nil {
		return nil, err
	}
	if _, err := h.engine.DescribeTable(r.Context(), name); err != nil {
		return nil, err
	}
	return map[string]any{"TimeToLiveDescription": map[string]string{"TimeToLiveStatus": "DISABLED"}}, nil
}

// describeLimits answers DynamoDB's default account and table quotas;
// shardcast enforces none of them.
func (h *Handler) describeLimits(*http.Request, []byte) (any, error) {
	return map[string]int64{
		"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
		"TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000,
	}, nil
}

// describeEndpoints names this server, for clients with endpoint
// discovery on.
func (h *Handler) describeEndpoints(r *http.Request, _ []byte) (any, error) {
	return map[string]any{"Endpoints": []map[string]any{{"Address": r.Host, "CachePeriodInMinutes": 1440}}}, nil
}
