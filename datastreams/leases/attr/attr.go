package attr

// Value is one DynamoDB AttributeValue: exactly one member is set. Its JSON
// form is the wire form ({"S":"x"}, {"N":"1"}, {"L":[]}, ...).
//
// SKELETON: the leases helper owns this file (JSON methods, number
// canonicalisation and comparison, validation).
type Value struct {
	S    *string
	N    *string // canonical decimal text
	B    []byte
	BOOL *bool
	NULL bool
	M    map[string]Value
	L    []Value
	SS   []string
	NS   []string
	BS   [][]byte
	// set records which member is present, so empty L/M/B are kept.
	set string
}

// Item is one item: attribute name -> value.
type Item map[string]Value
