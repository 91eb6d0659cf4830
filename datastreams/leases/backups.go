package leases

import (
	"context"
	"errors"
)

// ErrTableNotFound is the kind UpdateContinuousBackups and
// DescribeContinuousBackups answer for a missing table.
var ErrTableNotFound = errors.New("TableNotFoundException")

// UpdateContinuousBackupsInput is UpdateContinuousBackups' request (KCL
// 2.7+ sends it when leaseTablePitrEnabled is set).
type UpdateContinuousBackupsInput struct {
	TableName                        string
	PointInTimeRecoverySpecification struct {
		PointInTimeRecoveryEnabled bool
		RecoveryPeriodInDays       int `json:",omitempty"`
	}
}

// ContinuousBackupsDescription answers both backup operations. The flag
// is stored and described; no backups are taken.
type ContinuousBackupsDescription struct {
	ContinuousBackupsStatus        string
	PointInTimeRecoveryDescription struct {
		PointInTimeRecoveryStatus string
	}
}

func backupsOf(td *tableDef) *ContinuousBackupsDescription {
	d := &ContinuousBackupsDescription{ContinuousBackupsStatus: "ENABLED"}
	d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus = "DISABLED"
	if td.PITR {
		d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus = "ENABLED"
	}
	return d
}

func tableNotFound(err error) error {
	var le *Error
	if errors.As(err, &le) && errors.Is(err, ErrResourceNotFound) {
		return &Error{Kind: ErrTableNotFound, Message: le.Message}
	}
	return err
}

// DescribeContinuousBackups reports a table's point-in-time recovery flag.
func (e *Engine) DescribeContinuousBackups(ctx context.Context, table string) (*ContinuousBackupsDescription, error) {
	td, _, err := e.table(ctx, table)
	if err != nil {
		return nil, tableNotFound(err)
	}
	return backupsOf(td), nil
}

// UpdateContinuousBackups sets a table's point-in-time recovery flag.
func (e *Engine) UpdateContinuousBackups(ctx context.Context, in *UpdateContinuousBackupsInput) (*ContinuousBackupsDescription, error) {
	var out *ContinuousBackupsDescription
	err := e.changeTable(ctx, in.TableName, func(td *tableDef) error {
		td.PITR = in.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled
		out = backupsOf(td)
		return nil
	})
	if err != nil {
		return nil, tableNotFound(err)
	}
	return out, nil
}
