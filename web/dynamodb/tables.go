package dynamodb

import (
	"net/http"

	"github.com/shardcast/shardcast/datastreams/leases"
	"github.com/shardcast/shardcast/web/awsapi"
)

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

// updateContinuousBackups sets the table's point-in-time-recovery flag,
// kept in its definition (no backups are taken).
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
	up := leases.UpdateContinuousBackupsInput{TableName: name}
	spec := &up.PointInTimeRecoverySpecification
	spec.PointInTimeRecoveryEnabled = *in.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled
	if n := in.PointInTimeRecoverySpecification.RecoveryPeriodInDays; n != nil {
		spec.RecoveryPeriodInDays = *n
	}
	d, err := h.engine.UpdateContinuousBackups(r.Context(), &up)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ContinuousBackupsDescription": d}, nil
}

func (h *Handler) describeContinuousBackups(r *http.Request, body []byte) (any, error) {
	name, err := h.named(body)
	if err != nil {
		return nil, err
	}
	d, err := h.engine.DescribeContinuousBackups(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ContinuousBackupsDescription": d}, nil
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
func (h *Handler) describeLimits(_ *http.Request, body []byte) (any, error) {
	if err := decode(body, &struct{}{}); err != nil {
		return nil, err
	}
	return map[string]int64{
		"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
		"TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000,
	}, nil
}

// describeEndpoints names this server, for clients with endpoint
// discovery on.
func (h *Handler) describeEndpoints(r *http.Request, body []byte) (any, error) {
	if err := decode(body, &struct{}{}); err != nil {
		return nil, err
	}
	return map[string]any{"Endpoints": []map[string]any{{"Address": r.Host, "CachePeriodInMinutes": 1440}}}, nil
}
