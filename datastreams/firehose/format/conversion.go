package format

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupported marks a conversion the API accepts and shardcast cannot
// do (ORC output).
var ErrUnsupported = errors.New("not supported by shardcast")

// Conversion is a DataFormatConversionConfiguration; its JSON form is the
// API's, so the engine can decode the request member into it.
type Conversion struct {
	// Enabled defaults to true.
	Enabled                   *bool                      `json:"Enabled,omitempty"`
	SchemaConfiguration       *SchemaConfiguration       `json:"SchemaConfiguration,omitempty"`
	InputFormatConfiguration  *InputFormatConfiguration  `json:"InputFormatConfiguration,omitempty"`
	OutputFormatConfiguration *OutputFormatConfiguration `json:"OutputFormatConfiguration,omitempty"`
}

func (c *Conversion) enabled() bool { return c.Enabled == nil || *c.Enabled }

// SchemaConfiguration names the table whose columns make the schema. Only
// DatabaseName and TableName are used: the table comes from shardcast's
// configuration, not from Glue.
type SchemaConfiguration struct {
	RoleARN      string `json:"RoleARN,omitempty"`
	CatalogID    string `json:"CatalogId,omitempty"`
	DatabaseName string `json:"DatabaseName,omitempty"`
	TableName    string `json:"TableName,omitempty"`
	Region       string `json:"Region,omitempty"`
	VersionID    string `json:"VersionId,omitempty"`
}

// InputFormatConfiguration holds the deserializer: one of the two.
type InputFormatConfiguration struct {
	Deserializer *Deserializer `json:"Deserializer,omitempty"`
}

// Deserializer is how the JSON records are read.
type Deserializer struct {
	OpenXJSONSerDe *OpenXJSONSerDe `json:"OpenXJsonSerDe,omitempty"`
	HiveJSONSerDe  *HiveJSONSerDe  `json:"HiveJsonSerDe,omitempty"`
}

// OpenXJSONSerDe is the OpenX JSON SerDe's options.
type OpenXJSONSerDe struct {
	// ConvertDotsInJSONKeysToUnderscores turns "a.b" into "a_b" before
	// keys are matched to columns (default false).
	ConvertDotsInJSONKeysToUnderscores *bool `json:"ConvertDotsInJsonKeysToUnderscores,omitempty"`
	// CaseInsensitive matches keys to columns ignoring case (default true).
	CaseInsensitive *bool `json:"CaseInsensitive,omitempty"`
	// ColumnToJSONKeyMappings maps a column to the JSON key it reads.
	ColumnToJSONKeyMappings map[string]string `json:"ColumnToJsonKeyMappings,omitempty"`
}

// HiveJSONSerDe is the Hive JSON SerDe's options.
type HiveJSONSerDe struct {
	// TimestampFormats are Joda-Time patterns, or "millis" for epoch
	// milliseconds, tried in order before Hive's default format.
	TimestampFormats []string `json:"TimestampFormats,omitempty"`
}

// OutputFormatConfiguration holds the serializer: one of the two.
type OutputFormatConfiguration struct {
	Serializer *Serializer `json:"Serializer,omitempty"`
}

// Serializer is the output format.
type Serializer struct {
	ParquetSerDe *ParquetSerDe `json:"ParquetSerDe,omitempty"`
	OrcSerDe     *OrcSerDe     `json:"OrcSerDe,omitempty"`
}

// ParquetSerDe is the Parquet writer's options.
type ParquetSerDe struct {
	// BlockSizeBytes is the row group size (≥ 64 MiB, default 256 MiB).
	BlockSizeBytes *int64 `json:"BlockSizeBytes,omitempty"`
	// PageSizeBytes is the page size (≥ 64 KiB, default 1 MiB).
	PageSizeBytes *int64 `json:"PageSizeBytes,omitempty"`
	// Compression is UNCOMPRESSED, GZIP or SNAPPY (default SNAPPY).
	Compression string `json:"Compression,omitempty"`
	// EnableDictionaryCompression dictionary-encodes columns (default
	// false).
	EnableDictionaryCompression *bool `json:"EnableDictionaryCompression,omitempty"`
	// MaxPaddingBytes is accepted and ignored (the writer does not pad).
	MaxPaddingBytes *int64 `json:"MaxPaddingBytes,omitempty"`
	// WriterVersion is V1 or V2 (default V1): the data page version.
	WriterVersion string `json:"WriterVersion,omitempty"`
}

// OrcSerDe is accepted in configurations and refused by NewEncoder.
type OrcSerDe struct {
	StripeSizeBytes                     *int64   `json:"StripeSizeBytes,omitempty"`
	BlockSizeBytes                      *int64   `json:"BlockSizeBytes,omitempty"`
	RowIndexStride                      *int64   `json:"RowIndexStride,omitempty"`
	EnablePadding                       *bool    `json:"EnablePadding,omitempty"`
	PaddingTolerance                    *float64 `json:"PaddingTolerance,omitempty"`
	Compression                         string   `json:"Compression,omitempty"`
	BloomFilterColumns                  []string `json:"BloomFilterColumns,omitempty"`
	BloomFilterFalsePositiveProbability *float64 `json:"BloomFilterFalsePositiveProbability,omitempty"`
	DictionaryKeyThreshold              *float64 `json:"DictionaryKeyThreshold,omitempty"`
	FormatVersion                       string   `json:"FormatVersion,omitempty"`
}

// checkConversion checks the parts of an enabled conversion and returns
// its table.
func checkConversion(c *Conversion, tables TableResolver) (*Table, error) {
	switch {
	case c.SchemaConfiguration == nil:
		return nil, configErrorf("DataFormatConversionConfiguration.SchemaConfiguration is required when the conversion is enabled")
	case c.InputFormatConfiguration == nil || c.InputFormatConfiguration.Deserializer == nil:
		return nil, configErrorf("DataFormatConversionConfiguration.InputFormatConfiguration.Deserializer is required when the conversion is enabled")
	case c.OutputFormatConfiguration == nil || c.OutputFormatConfiguration.Serializer == nil:
		return nil, configErrorf("DataFormatConversionConfiguration.OutputFormatConfiguration.Serializer is required when the conversion is enabled")
	}
	d := c.InputFormatConfiguration.Deserializer
	if (d.OpenXJSONSerDe == nil) == (d.HiveJSONSerDe == nil) {
		return nil, configErrorf("Deserializer must have exactly one of OpenXJsonSerDe and HiveJsonSerDe")
	}
	s := c.OutputFormatConfiguration.Serializer
	if (s.ParquetSerDe == nil) == (s.OrcSerDe == nil) {
		return nil, configErrorf("Serializer must have exactly one of ParquetSerDe and OrcSerDe")
	}
	if s.OrcSerDe != nil {
		return nil, fmt.Errorf("OrcSerDe: conversion to ORC is %w (no maintained ORC writer for Go); use ParquetSerDe", ErrUnsupported)
	}
	sc := c.SchemaConfiguration
	if sc.DatabaseName == "" || sc.TableName == "" {
		return nil, configErrorf("SchemaConfiguration.DatabaseName and SchemaConfiguration.TableName are required")
	}
	if sc.VersionID != "" && sc.VersionID != "LATEST" {
		return nil, configErrorf("SchemaConfiguration.VersionId %q: shardcast's tables have one version, LATEST", sc.VersionID)
	}
	if tables == nil {
		return nil, configErrorf("table %s.%s is not declared in shardcast's configuration (no tables are)", sc.DatabaseName, sc.TableName)
	}
	t, ok := tables.LookupTable(sc.DatabaseName, sc.TableName)
	if !ok {
		return nil, configErrorf("table %s.%s is not declared in shardcast's configuration", sc.DatabaseName, sc.TableName)
	}
	if h := d.HiveJSONSerDe; h != nil {
		for _, col := range t.Columns {
			if strings.Contains(col.Name, ".") {
				return nil, configErrorf("HiveJsonSerDe does not allow dots in column names (column %q of %s.%s)", col.Name, sc.DatabaseName, sc.TableName)
			}
		}
	}
	return t, nil
}
