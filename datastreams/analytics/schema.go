package analytics

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shardcast/shardcast/datastreams/analytics/reccodec"
	"github.com/shardcast/shardcast/datastreams/analytics/sqlengine"
	"github.com/shardcast/shardcast/datastreams/analytics/sqlparse"
	"github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
	"github.com/shardcast/shardcast/datastreams/registry"
)

// ArrivalColumn is the column every input stream has beside its mapped
// ones: the source record's arrival time.
const ArrivalColumn = "APPROXIMATE_ARRIVAL_TIME"

// decoder builds the decoder of a source schema; the error is the
// configuration's fault (InvalidArgumentException).
func decoder(what string, s *SourceSchema) (*reccodec.Decoder, []sqltypes.Column, error) {
	if s == nil {
		return nil, nil, errorf(registry.ErrInvalidArgument, "%s needs a schema.", what)
	}
	if s.RecordFormat == nil {
		return nil, nil, errorf(registry.ErrInvalidArgument, "%s: RecordFormat is required.", what)
	}
	if s.RecordEncoding != "" && s.RecordEncoding != "UTF-8" {
		return nil, nil, errorf(registry.ErrInvalidArgument, "%s: RecordEncoding %s is not supported; only UTF-8 is.", what, s.RecordEncoding)
	}
	f := reccodec.Format{Type: s.RecordFormat.RecordFormatType}
	mp := s.RecordFormat.MappingParameters
	switch f.Type {
	case reccodec.JSON:
		if mp != nil && mp.CSVMappingParameters != nil {
			return nil, nil, errorf(registry.ErrInvalidArgument, "%s: a JSON record format takes JSONMappingParameters, not CSVMappingParameters.", what)
		}
		if mp != nil && mp.JSONMappingParameters != nil {
			f.RowPath = mp.JSONMappingParameters.RecordRowPath
		}
	case reccodec.CSV:
		if mp == nil || mp.CSVMappingParameters == nil {
			return nil, nil, errorf(registry.ErrInvalidArgument, "%s: a CSV record format needs CSVMappingParameters.", what)
		}
		f.RowDelimiter, f.ColumnDelimiter = mp.CSVMappingParameters.RecordRowDelimiter, mp.CSVMappingParameters.RecordColumnDelimiter
	default:
		return nil, nil, errorf(registry.ErrInvalidArgument, "%s: RecordFormatType must be JSON or CSV.", what)
	}
	var cols []reccodec.Column
	var sql []sqltypes.Column
	seen := map[string]bool{}
	for _, c := range s.RecordColumns {
		t, err := sqltypes.ParseType(c.SqlType)
		if err != nil {
			return nil, nil, errorf(registry.ErrInvalidArgument, "%s: column %s: %v", what, c.Name, err)
		}
		if seen[c.Name] {
			return nil, nil, errorf(registry.ErrInvalidArgument, "%s: column %s is given twice.", what, c.Name)
		}
		seen[c.Name] = true
		cols = append(cols, reccodec.Column{Name: c.Name, Mapping: c.Mapping, Type: t})
		sql = append(sql, sqltypes.Column{Name: c.Name, Type: t})
	}
	d, err := reccodec.NewDecoder(f, cols)
	if err != nil {
		return nil, nil, errorf(registry.ErrInvalidArgument, "%s: %v", what, err)
	}
	return d, sql, nil
}

// parallelism is an input's count of in-application streams.
func (in *Input) parallelism() int {
	if in.InputParallelism != nil && in.InputParallelism.Count != nil {
		return *in.InputParallelism.Count
	}
	return 1
}

// streamNames are the in-application streams an input feeds.
func (in *Input) streamNames() []string {
	n := in.parallelism()
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s_%03d", in.NamePrefix, i+1)
	}
	return out
}

// env is what the code compiles against: the input streams and the
// reference tables (with rows when tables is given).
func (st *stored) env(m *Manager, tables map[string][][]sqltypes.Value) (sqlengine.Env, error) {
	env := sqlengine.Env{Functions: m.cfg.Functions}
	for _, in := range st.Inputs {
		_, cols, err := decoder("Input "+in.ID, in.InputSchema)
		if err != nil {
			return env, err
		}
		cols = append(cols, sqltypes.Column{Name: ArrivalColumn, Type: sqltypes.Type{Kind: sqltypes.Timestamp}})
		for _, name := range in.streamNames() {
			env.Inputs = append(env.Inputs, sqlengine.StreamSchema{Name: name, Columns: cols})
		}
	}
	for _, r := range st.References {
		_, cols, err := decoder("Reference data source "+r.ID, r.ReferenceSchema)
		if err != nil {
			return env, err
		}
		env.Tables = append(env.Tables, sqlengine.Table{Name: r.TableName, Columns: cols, Rows: tables[r.TableName]})
	}
	return env, nil
}

// compile compiles the application's code, and checks that every output
// names a stream it creates. An application without code or inputs has
// nothing to compile yet.
func (st *stored) compile(m *Manager, tables map[string][][]sqltypes.Value) (*sqlengine.Program, error) {
	if strings.TrimSpace(st.Code) == "" || len(st.Inputs) == 0 {
		return nil, nil
	}
	env, err := st.env(m, tables)
	if err != nil {
		return nil, err
	}
	p, err := sqlengine.Compile(st.Code, env)
	if err != nil {
		var pe *sqlparse.Error
		if errors.As(err, &pe) {
			return nil, errorf(ErrCodeValidation, "Application code is not valid: %s", pe.Error())
		}
		return nil, errorf(ErrCodeValidation, "Application code is not valid: %v", err)
	}
	names := map[string]bool{sqlengine.ErrorStream: true}
	for _, s := range p.Streams() {
		names[s.Name] = true
	}
	for _, o := range st.Outputs {
		if !names[o.Name] {
			return nil, errorf(registry.ErrInvalidArgument, "Output %s names the in-application stream %s, which the application code does not create.", o.ID, o.Name)
		}
	}
	return p, nil
}

// errorColumns are the columns of error_stream.
var errorColumns = []sqltypes.Column{
	{Name: "ERROR_TIME", Type: sqltypes.Type{Kind: sqltypes.Timestamp}},
	{Name: "ERROR_LEVEL", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 10}},
	{Name: "ERROR_NAME", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 32}},
	{Name: "MESSAGE", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 4096}},
	{Name: "DATA_ROWTIME", Type: sqltypes.Type{Kind: sqltypes.Timestamp}},
	{Name: "DATA_ROW", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 49152}},
	{Name: "PUMP_NAME", Type: sqltypes.Type{Kind: sqltypes.Varchar, Len: 128}},
}
