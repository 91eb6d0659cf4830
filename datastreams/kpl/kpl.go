package kpl

// SKELETON: the producer helper owns this package; the signatures below
// are what the consumer and agent helpers code against.

// Record is one user record.
type Record struct {
	PartitionKey    string
	ExplicitHashKey string // decimal 128-bit; empty when none
	Data            []byte
}

// Magic starts every aggregated record.
var Magic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// IsAggregated reports whether data is an aggregated record (magic, a
// protobuf body and a matching MD5 trailer).
func IsAggregated(data []byte) bool { panic("skeleton") }

// Deaggregate returns the user records of an aggregated record, in order
// (a record's sub-sequence number is its index). A Kinesis record that is
// not aggregated (no magic, or a bad trailer, as the KCL treats it) comes
// back as itself, with ok false.
func Deaggregate(data []byte, partitionKey string, explicitHashKey string) (records []Record, ok bool, err error) {
	panic("skeleton")
}

// Aggregator builds one aggregated record incrementally.
type Aggregator struct{}

// Add appends a user record; Size is the aggregated size so far.
func (a *Aggregator) Add(r Record)  { panic("skeleton") }
func (a *Aggregator) Size() int     { panic("skeleton") }
func (a *Aggregator) Len() int      { panic("skeleton") }
func (a *Aggregator) Bytes() []byte { panic("skeleton") }
func (a *Aggregator) Reset()        { panic("skeleton") }
