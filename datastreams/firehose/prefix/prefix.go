package prefix

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// Limits from the Firehose API.
const (
	// MaxConfigured is the longest Prefix or ErrorOutputPrefix accepted.
	MaxConfigured = 1024
	// MaxEvaluated is the longest evaluated prefix.
	MaxEvaluated = 512
)

// DefaultTimePath is the pattern of the time path that a missing or
// expression-free prefix gets: yyyy/MM/dd/HH/.
const DefaultTimePath = "yyyy/MM/dd/HH/"

// Error codes of records whose prefix cannot be evaluated. The error output
// type of such records is "processing-failed".
const (
	CodeMissingKey = "DynamicPartitioning.PartitionKeyMissing"
	CodeTooLong    = "DynamicPartitioning.PrefixTooLong"
)

// Config is the part of an S3 destination that decides where objects go.
type Config struct {
	// Prefix and ErrorOutputPrefix as configured (either may be "").
	Prefix            string
	ErrorOutputPrefix string
	// DynamicPartitioning is DynamicPartitioningConfiguration.Enabled.
	DynamicPartitioning bool
	// TimeZone is CustomTimeZone: an IANA name such as "Asia/Tokyo"; ""
	// means UTC.
	TimeZone string
}

// Prefixes evaluates a destination's Prefix and ErrorOutputPrefix. It is
// safe for concurrent use.
type Prefixes struct {
	prefix    template
	errPrefix template
	// errDefault: there is no usable ErrorOutputPrefix, so error objects go
	// under Prefix + type + "/" + time path.
	errDefault bool
	// errAppend: ErrorOutputPrefix has no expressions; type and time path
	// are appended to it.
	errAppend  bool
	staticPart string // Prefix when it has no expressions
	timePath   layout
	loc        *time.Location
	partition  []part // partition-key parts of Prefix, in order
}

// MissingKeyError is returned when a record lacks a partition key that the
// prefix names.
type MissingKeyError struct {
	Namespace string
	Key       string
}

// Code is the error code for the record's error output.
func (e *MissingKeyError) Code() string { return CodeMissingKey }

func (e *MissingKeyError) Error() string {
	return fmt.Sprintf("the record has no partition key %q for !{%s:%s}", e.Key, e.Namespace, e.Key)
}

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if len(name) > 50 {
		return nil, fmt.Errorf("CustomTimeZone %q is longer than 50 characters", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '_') {
			return nil, fmt.Errorf("CustomTimeZone %q must match [a-zA-Z/_]+", name)
		}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("CustomTimeZone %q is not a known time zone: %w", name, err)
	}
	return loc, nil
}

// New validates cfg and returns its evaluator.
func New(cfg Config) (*Prefixes, error) {
	p, err := compile(cfg.Prefix, cfg.ErrorOutputPrefix, cfg.DynamicPartitioning)
	if err != nil {
		return nil, err
	}
	if p.loc, err = loadZone(cfg.TimeZone); err != nil {
		return nil, err
	}
	return p, nil
}

func compile(prefix, errorPrefix string, dynamic bool) (*Prefixes, error) {
	if len(prefix) > MaxConfigured {
		return nil, fmt.Errorf("Prefix is longer than %d characters", MaxConfigured)
	}
	if len(errorPrefix) > MaxConfigured {
		return nil, fmt.Errorf("ErrorOutputPrefix is longer than %d characters", MaxConfigured)
	}
	pt, err := parseTemplate(prefix)
	if err != nil {
		return nil, fmt.Errorf("Prefix: %w", err)
	}
	et, err := parseTemplate(errorPrefix)
	if err != nil {
		return nil, fmt.Errorf("ErrorOutputPrefix: %w", err)
	}
	if pt.has(partErrorType) {
		return nil, errors.New("Prefix may not use !{firehose:error-output-type}; it belongs in ErrorOutputPrefix")
	}
	if et.has(partKeyFromQuery) || et.has(partKeyFromLambda) {
		return nil, errors.New("ErrorOutputPrefix may not use partition keys (!{partitionKeyFromQuery:...} or !{partitionKeyFromLambda:...})")
	}
	if et.hasExpressions() && !et.has(partErrorType) {
		return nil, errors.New("ErrorOutputPrefix with expressions must contain !{firehose:error-output-type}")
	}
	if errorPrefix == "" && pt.hasExpressions() {
		return nil, errors.New("ErrorOutputPrefix cannot be empty when Prefix contains expressions")
	}
	q, l := pt.keys()
	usesKeys := len(q)+len(l) > 0
	if usesKeys && !dynamic {
		return nil, errors.New("Prefix uses partition keys but dynamic partitioning is not enabled")
	}
	if dynamic {
		if !usesKeys {
			return nil, errors.New("dynamic partitioning is enabled but Prefix uses no !{partitionKeyFromQuery:...} or !{partitionKeyFromLambda:...} expression")
		}
		if errorPrefix == "" {
			return nil, errors.New("ErrorOutputPrefix is required when dynamic partitioning is enabled")
		}
	}
	timePath, err := parseLayout(DefaultTimePath)
	if err != nil {
		return nil, err
	}
	p := &Prefixes{
		prefix:     pt,
		errPrefix:  et,
		errDefault: errorPrefix == "",
		errAppend:  errorPrefix != "" && !et.hasExpressions(),
		timePath:   timePath,
		loc:        time.UTC,
	}
	if !pt.hasExpressions() {
		p.staticPart = prefix
	}
	for _, part := range pt.parts {
		if part.kind == partKeyFromQuery || part.kind == partKeyFromLambda {
			p.partition = append(p.partition, part)
		}
	}
	return p, nil
}

// Location returns the CustomTimeZone (UTC by default).
func (p *Prefixes) Location() *time.Location { return p.loc }

// QueryKeys returns the keys named by !{partitionKeyFromQuery:...}, so the
// caller can check them against the MetadataExtraction query.
func (p *Prefixes) QueryKeys() []string { q, _ := p.prefix.keys(); return q }

// LambdaKeys returns the keys named by !{partitionKeyFromLambda:...}.
func (p *Prefixes) LambdaKeys() []string { _, l := p.prefix.keys(); return l }

// PartitionOf returns the partition of a record: a string that is equal
// for two records exactly when their objects share a Prefix apart from its
// time and random parts. It is "" when the Prefix uses no partition keys.
// Buffer per partition, then evaluate the Prefix of each flushed batch with
// Prefix(batch.Oldest(), batch.Records[0].PartitionKeys).
//
// A record without a named key gets a *MissingKeyError; a record whose
// evaluated prefix would be too long gets a *delivery.Error with CodeTooLong.
// Both belong in the error output ("processing-failed").
func (p *Prefixes) PartitionOf(rec delivery.Record) (string, error) {
	if len(p.partition) == 0 {
		return "", nil
	}
	var b strings.Builder
	for _, part := range p.partition {
		v, ok := rec.PartitionKeys[part.text]
		if !ok {
			ns := nsKeyFromQuery
			if part.kind == partKeyFromLambda {
				ns = nsKeyFromLambda
			}
			return "", &MissingKeyError{Namespace: ns, Key: part.text}
		}
		b.WriteString(strconv.Quote(v))
		b.WriteByte('/')
	}
	s, err := p.prefix.eval(values{at: rec.Arrival.In(p.loc), keys: rec.PartitionKeys, sizeOnly: true})
	if err != nil {
		return "", err
	}
	if _, err := p.checkLen(s); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Prefix evaluates the Prefix for an object whose oldest record arrived at
// oldest, with the partition keys of the object's records.
func (p *Prefixes) Prefix(oldest time.Time, keys map[string]string) (string, error) {
	at := oldest.In(p.loc)
	if p.staticPart != "" || len(p.prefix.parts) == 0 {
		return p.checkLen(p.staticPart + p.timePath.format(at))
	}
	s, err := p.prefix.eval(values{at: at, keys: keys})
	if err != nil {
		return "", err
	}
	return p.checkLen(s)
}

// ErrorPrefix evaluates the prefix of an error-output object of the given
// type ("processing-failed", "http-endpoint-failed", ...) whose oldest
// record arrived at oldest.
//
// Without ErrorOutputPrefix the object goes under the (expression-free)
// Prefix + type + "/" + yyyy/MM/dd/HH/; an ErrorOutputPrefix without
// expressions gets type + "/" + yyyy/MM/dd/HH/ appended the same way.
func (p *Prefixes) ErrorPrefix(oldest time.Time, errorType string) (string, error) {
	at := oldest.In(p.loc)
	switch {
	case p.errDefault:
		return p.checkLen(p.staticPart + errorType + "/" + p.timePath.format(at))
	case p.errAppend:
		lit, _ := p.errPrefix.eval(values{})
		return p.checkLen(lit + errorType + "/" + p.timePath.format(at))
	}
	s, err := p.errPrefix.eval(values{at: at, errorType: errorType})
	if err != nil {
		return "", err
	}
	return p.checkLen(s)
}

func (p *Prefixes) checkLen(s string) (string, error) {
	if len(s) > MaxEvaluated {
		return "", &delivery.Error{
			Code:      CodeTooLong,
			Message:   fmt.Sprintf("the evaluated prefix is %d characters long; at most %d are allowed", len(s), MaxEvaluated),
			Permanent: true,
		}
	}
	return s, nil
}
