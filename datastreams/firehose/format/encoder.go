package format

import (
	"fmt"
	"strings"
	"time"
)

// EncoderConfig is what an Encoder is made from: an ExtendedS3
// destination's CompressionFormat and DataFormatConversionConfiguration,
// and where the conversion's tables are declared.
type EncoderConfig struct {
	// Compression is the CompressionFormat ("" means UNCOMPRESSED).
	Compression string
	// Conversion is the DataFormatConversionConfiguration; nil (or
	// Enabled false) means none.
	Conversion *Conversion
	// Tables resolves SchemaConfiguration's database and table; required
	// when a conversion is enabled.
	Tables TableResolver
	// Now returns the time put into ZIP entries; nil means time.Now.
	Now func() time.Time
}

// Object is one encoded batch, ready to be stored.
type Object struct {
	Body []byte
	// Ext is the default file extension of the object (".gz", ".parquet",
	// "" for UNCOMPRESSED); a FileExtension in the destination replaces it.
	Ext string
	// ContentType and ContentEncoding go into the object's metadata.
	ContentType     string
	ContentEncoding string
	// Records counts the records that went into Body.
	Records int
}

// Failed is a record that could not be converted. The engine writes it to
// the error output under the type "format-conversion-failed".
type Failed struct {
	// Index is the record's position in the slice given to Encode.
	Index   int
	Code    string
	Message string
}

// ErrorOutputType is the !{firehose:error-output-type} of Failed records.
const ErrorOutputType = "format-conversion-failed"

// The Failed codes.
const (
	// CodeMalformedData: the record is not a stream of JSON objects.
	CodeMalformedData = "DataFormatConversion.MalformedData"
	// CodeInvalidValue: a value does not fit its column's type.
	CodeInvalidValue = "DataFormatConversion.InvalidSchema"
)

// ConfigError is a configuration that cannot be used. Its message is meant
// for an InvalidArgumentException at CreateDeliveryStream or
// UpdateDestination.
type ConfigError struct {
	Message string
}

func (e *ConfigError) Error() string { return e.Message }

func configErrorf(format string, args ...any) *ConfigError {
	return &ConfigError{Message: fmt.Sprintf(format, args...)}
}

// Encoder turns a batch of processed records into one object. It is safe
// for concurrent use.
type Encoder struct {
	compressor compressor
	parquet    *parquetWriter // nil without a conversion
	now        func() time.Time
}

// NewEncoder checks cfg and returns its Encoder. A *ConfigError says what
// is wrong with a configuration; ErrUnsupported (wrapped) marks a
// conversion shardcast cannot do (ORC).
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	c, err := newCompressor(cfg.Compression)
	if err != nil {
		return nil, err
	}
	e := &Encoder{compressor: c, now: cfg.Now}
	if e.now == nil {
		e.now = time.Now
	}
	if cfg.Conversion == nil || !cfg.Conversion.enabled() {
		return e, nil
	}
	if c.format != Uncompressed {
		return nil, configErrorf(
			"CompressionFormat must be UNCOMPRESSED when DataFormatConversionConfiguration is enabled (found %s); the serializer compresses", c.format)
	}
	w, err := newParquetWriter(cfg.Conversion, cfg.Tables)
	if err != nil {
		return nil, err
	}
	e.parquet = w
	return e, nil
}

// Converts reports whether the encoder converts records to Parquet.
func (e *Encoder) Converts() bool { return e.parquet != nil }

// Encode encodes records as one object. name is the object's file name
// without its extension (the last part of its key); a ZIP archive's one
// entry is called name (or "records" when name is empty). With a
// conversion, the records that cannot be converted come back in failed
// and the others make the object; when every record failed, the Object
// has no Body and Records is 0.
func (e *Encoder) Encode(name string, records [][]byte) (obj Object, failed []Failed, err error) {
	if e.parquet != nil {
		body, n, failed, err := e.parquet.write(records)
		if err != nil {
			return Object{}, nil, err
		}
		return Object{Body: body, Ext: ".parquet", ContentType: "application/octet-stream", Records: n}, failed, nil
	}
	entry := strings.TrimSpace(name)
	if entry == "" {
		entry = "records"
	}
	body, err := e.compressor.compress(records, entry, e.now())
	if err != nil {
		return Object{}, nil, err
	}
	return Object{Body: body, Ext: e.compressor.ext, ContentType: "application/octet-stream", Records: len(records)}, nil, nil
}
